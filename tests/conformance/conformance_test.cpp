// One conformance suite, run against every engine (targets.cpp): introspection and type classes,
// every metric on the same generated dataset, the query budget, the results store, the SQL event
// hook, drift across two stored runs and hostile identifiers. Expected values are computed from
// the generated data (dataset.cpp), never from another engine's output, so every engine that
// passes reports the same counts and histograms, and the same floating metrics to 1e-9 relative.
// What legitimately differs between engines lives in each target's Quirks.
//
// Each test process works in one namespace per target (a SQLite file, a PostgreSQL schema, a
// MariaDB database) created on first use with a random name and dropped after the suite, so
// several processes may run the suite at once; tests that need a store of their own open another.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/events.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "dataset.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "events/hooks/sql_hook.hpp"
#include "suite.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr::conformance {
namespace {

using testing::expect_same_metrics;

constexpr std::size_t kRows = 3000;
constexpr std::uint64_t kSeed = 20240611;
constexpr std::uint64_t kDriftSeed = 7;

// The test servers run in UTC, which would hide a connector that leaves its session in the
// server's zone. libpq (and psqlODBC through it) start sessions in PGTZ: a zone with a half-hour
// offset makes any timestamp read or written in session time visibly wrong. Stored times and
// timestamptz values must not depend on it.
class NonUtcSessionZone : public ::testing::Environment {
 public:
  void SetUp() override { setenv("PGTZ", "Asia/Kolkata", 1); }
};
[[maybe_unused]] ::testing::Environment* const kNonUtcSessionZone =
    ::testing::AddGlobalTestEnvironment(new NonUtcSessionZone);

class Conformance : public EngineTest {};

const Expected* find_metric(const ExpectedMetrics& metrics, const std::string& name) {
  for (const auto& [n, e] : metrics) {
    if (n == name) return &e;
  }
  return nullptr;
}

void expect_rel(std::optional<double> got, std::optional<double> want, const std::string& what) {
  ASSERT_EQ(got.has_value(), want.has_value()) << what;
  if (!want) return;
  EXPECT_NEAR(*got, *want, std::fabs(*want) * 1e-9 + 1e-12)
      << what << ": got " << format_double(*got) << ", want " << format_double(*want);
}

// ---- 1. introspection and type classes --------------------------------------------------------

TEST_P(Conformance, ColumnsComeBackInOrderWithTheirNativeTypesAndClasses) {
  Dataset data = generate_dataset(16, kSeed);
  data.table = "introspected";
  create_table(ns(), data);
  std::set<Logical> covered;
  for (const auto& c : data.columns) covered.insert(c.type);
  EXPECT_EQ(covered.size(), quirks().types.size()) << "the dataset covers every logical type";

  const std::vector<db::ColumnInfo> columns = ns().admin().columns(ns().ref(data.table));
  ASSERT_EQ(columns.size(), data.columns.size());
  const db::Dialect& dialect = ns().admin().dialect();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const Column& want = data.columns[i];
    const TypeQuirk& q = quirks().type(want.type);
    SCOPED_TRACE(fmt::format("{} ({})", want.name, to_string(want.type)));
    EXPECT_EQ(columns[i].name, want.name);
    EXPECT_EQ(columns[i].type, ns().expand_raw(q.reported));
    EXPECT_EQ(dialect.classify_type(columns[i].type), q.type_class)
        << "classified as " << to_string(dialect.classify_type(columns[i].type));
  }
  EXPECT_TRUE(ns().admin().columns(ns().ref("no_such_table")).empty());
}

// ---- 2. every metric on the same dataset ------------------------------------------------------

TEST_P(Conformance, EveryMetricMatchesTheGeneratedData) {
  const Dataset data = generate_dataset(kRows, kSeed);
  load(ns(), data);
  const Config config = pipeline({data.table}, "m");
  Profiled p = profile(config);
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const ProfilingResult& r = *p.outcomes[0].result;
  EXPECT_EQ(r.dataset_name, data.table);
  // Stored under the schema the name resolved to: MariaDB's is the connection's database, through
  // Connector/C and Connector/ODBC alike.
  EXPECT_EQ(r.schema_name, GetParam().starts_with("mariadb") && config.source.schema.empty()
                               ? config.source.database
                               : config.source.schema);
  EXPECT_EQ(r.row_count, static_cast<std::int64_t>(kRows));
  ASSERT_EQ(r.columns.size(), data.columns.size());
  for (std::size_t i = 0; i < data.columns.size(); ++i) {
    const Column& c = data.columns[i];
    const TypeQuirk& q = quirks().type(c.type);
    EXPECT_EQ(r.columns[i].name, c.name);
    EXPECT_EQ(r.columns[i].type, ns().expand_raw(q.reported));
    EXPECT_EQ(r.columns[i].type_class, q.type_class) << c.name;
    expect_metrics(r.columns[i], expected(c));
  }
}

// Doubles with a large mean and a tiny spread (1e9 + k/1024: mean / stddev ~ 8.5e8). A one-pass
// recurrence in doubles (Welford's) loses about eps * mean / stddev of relative precision here;
// shifting by a sample value (SQLite's native aggregate) or exact sums do not. The precision each
// engine reaches is a quirk.
TEST_P(Conformance, StddevOfDoublesWithALargeMeanAndATinySpread) {
  Dataset data{"tiny_spread", {{"x", Logical::kDouble, {}}}};
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 3000; ++i) {
    data.columns[0].values.push_back(1e9 + static_cast<double>(rng() % 4096) / 1024);
  }
  load(ns(), data);
  Profiled p = profile(pipeline({data.table}, "ts"));
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  expect_metrics(p.outcomes[0].result->columns.at(0), expected(data.column("x")),
                 quirks().stddev_tolerance_large_mean);
}

// The distribution statements a table gets: one per column with a non-null value (the
// datasets here have at most profiling.max_distinct_values distinct values per column).
int summarised(const Dataset& data) {
  int n = 0;
  for (const Column& c : data.columns) {
    n += std::any_of(c.values.begin(), c.values.end(),
                     [](const Cell& v) { return !std::holds_alternative<std::monostate>(v); })
             ? 1
             : 0;
  }
  return n;
}

// ---- 3. query budget --------------------------------------------------------------------------

