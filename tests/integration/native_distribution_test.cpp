// The distribution summaries of the native executor (quantiles, top_values; contract in
// profiling/distribution.hpp): on rows the test generates, every stored point and value equals
// what the test computes itself from those rows (nearest rank: the value at rank ceil(p·n) of
// the sorted non-null values; the most frequent values by counting them) AND what SQLite itself
// answers (the sorted column, GROUP BY ... ORDER BY COUNT(*) DESC). Ties, int64 edges,
// infinities, temporal text with its epoch, empty and all-NULL columns, k, several threads.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"
#include "profiling/distribution.hpp"
#include "profiling/table_profiler.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using Json = nlohmann::json;
using testing::TempDir;

constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kPercents[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100};

// The test's own nearest rank: the smallest r with r >= p·n (n is small here), at least 1.
std::size_t rank_of(int percent, std::size_t n) {
  return std::max<std::size_t>(1, (static_cast<std::size_t>(percent) * n + 99) / 100);
}

ProfilingResult profile(const Config& config, int threads) {
  ConnectionFactory factory = [&] { return db::connect(config.source, {.read_only = true}); };
  auto c = factory();
  profiling::ExecutionOptions exec{Executor::kNative, &factory, threads, std::nullopt};
  return profiling::profile_table(*c, config, profiling::make_target(config, 0), "run", exec);
}

// The stored JSON of a metric, or null when the column does not have it.
Json summary(const ColumnProfile& col, const char* metric) {
  const MetricValue* v = col.metric(metric);
  if (!v) return nullptr;
  return Json::parse(std::get<std::string>(*v));
}

const ColumnProfile& column(const ProfilingResult& r, const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no column " + name);
}

// The forms of a UTC instant the test writes, by the C library's calendar.
enum class Form { kSpace, kIsoZ, kDate };
std::string utc_text(std::int64_t seconds, Form form = Form::kSpace) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  switch (form) {
    case Form::kSpace:
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
      break;
    case Form::kIsoZ:
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      break;
    case Form::kDate:
      std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
      break;
  }
  return buf;
}

// The generated rows, column by column (nullopt for NULL).
struct Generated {
  std::vector<std::optional<std::int64_t>> i;
  std::vector<std::optional<double>> r;
  std::vector<std::optional<std::string>> s;
  std::vector<std::optional<std::string>> d;
  std::map<std::string, std::int64_t> epoch;  // of each d text
  std::vector<std::optional<std::int64_t>> b, few;
};

Generated generate(std::size_t rows, std::uint64_t seed) {
  static const std::vector<std::string> words = {"alpha", "beta", "Ünïcødé", "日本語",
                                                 "",      "a",    "B",       "emoji 🙂"};
  std::mt19937_64 rng(seed);
  Generated g;
  for (std::size_t k = 0; k < rows; ++k) {
    // i: ties in -100..99, and the int64 edges a few times each.
    std::optional<std::int64_t> i;
    if (rng() % 10) {
      static const std::int64_t kEdges[] = {kMin64, kMin64 + 1, kMax64 - 1, kMax64};
      i = rng() % 50 == 0 ? kEdges[rng() % 4] : static_cast<std::int64_t>(rng() % 200) - 100;
    }
    g.i.push_back(i);
    // r: binary fractions (exact), integral reals, and an infinity now and then.
    std::optional<double> r;
    if (rng() % 10) {
      const auto pick = rng() % 100;
      r = pick == 0   ? kInf
          : pick == 1 ? -kInf
          : pick < 30 ? static_cast<double>(rng() % 20)
                      : static_cast<double>(rng() % 100000) / 8.0 - 6000.0;
    }
    g.r.push_back(r);
    std::optional<std::string> s;
    if (rng() % 8) s = words[rng() % words.size()] + (rng() % 3 ? "" : std::to_string(rng() % 5));
    g.s.push_back(s);
    // d: timestamps written four ways; the test knows each text's instant.
    std::optional<std::string> d;
    if (rng() % 10) {
      const std::int64_t t = 1'600'000'000 + static_cast<std::int64_t>(rng() % 200'000'000);
      std::string text;
      std::int64_t epoch = t;
      switch (rng() % 4) {
        case 0:
          text = utc_text(t);
          break;
        case 1:
          text = utc_text(t, Form::kIsoZ);
          break;
        case 2:
          epoch = t - t % 86400;
          text = utc_text(epoch, Form::kDate);
          break;
        default:
          text = utc_text(t + 2 * 3600) + "+02:00";  // local time two hours ahead of UTC
          break;
      }
      g.epoch[text] = epoch;
      d = text;
    }
    g.d.push_back(d);
    std::optional<std::int64_t> b;
    if (rng() % 5) b = static_cast<std::int64_t>(rng() % 3 == 0);
    g.b.push_back(b);
    g.few.push_back(static_cast<std::int64_t>(rng() % 5));
  }
  return g;
}

