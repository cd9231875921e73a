// Drift fixtures with known changes: exact severities, z-scores and schema changes, and the
// events table holding exactly the emitted events.
#include "baselinr/drift.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "common/uuid.hpp"
#include "events/hooks/sql_hook.hpp"
#include "support/fixtures.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::FixtureColumn;
using testing::make_run;
using testing::TempDir;

class DriftTest : public ::testing::Test {
 protected:
  TempDir dir;
  StorageConfig storage;
  std::unique_ptr<RunStore> store;
  DriftConfig config;

  void SetUp() override {
    storage.connection = testing::sqlite_config(dir / "s.db");
    store = std::make_unique<RunStore>(storage, "test");
    // These fixtures test one strategy unit at a time; bands over history have their own tests.
    config.anomaly.enabled = false;
  }

  const MetricComparison* find(const DriftReport& r, const std::string& col,
                               const std::string& metric) {
    for (const auto& m : r.metrics) {
      if (m.column == col && m.metric == metric) return &m;
    }
    return nullptr;
  }
};

TEST_F(DriftTest, AbsoluteThresholdGradesEachChangeExactly) {
  // Without type-specific thresholds (the original's enable_type_specific_thresholds: false):
  // mean +4% none, +10% low, +20% medium, -40% high; baseline 0 has no percent change but is
  // still graded (no spread known: high).
  config.enable_type_specific_thresholds = false;
  auto col = [](const std::string& name, double base) {
    return FixtureColumn{name, "REAL", {{"count", std::int64_t{100}}, {"mean", base}}};
  };
  store->store(make_run(
      "t", 0,
      {col("none", 100), col("low", 100), col("medium", 100), col("high", 100), col("zero", 0)},
      "base"));
  store->store(make_run(
      "t", 1,
      {col("none", 104), col("low", 110), col("medium", 120), col("high", 60), col("zero", 5)},
      "cur"));
  DriftDetector d(config, *store);
  DriftReport r = d.detect({.dataset = "t"});
  EXPECT_EQ(r.baseline.run_id, "base");
  EXPECT_EQ(r.current.run_id, "cur");
  EXPECT_EQ(find(r, "none", "mean")->severity, Severity::kNone);
  EXPECT_FALSE(find(r, "none", "mean")->drift_detected);
  EXPECT_EQ(find(r, "low", "mean")->severity, Severity::kLow);
  EXPECT_EQ(find(r, "medium", "mean")->severity, Severity::kMedium);
  EXPECT_EQ(find(r, "high", "mean")->severity, Severity::kHigh);
  EXPECT_DOUBLE_EQ(*find(r, "high", "mean")->change_percent, -40.0);
  EXPECT_DOUBLE_EQ(*find(r, "high", "mean")->change_absolute, -40.0);
  const MetricComparison* zero = find(r, "zero", "mean");
  EXPECT_FALSE(zero->change_percent.has_value());
  EXPECT_EQ(zero->severity, Severity::kHigh);
  EXPECT_EQ(zero->statistic, "change_absolute");
  EXPECT_DOUBLE_EQ(*zero->change_absolute, 5.0);
  EXPECT_EQ(r.summary.compared, 11);  // 5 columns x (count, mean) + the table's row_count
  EXPECT_EQ(r.summary.drifted, 4);
  EXPECT_EQ(r.summary.low, 1);
  EXPECT_EQ(r.summary.medium, 1);
  EXPECT_EQ(r.summary.high, 2);
  EXPECT_TRUE(r.has_blocking_findings());
  auto j = nlohmann::json::parse(r.to_json());
  EXPECT_EQ(j["summary"]["by_severity"]["high"], 2);
  EXPECT_EQ(j["baseline_run"]["run_id"], "base");
  EXPECT_EQ(j["metrics"].size(), 11u);
  const MetricComparison* high = find(r, "high", "mean");
  EXPECT_EQ(high->strategy, "absolute_threshold");
  EXPECT_EQ(high->statistic, "change_percent");
  EXPECT_DOUBLE_EQ(*high->threshold, 30.0);
  EXPECT_EQ(high->direction, "down");
  EXPECT_EQ(high->baseline_run_ids, std::vector<std::string>{"base"});
  EXPECT_NE(high->reason.find("-40.0%"), std::string::npos) << high->reason;

  // The original's default: type-specific thresholds, numeric mean at 10 / 25 / 50 percent.
  config.enable_type_specific_thresholds = true;
  r = DriftDetector(config, *store).detect({.dataset = "t"});
  EXPECT_EQ(find(r, "low", "mean")->severity, Severity::kLow);      // +10%
  EXPECT_EQ(find(r, "medium", "mean")->severity, Severity::kLow);   // +20% < 25
  EXPECT_EQ(find(r, "high", "mean")->severity, Severity::kMedium);  // -40% < 50
  EXPECT_DOUBLE_EQ(*find(r, "high", "mean")->threshold, 25.0);
}