TEST_P(Conformance, OneScalarQueryAtMostOneHistogramQueryAndOneSummaryPerColumn) {
  Dataset data = generate_dataset(200, kSeed);
  data.table = "every_type";
  load(ns(), data);
  Dataset words{"words_only",
                {{"w", Logical::kVarchar, {std::string("ü"), std::string("日本"), Cell()}},
                 {"t", Logical::kText, {std::string("a"), Cell(), std::string("")}}}};
  Dataset constant{"constant_numbers",
                   {{"k", Logical::kInt32, {std::int64_t{7}, std::int64_t{7}, Cell()}},
                    {"r", Logical::kDouble, {2.5, 2.5, 2.5}}}};
  load(ns(), words);
  load(ns(), constant);
  const Config config = pipeline({data.table, words.table, constant.table}, "q");
  // The pushed-down path (SQLite's native executor reads rows instead; see below).
  Profiled p = profile(config, nullptr, nullptr, Executor::kSql);
  ASSERT_EQ(p.outcomes.size(), 3u);
  for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
  // Numeric columns with a spread: the scalar query and one histogram query. No numeric
  // column: the scalar query only. Numbers without a spread have no histogram: no second query.
  // And one statement for the quantiles and top values of each column with a value.
  const int extra = target().quirks.last_change_queries;
  EXPECT_EQ(p.queries,
            (std::vector<int>{2 + extra + summarised(data), 1 + extra + summarised(words),
                              1 + extra + summarised(constant)}));
  for (const auto& c : p.outcomes[2].result->columns) {
    EXPECT_EQ(c.metric("histogram"), nullptr) << c.name;
    expect_metrics(c, expected(constant.column(c.name)));
  }
  for (const auto& c : p.outcomes[1].result->columns) {
    expect_metrics(c, expected(words.column(c.name)));
  }
}

// The native executor and the pushed-down SQL give the same metrics on the conformance dataset,
// both asked for explicitly; SQLite and PostgreSQL (libpq) read the whole dataset natively (the
// run's executor says so: no silent fallback); on engines without a native row source, or where
// the dataset has columns the row source does not decode, both runs are pushed down. On SQLite,
// exact mode bins the histograms from the values the first read kept, approximate mode reads them
// again: both ways are compared with the SQL.
TEST_P(Conformance, NativeAndSqlPathsAgreeOnEveryMetric) {
  Dataset data = generate_dataset(kRows, kSeed);
  data.table = "paths";
  load(ns(), data);
  for (DistinctMode mode : {DistinctMode::kExact, DistinctMode::kApproximate}) {
    Config config = pipeline({data.table}, "paths");
    config.profiling.distinct = mode;
    if (mode == DistinctMode::kApproximate && GetParam() != "sqlite") continue;
    Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
    Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
    ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
    ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
    const ProfilingResult& a = *sql.outcomes[0].result;
    const ProfilingResult& b = *native.outcomes[0].result;
    EXPECT_EQ(a.executor, "sql");
    EXPECT_EQ(b.executor, GetParam() == "sqlite" || GetParam() == "postgres" ? "native" : "sql");
    expect_same_metrics(a, b);
  }
}

// Where the engine runs the UNION ALL branches of one statement at once (PostgreSQL's Parallel
// Append), the scalar statement splits the columns over concurrent scans: still one statement
// (plus the histogram query), every metric as the single scan gives it and as the generated data
// says, each computed in exactly one branch. Elsewhere nothing changes.
TEST_P(Conformance, ConcurrentScansGiveTheSingleScansMetrics) {
  Dataset data = generate_dataset(kRows, kSeed);
  data.table = "scans";
  load(ns(), data);
  for (const auto& stmt : quirks().parallel_scan_setup) {
    ns().admin().execute(replace_all(stmt, "$TABLE", ns().sql(data.table)));
  }
  const int scans = ns().admin().concurrent_scans(ns().ref(data.table));
  if (quirks().parallel_scan_setup.empty()) {
    EXPECT_EQ(scans, 1);
  } else {
    EXPECT_GE(scans, 2) << "the table's parallel_workers make the server scan it in parallel";
  }

  // The pushed-down statements, as plan shows them (under auto, PostgreSQL reads this table
  // natively, and plan shows that read's COPY instead).
  Config single = pipeline({data.table}, "one");
  single.profiling.parallel_scans = 1;
  single.profiling.executor = Executor::kSql;
  Config split = pipeline({data.table}, "split");  // parallel_scans: auto
  split.profiling.executor = Executor::kSql;
  const Plan plan = build_plan(split);
  ASSERT_EQ(plan.tables.size(), 1u);
  ASSERT_TRUE(plan.tables[0].error.empty()) << plan.tables[0].error;
  EXPECT_EQ(plan.tables[0].scalar_scans, scans);
  const std::string& statement = plan.tables[0].sql.at(0);
  std::size_t unions = 0;
  for (auto at = statement.find("UNION ALL"); at != std::string::npos;
       at = statement.find("UNION ALL", at + 1)) {
    ++unions;
  }
  EXPECT_EQ(unions, static_cast<std::size_t>(scans - 1));
  EXPECT_EQ(build_plan(single).tables.at(0).scalar_scans, 1);

  Profiled a = profile(single, nullptr, nullptr, Executor::kSql);
  Profiled b = profile(split, nullptr, nullptr, Executor::kSql);
  ASSERT_TRUE(a.outcomes.at(0).ok()) << a.outcomes[0].error;
  ASSERT_TRUE(b.outcomes.at(0).ok()) << b.outcomes[0].error;
  const int extra = target().quirks.last_change_queries;
  // One distribution statement per column with top values, or with quantiles where the scalar
  // statement does not compute them (it does on PostgreSQL: percentile_disc).
  const bool in_scalar = GetParam() == "postgres" || GetParam() == "postgres_odbc";
  int summaries = 0;
  for (const Column& c : data.columns) {
    bool top = false, quantiles = false;
    for (const auto& [name, value] : expected(c)) {
      top = top || name == "top_values";
      quantiles = quantiles || name == "quantiles";
    }
    summaries += top || (quantiles && !in_scalar) ? 1 : 0;
  }
  EXPECT_LE(summaries, summarised(data));
  if (!in_scalar) {
    EXPECT_EQ(summaries, summarised(data));
  }
  EXPECT_EQ(a.queries, (std::vector<int>{2 + extra + summaries}));
  EXPECT_EQ(b.queries, (std::vector<int>{2 + extra + summaries}))
      << "one scalar statement, one histogram query, one distribution statement per column "
         "that needs one";
  expect_same_metrics(*a.outcomes[0].result, *b.outcomes[0].result);
  const ProfilingResult& r = *b.outcomes[0].result;
  ASSERT_EQ(r.columns.size(), data.columns.size());
  for (std::size_t i = 0; i < data.columns.size(); ++i) {
    expect_metrics(r.columns[i], expected(data.columns[i]));
  }
}