void load(db::Connection& c, const Generated& g) {
  c.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, d DATETIME, b BOOLEAN, few INT, nul INT)");
  db::Transaction tx(c);
  auto ins = c.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, NULL)");
  auto opt = [](const auto& o) -> db::Value {
    if (!o) return std::monostate{};
    return *o;
  };
  for (std::size_t k = 0; k < g.i.size(); ++k) {
    const std::vector<db::Value> row = {opt(g.i[k]), opt(g.r[k]), opt(g.s[k]),
                                        opt(g.d[k]), opt(g.b[k]), opt(g.few[k])};
    ins->execute(row);
  }
  ins.reset();
  tx.commit();
}

template <class T>
std::vector<T> present(const std::vector<std::optional<T>>& values) {
  std::vector<T> out;
  for (const auto& v : values) {
    if (v) out.push_back(*v);
  }
  return out;
}

// The test's own quantiles: the sorted values at each nearest rank.
template <class T>
std::vector<T> own_quantiles(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  std::vector<T> out;
  for (int p : kPercents) out.push_back(values[rank_of(p, values.size()) - 1]);
  return out;
}

// The test's own top values: counted, most frequent first, ties by value.
template <class T>
std::vector<std::pair<T, std::int64_t>> own_top(const std::vector<T>& values, std::size_t k) {
  std::map<T, std::int64_t> counts;
  for (const auto& v : values) ++counts[v];
  std::vector<std::pair<T, std::int64_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > k) out.resize(k);
  return out;
}

// SQLite's own answer: the column's non-null values in its order.
std::vector<db::Value> sqlite_sorted(db::Connection& c, const std::string& col) {
  std::vector<db::Value> out;
  for (auto& row : c.query(fmt::format("SELECT \"{0}\" FROM t WHERE \"{0}\" IS NOT NULL "
                                       "ORDER BY \"{0}\"",
                                       col))
                       .rows) {
    out.push_back(row.at(0));
  }
  return out;
}

std::vector<std::pair<db::Value, std::int64_t>> sqlite_top(db::Connection& c,
                                                           const std::string& col, int k) {
  std::vector<std::pair<db::Value, std::int64_t>> out;
  for (auto& row : c.query(fmt::format("SELECT \"{0}\", COUNT(*) FROM t WHERE \"{0}\" IS NOT NULL "
                                       "GROUP BY \"{0}\" ORDER BY COUNT(*) DESC, \"{0}\" LIMIT {1}",
                                       col, k))
                       .rows) {
    out.emplace_back(row.at(0), db::as_int(row.at(1)).value_or(-1));
  }
  return out;
}

// A stored quantile value equals an expected number (infinities are stored as text).
void expect_number(const Json& got, double want, const std::string& where) {
  if (std::isinf(want)) {
    EXPECT_EQ(got, want > 0 ? "inf" : "-inf") << where;
  } else {
    ASSERT_TRUE(got.is_number()) << where << ": " << got.dump();
    EXPECT_EQ(got.get<double>(), want) << where;
  }
}

