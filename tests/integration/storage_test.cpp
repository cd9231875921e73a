#include "baselinr/storage.hpp"

#include <gtest/gtest.h>

#include "baselinr/error.hpp"
#include "baselinr/profiler.hpp"
#include "support/fixtures.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::FixtureColumn;
using testing::make_run;
using testing::TempDir;

StorageConfig storage_at(const std::filesystem::path& file) {
  StorageConfig s;
  s.connection = testing::sqlite_config(file);
  return s;
}

ProfilingResult sample_run(const std::string& id, int minute) {
  return make_run(
      "customers", minute,
      {{"age",
        "INTEGER",
        {{"count", std::int64_t{100}},
         {"mean", 41.5},
         {"min", std::int64_t{18}},
         {"stddev", std::monostate{}}}},
       {"name", "TEXT", {{"count", std::int64_t{100}}, {"max_length", std::int64_t{12}}}}},
      id);
}

TEST(Storage, RunAndResultsRoundTripAsText) {
  TempDir dir;
  RunStore store(storage_at(dir / "s.db"), "test");
  store.store(sample_run("run-1", 0));
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "run-1");
  EXPECT_EQ(runs[0].dataset_name, "customers");
  EXPECT_EQ(runs[0].environment, "test");
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].row_count, 100);
  EXPECT_EQ(runs[0].column_count, 2);
  auto results = store.results(runs[0]);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0].column_name, "age");
  EXPECT_EQ(results[0].column_type, "INTEGER");
  EXPECT_EQ(results[0].metric_name, "count");
  EXPECT_EQ(results[0].metric_value, "100");
  EXPECT_EQ(results[1].metric_value, "41.5");
  EXPECT_EQ(results[3].metric_name, "stddev");
  EXPECT_FALSE(results[3].metric_value.has_value());  // NULL, as the original stores None

  // Rows as any SQL client sees them, in the original's tables and columns.
  auto rows = testing::query_sqlite(
      dir / "s.db",
      "SELECT run_id, dataset_name, schema_name, profiled_at, environment, status, row_count, "
      "column_count FROM baselinr_runs");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_TRUE(db::is_null(rows.rows[0][2]));
  EXPECT_EQ(std::get<std::string>(rows.rows[0][3]), runs[0].profiled_at);
  auto metric = testing::query_sqlite(
      dir / "s.db",
      "SELECT metric_value FROM baselinr_results WHERE run_id = 'run-1' AND column_name = 'age' "
      "AND metric_name = 'mean'");
  EXPECT_EQ(std::get<std::string>(metric.rows.at(0).at(0)), "41.5");
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  auto indexes = testing::query_sqlite(
      dir / "s.db",
      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx_%'");
  // 8 of the runs, results and events tables; 5 of the outbox, deliveries and findings; 1 of
  // the pinned baselines.
  EXPECT_EQ(std::get<std::int64_t>(indexes.rows[0][0]), 14);
}

TEST(Storage, NewestFirstAndFilters) {
  TempDir dir;
  RunStore store(storage_at(dir / "s.db"), "test");
  store.store(sample_run("a", 0));
  store.store(sample_run("b", 10));
  auto other = sample_run("c", 5);
  other.dataset_name = "orders";
  store.store(other);
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].run_id, "b");
  EXPECT_EQ(runs[1].run_id, "c");
  EXPECT_EQ(store.list_runs({.dataset = "customers", .limit = 1}).at(0).run_id, "b");
  EXPECT_EQ(store.runs_before(runs[0], 5).size(), 1u);
  EXPECT_EQ(store.find_run("c")->dataset_name, "orders");
  EXPECT_FALSE(store.find_run("nope"));
}