// Distinct strings are compared by their bytes on every engine, whatever the collation: MariaDB's
// collations are PAD SPACE ('a' = 'a ') and its default utf8mb4_general_ci is case- and
// accent-insensitive ('abc' = 'ABC', 'é' = 'É'), and none of that may change a count.
TEST_P(Conformance, DistinctStringsAreComparedByTheirBytes) {
  const std::vector<std::string> words = {"a",   "a ", "a  ",     "b",    "abc", "ABC",
                                          "aBc", "é",  "e\u0301", "É",    "ß",   "ss",
                                          "A",   "😀",  "ﬁ",       "a\tb", "a b", "fi"};
  Dataset texts{"texts", {{"s", Logical::kVarchar, {}}, {"t", Logical::kText, {}}}};
  for (int copy = 0; copy < 2; ++copy) {
    for (const auto& w : words) {
      texts.columns[0].values.emplace_back(w);
      texts.columns[1].values.emplace_back(w);
    }
  }
  texts.columns[0].values.emplace_back(Cell());
  texts.columns[1].values.emplace_back(Cell());
  load(ns(), texts);
  Profiled p = profile(pipeline({texts.table}, "p"));
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const std::set<std::string> distinct(words.begin(), words.end());
  for (const ColumnProfile& c : p.outcomes[0].result->columns) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(*c.metric("distinct_count"), MetricValue(static_cast<std::int64_t>(distinct.size())));
    EXPECT_EQ(*c.metric("max_length"), MetricValue(std::int64_t{3}));
    expect_metrics(c, expected(texts.column(c.name)));
  }
}

// Quantiles and top values on every engine and executor, against the generated values: int64
// extremes, NULLs, ties (broken by the column's order, strings by their bytes: 'T' and 't' are
// two values on a case-insensitive collation, 'a' and 'a ' on a PAD SPACE one), an exact decimal,
// an all-NULL column and an empty table (no summary at all); profiling.top_values: 0 leaves the
// top values out and groups nothing for them.
TEST_P(Conformance, QuantilesAndTopValuesAreTheGeneratedDatas) {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  auto i64 = [](std::int64_t v) { return Cell(v); };
  auto str = [](const char* v) { return Cell(std::string(v)); };
  Dataset edges{"dist_edges",
                {{"i",
                  Logical::kInt64,
                  {i64(lo), i64(hi), i64(hi), i64(0), i64(0), i64(0), i64(-1), Cell(), i64(lo + 1),
                   i64(hi), Cell(), i64(7)}},
                 {"s",
                  Logical::kVarchar,
                  {str("T"), str("t"), str("T"), str("t"), str("a"), str("A"), str("a "), str("a"),
                   Cell(), str("b"), str("t"), str("T")}},
                 {"d",
                  Logical::kDecimal,
                  {i64(999999999999), i64(-1), i64(-1), Cell(), i64(0), i64(5), i64(5), i64(5),
                   i64(100), i64(250), i64(1), i64(2)}},
                 {"none",
                  Logical::kInt32,
                  {Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(), Cell(),
                   Cell(), Cell()}}}};
  Dataset empty{"dist_empty", {{"i", Logical::kInt64, {}}, {"s", Logical::kVarchar, {}}}};
  load(ns(), edges);
  load(ns(), empty);
  for (Executor executor : {Executor::kSql, Executor::kNative}) {
    SCOPED_TRACE(executor == Executor::kSql ? "sql" : "native");
    Profiled p = profile(pipeline({edges.table, empty.table}, "dist"), nullptr, nullptr, executor);
    ASSERT_EQ(p.outcomes.size(), 2u);
    for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
    const ProfilingResult& r = *p.outcomes[0].result;
    ASSERT_EQ(r.columns.size(), edges.columns.size());
    for (std::size_t i = 0; i < edges.columns.size(); ++i) {
      expect_metrics(r.columns[i], expected(edges.columns[i]));
    }
    // Spelled out: the quantiles of i (10 values: ranks 1, 1, 1, 1, 3, 5, 8, 9, 10, 10, 10) and
    // the ties of s in byte order.
    const auto q = nlohmann::json::parse(std::get<std::string>(*r.columns[0].metric("quantiles")));
    std::vector<std::int64_t> points;
    for (const auto& pt : q.at("points")) points.push_back(pt.at("value").get<std::int64_t>());
    EXPECT_EQ(points, (std::vector<std::int64_t>{lo, lo, lo, lo, -1, 0, hi, hi, hi, hi, hi}));
    EXPECT_EQ(std::get<std::string>(*r.columns[1].metric("top_values")),
              R"({"k":10,"exact":true,"values":[{"value":"T","count":3},{"value":"t","count":3},)"
              R"({"value":"a","count":2},{"value":"A","count":1},{"value":"a ","count":1},)"
              R"({"value":"b","count":1}],"other_count":0,"null_count":1,"distinct_count":6})");
    EXPECT_EQ(r.columns[3].metric("quantiles"), nullptr);
    EXPECT_EQ(r.columns[3].metric("top_values"), nullptr);
    for (const auto& c : p.outcomes[1].result->columns) {
      EXPECT_EQ(c.metric("quantiles"), nullptr) << c.name;
      EXPECT_EQ(c.metric("top_values"), nullptr) << c.name;
    }
    if (executor == Executor::kSql) {
      const int extra = target().quirks.last_change_queries;
      // Scalar, histograms (i and d), one summary per column with a value; the empty table: the
      // scalar statement only.
      EXPECT_EQ(p.queries, (std::vector<int>{2 + extra + 3, 1 + extra}));
    }
  }
  Config config = pipeline({edges.table}, "dist0");
  config.profiling.top_values = 0;
  Profiled p = profile(config, nullptr, nullptr, Executor::kSql);
  ASSERT_TRUE(p.outcomes.at(0).ok()) << p.outcomes[0].error;
  for (const auto& c : p.outcomes[0].result->columns) {
    EXPECT_EQ(c.metric("top_values"), nullptr) << c.name;
  }
  ASSERT_NE(p.outcomes[0].result->columns[0].metric("quantiles"), nullptr);
  // The string column needs no statement of its own any more. Where the engine has ordered-set
  // aggregates (PostgreSQL, also through ODBC) the quantiles are aggregates of the scalar
  // statement: the numeric columns need none either.
  const bool in_scalar = GetParam() == "postgres" || GetParam() == "postgres_odbc";
  EXPECT_EQ(p.queries,
            (std::vector<int>{2 + target().quirks.last_change_queries + (in_scalar ? 0 : 2)}));
  ExpectOptions no_top = expect_options();
  no_top.top_values = 0;
  for (std::size_t i = 0; i < edges.columns.size(); ++i) {
    const Column& c = edges.columns[i];
    expect_metrics(p.outcomes[0].result->columns[i],
                   expected_metrics(c, quirks().type(c.type).type_class, no_top));
  }
}