void expect_quantile_header(const Json& q, std::size_t n) {
  EXPECT_EQ(q["method"], "exact");
  EXPECT_EQ(q["interpolation"], "nearest_rank");
  EXPECT_EQ(q["rank_error"].get<double>(), 0.0);
  EXPECT_EQ(q["n"].get<std::int64_t>(), static_cast<std::int64_t>(n));
  ASSERT_EQ(q["points"].size(), std::size(kPercents));
  for (std::size_t j = 0; j < std::size(kPercents); ++j) {
    EXPECT_EQ(q["points"][j]["p"].get<double>(), kPercents[j] / 100.0);
  }
}

// top_values: k, exactness, the listed values (as text) with their counts, and the rest.
template <class T>
void expect_top(const Json& top, const std::vector<std::pair<T, std::int64_t>>& want, int k,
                std::size_t non_null, std::size_t nulls, std::size_t distinct,
                const std::function<std::string(const T&)>& text) {
  ASSERT_TRUE(top.is_object());
  EXPECT_EQ(top["k"], k);
  EXPECT_EQ(top["exact"], true);
  ASSERT_EQ(top["values"].size(), want.size());
  std::int64_t listed = 0;
  for (std::size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(top["values"][j]["value"], text(want[j].first)) << j;
    EXPECT_EQ(top["values"][j]["count"], want[j].second) << j;
    listed += want[j].second;
  }
  EXPECT_EQ(top["other_count"].get<std::int64_t>(), static_cast<std::int64_t>(non_null) - listed);
  EXPECT_EQ(top["null_count"].get<std::int64_t>(), static_cast<std::int64_t>(nulls));
  EXPECT_EQ(top["distinct_count"].get<std::int64_t>(), static_cast<std::int64_t>(distinct));
}

