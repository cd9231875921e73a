// Profiler correctness on SQLite: every metric against values the test computes itself from the
// data it generated, plus the edge cases (empty table, all-null and single-value columns,
// Unicode, integers near +/-2^63, NaN and infinities) and the one-scan query budget.
#include "baselinr/profiler.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "common/moments.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

const MetricValue& metric(const ProfilingResult& r, const std::string& column,
                          const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.name != column) continue;
    if (const MetricValue* v = c.metric(name)) return *v;
    ADD_FAILURE() << "no metric " << name << " for column " << column;
    static MetricValue none;
    return none;
  }
  ADD_FAILURE() << "no column " << column;
  static MetricValue none;
  return none;
}

bool has_metric(const ProfilingResult& r, const std::string& column, const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.name == column) return c.metric(name) != nullptr;
  }
  return false;
}

std::int64_t as_i(const MetricValue& v) { return std::get<std::int64_t>(v); }
double as_d(const MetricValue& v) { return std::get<double>(v); }
bool is_null(const MetricValue& v) { return std::holds_alternative<std::monostate>(v); }

void expect_rel(double got, double want, double tol = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * tol) << "got " << got << " want " << want;
}

struct Expected {
  std::int64_t count = 0, nulls = 0, distinct = 0;
  std::optional<double> mean, sd;
};

// Mean and sample stddev by an exact-enough two-pass over long doubles.
template <class T>
Expected numeric_expectation(const std::vector<std::optional<T>>& values) {
  Expected e;
  e.count = static_cast<std::int64_t>(values.size());
  std::set<T> distinct;
  std::vector<long double> xs;
  for (const auto& v : values) {
    if (!v) {
      ++e.nulls;
      continue;
    }
    distinct.insert(*v);
    xs.push_back(static_cast<long double>(*v));
  }
  e.distinct = static_cast<std::int64_t>(distinct.size());
  if (!xs.empty()) {
    long double sum = 0;
    for (auto x : xs) sum += x;
    long double mean = sum / xs.size();
    e.mean = static_cast<double>(mean);
    if (xs.size() > 1) {
      long double ss = 0;
      for (auto x : xs) ss += (x - mean) * (x - mean);
      e.sd = static_cast<double>(std::sqrt(ss / (xs.size() - 1)));
    }
  }
  return e;
}

class ProfilerTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path source = dir / "source.db";
  std::filesystem::path storage = dir / "storage.db";

  std::vector<TableOutcome> profile(const std::vector<std::string>& tables,
                                    const std::string& extra = "", EventBus* bus = nullptr,
                                    int* queries = nullptr, Executor executor = Executor::kSql) {
    LoadOptions o;
    config_ =
        parse_config(testing::sqlite_pipeline_yaml(source, storage, tables, extra), "t.yml", o);
    auto counter = std::make_shared<std::atomic<int>>(0);
    Profiler p(
        config_,
        [this, counter] {
          return std::make_unique<testing::CountingConnection>(
              db::connect(config_.source, {.read_only = true}), counter);
        },
        bus);
    p.set_executor(executor);
    auto out = p.profile();
    if (queries) *queries = counter->load();
    return out;
  }

  Config config_;
};