// The nearest ranks where a wrong one shows: values that change exactly at ranks 25, 50 and 75
// of 100, tables of 1 and 2 rows, int64 extremes, a hostile column name; every engine, pushed
// down and native, against the generated data and spelled out. With max_distinct_values 1 no
// number gets top values: the statements left are the quantiles' (none where the scalar
// statement computes them) and the strings' top values.
TEST_P(Conformance, QuantilesAtRankBoundariesAndOfTinyTables) {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  Dataset steps{"dist_steps", {{"we\"ird 'q", Logical::kInt64, {}}, {"s", Logical::kVarchar, {}}}};
  for (int r = 0; r < 100; ++r) {
    steps.columns[0].values.emplace_back(std::int64_t{r / 25 + 1});  // 1 x25, 2 x25, 3, 4
    steps.columns[1].values.emplace_back(std::string(1, static_cast<char>('a' + r % 3)));
  }
  Dataset one{"dist_one", {{"v", Logical::kInt64, {Cell(std::int64_t{lo})}}}};
  Dataset two{"dist_two",
              {{"v", Logical::kInt64, {Cell(std::int64_t{hi}), Cell(std::int64_t{lo}), Cell()}}}};
  load(ns(), steps);
  load(ns(), one);
  load(ns(), two);
  for (Executor executor : {Executor::kSql, Executor::kAuto}) {
    SCOPED_TRACE(executor == Executor::kSql ? "sql" : "auto");
    Config config = pipeline({steps.table, one.table, two.table}, "steps");
    config.profiling.max_distinct_values = 1;
    Profiled p = profile(config, nullptr, nullptr, executor);
    ASSERT_EQ(p.outcomes.size(), 3u);
    for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
    auto points = [](const ColumnProfile& c) {
      std::vector<std::int64_t> out;
      const auto q = nlohmann::json::parse(std::get<std::string>(*c.metric("quantiles")));
      for (const auto& pt : q.at("points")) out.push_back(pt.at("value").get<std::int64_t>());
      return out;
    };
    // Ranks of 100: 1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100.
    EXPECT_EQ(points(p.outcomes[0].result->columns[0]),
              (std::vector<std::int64_t>{1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4}));
    EXPECT_EQ(points(p.outcomes[1].result->columns[0]), (std::vector<std::int64_t>(11, lo)));
    // Ranks of 2: 1 up to p = 0.5, then 2.
    EXPECT_EQ(points(p.outcomes[2].result->columns[0]),
              (std::vector<std::int64_t>{lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi}));
    const Dataset* sets[] = {&steps, &one, &two};
    for (std::size_t t = 0; t < 3; ++t) {
      for (std::size_t i = 0; i < sets[t]->columns.size(); ++i) {
        ExpectOptions options = expect_options();
        options.max_distinct_values = 1;
        const Column& c = sets[t]->columns[i];
        expect_metrics(p.outcomes[t].result->columns[i],
                       expected_metrics(c, quirks().type(c.type).type_class, options));
      }
    }
    if (executor == Executor::kSql) {
      const int extra = target().quirks.last_change_queries;
      const int q = GetParam() == "postgres" || GetParam() == "postgres_odbc" ? 0 : 1;
      // Scalar and histogram, then the quantiles' statements and the string's top values; the
      // one-row table's single value is few enough for top values: one statement everywhere.
      EXPECT_EQ(p.queries, (std::vector<int>{2 + extra + q + 1, 1 + extra + 1, 2 + extra + q}));
    }
  }
}

// ---- 4. the results store on this target, fed from a SQLite source ---------------------------

std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>>>
stored_form(const ProfilingResult& r) {
  std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>>> out;
  for (const auto& c : r.columns) {
    for (const auto& [m, v] : c.metrics) out.emplace_back(c.name, c.type, m, metric_text(v));
  }
  // Table-level metrics (row_count, freshness...): no column name, no column type.
  for (const auto& [m, v] : r.table_metrics) out.emplace_back("", "", m, metric_text(v));
  return out;
}

std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>>>
read_form(const std::vector<MetricRecord>& records) {
  std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>>> out;
  for (const auto& m : records) {
    out.emplace_back(m.column_name, m.column_type, m.metric_name, m.metric_value);
  }
  return out;
}

void expect_run(const RunRecord& got, const ProfilingResult& want) {
  EXPECT_EQ(got.run_id, want.run_id);
  EXPECT_EQ(got.dataset_name, want.dataset_name);
  EXPECT_EQ(got.schema_name, want.schema_name);
  EXPECT_EQ(got.profiled_at, format_storage_time(want.profiled_at));
  EXPECT_EQ(got.environment, "conformance");
  EXPECT_EQ(got.status, "completed");
  EXPECT_EQ(got.row_count, want.row_count);
  EXPECT_EQ(got.column_count, static_cast<std::int64_t>(want.columns.size()));
}

