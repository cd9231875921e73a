// Listening sockets for the local test servers (HTTP, SMTP).
#pragma once

#include <atomic>

namespace baselinr::testing {

// A TCP socket listening on 127.0.0.1:`port` (0: any free port); sets `bound_port`. Throws
// std::runtime_error when it cannot listen.
int listen_loopback(int port, int& bound_port);

// The next connection on `listen_fd`, or -1 after about 50 ms without one (check `stop` and
// call again).
int accept_within_50ms(int listen_fd);

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released): connecting to it is
// refused.
int closed_port();

}  // namespace baselinr::testing
