// The command hook: the program gets the event JSON byte for byte on stdin, only the
// environment it was given, and is killed at its timeout while the run goes on.
#include "events/hooks/command_hook.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CommandHook, ProgramReceivesTheEventJsonByteForByte) {
  TempDir dir;
  const auto out = dir / "stdin.json";
  hooks::CommandHook hook({"/bin/sh", "-c", "cat > \"$OUT\""}, {{"OUT", out.string()}}, 10);
  Event e(DataDriftDetected{"orders", "naïve \"col\"", "mean", 1.5, 3.0, 100.0, Severity::kHigh});
  hook.handle_event(e);
  EXPECT_EQ(slurp(out), e.to_json());
  // A large event (beyond a pipe buffer) arrives whole too.
  Event big(ProfilingFailed{"t", "r", std::string(200000, 'x')});
  hook.handle_event(big);
  EXPECT_EQ(slurp(out), big.to_json());
}

TEST(CommandHook, ChildSeesOnlyTheEnvironmentItWasGiven) {
  TempDir dir;
  const auto out = dir / "env.txt";
  setenv("BASELINR_TEST_SECRET_TOKEN", "hunter2", 1);
  hooks::CommandHook hook({"/bin/sh", "-c", "env > \"$OUT\""},
                          {{"OUT", out.string()}, {"GIVEN", "yes"}}, 10);
  Event e(ProfilingStarted{"t", "r"});
  hook.handle_event(e);
  unsetenv("BASELINR_TEST_SECRET_TOKEN");
  std::string env = slurp(out);
  EXPECT_EQ(env.find("hunter2"), std::string::npos) << env;
  EXPECT_NE(env.find("GIVEN=yes"), std::string::npos) << env;
  EXPECT_NE(env.find("BASELINR_EVENT_TYPE=ProfilingStarted"), std::string::npos) << env;
  EXPECT_NE(env.find("BASELINR_EVENT_ID=" + e.event_id()), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
}

TEST(CommandHook, FailuresAreReportedWithTheReason) {
  hooks::CommandHook failing({"/bin/sh", "-c", "echo 'slack said no' >&2; exit 3"}, {}, 10);
  try {
    failing.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const HookError& e) {
    EXPECT_NE(std::string(e.what()).find("exited with status 3: slack said no"), std::string::npos)
        << e.what();
  }
  hooks::CommandHook missing({"baselinr-no-such-program"}, {}, 10);
  EXPECT_THROW(missing.handle_event(Event(ProfilingStarted{"t", "r"})), HookError);
  // A program that ignores its input and exits 0 is a success, and does not kill us (SIGPIPE).
  hooks::CommandHook ignoring({"/bin/true"}, {}, 10);
  EXPECT_NO_THROW(
      ignoring.handle_event(Event(ProfilingFailed{"t", "r", std::string(300000, 'y')})));
}

TEST(CommandHook, AHangingProgramIsKilledAtItsTimeoutAndTheRunContinues) {
  auto log = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<hooks::CommandHook>(
                        std::vector<std::string>{"/bin/sh", "-c", "sleep 30; sleep 30"},
                        std::map<std::string, std::string>{}, 0.5),
                    {"hanging", {}});
  bus.register_hook(std::make_unique<testing::CapturingHook>(log), {"after", {}});
  auto start = std::chrono::steady_clock::now();
  bus.emit(Event(ProfilingStarted{"t", "r"}));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10));  // killed, not waited for
  EXPECT_EQ(bus.stats(0).failed, 1u);
  EXPECT_NE(bus.stats(0).last_error.find("timed out after 0.5s and was killed"), std::string::npos)
      << bus.stats(0).last_error;
  EXPECT_EQ(log->events.size(), 1u);
}

// Issue #11 item 16: the program is done when it exits, even if a background process it started
// still holds the output pipes (it was reported as "timed out and killed"). What the program
// wrote before it exited is kept.
TEST(CommandHook, AProgramThatExitsLeavingABackgroundChildIsADelivery) {
  TempDir dir;
  const auto marker = dir / "background-done";
  hooks::CommandHook hook(
      {"/bin/sh", "-c", "(sleep 4; touch \"$MARKER\") & echo 'sent the page' >&2; exit 0"},
      {{"MARKER", marker.string()}}, 2);
  EXPECT_NO_THROW(hook.handle_event(Event(ProfilingStarted{"t", "r"})));
  hooks::CommandHook failing({"/bin/sh", "-c", "sleep 4 & echo 'no route to pager' >&2; exit 5"},
                             {}, 2);
  try {
    failing.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("exited with status 5: no route to pager"),
              std::string::npos)
        << e.what();
  }
}

TEST(CommandHook, AProgramThatCannotStartFailsForGood) {
  hooks::CommandHook missing({"baselinr-no-such-program"}, {}, 10);
  try {
    missing.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("cannot run 'baselinr-no-such-program'"),
              std::string::npos)
        << e.what();
  }
}

TEST(CommandHook, ExampleScriptInTheRepositoryWorks) {
  TempDir dir;
  const auto out = dir / "alerts.log";
  hooks::CommandHook hook({std::string(BASELINR_SOURCE_DIR) + "/examples/hooks/alert.sh"},
                          {{"ALERT_LOG", out.string()}}, 10);
  hook.handle_event(
      Event(DataDriftDetected{"orders", "amount", "mean", 10, 20, 100, Severity::kHigh}));
  hook.handle_event(Event(ProfilingStarted{"orders", "r"}));
  std::string text = slurp(out);
  EXPECT_NE(text.find("DataDriftDetected"), std::string::npos) << text;
  EXPECT_NE(text.find("\"table\":\"orders\""), std::string::npos) << text;
}

}  // namespace
}  // namespace baselinr