TEST_P(Conformance, ResultsStoreRoundTripsAndAFailedWriteLeavesNoTrace) {
  Namespace source(conformance::target("sqlite"));
  const Dataset data = generate_dataset(400, kSeed + 1);
  load(source, data);

  Config config = pipeline({data.table}, "st");
  config.source = source.config();
  RunStore store(config.storage, config.environment);
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  Profiled first = profile(config, &store);
  Profiled second = profile(config, &store);
  ASSERT_TRUE(first.outcomes.at(0).ok()) << first.outcomes[0].error;
  ASSERT_TRUE(second.outcomes.at(0).ok()) << second.outcomes[0].error;
  const ProfilingResult& older = *first.outcomes[0].result;
  const ProfilingResult& newer = *second.outcomes[0].result;
  ASSERT_LT(older.profiled_at, newer.profiled_at);

  auto check_store = [&](const RunStore& s) {
    std::vector<RunRecord> runs = s.list_runs({});
    ASSERT_EQ(runs.size(), 2u);
    expect_run(runs[0], newer);  // newest first
    expect_run(runs[1], older);
    EXPECT_EQ(s.list_runs({.dataset = data.table, .limit = 1}).size(), 1u);
    EXPECT_TRUE(s.list_runs({.dataset = "no such table"}).empty());
    for (const ProfilingResult* r : {&older, &newer}) {
      std::optional<RunRecord> found = s.find_run(r->run_id);
      ASSERT_TRUE(found.has_value());
      expect_run(*found, *r);
      // Every metric text (histogram JSON, NULLs, shortest reals, Unicode names) unchanged.
      EXPECT_EQ(read_form(s.results(*found)), stored_form(*r));
    }
    std::vector<RunRecord> before = s.runs_before(runs[0], 5);
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].run_id, older.run_id);
    EXPECT_EQ(s.schema_version(), kStorageSchemaVersion);
  };
  check_store(store);
  // The same run again violates the runs table's key: a StorageError, and nothing of it written.
  EXPECT_THROW(store.store(newer), StorageError);
  check_store(store);
  {
    SCOPED_TRACE("a second store over the existing tables");
    RunStore reopened(config.storage, config.environment);
    check_store(reopened);
  }

  // A failure at the run row, at the first result, in the middle and at the last result.
  const int statements = 1 + static_cast<int>(stored_form(older).size());
  for (int fail_at : {1, 2, statements / 2, statements}) {
    SCOPED_TRACE(fmt::format("failure at statement {} of {}", fail_at, statements));
    RunStore faulty(std::make_unique<testing::FaultyConnection>(
                        db::connect(config.storage.connection), fail_at),
                    config.storage, config.environment);
    ProfilingResult doomed = older;
    doomed.run_id = new_uuid();
    EXPECT_THROW(faulty.store(doomed), StorageError);
    EXPECT_FALSE(store.find_run(doomed.run_id).has_value());
    RunRecord ghost;
    ghost.run_id = doomed.run_id;
    ghost.dataset_name = doomed.dataset_name;
    EXPECT_TRUE(store.results(ghost).empty());
  }
  check_store(store);

  // With the fault beyond the last statement the same write succeeds.
  RunStore healthy(std::make_unique<testing::FaultyConnection>(
                       db::connect(config.storage.connection), statements + 1),
                   config.storage, config.environment);
  ProfilingResult third = older;
  third.run_id = new_uuid();
  healthy.store(third);
  ASSERT_TRUE(store.find_run(third.run_id).has_value());
  EXPECT_EQ(read_form(store.results(*store.find_run(third.run_id))), stored_form(third));
  EXPECT_EQ(store.list_runs({}).size(), 3u);

  // A second set of storage tables (another runs_table) in the same schema works as well: the
  // schema-version table is shared by both sets, the tables are not.
  StorageConfig other = config.storage;
  other.runs_table = ns().storage_name("st2_runs");
  other.results_table = ns().storage_name("st2_results");
  other.events_table = ns().storage_name("st2_events");
  {
    RunStore second_store(other, config.environment);
    EXPECT_EQ(second_store.schema_version(), kStorageSchemaVersion);
    ASSERT_NO_THROW(second_store.store(older));
    ASSERT_EQ(second_store.list_runs({}).size(), 1u);
    EXPECT_EQ(read_form(second_store.results(second_store.list_runs({}).at(0))),
              stored_form(older));
  }
}

// ---- 5. the SQL event hook's rows on this target ----------------------------------------------

struct ExpectedRow {
  std::optional<std::string> table, column, metric, severity;
  std::optional<double> baseline, current, change;
};

ExpectedRow expected_row(const Event& e) {
  ExpectedRow row;
  if (!e.table().empty()) row.table = e.table();
  if (const auto* d = e.get_if<DataDriftDetected>()) {
    row.column = d->column;
    row.metric = d->metric;
    row.severity = std::string(to_string(d->drift_severity));
    row.baseline = d->baseline_value;
    row.current = d->current_value;
    row.change = d->change_percent;
  } else if (const auto* s = e.get_if<SchemaChangeDetected>()) {
    row.column = s->column;
  }
  return row;
}

std::optional<std::string> text_of(const db::Value& v) { return db::as_text(v); }

TEST_P(Conformance, SqlHookRowsReadBackAsTheEventsThatWereEmitted) {
  const std::string table = ns().storage_name("ev_events");
  const std::string evil = "y\"; DROP TABLE y; --";
  const std::string orders = "orders «ü» 日本 🎉";
  const std::string run_id = new_uuid();
  const std::vector<Event> events = {
      Event(ProfilingStarted{orders, run_id}),
      Event(ProfilingCompleted{orders, run_id, 3000, 21, 0.25}),
      Event(ProfilingFailed{evil, new_uuid(), "query failed: ünïcödé 'quoted' \\ back\nslash"}),
      Event(DataDriftDetected{orders, "amount", "mean", 1.0 / 3.0, 0.5, 50.0, Severity::kHigh}),
      Event(DataDriftDetected{orders, "qty", "stddev", 0.0, 2.5, std::nullopt, Severity::kLow}),
      Event(DataDriftDetected{orders, "ratio", "max", -1e300, 5e-324, -100.0, Severity::kMedium}),
      Event(SchemaChangeDetected{orders, "type_changed", "units", std::string("integer"),
                                 std::string("bigint")}),
  };
  EventBus bus;
  bus.register_hook(std::make_unique<hooks::SqlEventHook>(ns().config(), table));
  for (const Event& e : events) bus.emit(e);
  EXPECT_EQ(bus.stats(0).delivered, events.size());
  EXPECT_EQ(bus.total_failed(), 0u) << bus.stats(0).last_error;

  // The rows as the database holds them.
  auto conn = ns().connect();
  const db::Dialect& d = conn->dialect();
  std::string cols;
  for (const char* c : {"event_id", "event_type", "table_name", "column_name", "metric_name",
                        "baseline_value", "current_value", "change_percent", "drift_severity",
                        "timestamp", "metadata", "created_at"}) {
    if (!cols.empty()) cols += ", ";
    cols += d.storage_identifier(c);
  }
  db::Result rows = conn->query("SELECT " + cols + " FROM " + d.qualified_name(table));
  ASSERT_EQ(rows.rows.size(), events.size());
  std::map<std::string, const std::vector<db::Value>*> by_id;
  for (const auto& row : rows.rows) by_id[text_of(row[0]).value_or("")] = &row;
  const auto now = std::chrono::system_clock::now();
  for (const Event& e : events) {
    SCOPED_TRACE(std::string(e.event_type()) + " " + e.event_id());
    ASSERT_EQ(by_id.count(e.event_id()), 1u);
    const std::vector<db::Value>& row = *by_id[e.event_id()];
    const ExpectedRow want = expected_row(e);
    EXPECT_EQ(text_of(row[1]), std::string(e.event_type()));
    EXPECT_EQ(text_of(row[2]), want.table);
    EXPECT_EQ(text_of(row[3]), want.column);
    EXPECT_EQ(text_of(row[4]), want.metric);
    EXPECT_EQ(db::as_double(row[5]), want.baseline);
    EXPECT_EQ(db::as_double(row[6]), want.current);
    EXPECT_EQ(db::as_double(row[7]), want.change);
    EXPECT_EQ(text_of(row[8]), want.severity);
    EXPECT_EQ(normalize_storage_time(text_of(row[9]).value_or("")),
              format_storage_time(e.timestamp()))
        << "as stored: " << text_of(row[9]).value_or("NULL");
    EXPECT_EQ(nlohmann::json::parse(text_of(row[10]).value_or("null")),
              nlohmann::json::parse(e.metadata_json()));
    auto created = parse_time(text_of(row[11]).value_or(""));
    ASSERT_TRUE(created.has_value()) << text_of(row[11]).value_or("NULL");
    EXPECT_LT(std::chrono::abs(*created - now), std::chrono::minutes(5))
        << "created_at is the database's UTC time: " << text_of(row[11]).value_or("");
  }

  // The same rows through the reader the CLI uses.
  std::vector<EventRecord> records = read_events(ns().config(), table, {});
  ASSERT_EQ(records.size(), events.size());
  for (std::size_t i = 1; i < records.size(); ++i) {
    EXPECT_GE(records[i - 1].timestamp, records[i].timestamp) << "newest first";
  }
  for (const Event& e : events) {
    SCOPED_TRACE(std::string(e.event_type()) + " " + e.event_id());
    auto it = std::find_if(records.begin(), records.end(),
                           [&e](const EventRecord& r) { return r.event_id == e.event_id(); });
    ASSERT_NE(it, records.end());
    const ExpectedRow want = expected_row(e);
    EXPECT_EQ(it->event_type, e.event_type());
    EXPECT_EQ(it->table_name, want.table.value_or(""));
    EXPECT_EQ(it->column_name, want.column.value_or(""));
    EXPECT_EQ(it->metric_name, want.metric.value_or(""));
    EXPECT_EQ(it->baseline_value, want.baseline);
    EXPECT_EQ(it->current_value, want.current);
    EXPECT_EQ(it->change_percent, want.change);
    EXPECT_EQ(it->drift_severity, want.severity.value_or(""));
    EXPECT_EQ(it->timestamp, format_storage_time(e.timestamp()));
    EXPECT_EQ(nlohmann::json::parse(it->metadata), nlohmann::json::parse(e.metadata_json()));
    EXPECT_TRUE(parse_time(it->created_at).has_value()) << it->created_at;
  }
  EXPECT_EQ(read_events(ns().config(), table, {.event_type = "DataDriftDetected"}).size(), 3u);
  EXPECT_EQ(read_events(ns().config(), table, {.table = evil}).size(), 1u);
  EXPECT_EQ(read_events(ns().config(), table, {.limit = 2}).size(), 2u);

  // The same hook built from configuration (hooks: - type: sql, connection: this target).
  HooksConfig hooks;
  HookConfig sql;
  sql.type = HookType::kSql;
  sql.connection = ns().config();
  sql.table_name = ns().storage_name("ev_configured");
  hooks.hooks = {sql};
  auto configured_bus = create_event_bus(hooks);
  configured_bus->emit(events[3]);
  EXPECT_EQ(configured_bus->stats(0).delivered, 1u);
  EXPECT_EQ(configured_bus->total_failed(), 0u) << configured_bus->stats(0).last_error;
  std::vector<EventRecord> configured = read_events(ns().config(), sql.table_name, {});
  ASSERT_EQ(configured.size(), 1u);
  EXPECT_EQ(configured[0].event_id, events[3].event_id());
}

