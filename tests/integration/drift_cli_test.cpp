// Table-level metrics from the real profiler on SQLite (row_count, freshness of a configured
// or inferred timestamp column, stored with an empty column name and no type), staleness found
// by drift, and the `check` and `baseline` commands end to end with their exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "baselinr/drift.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;
using testing::TempDir;

std::chrono::system_clock::time_point at(const char* utc) { return *parse_time(utc); }

const MetricValue* table_metric(const ProfilingResult& r, const std::string& name) {
  for (const auto& [n, v] : r.table_metrics) {
    if (n == name) return &v;
  }
  return nullptr;
}

class TableMetricsTest : public ::testing::Test {
 protected:
  TempDir dir;
  void SetUp() override {
    auto db = testing::open_sqlite(dir / "src.db");
    testing::exec(*db,
                  "CREATE TABLE events (id INTEGER PRIMARY KEY, amount REAL, created DATE, "
                  "updated_at TIMESTAMP);"
                  "INSERT INTO events VALUES (1, 1.5, '2026-01-09', '2026-01-09 08:00:00'),"
                  "(2, 2.5, '2026-01-11', '2026-01-10 12:00:00'),"
                  "(3, 3.5, '2026-01-10', '2026-01-10 13:30:00+02:00'),"
                  "(4, NULL, NULL, NULL);"
                  "CREATE TABLE plain (a INTEGER, b TEXT); INSERT INTO plain VALUES (1, 'x');");
  }
  Config config(const std::string& extra = "") {
    LoadOptions o;
    return parse_config(
        testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"events", "plain"}, extra),
        "t.yml", o);
  }
  std::vector<TableOutcome> profile(const Config& c, const char* now, RunStore* store = nullptr) {
    Profiler p(c, nullptr, store);
    p.set_clock([t = at(now)] { return t; });
    return p.profile();
  }
};

TEST_F(TableMetricsTest, FreshnessOfTheInferredOrConfiguredTimestampColumn) {
  auto out = profile(config(), "2026-01-12 12:00:00");
  ASSERT_TRUE(out[0].ok()) << out[0].error;
  const ProfilingResult& r = *out[0].result;
  EXPECT_EQ(r.profiled_at, at("2026-01-12 12:00:00"));
  EXPECT_EQ(std::get<std::int64_t>(*table_metric(r, "row_count")), 4);
  // updated_at is inferred by name. Its newest value as the engine orders it (SQLite compares
  // the text) is "2026-01-10 13:30:00+02:00", 11:30 UTC: two days and half an hour old.
  EXPECT_EQ(std::get<std::string>(*table_metric(r, "freshness_column")), "updated_at");
  EXPECT_DOUBLE_EQ(std::get<double>(*table_metric(r, "freshness_seconds")), 2 * 86400.0 + 1800);
  EXPECT_FALSE(table_metric(r, "last_change_seconds"));  // SQLite keeps no such time
  // A table without a date or timestamp column has no freshness.
  EXPECT_FALSE(table_metric(*out[1].result, "freshness_seconds"));

  // A configured column; a column that is not a date or timestamp fails the table loudly.
  LoadOptions o;
  std::string yaml = testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"events"});
  auto with = [&](const char* column) {
    std::string y = yaml;
    y.replace(y.find("- table: 'events'"), 17,
              std::string("- table: events\n      freshness_column: ") + column);
    return parse_config(y, "t.yml", o);
  };
  out = profile(with("created"), "2026-01-12 12:00:00");
  ASSERT_TRUE(out[0].ok()) << out[0].error;
  EXPECT_DOUBLE_EQ(std::get<double>(*table_metric(*out[0].result, "freshness_seconds")),
                   1.5 * 86400);
  out = profile(with("amount"), "2026-01-12 12:00:00");
  EXPECT_FALSE(out[0].ok());
  EXPECT_NE(out[0].error.find("freshness_column 'amount' of table 'events' is a numeric column"),
            std::string::npos)
      << out[0].error;
}

TEST_F(TableMetricsTest, SampledRunsReadTheNewestValueOfTheWholeTable) {
  // A sample of 1 row (the cap) rarely holds the newest one: freshness comes from MAX() over
  // the table, not from the sample.
  LoadOptions o;
  std::string y = testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"events"});
  y.replace(y.find("- table: 'events'"), 17,
            "- table: events\n      sampling: {enabled: true, method: random, fraction: 1.0, "
            "max_rows: 1}");
  auto out = profile(parse_config(y, "t.yml", o), "2026-01-12 12:00:00");
  ASSERT_TRUE(out[0].ok()) << out[0].error;
  EXPECT_EQ(out[0].result->row_count, 1);
  EXPECT_DOUBLE_EQ(std::get<double>(*table_metric(*out[0].result, "freshness_seconds")),
                   2 * 86400.0 + 1800);
}