TEST_F(ProfilerTest, EveryMetricMatchesAnIndependentComputation) {
  constexpr int kRows = 2000;
  std::mt19937_64 rng(20261127);
  std::vector<std::optional<std::int64_t>> ints, bigs;
  std::vector<std::optional<double>> reals;
  std::vector<std::optional<std::string>> texts, dates;
  std::vector<std::optional<std::int64_t>> bools;
  const std::vector<std::string> words = {"alpha", "Ünïcødé", "日本語テキスト", "emoji 🙂🚀",
                                          "",      "a",       "naïve café",     "x\"y'z"};
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  {
    auto c = testing::open_sqlite(source);
    c->execute(
        "CREATE TABLE fixture (id INTEGER, i_nulls INT, big BIGINT, r REAL, s VARCHAR(40), "
        "d DATE, b BOOLEAN, payload BLOB, shape GEOMETRY)");
    db::Transaction tx(*c);
    auto ins = c->prepare("INSERT INTO fixture VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (int i = 0; i < kRows; ++i) {
      std::optional<std::int64_t> iv;
      if (rng() % 5 != 0) iv = static_cast<std::int64_t>(rng() % 2001) - 1000;
      std::optional<std::int64_t> bv = (rng() % 2) ? kMax - static_cast<std::int64_t>(rng() % 50)
                                                   : kMin + static_cast<std::int64_t>(rng() % 50);
      std::optional<double> rv;
      if (rng() % 10 != 0) rv = std::ldexp(static_cast<double>(rng() % 1000000), -7) + 1e6;
      std::optional<std::string> sv;
      if (rng() % 7 != 0) sv = words[rng() % words.size()] + std::to_string(rng() % 30);
      std::optional<std::string> dv =
          fmt::format("2026-{:02}-{:02}", 1 + rng() % 12, 1 + rng() % 28);
      std::optional<std::int64_t> boolv;
      if (rng() % 3 != 0) boolv = static_cast<std::int64_t>(rng() % 2);
      ints.push_back(iv);
      bigs.push_back(bv);
      reals.push_back(rv);
      texts.push_back(sv);
      dates.push_back(dv);
      bools.push_back(boolv);
      auto val = [](const auto& o) -> db::Value {
        if (!o) return std::monostate{};
        return *o;
      };
      std::vector<db::Value> row = {std::int64_t{i + 1},
                                    val(iv),
                                    val(bv),
                                    val(rv),
                                    val(sv),
                                    val(dv),
                                    val(boolv),
                                    std::string("\x01\x02", 2),
                                    std::monostate{}};
      ins->execute(row);
    }
    ins.reset();
    tx.commit();
  }
  // Both executors: the pushed-down SQL and the native one (rows read in process).
  for (Executor executor : {Executor::kSql, Executor::kAuto}) {
    SCOPED_TRACE(executor == Executor::kSql ? "sql executor" : "native executor");
    int queries = 0;
    auto outcomes = profile({"fixture"}, "", nullptr, &queries, executor);
    ASSERT_EQ(outcomes.size(), 1u);
    ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
    const ProfilingResult& r = *outcomes[0].result;
    if (executor == Executor::kSql) {
      EXPECT_EQ(queries, 2 + testing::summary_statements(r))
          << "one scalar query, one histogram query, one summary statement per column";
      EXPECT_EQ(r.executor, "sql");
    } else {
      EXPECT_EQ(r.executor, "native");
    }
    EXPECT_EQ(r.row_count, kRows);
    EXPECT_EQ(r.columns.size(), 9u);

    // Integers with NULLs.
    Expected e = numeric_expectation(ints);
    EXPECT_EQ(as_i(metric(r, "i_nulls", "count")), kRows);
    EXPECT_EQ(as_i(metric(r, "i_nulls", "null_count")), e.nulls);
    expect_rel(as_d(metric(r, "i_nulls", "null_percent")), 100.0 * e.nulls / kRows, 1e-12);
    EXPECT_EQ(as_i(metric(r, "i_nulls", "distinct_count")), e.distinct);
    expect_rel(as_d(metric(r, "i_nulls", "distinct_percent")), 100.0 * e.distinct / kRows, 1e-12);
    std::int64_t lo = kMax, hi = kMin;
    for (auto& v : ints) {
      if (v) {
        lo = std::min(lo, *v);
        hi = std::max(hi, *v);
      }
    }
    EXPECT_EQ(as_i(metric(r, "i_nulls", "min")), lo);
    EXPECT_EQ(as_i(metric(r, "i_nulls", "max")), hi);
    expect_rel(as_d(metric(r, "i_nulls", "mean")), *e.mean);
    expect_rel(as_d(metric(r, "i_nulls", "stddev")), *e.sd);
    // Histogram: bins over [min, max] with the documented formula.
    auto hist = nlohmann::json::parse(std::get<std::string>(metric(r, "i_nulls", "histogram")));
    ASSERT_EQ(hist.size(), 10u);
    std::vector<std::int64_t> bins(10, 0);
    const double dlo = static_cast<double>(lo), dhi = static_cast<double>(hi);
    for (auto& v : ints) {
      if (v) bins[histogram_bin(static_cast<double>(*v), dlo, dhi - dlo, 10)]++;
    }
    std::int64_t total = 0;
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(hist[i]["count"].get<std::int64_t>(), bins[i]) << "bin " << i;
      EXPECT_DOUBLE_EQ(hist[i]["bin_start"].get<double>(), dlo + (dhi - dlo) * i / 10.0);
      total += hist[i]["count"].get<std::int64_t>();
    }
    EXPECT_EQ(total, kRows - e.nulls);
    EXPECT_DOUBLE_EQ(hist[9]["bin_end"].get<double>(), dhi);

    // Integers near +/-2^63: exact mean, stable stddev, exact min/max.
    e = numeric_expectation(bigs);
    expect_rel(as_d(metric(r, "big", "mean")), *e.mean);
    expect_rel(as_d(metric(r, "big", "stddev")), *e.sd);
    std::int64_t bmin = kMax, bmax = kMin;
    for (auto& v : bigs) {
      bmin = std::min(bmin, *v);
      bmax = std::max(bmax, *v);
    }
    EXPECT_EQ(as_i(metric(r, "big", "min")), bmin);
    EXPECT_EQ(as_i(metric(r, "big", "max")), bmax);
    EXPECT_EQ(as_i(metric(r, "big", "distinct_count")), e.distinct);

    // Reals with a large mean and a small spread.
    e = numeric_expectation(reals);
    expect_rel(as_d(metric(r, "r", "mean")), *e.mean);
    expect_rel(as_d(metric(r, "r", "stddev")), *e.sd);
    EXPECT_EQ(as_i(metric(r, "r", "null_count")), e.nulls);

    // Unicode strings: lengths in characters.
    std::int64_t min_len = INT64_MAX, max_len = 0, nulls = 0;
    long double len_sum = 0;
    std::set<std::string> distinct_s;
    for (auto& s : texts) {
      if (!s) {
        ++nulls;
        continue;
      }
      auto n = static_cast<std::int64_t>(utf8_length(*s));
      min_len = std::min(min_len, n);
      max_len = std::max(max_len, n);
      len_sum += n;
      distinct_s.insert(*s);
    }
    EXPECT_EQ(as_i(metric(r, "s", "null_count")), nulls);
    EXPECT_EQ(as_i(metric(r, "s", "distinct_count")), static_cast<std::int64_t>(distinct_s.size()));
    EXPECT_EQ(as_i(metric(r, "s", "min_length")), min_len);
    EXPECT_EQ(as_i(metric(r, "s", "max_length")), max_len);
    expect_rel(as_d(metric(r, "s", "avg_length")), static_cast<double>(len_sum / (kRows - nulls)),
               1e-12);
    EXPECT_FALSE(has_metric(r, "s", "mean"));

    // Dates: min/max as text, no mean.
    std::string dmin = "9999", dmax = "0000";
    std::set<std::string> distinct_d;
    for (auto& d : dates) {
      dmin = std::min(dmin, *d);
      dmax = std::max(dmax, *d);
      distinct_d.insert(*d);
    }
    EXPECT_EQ(std::get<std::string>(metric(r, "d", "min")), dmin);
    EXPECT_EQ(std::get<std::string>(metric(r, "d", "max")), dmax);
    EXPECT_EQ(as_i(metric(r, "d", "distinct_count")), static_cast<std::int64_t>(distinct_d.size()));
    EXPECT_FALSE(has_metric(r, "d", "mean"));

    // Boolean: counts only.
    e = numeric_expectation(bools);
    EXPECT_EQ(as_i(metric(r, "b", "null_count")), e.nulls);
    EXPECT_EQ(as_i(metric(r, "b", "distinct_count")), 2);
    EXPECT_FALSE(has_metric(r, "b", "min"));

    // Types the profiler does not know get the metrics that apply to every type, and top_values
    // when they have a value and few distinct ones (payload: one; shape: all NULL), from either
    // executor.
    const bool top_values = true;
    for (const char* col : {"payload", "shape"}) {
      const ColumnProfile* cp = nullptr;
      for (const auto& c : r.columns) {
        if (c.name == col) cp = &c;
      }
      ASSERT_NE(cp, nullptr);
      EXPECT_EQ(cp->type_class, TypeClass::kOther);
      EXPECT_EQ(cp->metrics.size(), std::string(col) == "payload" && top_values ? 6u : 5u) << col;
    }
    EXPECT_EQ(has_metric(r, "payload", "top_values"), top_values);
    EXPECT_EQ(as_i(metric(r, "payload", "distinct_count")), 1);
    EXPECT_EQ(as_i(metric(r, "shape", "null_count")), kRows);
  }
}

