// Partitions and sampling on every engine: each strategy profiles exactly the expected rows;
// random samples are unbiased, differ between runs and read the same rows in both queries;
// caps are exact; strata keep their proportions; runs record what they profiled.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "db/dialect/dialect.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using conformance::Logical;

constexpr int kDays = 10;
int rows_on_day(int day) { return 20 + 7 * day; }  // day 0..9: 20, 27, ..., 83 rows
std::string day_text(int day) { return fmt::format("2026-01-{:02}", day + 1); }

class PartitionSampling : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine_ = std::make_unique<conformance::Namespace>(conformance::target(GetParam()), true);
  }
  // The engine's native type for a logical column type.
  std::string ddl(Logical type) const { return engine_->target().quirks.type(type).ddl; }

  // events(id, event_date, amount, category): rows_on_day(d) rows per day, amount = day + i/1000.
  void create_events() {
    auto& c = engine_->admin();
    c.execute(fmt::format("CREATE TABLE events (id INTEGER, event_date {}, amount {}, category {})",
                          ddl(Logical::kDate), ddl(Logical::kDouble), ddl(Logical::kVarchar)));
    db::Transaction tx(c);
    auto ins = c.prepare("INSERT INTO events VALUES (" + c.dialect().placeholder(1) + ", " +
                         c.dialect().placeholder(2) + ", " + c.dialect().placeholder(3) + ", " +
                         c.dialect().placeholder(4) + ")");
    std::int64_t id = 0;
    for (int d = 0; d < kDays; ++d) {
      for (int i = 0; i < rows_on_day(d); ++i) {
        std::vector<db::Value> row = {++id, day_text(d), d + i / 1000.0,
                                      std::string(i % 2 ? "x" : "y")};
        ins->execute(row);
      }
    }
    ins.reset();
    tx.commit();
  }

  void create_big(int rows) {
    auto& c = engine_->admin();
    c.execute(fmt::format("CREATE TABLE big (id INTEGER, amount {}, category {}, weight INTEGER)",
                          ddl(Logical::kDouble), ddl(Logical::kVarchar)));
    c.execute(conformance::generate_rows_sql(engine_->target(), "big", rows));
    // A stratum of one row: stratified sampling keeps at least one row of every stratum.
    c.execute(fmt::format("INSERT INTO big VALUES ({}, 0.5, 'e', 5)", rows + 1));
  }

  Config config_for(const std::string& table_yaml) {
    LoadOptions o;
    // The source comes from the engine; the YAML only describes the table.
    Config cfg = parse_config(
        testing::sqlite_pipeline_yaml("/unused.db", dir_ / "store.db", {}) + table_yaml, "t.yml",
        o);
    cfg.source = engine_->config();
    return cfg;
  }

  ProfilingResult profile_one(const std::string& table_yaml, int* queries = nullptr) {
    config_ = config_for(table_yaml);
    auto counter = std::make_shared<std::atomic<int>>(0);
    Profiler p(
        config_,
        [this, counter] {
          return std::make_unique<testing::CountingConnection>(
              db::connect(config_.source, {.read_only = true}), counter);
        },
        nullptr);
    // Query counts are about the pushed-down path; SQLite's native executor reads rows itself.
    if (queries) p.set_executor(Executor::kSql);
    auto outcomes = p.profile();
    if (queries) *queries = counter->load();
    EXPECT_EQ(outcomes.size(), 1u);
    EXPECT_TRUE(outcomes.at(0).ok()) << outcomes.at(0).error;
    return outcomes.at(0).ok() ? *outcomes[0].result : ProfilingResult{};
  }

  static double metric(const ProfilingResult& r, const std::string& column,
                       const std::string& name) {
    for (const auto& c : r.columns) {
      if (c.name != column) continue;
      const MetricValue* v = c.metric(name);
      if (!v) break;
      if (auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
      if (auto* d = std::get_if<double>(v)) return *d;
    }
    ADD_FAILURE() << "no numeric metric " << column << "." << name;
    return std::nan("");
  }

  static std::int64_t histogram_total(const ProfilingResult& r, const std::string& column) {
    for (const auto& c : r.columns) {
      if (c.name != column) continue;
      const MetricValue* v = c.metric("histogram");
      if (!v) return -1;
      std::int64_t total = 0;
      for (const auto& bin : nlohmann::json::parse(std::get<std::string>(*v))) {
        total += bin["count"].get<std::int64_t>();
      }
      return total;
    }
    return -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<conformance::Namespace> engine_;
  Config config_;
};

std::string table(const std::string& name, const std::string& body) {
  return fmt::format("    - table: {}\n{}", name, body);  // under profiling.tables
}

TEST_P(PartitionSampling, LatestProfilesOnlyTheNewestPartition) {
  create_events();
  int queries = 0;
  auto r = profile_one(table("events", "      partition: {key: event_date, strategy: latest}\n"),
                       &queries);
  const int last = kDays - 1;
  EXPECT_EQ(r.row_count, rows_on_day(last));
  double mean = 0;
  for (int i = 0; i < rows_on_day(last); ++i) mean += last + i / 1000.0;
  mean /= rows_on_day(last);
  EXPECT_NEAR(metric(r, "amount", "mean"), mean, 1e-9 * mean);
  EXPECT_EQ(metric(r, "event_date", "distinct_count"), 1);
  EXPECT_EQ(r.scope.partition_strategy, "latest");
  EXPECT_EQ(r.scope.partition_key, "event_date");
  EXPECT_EQ(r.scope.partition_key_source, "configured");
  ASSERT_EQ(r.scope.partition_values.size(), 1u);
  EXPECT_EQ(r.scope.partition_values[0].substr(0, 10), day_text(last));
  EXPECT_EQ(r.scope.rows_profiled, rows_on_day(last));
  // One light query for the partition value, then the scalar and the histogram query, and one
  // MAX(event_date) over the whole table for its freshness (drift's freshness_seconds); MariaDB
  // is also asked when the table last changed (information_schema.TABLES.UPDATE_TIME).
  // And one quantiles/top-values statement per column with a value (PostgreSQL: per column with
  // top values; the scalar statement computes the quantiles).
  EXPECT_EQ(queries, (GetParam() == "mariadb" ? 5 : 4) +
                         testing::summary_statements(r, GetParam().starts_with("postgres")));
  EXPECT_EQ(std::count_if(r.table_metrics.begin(), r.table_metrics.end(),
                          [](const auto& m) { return m.first == "freshness_seconds"; }),
            1);
}

TEST_P(PartitionSampling, RecentNSampleAndSpecificValues) {
  create_events();
  auto r = profile_one(
      table("events", "      partition: {key: event_date, strategy: recent_n, recent_n: 3}\n"));
  EXPECT_EQ(r.row_count, rows_on_day(7) + rows_on_day(8) + rows_on_day(9));
  ASSERT_EQ(r.scope.partition_values.size(), 3u);
  EXPECT_EQ(r.scope.partition_values[0].substr(0, 10), day_text(9));
  EXPECT_EQ(r.scope.partition_values[2].substr(0, 10), day_text(7));
  EXPECT_EQ(metric(r, "event_date", "distinct_count"), 3);

  r = profile_one(
      table("events", "      partition: {key: event_date, strategy: sample, sample_size: 2}\n"));
  ASSERT_EQ(r.scope.partition_values.size(), 2u);
  std::int64_t expected = 0;
  for (const auto& v : r.scope.partition_values) {
    int day = std::stoi(v.substr(8, 2)) - 1;
    ASSERT_GE(day, 0);
    ASSERT_LT(day, kDays);
    expected += rows_on_day(day);
  }
  EXPECT_NE(r.scope.partition_values[0], r.scope.partition_values[1]);
  EXPECT_EQ(r.row_count, expected);

  r = profile_one(table("events",
                        "      partition:\n        key: event_date\n        strategy: "
                        "specific_values\n        values: ['2026-01-02', '2026-01-05']\n"));
  EXPECT_EQ(r.row_count, rows_on_day(1) + rows_on_day(4));
  EXPECT_EQ(r.scope.partition_values, (std::vector<std::string>{"2026-01-02", "2026-01-05"}));

  r = profile_one(table("events", "      partition: {key: event_date, strategy: all}\n"));
  std::int64_t all = 0;
  for (int d = 0; d < kDays; ++d) all += rows_on_day(d);
  EXPECT_EQ(r.row_count, all);
}

TEST_P(PartitionSampling, KeyInferenceFollowsTheDocumentedOrder) {
  auto& c = engine_->admin();
  c.execute(
      fmt::format("CREATE TABLE several (id INTEGER, updated_at {0}, created_at {0}, "
                  "event_date {1}, loaded {0})",
                  ddl(Logical::kTimestamp), ddl(Logical::kDate)));
  c.execute(
      "INSERT INTO several VALUES (1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', "
      "'2026-02-01', '2026-01-01 00:00:00')");
  c.execute(
      "INSERT INTO several VALUES (2, '2026-01-02 00:00:00', '2026-01-02 00:00:00', "
      "'2026-02-02', '2026-01-02 00:00:00')");
  c.execute(fmt::format("CREATE TABLE only_ts (id INTEGER, loaded {})", ddl(Logical::kTimestamp)));
  c.execute("INSERT INTO only_ts VALUES (1, '2026-01-01 10:00:00')");
  c.execute("CREATE TABLE no_dates (id INTEGER)");

  auto r = profile_one(table("several", "      partition: {strategy: latest}\n"));
  EXPECT_EQ(r.scope.partition_key, "event_date");  // event_date outranks created_at, updated_at
  EXPECT_NE(r.scope.partition_key_source.find("inferred: column named 'event_date'"),
            std::string::npos)
      << r.scope.partition_key_source;
  EXPECT_EQ(r.row_count, 1);

  r = profile_one(table("only_ts", "      partition: {strategy: latest}\n"));
  EXPECT_EQ(r.scope.partition_key, "loaded");
  EXPECT_NE(r.scope.partition_key_source.find("first date/timestamp column 'loaded'"),
            std::string::npos);

  config_ = config_for(table("no_dates", "      partition: {strategy: latest}\n"));
  auto outcomes = Profiler(config_).profile();
  ASSERT_FALSE(outcomes[0].ok());
  EXPECT_NE(outcomes[0].error.find("none could be inferred"), std::string::npos)
      << outcomes[0].error;

  config_ = config_for(table("several", "      partition: {key: nope, strategy: latest}\n"));
  outcomes = Profiler(config_).profile();
  ASSERT_FALSE(outcomes[0].ok());
  EXPECT_NE(outcomes[0].error.find("partition key 'nope' is not a column"), std::string::npos)
      << outcomes[0].error;

  // plan explains the choice and shows the value profile would read.
  config_ = config_for(table("several", "      partition: {strategy: latest}\n"));
  Plan plan = build_plan(config_);
  ASSERT_EQ(plan.tables.size(), 1u);
  EXPECT_EQ(plan.tables[0].partition_key, "event_date");
  ASSERT_EQ(plan.tables[0].partition_values.size(), 1u);
  EXPECT_EQ(plan.tables[0].partition_values[0].substr(0, 10), "2026-02-02");
  std::string text = plan.to_text(true);
  EXPECT_NE(text.find("inferred: column named 'event_date'"), std::string::npos) << text;
  EXPECT_NE(text.find("values:    2026-02-02"), std::string::npos) << text;
}

constexpr int kBig = 100000;

// The mean of amount over the generated rows 1..kBig, computed from the generator's formula.
double big_mean() {
  long double sum = 0;
  for (long long i = 1; i <= kBig; ++i) sum += ((i * 7919) % 1000) / 10.0L;
  return static_cast<double>(sum / kBig);
}
double big_sd() {
  const double m = big_mean();
  long double ss = 0;
  for (long long i = 1; i <= kBig; ++i) {
    long double d = ((i * 7919) % 1000) / 10.0L - m;
    ss += d * d;
  }
  return static_cast<double>(std::sqrt(ss / (kBig - 1)));
}

TEST_P(PartitionSampling, RandomSampleIsUnbiasedRepeatableWithinARunAndNewEachRun) {
  create_big(kBig);
  const std::string sample = "      sampling: {enabled: true, method: random, fraction: 0.05}\n";
  auto a = profile_one(table("big", sample));
  auto b = profile_one(table("big", sample));
  const double n = kBig + 1, p = 0.05;
  const double sd = std::sqrt(n * p * (1 - p));
  for (const auto* r : {&a, &b}) {
    EXPECT_NEAR(static_cast<double>(r->row_count), n * p, 4 * sd) << engine_->target().name;
    // Unbiased: the sample mean is within four standard errors of the full data's mean.
    EXPECT_NEAR(metric(*r, "amount", "mean"), big_mean(),
                4 * big_sd() / std::sqrt(static_cast<double>(r->row_count)));
    // The histogram query read exactly the rows the scalar query read.
    EXPECT_EQ(histogram_total(*r, "amount"), r->row_count);
    EXPECT_EQ(r->scope.sampling_method, "random");
    EXPECT_EQ(r->scope.sampling_fraction, 0.05);
    EXPECT_FALSE(r->scope.sampling_mechanism.empty());
  }
  EXPECT_TRUE(a.row_count != b.row_count ||
              metric(a, "amount", "mean") != metric(b, "amount", "mean"))
      << "two runs drew the same sample";
}

TEST_P(PartitionSampling, MaxRowsIsAnExactCapOnARandomChoice) {
  create_big(kBig);
  auto r = profile_one(table(
      "big", "      sampling: {enabled: true, method: random, fraction: 0.5, max_rows: 1234}\n"));
  EXPECT_EQ(r.row_count, 1234);
  EXPECT_EQ(histogram_total(r, "amount"), 1234);
  EXPECT_EQ(r.scope.max_rows, 1234);
  // Not "the first 1234 rows": ids are spread over the whole table.
  EXPECT_GT(metric(r, "id", "max"), 0.9 * kBig);
  EXPECT_LT(metric(r, "id", "min"), 0.1 * kBig);
  r = profile_one(table(
      "big", "      sampling: {enabled: true, method: random, fraction: 1.0, max_rows: 777}\n"));
  EXPECT_EQ(r.row_count, 777);
}

TEST_P(PartitionSampling, StratifiedKeepsEveryStratumsShare) {
  create_big(kBig);
  auto r = profile_one(
      table("big",
            "      sampling: {enabled: true, method: stratified, fraction: 0.1, stratify_by: "
            "category}\n"));
  // Strata a/b/c/d/e hold 60000/30000/9000/1000/1 rows: each keeps round(10%), at least one.
  const std::map<int, std::int64_t> kept = {{1, 6000}, {2, 3000}, {3, 900}, {4, 100}, {5, 1}};
  std::int64_t total = 0;
  double weighted = 0;
  for (const auto& [w, k] : kept) {
    total += k;
    weighted += w * static_cast<double>(k);
  }
  EXPECT_EQ(r.row_count, total);
  EXPECT_EQ(metric(r, "category", "distinct_count"), 5);  // the one-row stratum survived
  // The mean of the stratum weight is exact only if every stratum kept exactly its share.
  EXPECT_NEAR(metric(r, "weight", "mean"), weighted / static_cast<double>(total), 1e-9);
  EXPECT_EQ(histogram_total(r, "amount"), total);
}

TEST_P(PartitionSampling, TopKKeepsTheLargestValues) {
  create_big(kBig);
  auto r = profile_one(table(
      "big", "      sampling: {enabled: true, method: topk, fraction: 0.01, order_by: id}\n"));
  EXPECT_EQ(r.row_count, 1000);  // round((kBig + 1) * 1%)
  EXPECT_EQ(metric(r, "id", "max"), kBig + 1);
  EXPECT_EQ(metric(r, "id", "min"), kBig + 1 - 999);
}

TEST_P(PartitionSampling, PartitionFilterComesBeforeSampling) {
  create_events();
  auto r = profile_one(
      table("events",
            "      partition: {key: event_date, strategy: recent_n, recent_n: 2}\n"
            "      sampling: {enabled: true, method: random, fraction: 0.5, max_rows: 10}\n"));
  EXPECT_EQ(r.row_count, 10);  // 10 of the 159 rows of the two latest days
  EXPECT_LE(metric(r, "event_date", "distinct_count"), 2);
  EXPECT_GE(metric(r, "amount", "min"), 8.0);  // only days 8 and 9
}

std::string engine_name(const ::testing::TestParamInfo<std::string>& param_info) {
  return param_info.param;
}

INSTANTIATE_TEST_SUITE_P(Engines, PartitionSampling,
                         ::testing::ValuesIn(conformance::native_target_names()), engine_name);

}  // namespace
}  // namespace baselinr
