// Subprocess: a child process owned from spawn to reap.
//
// The constructor starts the program (posix_spawn, no shell); the destructor kills the child
// (and its process group when it has its own) if it is still running, and reaps it, so no
// exception path ever leaves a process behind or a zombie unreaped. communicate() feeds the
// standard input, collects standard output and error, and returns when the child has exited or
// the deadline has passed: a child that exits while a background process it started still holds
// the pipes is done when it exits (what it wrote before is kept), not when the pipes close.
//
// Thread-safety: one Subprocess is used by one thread.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baselinr {

class Subprocess {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::vector<std::string> argv;  // argv[0] is searched in PATH when it has no '/'
    // The child's whole environment; nullopt: a copy of ours.
    std::optional<std::map<std::string, std::string>> environment;
    bool stdin_pipe = false;  // false: /dev/null
    // Where standard output and error go: a pipe read by communicate() when empty, else this
    // file (created or truncated).
    std::string stdout_file;
    std::string stderr_file;
    // Standard error goes where standard output goes (the same pipe or file); stderr_file is
    // then ignored.
    bool stderr_to_stdout = false;
    // In its own process group, so kill() reaches the processes it starts.
    bool own_process_group = true;
  };

  struct Result {
    bool exited = false;  // false: killed by a signal, or still running at the deadline
    int exit_code = -1;   // when exited
    int signal = 0;       // when killed by a signal
    bool timed_out = false;
    std::string out;  // at most kMaxCapture bytes of each stream
    std::string err;
  };
  static constexpr std::size_t kMaxCapture = 64 * 1024;

  // Starts the program. Throws Error (with the reason) when it cannot be started.
  explicit Subprocess(const Options& options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes `input` to the child's stdin (a pipe: Options::stdin_pipe) and closes it, and reads
  // the output pipes until the child exits, `deadline` passes, or `abort` returns true. On a
  // timeout or an abort the child (and its group) is killed and reaped; Result::timed_out says so.
  Result communicate(std::string_view input, Clock::time_point deadline,
                     const std::function<bool()>& abort = {});

  // Sends `sig` to the child's process group (or the child alone when it has none).
  void kill(int sig);
  // The exit status when the child has ended (reaping it), nullopt while it runs.
  std::optional<int> try_wait();
  // Blocks until the child ends; returns its wait status.
  int wait();
  // The resources the child used (ru_maxrss: its peak resident set, KiB), once it is reaped.
  const rusage& usage() const { return usage_; }

 private:
  pid_t pid_ = -1;
  bool own_group_ = false;
  bool reaped_ = false;
  int status_ = 0;
  rusage usage_{};
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
};

// Decodes a wait status into Result's exited / exit_code / signal.
void decode_wait_status(int status, Subprocess::Result& result);

}  // namespace baselinr