TEST_F(ProfilerTest, EmptyTableAllNullAndSingleValueColumns) {
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE empty (n INTEGER, s TEXT, d DATE)");
    c->execute("CREATE TABLE odd (all_null REAL, single INTEGER, single_s TEXT)");
    c->execute("INSERT INTO odd VALUES (NULL, 7, 'same'), (NULL, 7, 'same'), (NULL, 7, 'same')");
  }
  auto outcomes = profile({"empty", "odd"});
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  ASSERT_TRUE(outcomes[1].ok()) << outcomes[1].error;
  const auto& empty = *outcomes[0].result;
  EXPECT_EQ(empty.row_count, 0);
  EXPECT_EQ(as_i(metric(empty, "n", "count")), 0);
  EXPECT_EQ(as_i(metric(empty, "n", "null_count")), 0);
  EXPECT_EQ(as_d(metric(empty, "n", "null_percent")), 0.0);
  EXPECT_EQ(as_d(metric(empty, "n", "distinct_percent")), 0.0);
  EXPECT_TRUE(is_null(metric(empty, "n", "min")));
  EXPECT_TRUE(is_null(metric(empty, "n", "mean")));
  EXPECT_TRUE(is_null(metric(empty, "n", "stddev")));
  EXPECT_FALSE(has_metric(empty, "n", "histogram"));
  EXPECT_TRUE(is_null(metric(empty, "s", "min_length")));
  EXPECT_TRUE(is_null(metric(empty, "s", "avg_length")));

  const auto& odd = *outcomes[1].result;
  EXPECT_EQ(as_i(metric(odd, "all_null", "null_count")), 3);
  EXPECT_EQ(as_d(metric(odd, "all_null", "null_percent")), 100.0);
  EXPECT_EQ(as_i(metric(odd, "all_null", "distinct_count")), 0);
  EXPECT_TRUE(is_null(metric(odd, "all_null", "mean")));
  EXPECT_FALSE(has_metric(odd, "all_null", "histogram"));
  EXPECT_EQ(as_i(metric(odd, "single", "min")), 7);
  EXPECT_EQ(as_i(metric(odd, "single", "max")), 7);
  EXPECT_EQ(as_d(metric(odd, "single", "mean")), 7.0);
  EXPECT_EQ(as_d(metric(odd, "single", "stddev")), 0.0);
  EXPECT_FALSE(has_metric(odd, "single", "histogram"));  // absent when min == max
  EXPECT_EQ(as_i(metric(odd, "single_s", "distinct_count")), 1);
  EXPECT_EQ(as_i(metric(odd, "single_s", "max_length")), 4);
}