TEST_F(DriftTest, SchemaChangesAreDetected) {
  store->store(make_run("t", 0,
                        {{"kept", "INTEGER", {{"count", std::int64_t{1}}}},
                         {"retyped", "INTEGER", {{"count", std::int64_t{1}}}},
                         {"dropped", "TEXT", {{"count", std::int64_t{1}}}}},
                        "base"));
  store->store(make_run("t", 1,
                        {{"kept", "integer", {{"count", std::int64_t{1}}}},
                         {"retyped", "TEXT", {{"count", std::int64_t{1}}}},
                         {"added", "DATE", {{"count", std::int64_t{1}}}}},
                        "cur"));
  DriftDetector d(config, *store);
  DriftReport r = d.detect({.dataset = "t"});
  ASSERT_EQ(r.schema_changes.size(), 3u);
  EXPECT_EQ(r.schema_changes[0].change_type, "type_changed");
  EXPECT_EQ(r.schema_changes[0].column, "retyped");
  EXPECT_EQ(r.schema_changes[0].old_type, "INTEGER");
  EXPECT_EQ(r.schema_changes[0].new_type, "TEXT");
  EXPECT_EQ(r.schema_changes[1].change_type, "column_added");
  EXPECT_EQ(r.schema_changes[1].column, "added");
  EXPECT_EQ(r.schema_changes[2].change_type, "column_removed");
  EXPECT_EQ(r.schema_changes[2].column, "dropped");
  EXPECT_EQ(r.summary.drifted, 0);
  EXPECT_TRUE(r.has_blocking_findings());  // schema changes count for --fail-on-drift
}

TEST_F(DriftTest, StandardDeviationIsARealZScoreOverHistory) {
  // History of `mean`: 10, 12, 11, 13, 9 -> mean 11, sample sd sqrt(2.5).
  const std::vector<double> history = {10, 12, 11, 13, 9};
  const std::vector<double> flat = {5, 5, 5, 5, 5};
  for (std::size_t i = 0; i < history.size(); ++i) {
    store->store(
        make_run("t", static_cast<int>(i),
                 {{"x", "REAL", {{"mean", history[i]}, {"max", flat[i]}, {"stddev", 2.0}}}},
                 "h" + std::to_string(i)));
  }
  store->store(
      make_run("t", 10, {{"x", "REAL", {{"mean", 15.0}, {"max", 6.0}, {"stddev", 2.0}}}}, "cur"));
  config.strategy = DriftStrategy::kStandardDeviation;
  DriftDetector d(config, *store);
  DriftReport r = d.detect({.dataset = "t"});
  EXPECT_TRUE(r.warnings.empty());
  const MetricComparison* mean = find(r, "x", "mean");
  ASSERT_TRUE(mean->z_score);
  EXPECT_NEAR(*mean->z_score, 4.0 / std::sqrt(2.5), 1e-12);  // 2.5298 -> medium (2 <= z < 3)
  EXPECT_EQ(mean->severity, Severity::kMedium);
  EXPECT_EQ(mean->history_size, 5);
  EXPECT_NEAR(*mean->history_mean, 11.0, 1e-12);
  EXPECT_NEAR(*mean->history_stddev, std::sqrt(2.5), 1e-12);
  EXPECT_DOUBLE_EQ(*mean->change_percent, (15.0 - 9.0) / 9.0 * 100);  // vs the previous run
  const MetricComparison* max = find(r, "x", "max");
  EXPECT_EQ(max->severity, Severity::kHigh);  // constant history, now different
  EXPECT_FALSE(max->z_score);
  const MetricComparison* sd = find(r, "x", "stddev");
  EXPECT_EQ(sd->severity, Severity::kNone);
  EXPECT_EQ(*sd->z_score, 0.0);

  config.window = 2;  // only the two latest previous runs (13, 9): mean 11, sd 2.828
  config.min_history = 2;
  DriftDetector windowed(config, *store);
  r = windowed.detect({.dataset = "t"});
  EXPECT_NEAR(*find(r, "x", "mean")->z_score, 4.0 / std::sqrt(8.0), 1e-12);
  EXPECT_EQ(find(r, "x", "mean")->severity, Severity::kLow);
}

