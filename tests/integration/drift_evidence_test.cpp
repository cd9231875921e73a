// The evidence that drift means something: 60 daily runs of a generated sales table (weekly
// seasonality, 1% daily growth, noise), profiled by the real profiler, each run stamped with its
// day. At default settings no finding is false over the last 30 runs, and each injected change
// is found on its day, on the right column, with a reason: a one-sigma mean shift, a null rate
// from 1% to 5%, a new category at 10%, a category mix change (PSI >= 0.2), a 30% volume drop,
// freshness stalled for two days, and a numeric column rescaled from cents to units.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "baselinr/drift.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

constexpr int kDays = 60;
// Injected changes, by day (2026-01-05, day 0, is a Monday).
constexpr int kMeanShift = 35;    // amount ~ N(120, 20) instead of N(100, 20)
constexpr int kNulls = 38;        // discount NULL for 5% of the rows instead of 1%
constexpr int kNewCategory = 41;  // status 'returned' at 10%
constexpr int kMix = 44;          // channel web/app/store 30/40/30 instead of 60/30/10
constexpr int kVolumeDrop = 46;   // 30% fewer rows (a Friday after a Thursday)
constexpr int kStall = 50;        // no rows on days 50 and 51
constexpr int kRescale = 54;      // price in units from here on (was cents)

std::string date_of(int day) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 5 + day;
  timegm(&tm);  // normalises the day of month
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// Writes day `day`'s rows into the sales table.
void load_day(db::Connection& c, std::mt19937_64& rng, int day) {
  if (day == kStall || day == kStall + 1) return;
  std::normal_distribution<double> noise(0, 0.03);
  const int weekday = day % 7;  // Monday = 0
  const double season = weekday == 5 ? 0.6 : weekday == 6 ? 0.5 : 1.0;
  double rows = 800 * std::pow(1.01, day) * season * (1 + noise(rng));
  if (day == kVolumeDrop) rows *= 0.7;
  std::normal_distribution<double> amount(day == kMeanShift ? 120 : 100, 20);
  std::uniform_int_distribution<int> second(0, 86399), cents(500, 5000), pct(0, 4);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string date = date_of(day);
  db::Transaction tx(c);
  auto insert = c.prepare(
      "INSERT INTO sales (sold_date, sold_at, amount, price, discount, status, channel) VALUES "
      "(?, ?, ?, ?, ?, ?, ?)");
  for (int i = 0; i < static_cast<int>(rows); ++i) {
    const int s = second(rng);
    const int price = cents(rng);
    const double null_rate = day == kNulls ? 0.05 : 0.01;
    const double x = u(rng), y = u(rng);
    std::string status = x < 0.5 ? "placed" : x < 0.8 ? "shipped" : "delivered";
    if (day == kNewCategory && u(rng) < 0.1) status = "returned";
    std::string channel;
    if (day == kMix) {
      channel = y < 0.3 ? "web" : y < 0.7 ? "app" : "store";
    } else {
      channel = y < 0.6 ? "web" : y < 0.9 ? "app" : "store";
    }
    insert->execute(std::vector<db::Value>{
        date, fmt::format("{} {:02}:{:02}:{:02}", date, s / 3600, s / 60 % 60, s % 60),
        std::round(amount(rng) * 100) / 100,
        day >= kRescale ? db::Value(price / 100.0) : db::Value(std::int64_t{price}),
        u(rng) < null_rate ? db::Value() : db::Value(std::int64_t{5 * pct(rng)}), status, channel});
  }
  insert.reset();
  tx.commit();
}