// The native executor measures the strings of TEXT-affinity columns itself; it must count as
// SQLite's LENGTH() does: characters before the first NUL, malformed UTF-8 byte by byte as
// SQLite walks it, blobs in bytes. Other string columns ("STRING" has NUMERIC affinity and keeps
// numbers as numbers) are measured by LENGTH() in the scan.
TEST_F(ProfilerTest, NativeStringLengthsAreSqliteLengths) {
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE strs (s TEXT, v VARCHAR(8), n STRING)");
    // s: 'héllo' 5, 'a' NUL 'bc' 1, two stray continuation bytes 2, a truncated 3-byte lead 1,
    // the number 12345 stored as text 5, a 3-byte blob 3, an emoji 1.
    c->execute(
        "INSERT INTO strs VALUES "
        "('h\xC3\xA9llo', 'x', 1.5), "
        "(CAST(X'61006263' AS TEXT), 'yy', 12345), "
        "(CAST(X'8080' AS TEXT), NULL, 'abc'), "
        "(CAST(X'E282' AS TEXT), 'zzz', 2.25), "
        "(12345, 'é', X'00'), "
        "(X'000102', 'ab', -7), "
        "(CAST(X'F09F9880' AS TEXT), NULL, NULL)");
  }
  auto sql = profile({"strs"}, "", nullptr, nullptr, Executor::kSql);
  auto native = profile({"strs"}, "", nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql[0].ok()) << sql[0].error;
  ASSERT_TRUE(native[0].ok()) << native[0].error;
  EXPECT_EQ(native[0].result->executor, "native");
  const auto& r = *native[0].result;
  EXPECT_EQ(as_i(metric(r, "s", "min_length")), 1);
  EXPECT_EQ(as_i(metric(r, "s", "max_length")), 5);
  EXPECT_DOUBLE_EQ(as_d(metric(r, "s", "avg_length")), 18.0 / 7.0);
  EXPECT_EQ(as_i(metric(r, "v", "max_length")), 3);
  EXPECT_DOUBLE_EQ(as_d(metric(r, "v", "avg_length")), 9.0 / 5.0);  // x yy zzz é ab
  // n: '1.5' 3, '12345' 5, 'abc' 3, '2.25' 4, a 1-byte blob 1, '-7' 2.
  EXPECT_EQ(as_i(metric(r, "n", "min_length")), 1);
  EXPECT_EQ(as_i(metric(r, "n", "max_length")), 5);
  EXPECT_DOUBLE_EQ(as_d(metric(r, "n", "avg_length")), 18.0 / 6.0);
  for (const char* col : {"s", "v", "n"}) {
    for (const char* m : {"min_length", "max_length", "avg_length"}) {
      EXPECT_EQ(metric_text(metric(*sql[0].result, col, m)), metric_text(metric(r, col, m)))
          << col << "." << m;
    }
  }
}