// ---- 6. drift across two stored runs ----------------------------------------------------------

Severity grade(double magnitude, const Thresholds& t = DriftConfig{}.absolute_threshold) {
  if (magnitude >= t.high) return Severity::kHigh;
  if (magnitude >= t.medium) return Severity::kMedium;
  if (magnitude >= t.low) return Severity::kLow;
  return Severity::kNone;
}

TEST_P(Conformance, DriftAcrossTwoStoredRunsGivesTheSameReport) {
  Namespace& n = ns();
  db::Connection& conn = n.admin();
  const db::Dialect& d = conn.dialect();
  const Dataset full = generate_drift_dataset(1000, kDriftSeed);
  const Dataset baseline = full.slice(0, 800);
  create_table(n, full);
  insert_rows(n, full, 0, 800);

  // A store of its own: this test does not depend on what others left in the namespace.
  Namespace storage(target());
  Config config = pipeline({full.table}, "dr", &storage);
  // The per-metric comparison alone, every metric alerted (no type-specific thresholds, history
  // bands, distribution tests, key or volume rules): what the model below recomputes.
  DriftConfig& dc = config.drift_detection;
  dc.enable_type_specific_thresholds = false;
  dc.anomaly.enabled = false;
  dc.statistical.tests.clear();
  dc.alert_column_count = true;
  dc.ignore_key_growth = false;
  RunStore store(config.storage, config.environment);
  Profiled first = profile(config, &store);
  ASSERT_TRUE(first.outcomes.at(0).ok()) << first.outcomes[0].error;

  // The change, in the model: a quarter of qty becomes NULL, price grows by half, units widens
  // to a 64-bit integer, gone is dropped, added appears (all NULL) and 200 rows arrive.
  Dataset current = full;
  for (std::size_t i = 0; i < current.rows(); ++i) {
    if ((i + 1) % 4 == 0) current.column("qty").values[i] = Cell();
    Cell& price = current.column("price").values[i];
    price = std::get<double>(price) * 1.5;
  }
  current.column("units").type = Logical::kInt64;
  std::erase_if(current.columns, [](const Column& c) { return c.name == "gone"; });
  current.columns.push_back(
      {"added", Logical::kVarchar, std::vector<Cell>(current.rows(), Cell())});

  // ... and in the database.
  const std::string t = n.sql(full.table);
  auto q = [&d](const std::string& identifier) { return d.quote_identifier(identifier); };
  conn.execute("UPDATE " + t + " SET " + q("qty") + " = NULL WHERE " + q("id") + " % 4 = 0");
  conn.execute("UPDATE " + t + " SET " + q("price") + " = " + q("price") + " * " + d.placeholder(1),
               std::vector<db::Value>{1.5});
  for (const std::string& stmt : quirks().retype_column) {
    std::string sql = replace_all(stmt, "$TABLE", t);
    sql = replace_all(sql, "$COL", q("units"));
    sql = replace_all(sql, "$TMP", q("units_retyped"));
    conn.execute(replace_all(sql, "$TYPE", quirks().type(Logical::kInt64).ddl));
  }
  conn.execute("ALTER TABLE " + t + " DROP COLUMN " + q("gone"));
  conn.execute("ALTER TABLE " + t + " ADD COLUMN " + q("added") + " " +
               quirks().type(Logical::kVarchar).ddl);
  insert_rows(n, current, 800, 1000);

  Profiled second = profile(config, &store);
  ASSERT_TRUE(second.outcomes.at(0).ok()) << second.outcomes[0].error;
  const std::vector<std::string> order = [&] {
    std::vector<std::string> names;
    for (const auto& c : second.outcomes[0].result->columns) names.push_back(c.name);
    return names;
  }();
  std::vector<std::string> want_order = {"id",    "units", "qty",  "price", "amount",
                                         "label", "day",   "flag", "added"};
  if (!quirks().retype_keeps_position) {  // retyped before `added` was added
    std::erase(want_order, "units");
    want_order.insert(want_order.end() - 1, "units");
  }
  EXPECT_EQ(order, want_order);

  EventBus bus;
  auto log = std::make_shared<testing::CapturingHook::Log>();
  bus.register_hook(std::make_unique<testing::CapturingHook>(log));
  DriftDetector detector(config, store, &bus);
  const DriftReport report = detector.detect({.dataset = full.table});
  EXPECT_EQ(report.baseline.run_id, first.outcomes[0].run_id);
  EXPECT_EQ(report.current.run_id, second.outcomes[0].run_id);
  EXPECT_EQ(report.baseline.row_count, 800);
  EXPECT_EQ(report.current.row_count, 1000);

  // The expected report, from first principles: the metrics of both models, compared the way
  // the documentation describes.
  struct Want {
    double baseline = 0, current = 0;
    std::optional<double> change;
    Severity severity = Severity::kNone;
  };
  std::map<std::pair<std::string, std::string>, Want> want;
  DriftSummary summary;
  for (const Column& c : current.columns) {
    const auto b_col = std::find_if(baseline.columns.begin(), baseline.columns.end(),
                                    [&c](const Column& b) { return b.name == c.name; });
    if (b_col == baseline.columns.end()) continue;
    const ExpectedMetrics b = expected(*b_col);
    const ExpectedMetrics cur = expected(c);
    for (const std::string& metric : drift_metric_names()) {
      const Expected* be = find_metric(b, metric);
      const Expected* ce = find_metric(cur, metric);
      if (!be || !ce || !be->as_number() || !ce->as_number()) continue;
      Want w{*be->as_number(), *ce->as_number(), std::nullopt, Severity::kNone};
      if (w.baseline != 0) w.change = (w.current - w.baseline) / std::fabs(w.baseline) * 100.0;
      // Percent metrics move in points; the rest in percent; from a baseline of 0 a count or
      // a spread appearing is high, a mean, min or max moving is graded in standard deviations.
      const bool points = metric == "null_percent" || metric == "distinct_percent";
      std::optional<double> magnitude;
      Thresholds th = dc.absolute_threshold;
      if (points) {
        magnitude = std::fabs(w.current - w.baseline);
        th = dc.percent_points;
      } else if (w.change) {
        magnitude = std::fabs(*w.change);
      } else if (w.current != 0) {
        const Expected* sd = find_metric(cur, "stddev");
        const std::optional<double> spread = sd ? sd->as_number() : std::nullopt;
        if (metric == "count" || metric == "stddev" || !spread || !(*spread > 0)) {
          w.severity = Severity::kHigh;
        } else {
          magnitude = std::fabs(w.current) / *spread;
          th = dc.standard_deviation;
        }
      }
      if (magnitude) {
        for (double threshold : {th.low, th.medium, th.high}) {
          ASSERT_GT(std::fabs(*magnitude - threshold), 1e-6)
              << c.name << "." << metric << " sits on a severity threshold; change kDriftSeed";
        }
        w.severity = *magnitude == 0 ? Severity::kNone : grade(*magnitude, th);
      }
      ++summary.compared;
      if (w.severity != Severity::kNone) ++summary.drifted;
      if (w.severity == Severity::kLow) ++summary.low;
      if (w.severity == Severity::kMedium) ++summary.medium;
      if (w.severity == Severity::kHigh) ++summary.high;
      want[{c.name, metric}] = w;
    }
  }
  // The table itself: 800 -> 1000 rows is +25%, medium; its freshness and last change (where
  // the engine keeps one) do not move in the seconds between the runs.
  std::size_t table_metrics = 0;
  for (const MetricComparison& m : report.metrics) {
    if (!m.table_level()) continue;
    ++table_metrics;
    if (m.metric == "row_count") {
      EXPECT_DOUBLE_EQ(*m.change_percent, 25.0);
      EXPECT_EQ(m.severity, Severity::kMedium);
    } else {
      EXPECT_FALSE(m.drift_detected) << m.metric << ": " << m.reason;
    }
  }
  EXPECT_GE(table_metrics, 2u);  // row_count, freshness_seconds of `day`
  summary.compared += static_cast<int>(table_metrics);
  summary.drifted += 1;
  summary.medium += 1;
  ASSERT_EQ(report.metrics.size() - table_metrics, want.size());
  for (const MetricComparison& m : report.metrics) {
    if (m.table_level()) continue;
    const std::string what = m.column + "." + m.metric;
    SCOPED_TRACE(what);
    auto it = want.find({m.column, m.metric});
    ASSERT_NE(it, want.end()) << "compared but not expected";
    const Want& w = it->second;
    expect_rel(m.baseline_value, w.baseline, what + " baseline");
    expect_rel(m.current_value, w.current, what + " current");
    expect_rel(m.change_percent, w.change, what + " change_percent");
    EXPECT_EQ(m.severity, w.severity) << to_string(m.severity) << " want " << to_string(w.severity);
    EXPECT_EQ(m.drift_detected, w.severity != Severity::kNone);
  }
  // Related changes of a column are one finding: every drifted metric is reported, or folded
  // into a reported finding of the same column at least as severe.
  int reported = 0;
  for (const MetricComparison& m : report.metrics) {
    if (m.reported()) ++reported;
    if (!m.drift_detected || m.reported()) continue;
    const auto host =
        std::find_if(report.metrics.begin(), report.metrics.end(), [&](const auto& o) {
          return o.column == m.column && o.metric == m.reported_in && o.reported();
        });
    ASSERT_NE(host, report.metrics.end()) << m.column << "." << m.metric;
    EXPECT_GE(host->severity, m.severity) << m.column << "." << m.metric;
  }
  EXPECT_EQ(report.summary.compared, summary.compared);
  EXPECT_EQ(report.summary.drifted, reported);
  EXPECT_LE(reported, summary.drifted);
  EXPECT_GT(summary.high, 0);
  EXPECT_GT(summary.medium, 0);

  // Schema changes, with the engine's own type names. Their order follows the current column
  // order, which differs where a retyped column moves to the end.
  using Change =
      std::tuple<std::string, std::string, std::optional<std::string>, std::optional<std::string>>;
  std::vector<Change> changes,
      want_changes = {
          {"column_added", "added", std::nullopt, quirks().type(Logical::kVarchar).reported},
          {"column_removed", "gone", quirks().type(Logical::kText).reported, std::nullopt},
          {"type_changed", "units", quirks().type(Logical::kInt32).reported,
           quirks().type(Logical::kInt64).reported},
      };
  for (const auto& c : report.schema_changes) {
    changes.emplace_back(c.change_type, c.column, c.old_type, c.new_type);
  }
  std::sort(changes.begin(), changes.end());
  EXPECT_EQ(changes, want_changes);
  EXPECT_EQ(report.summary.schema_changes, 3);
  EXPECT_TRUE(report.has_blocking_findings());

  // One event per drifted metric and per schema change, exactly once.
  std::lock_guard lock(log->mutex);
  std::size_t drift_events = 0, schema_events = 0;
  std::set<std::string> ids;
  for (const Event& e : log->events) {
    ids.insert(e.event_id());
    if (const auto* dd = e.get_if<DataDriftDetected>()) {
      ++drift_events;
      EXPECT_EQ(dd->table, full.table);
      if (dd->column.empty()) {
        EXPECT_EQ(dd->metric, "row_count");
        continue;
      }
      auto it = want.find({dd->column, dd->metric});
      ASSERT_NE(it, want.end()) << dd->column << "." << dd->metric;
      EXPECT_GE(dd->drift_severity, it->second.severity);  // folded findings raise it
      expect_rel(dd->baseline_value, it->second.baseline, "event baseline");
      expect_rel(dd->current_value, it->second.current, "event current");
      expect_rel(dd->change_percent, it->second.change, "event change_percent");
    } else if (const auto* sc = e.get_if<SchemaChangeDetected>()) {
      ++schema_events;
      EXPECT_NE(std::find(want_changes.begin(), want_changes.end(),
                          Change{sc->change_type, sc->column, sc->old_type, sc->new_type}),
                want_changes.end())
          << sc->change_type << " " << sc->column;
    } else {
      ADD_FAILURE() << "unexpected event " << e.event_type();
    }
  }
  EXPECT_EQ(drift_events, static_cast<std::size_t>(reported));
  EXPECT_EQ(schema_events, 3u);
  EXPECT_EQ(ids.size(), log->events.size()) << "every event has its own id";

  // A pinned baseline on this engine's store: kept, used, and cleared.
  store.pin_baseline(report.baseline);
  ASSERT_TRUE(store.pinned_baseline(full.table, report.baseline.schema_name));
  EXPECT_EQ(store.pinned_baseline(full.table, report.baseline.schema_name)->run_id,
            first.outcomes[0].run_id);
  Profiled third = profile(config, &store);  // the same data again
  ASSERT_TRUE(third.outcomes.at(0).ok()) << third.outcomes[0].error;
  const DriftReport pinned = DriftDetector(config, store).detect({.dataset = full.table});
  EXPECT_TRUE(pinned.pinned);
  EXPECT_EQ(pinned.baseline.run_id, first.outcomes[0].run_id);
  EXPECT_EQ(pinned.summary.drifted, report.summary.drifted);
  EXPECT_TRUE(store.clear_baseline(full.table, report.baseline.schema_name));
  EXPECT_FALSE(store.pinned_baseline(full.table, report.baseline.schema_name));
}

