// Hooks on the real pipeline: the SQL hook's rows, failure isolation during profiling, a hook
// whose database is unreachable, and dry runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "baselinr/event_bus.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "events/hooks/sql_hook.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

class HooksTest : public ::testing::Test {
 protected:
  TempDir dir;
  void SetUp() override {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE a (x INTEGER)");
    c->execute("CREATE TABLE b (y TEXT)");
    c->execute("INSERT INTO a VALUES (1), (2), (3)");
  }
  Config config() {
    return testing::sqlite_pipeline_config(dir / "src.db", dir / "store.db", {"a", "b"});
  }
};

TEST_F(HooksTest, SqlHookWritesOneRowPerEventWithTheSameId) {
  Config cfg = config();
  auto captured = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<testing::CapturingHook>(captured));
  bus.register_hook(
      std::make_unique<hooks::SqlEventHook>(testing::sqlite_config(dir / "ev.db"), "audit_events"));
  RunStore store(cfg.storage, cfg.environment);
  Profiler(cfg, &bus, &store).profile();
  ASSERT_EQ(captured->events.size(), 4u);
  auto rows = testing::query_sqlite(
      dir / "ev.db",
      "SELECT event_id, event_type, table_name, metadata, timestamp, created_at FROM "
      "audit_events ORDER BY rowid");
  ASSERT_EQ(rows.rows.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const Event& e = captured->events[i];
    EXPECT_EQ(std::get<std::string>(rows.rows[i][0]), e.event_id());
    EXPECT_EQ(std::get<std::string>(rows.rows[i][1]), e.event_type());
    EXPECT_EQ(std::get<std::string>(rows.rows[i][2]), e.table());
    EXPECT_EQ(nlohmann::json::parse(std::get<std::string>(rows.rows[i][3])),
              nlohmann::json::parse(e.metadata_json()));
    EXPECT_FALSE(db::is_null(rows.rows[i][5]));  // created_at defaulted by the database
  }
  // ProfilingCompleted was emitted after the run was stored: its run id is in storage.
  for (const auto& e : captured->events) {
    if (const auto* done = e.get_if<ProfilingCompleted>()) {
      EXPECT_TRUE(store.find_run(done->run_id)) << done->run_id;
    }
  }
}

TEST_F(HooksTest, AThrowingHookDoesNotStopTheRunOrTheOtherHooks) {
  Config cfg = config();
  auto captured = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<testing::ThrowingHook>(), {"broken", {}});
  bus.register_hook(std::make_unique<testing::CapturingHook>(captured), {"capture", {}});
  RunStore store(cfg.storage, cfg.environment);
  auto outcomes = Profiler(cfg, &bus, &store).profile();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  EXPECT_EQ(captured->events.size(), 4u);
  EXPECT_EQ(bus.stats(0).failed, 4u);
  EXPECT_EQ(store.list_runs({}).size(), 2u);
}

TEST_F(HooksTest, AnUnreachableHookDatabaseIsACountedFailureNotAStartupError) {
  Config cfg = config();
  HooksConfig hc;
  HookConfig sql;
  sql.type = HookType::kSql;
  // A path under a regular file can never be created, not even by root.
  sql.connection = testing::sqlite_config(dir.write("plain-file", "x") / "ev.db");
  hc.hooks = {sql};
  auto bus = create_event_bus(hc);
  RunStore store(cfg.storage, cfg.environment);
  auto outcomes = Profiler(cfg, bus.get(), &store).profile();
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(bus->stats(0).failed, 4u);
  EXPECT_FALSE(bus->stats(0).last_error.empty());
}

TEST_F(HooksTest, StorageFailureFailsTheRunWithoutProfilingCompleted) {
  Config cfg = config();
  class FailingSink final : public ResultSink {
   public:
    void store(const ProfilingResult&) override { throw StorageError("disk full"); }
  } sink;
  auto captured = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<testing::CapturingHook>(captured));
  auto outcomes = Profiler(cfg, &bus, &sink).profile();
  EXPECT_FALSE(outcomes[0].ok());
  EXPECT_EQ(outcomes[0].error, "disk full");
  for (const auto& e : captured->events) EXPECT_NE(e.event_type(), "ProfilingCompleted");
  EXPECT_EQ(captured->events.size(), 4u);  // Started + Failed for each table
}

}  // namespace
}  // namespace baselinr