TEST_F(ProfilerTest, NanBecomesNullAndInfinitiesFollowIeee) {
  const double inf = std::numeric_limits<double>::infinity();
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE f (x REAL, pos REAL)");
    auto ins = c->prepare("INSERT INTO f VALUES (?, ?)");
    for (double v : {1.0, std::nan(""), inf, -inf, 2.0}) {
      std::vector<db::Value> row = {v, std::abs(v) == inf ? inf : 1.5};
      ins->execute(row);
    }
  }
  auto outcomes = profile({"f"});
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  const auto& r = *outcomes[0].result;
  // SQLite stores a bound NaN as NULL.
  EXPECT_EQ(as_i(metric(r, "x", "null_count")), 1);
  EXPECT_EQ(as_d(metric(r, "x", "min")), -inf);
  EXPECT_EQ(as_d(metric(r, "x", "max")), inf);
  EXPECT_TRUE(std::isnan(as_d(metric(r, "x", "mean"))));  // +inf and -inf
  EXPECT_TRUE(std::isnan(as_d(metric(r, "x", "stddev"))));
  EXPECT_FALSE(has_metric(r, "x", "histogram"));  // no finite range
  EXPECT_EQ(as_d(metric(r, "pos", "mean")), inf);
  EXPECT_EQ(metric_text(metric(r, "x", "max")), "inf");
  EXPECT_EQ(metric_text(metric(r, "x", "mean")), "nan");
}

TEST_F(ProfilerTest, OneScalarQueryAtMostOneHistogramQueryAndOneSummaryPerColumn) {
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE wide (a INT, b INT, c REAL, d REAL, e TEXT, f TEXT, g DATE)");
    c->execute("CREATE TABLE words (w TEXT, v TEXT)");
    for (int i = 0; i < 50; ++i) {
      c->execute(
          fmt::format("INSERT INTO wide VALUES ({0}, {1}, {0}.5, {1}.25, 'x{0}', 'y', "
                      "'2026-01-01')",
                      i, i * 7 % 13));
      c->execute(fmt::format("INSERT INTO words VALUES ('w{}', 'v')", i));
    }
  }
  int queries = 0;
  auto outcomes = profile({"wide"}, "", nullptr, &queries);
  ASSERT_TRUE(outcomes[0].ok());
  // 4 numeric columns with histograms, still 2 queries; and one statement per column for its
  // quantiles and top values.
  EXPECT_EQ(queries, 2 + 7);
  outcomes = profile({"words"}, "", nullptr, &queries);
  ASSERT_TRUE(outcomes[0].ok());
  EXPECT_EQ(queries, 1 + 2);  // nothing numeric: no histogram query at all
  outcomes = profile({"wide", "words"}, "  compute_histograms: false\n", nullptr, &queries);
  EXPECT_EQ(queries, 1 + 7 + 1 + 2);  // one scalar query per table
  outcomes = profile({"wide", "words"},
                     "  compute_histograms: false\n  metrics: [count, null_count, min, max]\n",
                     nullptr, &queries);
  EXPECT_EQ(queries, 2) << "without quantiles and top_values: one statement per table";
  EXPECT_FALSE(has_metric(*outcomes[0].result, "a", "histogram"));
}

