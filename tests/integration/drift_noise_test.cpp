// Drift that means something: baselines, percentage points, non-finite values, key columns,
// history bands with weekly seasons, distribution tests, overrides and the ignore list, and
// the events made from a report. Runs are written straight into a SQLite store with metric
// values the test computes itself.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "common/uuid.hpp"
#include "support/fixtures.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::FixtureColumn;
using testing::TempDir;

constexpr int kDay = 24 * 60;  // make_run counts minutes

// Nearest-rank quantiles (the profiler's contract) of `values` as stored JSON.
std::string quantiles_json(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  nlohmann::json points = nlohmann::json::array();
  for (double p : {0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
    const double n = static_cast<double>(values.size());
    const auto rank = static_cast<std::size_t>(p == 0 ? 1.0 : std::ceil(p * n));
    points.push_back({{"p", p}, {"value", values[rank - 1]}});
  }
  return nlohmann::json{{"method", "exact"},
                        {"interpolation", "nearest_rank"},
                        {"rank_error", 0},
                        {"n", values.size()},
                        {"points", points}}
      .dump();
}

// A numeric column's metrics computed from its values (and `nulls` NULLs).
FixtureColumn numeric_column(const std::string& name, const std::vector<double>& values,
                             std::int64_t nulls = 0, const std::string& type = "REAL") {
  const auto n = static_cast<std::int64_t>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(n);
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const auto distinct =
      static_cast<std::int64_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  const std::int64_t count = n + nulls;
  return FixtureColumn{
      name,
      type,
      {{"count", count},
       {"null_count", nulls},
       {"null_percent", 100.0 * static_cast<double>(nulls) / static_cast<double>(count)},
       {"distinct_count", distinct},
       {"distinct_percent", 100.0 * static_cast<double>(distinct) / static_cast<double>(count)},
       {"min", *std::min_element(values.begin(), values.end())},
       {"max", *std::max_element(values.begin(), values.end())},
       {"mean", mean},
       {"stddev", std::sqrt(ss / static_cast<double>(n - 1))},
       {"quantiles", quantiles_json(values)}}};
}

// A text column from category counts: top_values lists them all (exact, nothing "other").
FixtureColumn category_column(const std::string& name,
                              const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  std::int64_t total = 0;
  nlohmann::json values = nlohmann::json::array();
  for (const auto& [v, c] : counts) {
    total += c;
    values.push_back({{"value", v}, {"count", c}});
  }
  const auto distinct = static_cast<std::int64_t>(counts.size());
  return FixtureColumn{
      name,
      "TEXT",
      {{"count", total},
       {"null_count", std::int64_t{0}},
       {"null_percent", 0.0},
       {"distinct_count", distinct},
       {"distinct_percent", 100.0 * static_cast<double>(distinct) / static_cast<double>(total)},
       {"top_values", nlohmann::json{{"k", 10},
                                     {"exact", true},
                                     {"values", values},
                                     {"other_count", 0},
                                     {"null_count", 0},
                                     {"distinct_count", distinct}}
                          .dump()}}};
}

ProfilingResult run(const std::string& dataset, int minutes, std::vector<FixtureColumn> columns,
                    const std::string& id, std::int64_t rows = 100) {
  ProfilingResult r = testing::make_run(dataset, minutes, std::move(columns), id);
  r.row_count = rows;
  r.table_metrics.emplace_back("row_count", rows);
  return r;
}

std::vector<double> normal(std::mt19937_64& rng, int n, double mu, double sigma) {
  std::normal_distribution<double> d(mu, sigma);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(std::round(d(rng) * 100) / 100);
  return v;
}

class DriftNoiseTest : public ::testing::Test {
 protected:
  TempDir dir;
  StorageConfig storage;
  std::unique_ptr<RunStore> store;
  DriftConfig config;

  void SetUp() override {
    storage.connection = testing::sqlite_config(dir / "s.db");
    store = std::make_unique<RunStore>(storage, "test");
  }

  static const MetricComparison* find(const DriftReport& r, const std::string& col,
                                      const std::string& metric) {
    for (const auto& m : r.metrics) {
      if (m.column == col && m.metric == metric) return &m;
    }
    return nullptr;
  }
  DriftReport detect(const DriftRequest& request = {.dataset = "t"}) {
    return DriftDetector(config, *store).detect(request);
  }
};

TEST_F(DriftNoiseTest, BaselineStrategiesPickTheirRunsAndSaySo) {
  // x.mean by day: a noisy stretch (days 11-13), a steady one (8-10), day 7 one week back.
  const std::vector<double> mean = {50, 51, 49, 50, 52, 48, 50, 70, 60, 60.5, 60.2, 80, 40, 90};
  for (int d = 0; d < 14; ++d) {
    store->store(run("t", d * kDay, {{"x", "REAL", {{"mean", mean[d]}}}}, "d" + std::to_string(d)));
  }
  store->store(run("t", 14 * kDay, {{"x", "REAL", {{"mean", 61.0}}}}, "cur"));
  config.anomaly.enabled = false;
  auto baseline = [&](BaselineStrategy s) {
    config.baselines.strategy = s;
    DriftReport r = detect();
    return *find(r, "x", "mean");
  };
  MetricComparison m = baseline(BaselineStrategy::kLastRun);
  EXPECT_DOUBLE_EQ(*m.baseline_value, 90);
  EXPECT_EQ(m.baseline_run_ids, std::vector<std::string>{"d13"});

  config.baselines.moving_average = 3;
  m = baseline(BaselineStrategy::kMovingAverage);
  EXPECT_DOUBLE_EQ(*m.baseline_value, (80 + 40 + 90) / 3.0);
  EXPECT_EQ(m.baseline_run_ids, (std::vector<std::string>{"d13", "d12", "d11"}));
  EXPECT_NE(m.reason.find("moving average of 3 runs"), std::string::npos) << m.reason;

  config.baselines.prior_period = 7;
  m = baseline(BaselineStrategy::kPriorPeriod);
  EXPECT_EQ(m.baseline_run_ids, std::vector<std::string>{"d7"});
  EXPECT_DOUBLE_EQ(*m.baseline_value, 70);
  config.baselines.prior_period = 1;
  EXPECT_EQ(baseline(BaselineStrategy::kPriorPeriod).baseline_run_ids,
            std::vector<std::string>{"d13"});
  config.baselines.prior_period = 30;  // no run a month back: the last run, with a note
  m = baseline(BaselineStrategy::kPriorPeriod);
  EXPECT_EQ(m.baseline_run_ids, std::vector<std::string>{"d13"});
  EXPECT_NE(m.note.find("no run 30 day(s) before"), std::string::npos) << m.note;

  // The newest 3 consecutive runs whose changes all stay below the low threshold (5%, or 10%
  // for a numeric mean with type-specific thresholds: REAL is numeric).
  config.baselines.stable_window = 3;
  m = baseline(BaselineStrategy::kStableWindow);
  EXPECT_EQ(m.baseline_run_ids, (std::vector<std::string>{"d10", "d9", "d8"}));
  EXPECT_DOUBLE_EQ(*m.baseline_value, (60 + 60.5 + 60.2) / 3);

  config.baselines.min_runs = 20;  // auto with too little history: the last run, said so
  m = baseline(BaselineStrategy::kAuto);
  EXPECT_EQ(m.baseline_run_ids, std::vector<std::string>{"d13"});
  EXPECT_NE(m.note.find("fewer than min_runs 20"), std::string::npos) << m.note;
  config.baselines.min_runs = 3;  // noisy (coefficient of variation > 0.1): a moving average
  config.baselines.moving_average = 7;
  m = baseline(BaselineStrategy::kAuto);
  EXPECT_EQ(m.baseline_run_ids.size(), 7u);

  // A pinned run wins over the strategy until cleared; --baseline wins over the pin.
  config.baselines.strategy = BaselineStrategy::kLastRun;
  store->pin_baseline(*store->find_run("d3"));
  DriftReport pinned = detect();
  EXPECT_TRUE(pinned.pinned);
  EXPECT_EQ(pinned.baseline.run_id, "d3");
  EXPECT_DOUBLE_EQ(*find(pinned, "x", "mean")->baseline_value, 50);
  EXPECT_NE(pinned.to_text().find("(pinned)"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(pinned.to_json())["baseline_strategy"], "pinned");
  EXPECT_EQ(detect({.dataset = "t", .baseline_run = "d5"}).baseline.run_id, "d5");
  EXPECT_TRUE(store->clear_baseline("t", ""));
  EXPECT_FALSE(store->clear_baseline("t", ""));
  EXPECT_EQ(detect().baseline.run_id, "d13");
}

TEST_F(DriftNoiseTest, PercentMetricsMoveInPointsAndNonFiniteValuesAreHigh) {
  config.anomaly.enabled = false;
  auto cols = [](double nulls_a, double nulls_b, double mean, double sd) {
    return std::vector<FixtureColumn>{{"a", "REAL", {{"null_percent", nulls_a}}},
                                      {"b", "REAL", {{"null_percent", nulls_b}}},
                                      {"c", "REAL", {{"mean", mean}, {"stddev", sd}}}};
  };
  store->store(run("t", 0, cols(0, 10, 2, 1), "base"));
  store->store(run("t", 1, cols(40, 10.5, INFINITY, NAN), "cur"));
  DriftReport r = detect();
  // 0% -> 40% has no percent change, and needs none: +40 points is high.
  const MetricComparison* a = find(r, "a", "null_percent");
  EXPECT_EQ(a->severity, Severity::kHigh);
  EXPECT_EQ(a->statistic, "change_points");
  EXPECT_DOUBLE_EQ(*a->statistic_value, 40);
  EXPECT_FALSE(a->change_percent);
  // 10% -> 10.5%: +5% relative, only half a point.
  EXPECT_EQ(find(r, "b", "null_percent")->severity, Severity::kNone);
  // A mean becoming inf and a stddev becoming NaN (inf and -inf together) do not drop out.
  const MetricComparison* mean = find(r, "c", "mean");
  ASSERT_TRUE(mean);
  EXPECT_EQ(mean->severity, Severity::kHigh);
  EXPECT_EQ(mean->strategy, "non_finite");
  EXPECT_EQ(mean->direction, "up");
  const MetricComparison* sd = find(r, "c", "stddev");
  ASSERT_TRUE(sd);
  EXPECT_EQ(sd->severity, Severity::kHigh);
  EXPECT_EQ(sd->direction, "changed");
  EXPECT_TRUE(r.has_blocking_findings());
  auto j = nlohmann::json::parse(r.to_json());
  for (const auto& m : j["metrics"]) {
    if (m["column"] == "c" && m["metric"] == "mean") {
      EXPECT_EQ(m["current_value"], "inf");
    }
  }

  // Finite again is as much a change; the same non-finite value twice is none.
  store->store(run("t", 2, cols(40, 10.5, 3, NAN), "later"));
  r = detect();
  EXPECT_EQ(find(r, "c", "mean")->severity, Severity::kHigh);
  EXPECT_NE(find(r, "c", "mean")->reason.find("finite again"), std::string::npos);
  EXPECT_EQ(find(r, "c", "stddev")->severity, Severity::kNone);
}

TEST_F(DriftNoiseTest, UniqueGrowingKeysAreNotAlertedForGrowingButARescaleIs) {
  config.anomaly.enabled = false;
  auto ids = [](int from, int to, double scale) {
    std::vector<double> v;
    for (int i = from; i <= to; ++i) v.push_back(i * scale);
    return v;
  };
  store->store(run("t", 0,
                   {numeric_column("id", ids(1, 1000, 1), 0, "INTEGER"),
                    numeric_column("cents", ids(1, 1000, 1), 0, "INTEGER")},
                   "base", 1000));
  store->store(run("t", 1,
                   {numeric_column("id", ids(1, 1300, 1), 0, "INTEGER"),
                    numeric_column("cents", ids(1, 1000, 100), 0, "INTEGER")},
                   "cur", 1300));
  DriftReport r = detect();
  for (const char* metric : {"max", "mean", "stddev", "distribution"}) {
    const MetricComparison* m = find(r, "id", metric);
    ASSERT_TRUE(m) << metric;
    EXPECT_FALSE(m->drift_detected) << metric;
    EXPECT_NE(m->suppressed.find("key column"), std::string::npos) << metric << m->suppressed;
  }
  // The same unique integers multiplied by 100 are no key growing: reported, once.
  const MetricComparison* cents = find(r, "cents", "distribution");
  ASSERT_TRUE(cents);
  EXPECT_TRUE(cents->reported());
  EXPECT_EQ(cents->severity, Severity::kHigh);
  EXPECT_EQ(find(r, "cents", "mean")->reported_in, "distribution");
  EXPECT_EQ(find(r, "cents", "max")->reported_in, "distribution");
  int reported = 0;
  for (const auto& m : r.metrics) reported += m.reported() && m.column == "cents";
  EXPECT_EQ(reported, 1);
  // Volume is one table-level finding: +30% rows, no per-column count alerts.
  EXPECT_TRUE(find(r, "", "row_count")->reported());
  EXPECT_FALSE(find(r, "id", "count")->drift_detected);
  EXPECT_NE(find(r, "id", "count")->suppressed.find("row_count"), std::string::npos);
  config.alert_column_count = true;
  EXPECT_TRUE(find(detect(), "id", "count")->drift_detected);
}

// The same 3 statuses over 1,000 then 1,600 rows: the distinct share drops 0.3 -> 0.1875
// points only because the rows grew. Volume is one finding (row_count); a fourth status is not
// volume and is reported.
TEST_F(DriftNoiseTest, ADistinctShareThatOnlyFollowsTheRowCountIsVolume) {
  config.anomaly.enabled = false;
  config.statistical.tests.clear();
  config.percent_points = {0.05, 0.1, 0.2};  // so that 0.1125 points would be a finding
  const auto statuses = [](std::int64_t n, int kinds) {
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (int k = 0; k < kinds; ++k) counts.emplace_back(fmt::format("s{}", k), n / kinds);
    counts[0].second += n - (n / kinds) * kinds;
    return counts;
  };
  store->store(run("t", 0, {category_column("status", statuses(1000, 3))}, "base", 1000));
  store->store(run("t", 1, {category_column("status", statuses(1600, 3))}, "cur", 1600));
  DriftReport r = detect();
  const MetricComparison* share = find(r, "status", "distinct_percent");
  ASSERT_TRUE(share);
  EXPECT_NEAR(*share->change_absolute, 100.0 * 3 / 1600 - 100.0 * 3 / 1000, 1e-12);
  EXPECT_FALSE(share->drift_detected);
  EXPECT_NE(share->suppressed.find("follows the row count: the distinct values went 3 -> 3"),
            std::string::npos)
      << share->suppressed;
  EXPECT_TRUE(find(r, "", "row_count")->reported());
  config.alert_column_count = true;
  EXPECT_TRUE(find(detect(), "status", "distinct_percent")->drift_detected);

  // A new status with the rows: the distinct values moved with the share, reported.
  config.alert_column_count = false;
  store->store(run("t", 2, {category_column("status", statuses(1000, 4))}, "third", 1000));
  const DriftReport again = detect();
  const MetricComparison* moved = find(again, "status", "distinct_percent");
  ASSERT_TRUE(moved);
  EXPECT_TRUE(moved->drift_detected) << moved->suppressed;
}

TEST_F(DriftNoiseTest, HistoryBandsAcceptWeeklySeasonsAndGrowthAndCatchABreak) {
  // Weekdays 1000 rows, weekends 600, 1% growth a day, 2% noise: 28 days of history.
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 0.02);
  auto weekday = [](int day) {
    const long long minutes = 24LL * 60 * 365 * 56 + static_cast<long long>(day) * kDay;
    return static_cast<int>((minutes / kDay + 3) % 7);
  };
  auto rows = [&](int day, double factor) {
    return static_cast<std::int64_t>((weekday(day) >= 5 ? 600.0 : 1000.0) * std::pow(1.01, day) *
                                     factor * (1 + noise(rng)));
  };
  // Four weeks of history up to a Sunday; then Monday jumps ~+66% over it, as every week.
  int day = 28;
  while (weekday(day) != 0) ++day;
  for (int d = 0; d < day; ++d) {
    store->store(
        run("t", d * kDay, {{"x", "REAL", {{"mean", 5.0}}}}, "d" + std::to_string(d), rows(d, 1)));
  }
  store->store(run("t", day * kDay, {{"x", "REAL", {{"mean", 5.0}}}}, "monday", rows(day, 1)));
  DriftReport r = detect({.dataset = "t", .current_run = "monday"});
  const MetricComparison* volume = find(r, "", "row_count");
  ASSERT_TRUE(volume);
  EXPECT_FALSE(volume->drift_detected) << volume->reason;
  ASSERT_TRUE(volume->expected_value);
  EXPECT_LE(*volume->expected_low, *volume->current_value);
  EXPECT_GE(*volume->expected_high, *volume->current_value);
  EXPECT_NE(volume->expected_method.find("weekday effects"), std::string::npos)
      << volume->expected_method;
  EXPECT_GT(*volume->change_percent, 30);
  EXPECT_NE(volume->suppressed.find("within its usual range"), std::string::npos);

  // The next weekday loses 30% of its rows: outside the band, and graded against expectation.
  store->store(
      run("t", (day + 1) * kDay, {{"x", "REAL", {{"mean", 5.0}}}}, "drop", rows(day + 1, 0.7)));
  r = detect({.dataset = "t", .current_run = "drop"});
  volume = find(r, "", "row_count");
  EXPECT_TRUE(volume->reported());
  EXPECT_GE(volume->severity, Severity::kMedium);
  EXPECT_EQ(volume->direction, "down");
  EXPECT_LT(*volume->current_value, *volume->expected_low);
  EXPECT_NE(volume->reason.find("outside its usual range"), std::string::npos) << volume->reason;
  EXPECT_NE(volume->reason.find("expected"), std::string::npos) << volume->reason;

  // Without bands (the original's default) the ordinary Monday is a threshold finding.
  config.anomaly.enabled = false;
  r = detect({.dataset = "t", .current_run = "monday"});
  EXPECT_TRUE(find(r, "", "row_count")->drift_detected);
}

TEST_F(DriftNoiseTest, DistributionTestsFindShiftsAndNewCategoriesAndExplainThem) {
  config.anomaly.enabled = false;
  std::mt19937_64 rng(9);
  const auto base_amount = normal(rng, 1500, 100, 20);
  const auto same_amount = normal(rng, 1500, 100, 20);
  const auto shifted_amount = normal(rng, 1500, 120, 20);  // a one-sigma mean shift
  store->store(run("t", 0,
                   {numeric_column("amount", base_amount),
                    category_column("status", {{"a", 500}, {"b", 300}, {"c", 200}}),
                    category_column("mix", {{"x", 500}, {"y", 300}, {"z", 200}})},
                   "base", 1000));
  store->store(run("t", kDay,
                   {numeric_column("amount", same_amount),
                    category_column("status", {{"a", 495}, {"b", 305}, {"c", 200}}),
                    category_column("mix", {{"x", 490}, {"y", 310}, {"z", 200}})},
                   "same", 1000));
  DriftReport r = detect();
  for (const char* c : {"amount", "status", "mix"}) {
    const MetricComparison* m = find(r, c, "distribution");
    ASSERT_TRUE(m) << c;
    EXPECT_FALSE(m->drift_detected) << c << ": " << m->reason;
  }

  store->store(run("t", 2 * kDay,
                   {numeric_column("amount", shifted_amount),
                    category_column("status", {{"a", 450}, {"b", 270}, {"c", 180}, {"new", 100}}),
                    category_column("mix", {{"x", 200}, {"y", 300}, {"z", 500}})},
                   "changed", 1000));
  r = detect({.dataset = "t", .baseline_run = "same"});
  const MetricComparison* amount = find(r, "amount", "distribution");
  EXPECT_TRUE(amount->reported());
  EXPECT_EQ(amount->severity, Severity::kHigh);
  EXPECT_EQ(amount->strategy, "ks_test");
  EXPECT_GT(*amount->statistic_value, 0.3);
  EXPECT_LT(*amount->p_value, 1e-12);
  EXPECT_EQ(amount->baseline_run_ids, std::vector<std::string>{"same"});
  EXPECT_NE(amount->reason.find("KS D ="), std::string::npos) << amount->reason;

  const MetricComparison* status = find(r, "status", "distribution");
  const Severity status_severity = status->severity;
  EXPECT_TRUE(status->reported());
  EXPECT_NE(status->reason.find("new value 'new' at 10.0%"), std::string::npos) << status->reason;
  std::map<std::string, double> by_test;
  for (const auto& t : status->tests) by_test[t.test] = t.value;
  EXPECT_EQ(by_test.count("ks_test"), 0u);  // no quantiles for text
  EXPECT_GT(by_test.at("psi"), 0.2);
  EXPECT_GT(by_test.at("chi_square"), 0.1);  // Cramer's V
  EXPECT_GT(by_test.at("jensen_shannon"), 0.1);

  const MetricComparison* mix = find(r, "mix", "distribution");
  EXPECT_TRUE(mix->reported());
  for (const auto& t : mix->tests) {
    if (t.test == "psi") {
      EXPECT_GE(t.value, 0.2);
    }
  }

  // Only the configured tests run; a low sensitivity raises their thresholds by half.
  config.statistical.tests = {"psi"};
  config.statistical.sensitivity = Sensitivity::kLow;
  r = detect({.dataset = "t", .baseline_run = "same"});
  const MetricComparison* low = find(r, "status", "distribution");
  ASSERT_EQ(low->tests.size(), 1u);
  // PSI about 0.7: high from 2.5 x 0.2 at medium sensitivity; at low, the levels are 0.3,
  // 0.45 and 0.75: medium, reached at 0.45.
  EXPECT_EQ(status_severity, Severity::kHigh);
  EXPECT_EQ(low->severity, Severity::kMedium);
  EXPECT_DOUBLE_EQ(low->tests[0].threshold, 1.5 * 0.3);
  config.statistical.tests.clear();
  EXPECT_FALSE(find(detect({.dataset = "t", .baseline_run = "same"}), "status", "distribution"));
}

TEST_F(DriftNoiseTest, OverridesAndTheIgnoreListQuietWhatTheyName) {
  config.anomaly.enabled = false;
  auto cols = [](double x, double y) {
    return std::vector<FixtureColumn>{{"x", "REAL", {{"mean", x}}}, {"y", "REAL", {{"mean", y}}}};
  };
  store->store(run("t", 0, cols(100, 100), "base"));
  store->store(run("t", 1, cols(200, 120), "cur"));
  Config full;
  full.drift_detection = config;
  TableConfig table{.table = "t"};
  table.columns.push_back({.name = "x", .drift_enabled = false});
  ColumnDriftSettings y{.name = "y*"};
  y.thresholds = Thresholds{50, 60, 70};
  table.columns.push_back(y);
  full.profiling.tables.push_back(table);
  RunStore& s = *store;
  DriftReport r = DriftDetector(full, s).detect({.dataset = "t"});
  EXPECT_FALSE(find(r, "x", "mean"));                  // drift.enabled: false
  EXPECT_FALSE(find(r, "y", "mean")->drift_detected);  // +20% < its own 50%

  // A table's `drift:` replaces the global settings for that table.
  auto sd = std::make_shared<DriftConfig>(config);
  sd->strategy = DriftStrategy::kStandardDeviation;
  full.profiling.tables[0].drift = sd;
  full.profiling.tables[0].columns.clear();
  r = DriftDetector(full, s).detect({.dataset = "t"});
  EXPECT_EQ(r.strategy, DriftStrategy::kStandardDeviation);
  EXPECT_NE(find(r, "x", "mean")->note.find("history too short"), std::string::npos);

  config.ignore = {{"t", "x", "mean"}, {"other", "", ""}};
  r = detect();
  EXPECT_FALSE(find(r, "x", "mean")->drift_detected);
  EXPECT_EQ(find(r, "x", "mean")->suppressed, "ignored by drift_detection.ignore");
  EXPECT_TRUE(find(r, "y", "mean")->drift_detected);  // +20%: low for a numeric mean
}

TEST_F(DriftNoiseTest, EventsComeFromTheReportWorstFirstWithStableIds) {
  config.anomaly.enabled = false;
  store->store(run("t", 0,
                   {{"a", "REAL", {{"mean", 100.0}}},
                    {"b", "REAL", {{"null_percent", 1.0}}},
                    {"gone", "TEXT", {{"count", std::int64_t{1}}}}},
                   "r1", 100));
  store->store(run("t", 1,
                   {{"a", "REAL", {{"mean", 112.0}}}, {"b", "REAL", {{"null_percent", 31.0}}}},
                   "r2", 100));
  DriftReport r = detect();
  auto events = drift_events(r);
  ASSERT_EQ(events.size(), 3u);
  auto* first = events[0].get_if<DataDriftDetected>();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->column, "b");  // +30 points: high, before a's low +12%
  EXPECT_EQ(first->drift_severity, Severity::kHigh);
  EXPECT_EQ(events[0].event_id(), uuid_v5("drift||t|b|null_percent|up|r1|r2"));
  EXPECT_EQ(events[1].get_if<DataDriftDetected>()->column, "a");
  EXPECT_EQ(events[2].event_id(), uuid_v5("schema||t|gone|column_removed|r1|r2"));
  auto meta = nlohmann::json::parse(events[0].metadata_json());
  EXPECT_EQ(meta["strategy"], "absolute_threshold");
  EXPECT_EQ(meta["statistic"], "change_points");
  EXPECT_DOUBLE_EQ(meta["threshold"].get<double>(), 10.0);
  EXPECT_EQ(meta["baseline_run_ids"], "r1");
  EXPECT_EQ(meta["current_run_id"], "r2");
  // Detecting again on the same runs gives the same events (a receiver de-duplicates).
  auto again = drift_events(detect());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event_id(), again[i].event_id());
  }
}

}  // namespace
}  // namespace baselinr
