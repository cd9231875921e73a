#include "baselinr/event_bus.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::CapturingHook;
using testing::ThrowingHook;

class OrderHook final : public Hook {
 public:
  OrderHook(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
  void handle_event(const Event& e) override { log_.push_back(name_ + ":" + e.event_id()); }

 private:
  std::vector<std::string>& log_;
  std::string name_;
};

TEST(EventBus, DeliversToEveryHookInRegistrationOrder) {
  std::vector<std::string> log;
  EventBus bus;
  bus.register_hook(std::make_unique<OrderHook>(log, "a"));
  bus.register_hook(std::make_unique<OrderHook>(log, "b"));
  bus.register_hook(std::make_unique<OrderHook>(log, "c"));
  Event e1(ProfilingStarted{"t", "r1"}), e2(ProfilingStarted{"t", "r2"});
  bus.emit(e1);
  bus.emit(e2);
  EXPECT_EQ(log, (std::vector<std::string>{"a:" + e1.event_id(), "b:" + e1.event_id(),
                                           "c:" + e1.event_id(), "a:" + e2.event_id(),
                                           "b:" + e2.event_id(), "c:" + e2.event_id()}));
  EXPECT_EQ(bus.stats(1).delivered, 2u);
  EXPECT_EQ(bus.hook_name(2), "hook[2]");
}

TEST(EventBus, AFailingHookIsCountedAndDoesNotStopTheOthers) {
  auto log = std::make_shared<CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<CapturingHook>(log), {"first", {}});
  bus.register_hook(std::make_unique<ThrowingHook>(), {"broken", {}});
  bus.register_hook(std::make_unique<CapturingHook>(log), {"last", {}});
  for (int i = 0; i < 3; ++i) EXPECT_NO_THROW(bus.emit(Event(ProfilingStarted{"t", "r"})));
  EXPECT_EQ(log->events.size(), 6u);
  EXPECT_EQ(bus.stats(1).failed, 3u);
  EXPECT_EQ(bus.stats(1).delivered, 0u);
  EXPECT_EQ(bus.stats(1).last_error, "this hook always fails");
  EXPECT_EQ(bus.stats(2).delivered, 3u);
  EXPECT_EQ(bus.total_failed(), 3u);
}

TEST(EventBus, FiltersByTypeSeverityAndTableGlob) {
  auto drift_high = std::make_shared<CapturingHook::Log>();
  auto fact_tables = std::make_shared<CapturingHook::Log>();
  EventBus bus;
  HookOptions a{"drift-high", {}};
  a.filter.event_types = {"DataDriftDetected"};
  a.filter.min_severity = Severity::kMedium;
  bus.register_hook(std::make_unique<CapturingHook>(drift_high), a);
  HookOptions b{"facts", {}};
  b.filter.tables = {"fact_*", "dim_[ab]?"};
  bus.register_hook(std::make_unique<CapturingHook>(fact_tables), b);

  bus.emit(Event(DataDriftDetected{"fact_sales", "c", "mean", 1, 2, 100, Severity::kHigh}));
  bus.emit(Event(DataDriftDetected{"dim_x", "c", "mean", 1, 1.1, 10, Severity::kLow}));
  bus.emit(Event(DataDriftDetected{"dim_a1", "c", "mean", 1, 1.2, 20, Severity::kMedium}));
  bus.emit(Event(ProfilingStarted{"fact_orders", "r"}));
  bus.emit(Event(SchemaChangeDetected{"other", "column_added", "c", std::nullopt, "INT"}));

  ASSERT_EQ(drift_high->events.size(), 2u);
  EXPECT_EQ(drift_high->events[0].table(), "fact_sales");
  EXPECT_EQ(drift_high->events[1].table(), "dim_a1");
  ASSERT_EQ(fact_tables->events.size(), 3u);
  EXPECT_EQ(fact_tables->events[2].event_type(), "ProfilingStarted");
  EXPECT_EQ(bus.stats(0).filtered, 3u);
  EXPECT_EQ(bus.stats(1).filtered, 2u);
}

TEST(EventBus, GlobMatching) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("fact_*", "fact_sales"));
  EXPECT_FALSE(glob_match("fact_*", "dim_sales"));
  EXPECT_TRUE(glob_match("*_sales", "fact_sales"));
  EXPECT_TRUE(glob_match("f?ct_*s", "fact_sales"));
  EXPECT_TRUE(glob_match("[!d]*", "fact"));
  EXPECT_FALSE(glob_match("[!d]*", "dim"));
  EXPECT_TRUE(glob_match("t[0-9]", "t7"));
  EXPECT_FALSE(glob_match("t[0-9]", "tx"));
  EXPECT_TRUE(glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(glob_match("a*b*c", "axxbyy"));
  EXPECT_TRUE(glob_match("[unclosed", "[unclosed"));
}

TEST(EventBus, ConcurrentEmittersNeverRunAHookConcurrently) {
  class Exclusive final : public Hook {
   public:
    std::atomic<int> inside{0};
    std::atomic<bool> overlap{false};
    std::atomic<int> seen{0};
    void handle_event(const Event&) override {
      if (++inside > 1) overlap = true;
      std::this_thread::yield();
      --inside;
      ++seen;
    }
  };
  auto hook = std::make_unique<Exclusive>();
  Exclusive* raw = hook.get();
  EventBus bus;
  bus.register_hook(std::move(hook));
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) bus.emit(Event(ProfilingStarted{"t", "r"}));
    });
  }
  threads.clear();
  EXPECT_FALSE(raw->overlap);
  EXPECT_EQ(raw->seen, 2000);
}

TEST(EventBus, DryRunBusKeepsOnlyLoggingHooks) {
  HooksConfig cfg;
  HookConfig logging;
  logging.type = HookType::kLogging;
  HookConfig sql;
  sql.type = HookType::kSql;
  sql.connection = testing::sqlite_config("/nonexistent/should-not-open.db");
  HookConfig disabled = logging;
  disabled.enabled = false;
  cfg.hooks = {logging, sql, disabled};
  EXPECT_EQ(create_event_bus(cfg, {.logging_only = true})->hook_count(), 1u);
  EXPECT_EQ(create_event_bus(cfg)->hook_count(), 2u);
  cfg.enabled = false;
  EXPECT_EQ(create_event_bus(cfg)->hook_count(), 0u);
}

}  // namespace
}  // namespace baselinr