TEST_F(ProfilerTest, MetricsListRestrictsWhatIsComputed) {
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE t (n INTEGER, s TEXT)");
    c->execute("INSERT INTO t VALUES (1, 'a'), (3, 'bb'), (NULL, NULL)");
  }
  auto outcomes = profile({"t"}, "  metrics: [count, mean, max_length]\n");
  ASSERT_TRUE(outcomes[0].ok());
  const auto& r = *outcomes[0].result;
  ASSERT_EQ(r.columns[0].metrics.size(), 2u);
  EXPECT_EQ(r.columns[0].metrics[0].first, "count");
  EXPECT_EQ(r.columns[0].metrics[1].first, "mean");
  EXPECT_EQ(as_d(metric(r, "n", "mean")), 2.0);
  ASSERT_EQ(r.columns[1].metrics.size(), 2u);
  EXPECT_EQ(as_i(metric(r, "s", "max_length")), 2);
}

TEST_F(ProfilerTest, AFailingTableEmitsProfilingFailedAndTheOthersStillRun) {
  {
    auto c = testing::open_sqlite(source);
    c->execute("CREATE TABLE good1 (x INTEGER)");
    c->execute("CREATE TABLE good2 (y TEXT)");
    c->execute("INSERT INTO good1 VALUES (1), (2)");
  }
  auto log = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<testing::CapturingHook>(log));
  auto outcomes = profile({"good1", "missing_table", "good2"}, "  max_workers: 1\n", &bus);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_FALSE(outcomes[1].ok());
  EXPECT_NE(outcomes[1].error.find("missing_table"), std::string::npos);
  EXPECT_NE(outcomes[1].error.find("does not exist"), std::string::npos);
  EXPECT_TRUE(outcomes[2].ok());
  std::vector<std::string> seq;
  for (const auto& e : log->events) seq.push_back(std::string(e.event_type()) + ":" + e.table());
  EXPECT_EQ(seq, (std::vector<std::string>{"ProfilingStarted:good1", "ProfilingCompleted:good1",
                                           "ProfilingStarted:missing_table",
                                           "ProfilingFailed:missing_table",
                                           "ProfilingStarted:good2", "ProfilingCompleted:good2"}));
  const auto* failed = log->events[3].get_if<ProfilingFailed>();
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->run_id, log->events[2].get_if<ProfilingStarted>()->run_id);
  const auto* done = log->events[1].get_if<ProfilingCompleted>();
  EXPECT_EQ(done->row_count, 2);
  EXPECT_EQ(done->column_count, 1);
}

TEST_F(ProfilerTest, ConcurrentWorkersGiveTheSameResultsAsSerial) {
  {
    auto c = testing::open_sqlite(source);
    for (int t = 0; t < 8; ++t) {
      c->execute(fmt::format("CREATE TABLE t{} (a INTEGER, b REAL, c TEXT)", t));
      for (int i = 0; i < 100; ++i) {
        c->execute(fmt::format("INSERT INTO t{} VALUES ({}, {}.5, 'v{}')", t, i * (t + 1),
                               i % (t + 2), i % 7));
      }
    }
  }
  std::vector<std::string> names;
  for (int t = 0; t < 8; ++t) names.push_back("t" + std::to_string(t));
  auto serial = profile(names, "  max_workers: 1\n");
  auto parallel = profile(names, "  max_workers: 4\n");
  // Stored through the real store, the two runs' results are the same rows.
  StorageConfig sc;
  sc.connection = testing::sqlite_config(dir / "compare.db");
  RunStore store(sc, "test");
  for (const auto& o : serial) store.store(*o.result);
  for (const auto& o : parallel) store.store(*o.result);
  for (std::size_t i = 0; i < serial.size(); ++i) {
    auto a = store.results(*store.find_run(serial[i].run_id));
    auto b = store.results(*store.find_run(parallel[i].run_id));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].column_name, b[k].column_name);
      EXPECT_EQ(a[k].metric_name, b[k].metric_name);
      EXPECT_EQ(a[k].metric_value, b[k].metric_value)
          << a[k].column_name << "." << a[k].metric_name;
    }
  }
  ASSERT_EQ(serial.size(), parallel.size());
  for (std::size_t i = 0; i < serial.size(); ++i) {
    ASSERT_TRUE(serial[i].ok() && parallel[i].ok());
    EXPECT_EQ(serial[i].table, parallel[i].table);
    for (std::size_t c = 0; c < serial[i].result->columns.size(); ++c) {
      const auto& a = serial[i].result->columns[c].metrics;
      const auto& b = parallel[i].result->columns[c].metrics;
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t m = 0; m < a.size(); ++m) {
        EXPECT_EQ(metric_text(a[m].second), metric_text(b[m].second)) << a[m].first;
      }
    }
  }
}

}  // namespace
}  // namespace baselinr