TEST_F(DriftTest, StandardDeviationSaysWhenHistoryIsTooShort) {
  store->store(make_run("t", 0, {{"x", "REAL", {{"mean", 1.0}}}}, "a"));
  store->store(make_run("t", 1, {{"x", "REAL", {{"mean", 100.0}}}}, "b"));
  config.strategy = DriftStrategy::kStandardDeviation;
  DriftDetector d(config, *store);
  DriftReport r = d.detect({.dataset = "t"});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("at least 3 previous runs"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("found 1"), std::string::npos) << r.warnings[0];
  EXPECT_EQ(find(r, "x", "mean")->severity, Severity::kNone);
  EXPECT_NE(find(r, "x", "mean")->note.find("history too short"), std::string::npos);
  EXPECT_NE(r.to_text().find("warning: standard_deviation needs"), std::string::npos);
}

TEST_F(DriftTest, EventsTableHoldsExactlyTheEmittedEventsOnce) {
  store->store(make_run("t", 0,
                        {{"a", "REAL", {{"mean", 10.0}, {"max", 10.0}}},
                         {"gone", "TEXT", {{"count", std::int64_t{3}}}}},
                        "base"));
  store->store(make_run("t", 1, {{"a", "REAL", {{"mean", 20.0}, {"max", 10.5}}}}, "cur"));
  auto captured = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<testing::CapturingHook>(captured));
  bus.register_hook(std::make_unique<hooks::SqlEventHook>(storage.connection, "baselinr_events"));
  DriftDetector d(config, *store, &bus);
  DriftReport r = d.detect({.dataset = "t"});
  // mean +100% (high) with max +5% (low) folded into it: one finding of column a; one schema
  // change.
  ASSERT_EQ(captured->events.size(), 2u);
  EXPECT_EQ(captured->events[0].event_type(), "DataDriftDetected");
  EXPECT_EQ(captured->events[1].event_type(), "SchemaChangeDetected");
  EXPECT_EQ(find(r, "a", "max")->reported_in, "mean");
  EXPECT_NE(find(r, "a", "mean")->reason.find("also max +5.0%"), std::string::npos);
  EXPECT_EQ(bus.stats(1).delivered, 2u);
  auto events = store->list_events({});
  ASSERT_EQ(events.size(), 2u);
  std::set<std::string> stored, emitted;
  for (const auto& e : events) stored.insert(e.event_id);
  for (const auto& e : captured->events) emitted.insert(e.event_id());
  EXPECT_EQ(stored, emitted);
  auto high = store->list_events({.event_type = "DataDriftDetected"});
  ASSERT_EQ(high.size(), 1u);
  for (const auto& e : high) {
    if (e.metric_name != "mean") continue;
    EXPECT_EQ(e.table_name, "t");
    EXPECT_EQ(e.column_name, "a");
    EXPECT_EQ(e.drift_severity, "high");
    EXPECT_DOUBLE_EQ(*e.baseline_value, 10.0);
    EXPECT_DOUBLE_EQ(*e.current_value, 20.0);
    EXPECT_DOUBLE_EQ(*e.change_percent, 100.0);
    auto meta = nlohmann::json::parse(e.metadata);
    EXPECT_EQ(meta["metric"], "mean");
    // The details contract: which unit, statistic and threshold, which runs, and why.
    EXPECT_EQ(meta["direction"], "up");
    EXPECT_EQ(meta["strategy"], "absolute_threshold");
    EXPECT_EQ(meta["statistic"], "change_percent");
    EXPECT_DOUBLE_EQ(meta["statistic_value"].get<double>(), 100.0);
    EXPECT_DOUBLE_EQ(meta["threshold"].get<double>(), 50.0);  // numeric mean, high
    EXPECT_EQ(meta["baseline_run_ids"], "base");
    EXPECT_EQ(meta["current_run_id"], "cur");
    EXPECT_NE(meta["reason"].get<std::string>().find("+100.0%"), std::string::npos);
    EXPECT_EQ(e.event_id, uuid_v5("drift||t|a|mean|up|base|cur"));
  }
  auto schema = store->list_events({.event_type = "SchemaChangeDetected"});
  ASSERT_EQ(schema.size(), 1u);
  EXPECT_EQ(schema[0].column_name, "gone");
  EXPECT_EQ(schema[0].event_id, uuid_v5("schema||t|gone|column_removed|base|cur"));
  EXPECT_EQ(nlohmann::json::parse(schema[0].metadata)["direction"], "disappeared");
  EXPECT_EQ(nlohmann::json::parse(schema[0].metadata)["change_type"], "column_removed");
}