TEST(Storage, AFailureWhileWritingLeavesNoTraceOfTheRun) {
  TempDir dir;
  const auto file = dir / "s.db";
  {
    RunStore store(storage_at(file), "test");
    store.store(sample_run("kept", 0));
  }
  for (int fail_at : {1, 2, 4, 7}) {  // the run row, the first result, mid-way, the last result
    auto faulty = std::make_unique<testing::FaultyConnection>(testing::open_sqlite(file), fail_at);
    RunStore store(std::move(faulty), storage_at(file), "test");
    EXPECT_THROW(store.store(sample_run("doomed", 1)), StorageError) << fail_at;
  }
  RunStore check(storage_at(file), "test");
  auto runs = check.list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "kept");
  EXPECT_EQ(check.results(runs[0]).size(), 6u);  // nothing already stored is lost
  auto orphans =
      testing::query_sqlite(file, "SELECT COUNT(*) FROM baselinr_results WHERE run_id = 'doomed'");
  EXPECT_EQ(std::get<std::int64_t>(orphans.rows[0][0]), 0);
}

TEST(Storage, ErrorMessageSaysNothingWasStored) {
  TempDir dir;
  // One parameterised write per schema version recorded, then the run row: fail at the run.
  auto faulty = std::make_unique<testing::FaultyConnection>(testing::open_sqlite(dir / "s.db"),
                                                            kStorageSchemaVersion + 1);
  RunStore store(std::move(faulty), storage_at(dir / "s.db"), "test");
  try {
    store.store(sample_run("x", 0));
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("nothing of this run was stored"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos);
  }
}

TEST(Storage, CustomTableNamesAndNoCreate) {
  TempDir dir;
  StorageConfig cfg = storage_at(dir / "s.db");
  cfg.runs_table = "my runs";
  cfg.results_table = "my\"results";
  {
    RunStore store(cfg, "prod");
    store.store(sample_run("r", 0));
  }
  auto rows = testing::query_sqlite(dir / "s.db", "SELECT COUNT(*) FROM \"my\"\"results\"");
  EXPECT_EQ(std::get<std::int64_t>(rows.rows[0][0]), 6);

  // Without create_tables, missing tables are an error when the store opens, before any work.
  StorageConfig none = storage_at(dir / "empty.db");
  none.create_tables = false;
  EXPECT_THROW(RunStore(none, "prod"), StorageError);
}

TEST(Storage, RefusesAStoreFromANewerVersion) {
  TempDir dir;
  { RunStore store(storage_at(dir / "s.db"), "t"); }
  {
    auto c = testing::open_sqlite(dir / "s.db");
    c->execute("INSERT INTO baselinr_schema_version (version, applied_at) VALUES (99, 'x')");
  }
  try {
    RunStore store(storage_at(dir / "s.db"), "t");
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  }
}

TEST(Storage, AStoreWithoutVersionTableFromTheOriginalIsAdopted) {
  TempDir dir;
  {
    // The original's schema, without a version table.
    auto c = testing::open_sqlite(dir / "s.db");
    c->execute(
        "CREATE TABLE baselinr_runs (run_id VARCHAR(36) NOT NULL, dataset_name VARCHAR(255) NOT "
        "NULL, schema_name VARCHAR(255), profiled_at TIMESTAMP NOT NULL, environment "
        "VARCHAR(50), status VARCHAR(20), row_count INTEGER, column_count INTEGER, PRIMARY KEY "
        "(run_id, dataset_name))");
    c->execute(
        "INSERT INTO baselinr_runs VALUES ('old', 'customers', NULL, '2025-01-01 00:00:00', "
        "'development', 'completed', 10, 2)");
  }
  RunStore store(storage_at(dir / "s.db"), "t");
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "old");
  EXPECT_EQ(runs[0].profiled_at, "2025-01-01 00:00:00.000000");
}

}  // namespace
}  // namespace baselinr