TEST(NativeDistribution, QuantilesAndTopValuesAreTheGeneratedRowsAndSqlitesOwn) {
  TempDir dir;
  const auto file = dir / "dist.db";
  constexpr std::size_t kRows = 6000;
  const Generated g = generate(kRows, 20261129);
  {
    auto c = testing::open_sqlite(file);
    load(*c, g);
  }
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"t"});
  config.profiling.max_distinct_values = 100;  // i, r and d have more: no top_values for them
  const ProfilingResult r = profile(config, 3);
  ASSERT_EQ(r.executor, "native");
  ASSERT_EQ(r.row_count, static_cast<std::int64_t>(kRows));
  auto c = db::connect(config.source, {.read_only = true});

  {  // i: ties and the int64 edges, compared exactly as integers
    SCOPED_TRACE("i");
    const auto values = present(g.i);
    const auto want = own_quantiles(values);
    const auto sqlite = sqlite_sorted(*c, "i");
    ASSERT_EQ(sqlite.size(), values.size());
    const Json q = summary(column(r, "i"), "quantiles");
    expect_quantile_header(q, values.size());
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(std::get<std::int64_t>(sqlite[rank_of(kPercents[j], values.size()) - 1]), want[j]);
      ASSERT_TRUE(q["points"][j]["value"].is_number_integer()) << q["points"][j].dump();
      EXPECT_EQ(q["points"][j]["value"].get<std::int64_t>(), want[j]) << "p" << kPercents[j];
    }
    EXPECT_EQ(want.front(), kMin64);
    EXPECT_EQ(want.back(), kMax64);
    EXPECT_TRUE(summary(column(r, "i"), "top_values").is_null()) << "more distinct values than 100";
  }
  {  // r: reals, integral reals, infinities
    SCOPED_TRACE("r");
    const auto values = present(g.r);
    const auto want = own_quantiles(values);
    const auto sqlite = sqlite_sorted(*c, "r");
    const Json q = summary(column(r, "r"), "quantiles");
    expect_quantile_header(q, values.size());
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(std::get<double>(sqlite[rank_of(kPercents[j], values.size()) - 1]), want[j]);
      expect_number(q["points"][j]["value"], want[j], fmt::format("p{}", kPercents[j]));
      if (std::isfinite(want[j])) {
        EXPECT_TRUE(q["points"][j]["value"].is_number_float()) << "a real stays a real";
      }
    }
    EXPECT_EQ(want.front(), -kInf);
    EXPECT_EQ(want.back(), kInf);
  }
  {  // s: text by its bytes; no quantiles for strings
    SCOPED_TRACE("s");
    const auto values = present(g.s);
    EXPECT_TRUE(summary(column(r, "s"), "quantiles").is_null());
    const auto want = own_top(values, 10);
    const auto sqlite = sqlite_top(*c, "s", 10);
    ASSERT_EQ(sqlite.size(), want.size());
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(std::get<std::string>(sqlite[j].first), want[j].first);
      EXPECT_EQ(sqlite[j].second, want[j].second);
    }
    std::set<std::string> distinct(values.begin(), values.end());
    expect_top<std::string>(summary(column(r, "s"), "top_values"), want, 10, values.size(),
                            kRows - values.size(), distinct.size(),
                            [](const std::string& v) { return v; });
  }
  {  // d: temporal text in the column's order, each point with its instant
    SCOPED_TRACE("d");
    const auto values = present(g.d);
    const auto want = own_quantiles(values);
    const auto sqlite = sqlite_sorted(*c, "d");
    const Json q = summary(column(r, "d"), "quantiles");
    expect_quantile_header(q, values.size());
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(std::get<std::string>(sqlite[rank_of(kPercents[j], values.size()) - 1]), want[j]);
      EXPECT_EQ(q["points"][j]["value"], want[j]);
      EXPECT_EQ(q["points"][j]["epoch"], g.epoch.at(want[j])) << want[j];
      // SQLite reads the same instant from the text.
      const std::vector<db::Value> text = {want[j]};
      const auto jd = db::as_double(
          c->query("SELECT (julianday(?) - 2440587.5) * 86400.0", text).rows.at(0).at(0));
      EXPECT_NEAR(q["points"][j]["epoch"].get<double>(), jd.value_or(-1), 1e-3) << want[j];
    }
    EXPECT_EQ(q["points"][0]["value"], std::get<std::string>(*column(r, "d").metric("min")));
    EXPECT_EQ(q["points"][10]["value"], std::get<std::string>(*column(r, "d").metric("max")));
  }
  auto int_text = [](const std::int64_t& v) { return std::to_string(v); };
  for (const char* name : {"b", "few"}) {  // boolean; a numeric column with few values
    SCOPED_TRACE(name);
    const auto values = present(std::string(name) == "b" ? g.b : g.few);
    const auto want = own_top(values, 10);
    const auto sqlite = sqlite_top(*c, name, 10);
    ASSERT_EQ(sqlite.size(), want.size());
    for (std::size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(std::get<std::int64_t>(sqlite[j].first), want[j].first);
      EXPECT_EQ(sqlite[j].second, want[j].second);
    }
    expect_top<std::int64_t>(summary(column(r, name), "top_values"), want, 10, values.size(),
                             kRows - values.size(), want.size(), int_text);
  }
  // All NULL: neither summary.
  EXPECT_TRUE(summary(column(r, "nul"), "quantiles").is_null());
  EXPECT_TRUE(summary(column(r, "nul"), "top_values").is_null());

  // The threads' counts merge to the same summaries as one thread's.
  const ProfilingResult one = profile(config, 1);
  for (std::size_t k = 0; k < r.columns.size(); ++k) {
    for (const char* m : {"quantiles", "top_values"}) {
      const MetricValue* a = r.columns[k].metric(m);
      const MetricValue* b = one.columns[k].metric(m);
      ASSERT_EQ(a == nullptr, b == nullptr) << r.columns[k].name << "." << m;
      if (a) {
        EXPECT_EQ(*a, *b) << r.columns[k].name << "." << m;
      }
    }
  }
}

