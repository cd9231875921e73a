#include "common/subprocess.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "baselinr/error.hpp"

extern char** environ;

namespace baselinr {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Closes both ends unless release() took them.
struct PipePair {
  int read = -1;
  int write = -1;
  ~PipePair() {
    close_fd(read);
    close_fd(write);
  }
};

void make_pipe(PipePair& p) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  p.read = fds[0];
  p.write = fds[1];
}

// Blocks SIGPIPE on this thread while a child may close its stdin early, then discards a
// SIGPIPE that became pending, so a program that ignores its input cannot kill us.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
};

// posix_spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

void decode_wait_status(int status, Subprocess::Result& result) {
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

Subprocess::Subprocess(const Options& options) {
  if (options.argv.empty()) throw Error("cannot run a program: no program given");
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (options.environment) {
    for (const auto& [k, v] : *options.environment) env_strings.push_back(k + "=" + v);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }

  PipePair in, out, err;
  SpawnSetup setup;
  auto* fa = &setup.actions;
  if (options.stdin_pipe) {
    make_pipe(in);
    posix_spawn_file_actions_adddup2(fa, in.read, 0);
  } else {
    posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
  }
  auto output = [&](int target, const std::string& file, PipePair& p) {
    if (file.empty()) {
      make_pipe(p);
      posix_spawn_file_actions_adddup2(fa, p.write, target);
    } else {
      posix_spawn_file_actions_addopen(fa, target, file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0600);
    }
  };
  output(1, options.stdout_file, out);
  if (options.stderr_to_stdout) {
    posix_spawn_file_actions_adddup2(fa, 1, 2);
  } else {
    output(2, options.stderr_file, err);
  }

  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (options.own_process_group) {
    posix_spawnattr_setpgroup(&setup.attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&setup.attr, flags);

  const std::string& program = options.argv.front();
  char** env = options.environment ? envp.data() : environ;
  int rc = posix_spawnp(&pid_, program.c_str(), fa, &setup.attr, argv.data(), env);
  if (rc != 0) {
    pid_ = -1;
    throw Error(fmt::format("cannot run '{}': {}", program, std::strerror(rc)));
  }
  own_group_ = options.own_process_group;
  // Keep our ends only; the child's ends close with the PipePairs.
  std::swap(stdin_fd_, in.write);
  std::swap(stdout_fd_, out.read);
  std::swap(stderr_fd_, err.read);
}

Subprocess::~Subprocess() {
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  if (pid_ > 0 && !reaped_) {
    kill(SIGKILL);
    wait();
  }
}

void Subprocess::kill(int sig) {
  if (pid_ <= 0 || reaped_) return;
  if (own_group_) ::kill(-pid_, sig);
  ::kill(pid_, sig);
}

std::optional<int> Subprocess::try_wait() {
  if (reaped_) return status_;
  int status = 0;
  pid_t w = wait4(pid_, &status, WNOHANG, &usage_);
  if (w == pid_) {
    reaped_ = true;
    status_ = status;
    return status_;
  }
  return std::nullopt;
}

int Subprocess::wait() {
  while (!reaped_) {
    int status = 0;
    pid_t w = wait4(pid_, &status, 0, &usage_);
    if (w == pid_) {
      reaped_ = true;
      status_ = status;
    } else if (w < 0 && errno != EINTR) {
      reaped_ = true;  // not our child any more (cannot happen unless someone else reaped it)
      status_ = 0;
    }
  }
  return status_;
}

Subprocess::Result Subprocess::communicate(std::string_view input, Clock::time_point deadline,
                                           const std::function<bool()>& abort) {
  SigpipeGuard guard;
  Result result;
  if (stdin_fd_ >= 0) {
    fcntl(stdin_fd_, F_SETFL, O_NONBLOCK);
    if (input.empty()) close_fd(stdin_fd_);
  }
  std::size_t written = 0;
  char buf[4096];
  auto drain = [&](int& fd, std::string& sink) {
    // Reads what is available now; closes the pipe at its end.
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
      if (sink.size() < kMaxCapture) {
        sink.append(buf, std::min(static_cast<std::size_t>(r), kMaxCapture - sink.size()));
      }
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(fd);
    }
    return r > 0;
  };
  std::optional<int> status;
  // The child's exit wakes poll() through a pidfd (Linux 5.3+); without one, short waits.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  while (true) {
    status = try_wait();
    if (status) break;
    if (Clock::now() >= deadline || (abort && abort())) {
      result.timed_out = true;
      break;
    }
    pollfd fds[4];
    int n = 0, idx_in = -1, idx_out = -1, idx_err = -1;
    if (stdin_fd_ >= 0) {
      idx_in = n;
      fds[n++] = {stdin_fd_, POLLOUT, 0};
    }
    if (stdout_fd_ >= 0) {
      idx_out = n;
      fds[n++] = {stdout_fd_, POLLIN, 0};
    }
    if (stderr_fd_ >= 0) {
      idx_err = n;
      fds[n++] = {stderr_fd_, POLLIN, 0};
    }
    // The child's exit is noticed by waitpid, not by the pipes closing (a background process it
    // started may hold them open): the pidfd wakes us, else short waits. `abort` is asked at
    // least every 20 ms.
    const bool exit_wakes = pidfd >= 0;
    if (exit_wakes) fds[n++] = {pidfd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const long most = exit_wakes && !abort ? 60'000 : 20;
    int wait_ms = static_cast<int>(std::clamp<long>(left.count(), 0, most));
    int ready = n > 0 ? poll(fds, static_cast<nfds_t>(n), wait_ms) : 0;
    if (n == 0) usleep(static_cast<useconds_t>(wait_ms) * 1000);
    if (ready <= 0) continue;
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = write(stdin_fd_, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        close_fd(stdin_fd_);
      }
    }
    if (idx_out >= 0 && fds[idx_out].revents) drain(stdout_fd_, result.out);
    if (idx_err >= 0 && fds[idx_err].revents) drain(stderr_fd_, result.err);
  }
  if (pidfd >= 0) close(pidfd);
  if (result.timed_out) {
    kill(SIGKILL);
    status = wait();
  }
  // What the child wrote before it ended is in the pipes: take it without waiting for the pipes
  // to close (a background process may keep them open).
  for (int* fd : {&stdout_fd_, &stderr_fd_}) {
    if (*fd < 0) continue;
    fcntl(*fd, F_SETFL, O_NONBLOCK);
    std::string& sink = fd == &stdout_fd_ ? result.out : result.err;
    for (int reads = 0; reads < 256 && *fd >= 0 && drain(*fd, sink); ++reads) {
    }
    close_fd(*fd);
  }
  close_fd(stdin_fd_);
  decode_wait_status(*status, result);
  return result;
}

}  // namespace baselinr
