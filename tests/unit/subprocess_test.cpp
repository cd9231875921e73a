// Subprocess: the child is owned from spawn to reap.
#include "common/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "baselinr/error.hpp"

namespace baselinr {
namespace {

bool exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Running (not a zombie waiting for whatever reaps orphans here).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

TEST(Subprocess, TheDestructorKillsAndReapsARunningChild) {
  pid_t pid = 0;
  {
    Subprocess child({.argv = {"/bin/sh", "-c", "sleep 60"}});
    pid = child.pid();
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(exists(pid));
  }
  // Killed and reaped: not even a zombie is left.
  EXPECT_FALSE(exists(pid));
}

TEST(Subprocess, AThrowAfterSpawnLeavesNoProcess) {
  pid_t pid = 0;
  try {
    Subprocess child({.argv = {"sleep", "60"}});
    pid = child.pid();
    throw std::runtime_error("the caller failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(exists(pid));
}

TEST(Subprocess, CommunicateFeedsInputAndCollectsOutputAndStatus) {
  Subprocess child(
      {.argv = {"/bin/sh", "-c", "tr a-z A-Z; echo oops >&2; exit 7"}, .stdin_pipe = true});
  auto r = child.communicate("hello", Subprocess::Clock::now() + std::chrono::seconds(20));
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "HELLO");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(Subprocess, ATimeoutKillsTheWholeProcessGroup) {
  Subprocess child({.argv = {"/bin/sh", "-c", "sleep 60 & echo $! ; wait"}});
  auto r = child.communicate("", Subprocess::Clock::now() + std::chrono::milliseconds(500));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.signal, SIGKILL);
  const pid_t grandchild = static_cast<pid_t>(std::stol(r.out));
  // The background sleep was in the group: killed too (its parent init reaps it).
  for (int i = 0; i < 100 && running(grandchild); ++i) usleep(20000);
  EXPECT_FALSE(running(grandchild));
}

TEST(Subprocess, StandardErrorCanShareStandardOutputsFile) {
  const std::string log = "/tmp/baselinr-subprocess-" + std::to_string(getpid()) + ".log";
  Subprocess child({.argv = {"/bin/sh", "-c", "echo one; echo two >&2; echo three"},
                    .stdout_file = log,
                    .stderr_to_stdout = true});
  Subprocess::Result r;
  decode_wait_status(child.wait(), r);
  EXPECT_EQ(r.exit_code, 0);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(log.c_str());
  EXPECT_EQ(text, "one\ntwo\nthree\n");
}

TEST(Subprocess, TheReapedChildsResourceUsageIsKept) {
  // dd reads 64 MiB into one buffer: its peak resident set is at least that.
  Subprocess child({.argv = {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"}});
  child.wait();
  EXPECT_GE(child.usage().ru_maxrss, 64 * 1024);
}

TEST(Subprocess, AProgramThatCannotRunIsAnError) {
  try {
    Subprocess child({.argv = {"baselinr-no-such-program"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run 'baselinr-no-such-program'"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace baselinr
