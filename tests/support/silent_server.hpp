// A TCP listener on 127.0.0.1 that accepts connections and never says a word: the kernel
// completes every handshake (the listen backlog) and nothing ever reads or writes. A client that
// waits for a server greeting (PostgreSQL, MariaDB, their ODBC drivers) waits until its own
// timeout gives up, which is what connect-timeout tests need.
#pragma once

namespace baselinr::testing {

class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace baselinr::testing