// ---- 7. hostile identifiers -------------------------------------------------------------------

TEST_P(Conformance, HostileTableAndColumnNamesAreProfiledAsNames) {
  Namespace& n = ns();
  const std::string evil = "x\"; DROP TABLE y; --";
  const std::string evil_tick = "t`; DROP TABLE y; --";
  // ODBC drivers scan statement text for ? markers and {fn ...} escapes: quoted names hold both.
  const std::string evil_odbc = "t?{fn x}\"; --";
  const std::vector<std::string> names = {
      "a\"b", "with space",  "back`tick", "ünïcödé 列", "it's",   evil,         "?",
      "$1",   "back\\slash", "[br]",      "%s {}",      "x\"\"y", "Mixed Case", "'single'",
      "``",   "{fn now()}",  "q?mark",    "semi;colon", "--dash", "größe 列",   "{d '2024-01-01'}"};
  Dataset y{"y", {{"keep", Logical::kInt32, {std::int64_t{42}}}}};
  load(n, y);
  Dataset hostile{evil, {}};
  for (const auto& name : names) {
    hostile.columns.push_back(
        {name, Logical::kVarchar, {Cell(name + " value"), Cell(), Cell(std::string("日本"))}});
  }
  hostile.columns.push_back({"n", Logical::kInt32, {std::int64_t{5}, std::int64_t{-5}, Cell()}});
  load(n, hostile);
  Dataset ticked = hostile;
  ticked.table = evil_tick;
  load(n, ticked);
  Dataset marked = hostile;
  marked.table = evil_odbc;
  load(n, marked);

  Namespace storage(target());
  const Config config = pipeline({evil, evil_tick, evil_odbc, "y"}, "ho", &storage);
  RunStore store(config.storage, config.environment);
  Profiled p = profile(config, &store);
  ASSERT_EQ(p.outcomes.size(), 4u);
  for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
  for (std::size_t k = 0; k < 3; ++k) {
    const ProfilingResult& r = *p.outcomes[k].result;
    const Dataset& data = k == 0 ? hostile : k == 1 ? ticked : marked;
    SCOPED_TRACE(data.table);
    EXPECT_EQ(r.dataset_name, data.table);
    EXPECT_EQ(r.row_count, 3);
    ASSERT_EQ(r.columns.size(), data.columns.size());
    for (std::size_t i = 0; i < data.columns.size(); ++i) {
      EXPECT_EQ(r.columns[i].name, data.columns[i].name);
      expect_metrics(r.columns[i], expected(data.columns[i]));
    }
    // The stored run is found by its name and carries the names unchanged.
    std::vector<RunRecord> runs = store.list_runs({.dataset = data.table});
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(read_form(store.results(runs[0])), stored_form(r));
  }
  EXPECT_EQ(row_count("y"), 1) << "table y survived";
  EXPECT_EQ(std::get<std::int64_t>(*p.outcomes[3].result->columns[0].metric("max")), 42);

  // Profiled again and compared: drift works with the same names.
  ASSERT_TRUE(profile(config, &store).outcomes.at(0).ok());
  const DriftReport report = DriftDetector(config.drift_detection, store).detect({.dataset = evil});
  EXPECT_GT(report.summary.compared, 0);
  EXPECT_EQ(report.summary.drifted, 0);
  EXPECT_TRUE(report.schema_changes.empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, Conformance, ::testing::ValuesIn(target_names()), param_name);

}  // namespace
}  // namespace baselinr::conformance