TEST_F(DriftTest, RunsOfDifferentSamplingAreComparedWithAWarning) {
  auto base = make_run("t", 0, {{"a", "REAL", {{"mean", 10.0}}}}, "full");
  auto cur = make_run("t", 1, {{"a", "REAL", {{"mean", 10.0}}}}, "sampled");
  cur.scope.sampling_method = "random";
  cur.scope.sampling_fraction = 0.05;
  store->store(base);
  store->store(cur);
  DriftReport r = DriftDetector(config, *store).detect({.dataset = "t"});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("different subsets (baseline: all rows; current: all rows; random "
                               "sample 5%)"),
            std::string::npos)
      << r.warnings[0];
  auto j = nlohmann::json::parse(r.to_json());
  EXPECT_EQ(j["current_run"]["scope"]["sampling_method"], "random");
  EXPECT_EQ(j["baseline_run"]["scope"]["partition_strategy"], "all");

  // Same kind of subset, different partition values (a new day): no warning.
  auto day1 = make_run("u", 0, {{"a", "REAL", {{"mean", 1.0}}}}, "d1");
  auto day2 = make_run("u", 1, {{"a", "REAL", {{"mean", 1.0}}}}, "d2");
  day1.scope.partition_strategy = day2.scope.partition_strategy = "latest";
  day1.scope.partition_key = day2.scope.partition_key = "event_date";
  day1.scope.partition_values = {"2026-01-01"};
  day2.scope.partition_values = {"2026-01-02"};
  store->store(day1);
  store->store(day2);
  EXPECT_TRUE(DriftDetector(config, *store).detect({.dataset = "u"}).warnings.empty());
}

TEST_F(DriftTest, ExplicitRunsAndClearErrors) {
  store->store(make_run("t", 0, {{"a", "REAL", {{"mean", 1.0}}}}, "r1"));
  DriftDetector d(config, *store);
  EXPECT_THROW(d.detect({.dataset = "t"}), NothingToCompareError);  // only one run
  EXPECT_THROW(d.detect({.dataset = "nope"}), UsageError);          // no runs
  store->store(make_run("t", 1, {{"a", "REAL", {{"mean", 2.0}}}}, "r2"));
  store->store(make_run("t", 2, {{"a", "REAL", {{"mean", 3.0}}}}, "r3"));
  store->store(make_run("u", 3, {{"a", "REAL", {{"mean", 3.0}}}}, "u1"));
  DriftReport r = d.detect({.dataset = "t", .baseline_run = "r1", .current_run = "r2"});
  EXPECT_DOUBLE_EQ(*find(r, "a", "mean")->change_percent, 100.0);
  r = d.detect({.dataset = "t", .baseline_run = "r1"});
  EXPECT_EQ(r.current.run_id, "r3");
  EXPECT_THROW(d.detect({.dataset = "t", .baseline_run = "missing"}), UsageError);
  EXPECT_THROW(d.detect({.dataset = "t", .baseline_run = "u1"}), UsageError);
  EXPECT_THROW(d.detect({.dataset = "t", .baseline_run = "r2", .current_run = "r2"}), UsageError);
}

}  // namespace
}  // namespace baselinr