// Few rows, exactly known: one value, two values at the int64 edges, heavy ties, an empty table.
TEST(NativeDistribution, SmallColumnsTiesAndEmptyTables) {
  TempDir dir;
  const auto file = dir / "small.db";
  {
    auto c = testing::open_sqlite(file);
    c->execute("CREATE TABLE one (v INT, w TEXT)");
    c->execute("INSERT INTO one VALUES (42, NULL)");
    c->execute("CREATE TABLE edges (v INT)");
    c->execute(fmt::format("INSERT INTO edges VALUES ({}), ({}), (NULL)", kMax64, kMin64));
    c->execute("CREATE TABLE ties (v INT, w TEXT)");
    // 97 x 5, then 1 x 7, 1 x 9, 1 x -3: every quantile from p1 to p95 is 5.
    c->execute(
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 97) "
        "INSERT INTO ties SELECT 5, 'same' FROM s");
    c->execute("INSERT INTO ties VALUES (7, 'b'), (9, 'a'), (-3, 'c')");
    c->execute("CREATE TABLE empty (v INT, w TEXT, d DATE)");
  }
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"one"});
  auto run = [&](const std::string& table) {
    config.profiling.tables[0].table = table;
    return profile(config, 2);
  };
  auto values = [](const Json& q) {
    std::vector<std::int64_t> out;
    for (const auto& p : q["points"]) out.push_back(p["value"].get<std::int64_t>());
    return out;
  };

  ProfilingResult r = run("one");
  EXPECT_EQ(values(summary(column(r, "v"), "quantiles")), std::vector<std::int64_t>(11, 42));
  EXPECT_EQ(summary(column(r, "v"), "top_values")["values"],
            Json::parse(R"([{"value":"42","count":1}])"));
  EXPECT_TRUE(summary(column(r, "w"), "top_values").is_null()) << "all NULL";

  // n = 2: ceil(p·2) is 1 up to p = 0.5, then 2.
  r = run("edges");
  const std::vector<std::int64_t> want_edges = {kMin64, kMin64, kMin64, kMin64, kMin64, kMin64,
                                                kMax64, kMax64, kMax64, kMax64, kMax64};
  EXPECT_EQ(values(summary(column(r, "v"), "quantiles")), want_edges);
  EXPECT_EQ(summary(column(r, "v"), "top_values"),
            Json::parse(fmt::format(R"({{"k":10,"exact":true,"values":[{{"value":"{}","count":1}},)"
                                    R"({{"value":"{}","count":1}}],"other_count":0,)"
                                    R"("null_count":1,"distinct_count":2}})",
                                    kMin64, kMax64)));

  // n = 100: rank ceil(p·100) = 100·p; ranks 1..97 hold 5 (after -3 at rank 1).
  r = run("ties");
  EXPECT_EQ(values(summary(column(r, "v"), "quantiles")),
            (std::vector<std::int64_t>{-3, -3, 5, 5, 5, 5, 5, 5, 5, 7, 9}));
  config.profiling.top_values = 3;
  r = run("ties");
  EXPECT_EQ(summary(column(r, "w"), "top_values"),
            Json::parse(R"({"k":3,"exact":true,"values":[{"value":"same","count":97},)"
                        R"({"value":"a","count":1},{"value":"b","count":1}],"other_count":1,)"
                        R"("null_count":0,"distinct_count":4})"))
      << "ties in the column's order";
  config.profiling.top_values = 0;
  r = run("ties");
  EXPECT_EQ(column(r, "w").metric("top_values"), nullptr) << "top_values: 0 disables it";
  EXPECT_NE(column(r, "v").metric("quantiles"), nullptr);
  config.profiling.top_values = 10;
  config.profiling.metrics = {"count", "top_values"};
  r = run("ties");
  EXPECT_EQ(column(r, "v").metric("quantiles"), nullptr) << "restricted by profiling.metrics";
  EXPECT_NE(column(r, "v").metric("top_values"), nullptr);
  config.profiling.metrics = all_metric_names();

  r = run("empty");
  EXPECT_EQ(r.row_count, 0);
  for (const auto& col : r.columns) {
    EXPECT_EQ(col.metric("quantiles"), nullptr) << col.name;
    EXPECT_EQ(col.metric("top_values"), nullptr) << col.name;
    EXPECT_NE(col.metric("count"), nullptr) << col.name;
  }

  // With approximate distinct counts the native executor keeps no per-value counts: the
  // summaries are absent rather than unbounded (bounded sketches are not implemented yet).
  config.profiling.distinct = DistinctMode::kApproximate;
  r = run("ties");
  EXPECT_EQ(column(r, "v").metric("quantiles"), nullptr);
  EXPECT_EQ(column(r, "w").metric("top_values"), nullptr);
}