TEST_F(TableMetricsTest, StoredAsTableRowsAndAStalledTableIsAFinding) {
  Config c = config();
  RunStore store(c.storage, "test");
  profile(c, "2026-01-11 06:00:00", &store);
  profile(c, "2026-01-12 06:00:00", &store);  // no new rows in a day
  auto rows = testing::query_sqlite(
      dir / "store.db",
      "SELECT metric_name, column_type IS NULL FROM baselinr_results WHERE column_name = '' "
      "AND dataset_name = 'events' ORDER BY id LIMIT 3");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(std::get<std::string>(rows.rows[0][0]), "row_count");
  EXPECT_EQ(std::get<std::string>(rows.rows[1][0]), "freshness_seconds");
  EXPECT_EQ(std::get<std::string>(rows.rows[2][0]), "freshness_column");
  EXPECT_EQ(std::get<std::int64_t>(rows.rows[0][1]), 1);
  auto run = store.list_runs({.dataset = "events", .limit = 1});
  bool table_level = false;
  for (const auto& m : store.results(run.at(0))) table_level |= m.table_level;
  EXPECT_TRUE(table_level);

  DriftReport r = DriftDetector(c, store).detect({.dataset = "events"});
  const MetricComparison* fresh = nullptr;
  for (const auto& m : r.metrics) {
    if (m.table_level() && m.metric == "freshness_seconds") fresh = &m;
  }
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->reported());
  EXPECT_EQ(fresh->severity, Severity::kHigh);
  EXPECT_EQ(fresh->statistic, "stall_ratio");
  EXPECT_DOUBLE_EQ(*fresh->statistic_value, 1.0);
  EXPECT_DOUBLE_EQ(*fresh->change_absolute, 86400.0);
  EXPECT_NE(fresh->reason.find("newest data 42.5 h old"), std::string::npos) << fresh->reason;
  EXPECT_NE(r.to_text().find("freshness_seconds (table)"), std::string::npos);
}

// ---- check and baseline, end to end ---------------------------------------------------------

class CheckCliTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path cfg;
  void SetUp() override {
    auto db = testing::open_sqlite(dir / "src.db");
    testing::exec(*db, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER)");
    for (int i = 1; i <= 200; ++i) {
      testing::exec(
          *db, fmt::format("INSERT INTO users VALUES ({}, 'u{}@x.org', {})", i, i, 20 + i % 40));
    }
    cfg = dir.write("c.yml",
                    testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"users"}));
  }
  void sql(const std::string& s) {
    auto db = testing::open_sqlite(dir / "src.db");
    testing::exec(*db, s);
  }
};

TEST_F(CheckCliTest, CheckProfilesComparesAndExitsByWhatItFound) {
  auto r = run_cli({"check", "-c", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("users: first run (200 rows); nothing to compare yet"), std::string::npos)
      << r.out;
  r = run_cli({"check", "-c", cfg.string()});  // nothing changed
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Findings: 0"), std::string::npos) << r.out;

  sql("UPDATE users SET email = NULL WHERE id % 2 = 0");  // half the emails go missing
  r = run_cli({"check", "-c", cfg.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_TRUE(j["blocking_findings"].get<bool>());
  const auto& report = j["tables"][0]["report"];
  bool found = false;
  for (const auto& m : report["metrics"]) {
    if (m["column"] == "email" && m["metric"] == "null_percent" && !m.contains("reported_in")) {
      found = m["drift_detected"].get<bool>() && m["severity"] == "high" &&
              m["reason"].get<std::string>().find("+50.00 points") != std::string::npos;
    }
  }
  EXPECT_TRUE(found) << report.dump(2);

  // A configured table that is missing: that table fails (exit 3), the others still run.
  auto broken = dir.write("broken.yml", testing::sqlite_pipeline_yaml(
                                            dir / "src.db", dir / "store.db", {"users", "nope"}));
  r = run_cli({"check", "-c", broken.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("nope: profiling FAILED"), std::string::npos) << r.out;
}

TEST_F(CheckCliTest, PinnedBaselineIsWhatDriftComparesWithUntilCleared) {
  ASSERT_EQ(run_cli({"profile", "-c", cfg.string()}).exit_code, 0);
  auto r = run_cli({"baseline", "show", "-c", cfg.string(), "-d", "users"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no pinned baseline"), std::string::npos) << r.out;
  r = run_cli({"baseline", "set", "-c", cfg.string(), "-d", "users", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string pinned = nlohmann::json::parse(r.out)["run_id"];

  sql("UPDATE users SET age = age + 30");
  ASSERT_EQ(run_cli({"profile", "-c", cfg.string()}).exit_code, 0);
  sql("UPDATE users SET age = age - 30");  // back as it was
  ASSERT_EQ(run_cli({"profile", "-c", cfg.string()}).exit_code, 0);
  // Against the pinned run the latest profile is unchanged; against the run before, not.
  r = run_cli({"drift", "-c", cfg.string(), "--dataset", "users", "--output", "json"});
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["baseline_run"]["run_id"], pinned);
  EXPECT_EQ(j["baseline_strategy"], "pinned");
  EXPECT_EQ(j["summary"]["drift_detected"], 0) << r.out;
  r = run_cli({"baseline", "show", "-c", cfg.string(), "-d", "users"});
  EXPECT_NE(r.out.find("pinned baseline run " + pinned), std::string::npos) << r.out;
  r = run_cli({"baseline", "clear", "-c", cfg.string(), "-d", "users"});
  EXPECT_NE(r.out.find("pinned baseline cleared"), std::string::npos) << r.out;
  r = run_cli({"drift", "-c", cfg.string(), "--dataset", "users", "--output", "json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["baseline_run"]["run_id"], pinned);
  EXPECT_GT(j["summary"]["drift_detected"].get<int>(), 0) << r.out;

  // Mistakes are usage errors (exit 2) that say what to do.
  r = run_cli({"baseline", "set", "-c", cfg.string(), "-d", "users", "--run", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--run nope: no such run in storage"), std::string::npos) << r.err;
  r = run_cli({"baseline", "set", "-c", cfg.string(), "-d", "nobody"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no stored runs of 'nobody'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace baselinr