// Until the profiler computes the distribution summaries (issue 13 item 1, the profiling and
// server lanes), this sink adds them to each run before the store gets it, computed here from
// the rows of the run's partition to the contract in COORDINATION.md: nearest-rank quantiles of
// the numeric and temporal columns, exact top values of the text columns and of any column
// with at most 1,000 distinct values. Everything else in the run is the real profiler's.
class WithSummaries final : public ResultSink {
 public:
  WithSummaries(RunStore& store, std::filesystem::path source) : store_(store), source_(source) {}
  void store(const ProfilingResult& result) override {
    ProfilingResult r = result;
    auto c = testing::open_sqlite(source_);
    for (auto& col : r.columns) {
      const std::vector<db::Value> day{r.scope.partition_values.at(0)};
      db::Result rows = c->query(
          fmt::format("SELECT \"{0}\" FROM sales WHERE sold_date = ? AND \"{0}\" IS NOT NULL",
                      col.name),
          day);
      std::vector<std::string> texts;
      std::vector<double> numbers;
      const bool temporal = col.type_class == TypeClass::kTemporal;
      for (const auto& row : rows.rows) {
        texts.push_back(*db::as_text(row.at(0)));
        if (temporal) {
          numbers.push_back(*parse_epoch_seconds(texts.back()));
        } else if (auto d = db::as_double(row.at(0))) {
          numbers.push_back(*d);
        }
      }
      if (texts.empty()) continue;
      if (col.type_class == TypeClass::kNumeric || temporal) {
        std::vector<std::size_t> order(numbers.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return numbers[a] < numbers[b]; });
        nlohmann::json points = nlohmann::json::array();
        const double n = static_cast<double>(numbers.size());
        for (double p : {0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
          const auto rank = static_cast<std::size_t>(p == 0 ? 1.0 : std::ceil(p * n));
          const std::size_t i = order[rank - 1];
          nlohmann::json pt = {{"p", p}};
          if (temporal) {
            pt["value"] = texts[i];
            pt["epoch"] = numbers[i];
          } else {
            pt["value"] = numbers[i];
          }
          points.push_back(std::move(pt));
        }
        col.metrics.emplace_back("quantiles", nlohmann::json{{"method", "exact"},
                                                             {"interpolation", "nearest_rank"},
                                                             {"rank_error", 0},
                                                             {"n", numbers.size()},
                                                             {"points", points}}
                                                  .dump());
      }
      std::map<std::string, std::int64_t> counts;
      for (const auto& t : texts) ++counts[t];
      if (col.type_class == TypeClass::kString || counts.size() <= 1000) {
        std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        nlohmann::json values = nlohmann::json::array();
        std::int64_t other = 0;
        for (std::size_t i = 0; i < sorted.size(); ++i) {
          if (i < 10) {
            values.push_back({{"value", sorted[i].first}, {"count", sorted[i].second}});
          } else {
            other += sorted[i].second;
          }
        }
        col.metrics.emplace_back(
            "top_values",
            nlohmann::json{{"k", 10},
                           {"exact", true},
                           {"values", values},
                           {"other_count", other},
                           {"null_count", r.row_count - static_cast<std::int64_t>(texts.size())},
                           {"distinct_count", counts.size()}}
                .dump());
      }
    }
    store_.store(r);
  }

 private:
  RunStore& store_;
  std::filesystem::path source_;
};

TEST(DriftEvidence, SixtyDaysOfSeasonalGrowingDataNoFalseFindingEachChangeFound) {
  TempDir dir;
  {
    auto c = testing::open_sqlite(dir / "shop.db");
    testing::exec(*c,
                  "CREATE TABLE sales (id INTEGER PRIMARY KEY, sold_date DATE, sold_at TIMESTAMP, "
                  "amount REAL, price NUMERIC, discount INTEGER, status TEXT, channel TEXT)");
  }
  LoadOptions o;
  Config config =
      parse_config(testing::sqlite_pipeline_yaml(dir / "shop.db", dir / "store.db", {"sales"}) +
                       "      partition: {key: sold_date, strategy: latest}\n",
                   "evidence.yml", o);
  RunStore store(config.storage, "test");
  WithSummaries sink(store, dir / "shop.db");
  std::mt19937_64 rng(20260105);
  std::vector<std::string> run_ids;
  for (int day = 0; day < kDays; ++day) {
    {
      auto c = testing::open_sqlite(dir / "shop.db");
      load_day(*c, rng, day);
    }
    // Each day's run profiles the newest partition at 06:00 the next morning.
    Profiler profiler(config, nullptr, &sink);
    const auto at = *parse_time(date_of(day + 1) + " 06:00:00");
    profiler.set_clock([at] { return at; });
    auto out = profiler.profile();
    ASSERT_TRUE(out.at(0).ok()) << out[0].error;
    run_ids.push_back(out[0].run_id);
  }

  const std::map<int, std::set<std::string>> expected = {
      {kMeanShift, {"amount.distribution"}},
      {kNulls, {"discount.null_percent"}},
      {kNewCategory, {"status.distribution"}},
      {kMix, {"channel.distribution"}},
      {kVolumeDrop, {"row_count"}},
      {kStall, {"freshness_seconds"}},
      {kStall + 1, {"freshness_seconds"}},
      {kRescale, {"price.distribution"}},
  };
  DriftDetector detector(config, store);
  for (int day = kDays - 30; day < kDays; ++day) {
    SCOPED_TRACE(fmt::format("day {} ({})", day, date_of(day)));
    DriftReport r = detector.detect({.dataset = "sales", .current_run = run_ids[day]});
    std::set<std::string> found;
    for (const auto& m : r.metrics) {
      if (!m.reported()) continue;
      const std::string name = m.table_level() ? m.metric : m.column + "." + m.metric;
      found.insert(name);
      EXPECT_FALSE(m.reason.empty()) << name;
      EXPECT_FALSE(m.baseline_run_ids.empty()) << name;
    }
    auto want = expected.count(day) ? expected.at(day) : std::set<std::string>{};
    EXPECT_EQ(found, want) << r.to_text();
    if (day == kMix) {
      for (const auto& m : r.metrics) {
        if (m.column != "channel" || m.metric != "distribution") continue;
        for (const auto& t : m.tests) {
          if (t.test == "psi") {
            EXPECT_GE(t.value, 0.2);
          }
        }
      }
    }
    if (day == kNewCategory) {
      EXPECT_NE(r.to_text().find("new value 'returned' at"), std::string::npos) << r.to_text();
    }
    EXPECT_TRUE(r.schema_changes.empty());
  }
}

}  // namespace
}  // namespace baselinr
