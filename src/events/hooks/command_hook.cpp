#include "events/hooks/command_hook.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "baselinr/error.hpp"
#include "common/log.hpp"

namespace baselinr::hooks {
namespace {

// A file descriptor owned by RAII.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw HookError(fmt::format("command hook: cannot create a pipe: {}", std::strerror(errno)));
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

// Blocks SIGPIPE on this thread while a child may close its stdin early, then discards a
// SIGPIPE that became pending, so a hook program that ignores its input cannot kill us.
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

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto nl = t.rfind('\n');
  std::string line = nl == std::string::npos ? t : t.substr(nl + 1);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

constexpr std::size_t kMaxCapture = 64 * 1024;

}  // namespace

CommandHook::CommandHook(std::vector<std::string> argv, std::map<std::string, std::string> env,
                         double timeout_seconds)
    : argv_(std::move(argv)), env_(std::move(env)), timeout_seconds_(timeout_seconds) {}

void CommandHook::handle_event(const Event& event) {
  const std::string payload = event.to_json();
  const std::string& program = argv_.at(0);

  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [k, v] : env_) env[k] = v;
  env["BASELINR_EVENT_TYPE"] = std::string(event.event_type());
  env["BASELINR_EVENT_ID"] = event.event_id();
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv_;
  std::vector<char*> argvp;
  for (auto& a : args) argvp.push_back(a.data());
  argvp.push_back(nullptr);

  SigpipeGuard guard;
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err.write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own process group, killed as a whole on timeout
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, program.c_str(), &fa, &attr, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw HookError(fmt::format("command hook: cannot run '{}': {}", program, std::strerror(rc)));
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  fcntl(in.write.get(), F_SETFL, O_NONBLOCK);

  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_seconds_ * 1000));
  std::string captured_out, captured_err;
  std::size_t written = 0;
  bool timed_out = false;
  char buf[4096];
  while (out.read.get() >= 0 || err.read.get() >= 0 || in.write.get() >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in.write.get() >= 0) {
      idx_in = n;
      fds[n++] = {in.write.get(), POLLOUT, 0};
    }
    if (out.read.get() >= 0) {
      idx_out = n;
      fds[n++] = {out.read.get(), POLLIN, 0};
    }
    if (err.read.get() >= 0) {
      idx_err = n;
      fds[n++] = {err.read.get(), POLLIN, 0};
    }
    int ready =
        poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = write(in.write.get(), payload.data() + written, payload.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN) || written == payload.size()) in.write.reset();
    }
    auto drain = [&](int idx, Fd& fd, std::string& sink) {
      if (idx < 0 || !fds[idx].revents) return;
      ssize_t r = read(fd.get(), buf, sizeof buf);
      if (r > 0) {
        if (sink.size() < kMaxCapture) sink.append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || errno != EAGAIN) {
        fd.reset();
      }
    };
    drain(idx_out, out.read, captured_out);
    drain(idx_err, err.read, captured_err);
  }

  int status = 0;
  while (!timed_out) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    throw HookError(fmt::format("command hook '{}' timed out after {}s and was killed", program,
                                timeout_seconds_));
  }
  if (!captured_out.empty())
    log().debug("command hook '{}' output: {}", program, last_line(captured_out));
  if (WIFSIGNALED(status)) {
    throw HookError(
        fmt::format("command hook '{}' was killed by signal {}", program, WTERMSIG(status)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    std::string why = last_line(captured_err);
    throw HookError(fmt::format("command hook '{}' exited with status {}{}", program,
                                WEXITSTATUS(status), why.empty() ? "" : ": " + why));
  }
}

}  // namespace baselinr::hooks