TEST(Distribution, EpochSecondsOfDatesAndTimestamps) {
  using profiling::epoch_seconds;
  EXPECT_EQ(epoch_seconds("1970-01-01"), 0.0);
  EXPECT_EQ(epoch_seconds("1969-12-31 23:59:59"), -1.0);
  EXPECT_EQ(epoch_seconds("2000-03-01"), 951868800.0);
  EXPECT_EQ(epoch_seconds("2024-02-29T12:30"), 1709209800.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 12:00:00Z"), 1795953600.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 14:00:00+02:00"), 1795953600.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 14:00:00+0200"), 1795953600.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 04:00:00-08"), 1795953600.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 12:00:00 +00"), 1795953600.0);
  EXPECT_EQ(epoch_seconds("2026-11-29 12:00:00.25"), 1795953600.25);
  for (const char* bad : {"", "2026", "2026-13-01", "2023-02-29", "2026-04-31", "2026-01-01 24:00",
                          "2026-01-01 10:60", "2026-01-01 10:00:00 junk", "2026-01-01T", "12:00:00",
                          "2026-01-01 10:00:00.", "2026-01-01 10:00:00+2", "+2026-01-01"}) {
    EXPECT_EQ(epoch_seconds(bad), std::nullopt) << bad;
  }
  // The forms SQLite reads, compared with SQLite's own reading.
  TempDir dir;
  auto c = testing::open_sqlite(dir / "x.db");
  for (const char* text : {"1970-01-01", "1999-12-31 23:59:59", "2024-02-29T12:30",
                           "2026-11-29 12:00:00Z", "2026-11-29 14:00:00+02:00",
                           "2026-11-29 04:00:00-08:00", "2100-03-01 00:00:00.125", "1900-01-01"}) {
    const std::vector<db::Value> param = {std::string(text)};
    const auto jd = db::as_double(
        c->query("SELECT (julianday(?) - 2440587.5) * 86400.0", param).rows.at(0).at(0));
    ASSERT_TRUE(jd) << text;
    EXPECT_NEAR(epoch_seconds(text).value_or(-1), *jd, 1e-3) << text;
  }
}

TEST(Distribution, NearestRankIsExactForEveryRowCount) {
  using profiling::nearest_rank;
  EXPECT_EQ(nearest_rank(0, 5), 1);
  EXPECT_EQ(nearest_rank(100, 5), 5);
  EXPECT_EQ(nearest_rank(50, 5), 3);
  EXPECT_EQ(nearest_rank(1, 100), 1);
  EXPECT_EQ(nearest_rank(1, 101), 2);
  EXPECT_EQ(nearest_rank(99, kMax64), 9131138316486228049);  // no overflow
  EXPECT_EQ(nearest_rank(100, kMax64), kMax64);
}

TEST(Distribution, TopValuesKeyIsValidated) {
  const std::string base =
      "source:\n  type: sqlite\n  filepath: a.db\nstorage:\n  connection:\n    type: sqlite\n"
      "    filepath: b.db\nprofiling:\n  top_values: ";
  EXPECT_EQ(parse_config(base + "0\n", "cfg.yml", {}).profiling.top_values, 0);
  EXPECT_EQ(parse_config(base + "25\n", "cfg.yml", {}).profiling.top_values, 25);
  EXPECT_EQ(
      parse_config(base.substr(0, base.find("profiling:")), "cfg.yml", {}).profiling.top_values,
      10);
  for (const char* bad : {"-1", "1001", "ten"}) {
    try {
      parse_config(base + bad + "\n", "cfg.yml", {});
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key_path(), "profiling.top_values") << e.what();
    }
  }
}

}  // namespace
}  // namespace baselinr