namespace baselinr {
namespace {

// A store written by schema version 1 (no runs.metadata) is upgraded in place on open and
// keeps its runs; new runs record what they profiled.
TEST(Storage, VersionOneStoreIsMigratedWithoutLosingARun) {
  testing::TempDir dir;
  const auto file = dir / "v1.db";
  {
    auto c = testing::open_sqlite(file);
    c->execute(
        "CREATE TABLE baselinr_schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP "
        "NOT NULL, description VARCHAR(500), migration_script VARCHAR(255), checksum "
        "VARCHAR(64))");
    c->execute(
        "INSERT INTO baselinr_schema_version VALUES (1, '2026-01-01 00:00:00', 'v1', "
        "NULL, NULL)");
    c->execute(
        "CREATE TABLE baselinr_runs (run_id VARCHAR(36) NOT NULL, dataset_name VARCHAR(255) NOT "
        "NULL, schema_name VARCHAR(255), profiled_at TIMESTAMP NOT NULL, environment "
        "VARCHAR(50), status VARCHAR(20), row_count BIGINT, column_count BIGINT, PRIMARY KEY "
        "(run_id, dataset_name))");
    c->execute(
        "CREATE TABLE baselinr_results (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id VARCHAR(36) "
        "NOT NULL, dataset_name VARCHAR(255) NOT NULL, schema_name VARCHAR(255), column_name "
        "VARCHAR(255) NOT NULL, column_type VARCHAR(255), metric_name VARCHAR(100) NOT NULL, "
        "metric_value TEXT, profiled_at TIMESTAMP NOT NULL)");
    c->execute(
        "INSERT INTO baselinr_runs VALUES ('old-run', 'orders', NULL, '2026-01-01 "
        "00:00:00', 'prod', 'completed', 7, 1)");
    c->execute(
        "INSERT INTO baselinr_results (run_id, dataset_name, column_name, column_type, "
        "metric_name, metric_value, profiled_at) VALUES ('old-run', 'orders', 'amount', "
        "'REAL', 'mean', '12.5', '2026-01-01 00:00:00')");
  }
  {
    // Read-only use (create_tables: false) does not migrate, and still reads the old runs.
    StorageConfig ro = storage_at(file);
    ro.create_tables = false;
    RunStore store(ro, "prod");
    EXPECT_EQ(store.schema_version(), 1);
    ASSERT_EQ(store.list_runs({}).size(), 1u);
  }
  RunStore store(storage_at(file), "prod");
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "old-run");
  EXPECT_TRUE(runs[0].metadata.empty());
  EXPECT_EQ(store.results(runs[0]).at(0).metric_value, "12.5");

  ProfilingResult next = sample_run("new-run", 60 * 24 * 400);
  next.dataset_name = "orders";
  next.scope.sampling_method = "random";
  next.scope.sampling_fraction = 0.05;
  next.scope.rows_profiled = 100;
  store.store(next);
  runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "new-run");
  ProfiledScope scope = ProfiledScope::from_json(runs[0].metadata);
  EXPECT_EQ(scope.sampling_method, "random");
  EXPECT_EQ(scope.sampling_fraction, 0.05);
  // Version 4's pinned baselines work on the migrated store, next to version 3's outbox.
  EXPECT_TRUE(store.has_outbox());
  EXPECT_FALSE(store.pinned_baseline("orders", "").has_value());
  store.pin_baseline(runs[1]);
  ASSERT_TRUE(store.pinned_baseline("orders", "").has_value());
  EXPECT_EQ(store.pinned_baseline("orders", "")->run_id, "old-run");
  // Opening again is a no-op.
  RunStore again(storage_at(file), "prod");
  auto versions = testing::query_sqlite(file, "SELECT COUNT(*) FROM baselinr_schema_version");
  EXPECT_EQ(std::get<std::int64_t>(versions.rows[0][0]), kStorageSchemaVersion);
}

}  // namespace
}  // namespace baselinr

namespace baselinr {
namespace {

// The version table is shared by all stores of a database: a second store with other table
// names must still get the current columns (found by the conformance suite).
TEST(Storage, TwoStoresInOneDatabaseBothGetTheCurrentSchema) {
  testing::TempDir dir;
  RunStore first(storage_at(dir / "s.db"), "t");
  first.store(sample_run("a", 0));
  StorageConfig other = storage_at(dir / "s.db");
  other.runs_table = "team2_runs";
  other.results_table = "team2_results";
  RunStore second(other, "t");
  ProfilingResult r = sample_run("b", 1);
  r.scope.partition_strategy = "latest";
  EXPECT_NO_THROW(second.store(r));
  EXPECT_EQ(ProfiledScope::from_json(second.list_runs({}).at(0).metadata).partition_strategy,
            "latest");
}

}  // namespace
}  // namespace baselinr
