// The native executor on server engines (issue 16): PostgreSQL rows streamed with binary COPY,
// in block ranges on several connections that share one exported snapshot, through the same
// metric engine as SQLite's. Its results must be the pushed-down SQL's, and the generated data's;
// tables it cannot read exactly go to the SQL path, and `plan` says which executor and why.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "common/moments.hpp"
#include "dataset.hpp"
#include "db/connection.hpp"
#include "profiling/native_executor.hpp"
#include "profiling/pg_row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"
#include "suite.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr::conformance {
namespace {

constexpr std::size_t kRows = 3000;
constexpr std::uint64_t kSeed = 20240611;

using testing::expect_same_metrics;

class ServerNative : public EngineTest {
 protected:
  // The libpq connector streams rows (every type above; `auto` too); through ODBC `executor:
  // native` reads integers, double precision, boolean, text, varchar, name, uuid, date, time and
  // timestamps (native_odbc_test.cpp), other tables and `auto` push down.
  bool streams() const { return GetParam() == "postgres"; }
  void exec(const std::string& sql) { ns().admin().execute(ns().expand(sql)); }

  // What a row source or the native executor needs to read the configured table `index` (named
  // `name`) on connections of its own.
  struct Reader {
    profiling::TableTarget target;
    std::unique_ptr<db::Connection> leader;
    ConnectionFactory factory;
    std::vector<profiling::ColumnSpec> specs;
    profiling::Scope scope;
  };
  Reader reader(Config& config, std::size_t index, const std::string& name) {
    Reader r;
    r.target.config = &config.profiling.tables.at(index);
    r.target.ref = ns().ref(name);
    r.leader = ns().connect();
    r.factory = [this] { return ns().connect(); };
    r.specs = profiling::column_specs(r.leader->dialect(), r.leader->columns(r.target.ref),
                                      config.profiling);
    r.scope = profiling::plan_scope(r.target, r.specs);
    return r;
  }
};

std::vector<std::string> postgres_names() {
  std::vector<std::string> out;
  for (const std::string& name : target_names()) {
    if (name.starts_with("postgres")) out.push_back(name);
  }
  return out;
}

// The whole conformance dataset (every logical type: numeric(12,2), real, char(2), json, bytea
// and an enum among them), NULLs, extremes and unicode included, is read natively: the native
// run stores what the pushed-down run stores, and both what the generated data says.
TEST_P(ServerNative, NativeAndPushdownAgreeOnTheConformanceShapes) {
  Dataset data = generate_dataset(kRows, kSeed);
  data.table = "native_paths";
  load(ns(), data);
  const Config config = pipeline({data.table}, "np");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
  const ProfilingResult& a = *sql.outcomes[0].result;
  const ProfilingResult& b = *native.outcomes[0].result;
  EXPECT_EQ(a.executor, "sql");
  EXPECT_EQ(b.executor, streams() ? "native" : "sql");
  expect_same_metrics(a, b);
  ASSERT_EQ(b.columns.size(), data.columns.size());
  for (std::size_t c = 0; c < data.columns.size(); ++c) {
    SCOPED_TRACE(data.columns[c].name);
    expect_metrics(b.columns[c], expected(data.columns[c]));
  }
}

// Every type the row source reads, at its edges, against the pushed-down SQL on the same server:
// numeric(12,2) with NaN and values written at other scales (1.5 and 1.50 are one value, shown
// "1.50"), numeric(30,4) with values up to 15 digits, real and double precision with NaN,
// +-Infinity and -0 (shown as the server prints them: a real's 0.1 is 0.1), char(3) with
// trailing spaces (one value, shown padded, measured without them), multibyte and empty text,
// json and bytea (by their text), an enum whose order is not its labels' (ties of the top values
// in the type's order). A numeric beyond 15 digits (here 999 of them) is found while reading and
// the table is pushed down; types the row source does not read are pushed down with the reason.
TEST_P(ServerNative, EveryTypeItReadsGivesThePushdownResultsAtItsEdges) {
  exec("CREATE TYPE $NS.ty_greek AS ENUM ('zeta', 'alpha', 'mid')");
  exec(
      "CREATE TABLE $NS.ty_edges (n numeric(12,2), w numeric(30,4), r real, r0 real, d double "
      "precision, d0 double precision, c char(3), t text, j json, b bytea, e $NS.ty_greek)");
  exec(
      "INSERT INTO $NS.ty_edges VALUES "
      "(1.50, 12345678901.1234, 0.1, CAST('-0' AS real), 1e308, CAST('-0' AS float8), 'a', '', "
      "'{\"a\":1}', '\\x00ff', "
      "'alpha'), "
      "(1.5, -0.0001, 0.1, CAST('-0' AS real), 'Infinity', CAST('-0' AS float8), 'a  ', 'é', "
      "'{\"a\": 1}', '\\x00', 'zeta'), "
      "(-2.25, 0, 'NaN', 2.5, '-Infinity', 2.5, 'ü', '日本語', '[]', '\\x', 'mid'), "
      "('NaN', 99999999999.9999, 'Infinity', 3.25, 'NaN', 3.25, '', E'a\\tb', 'null', NULL, "
      "'mid'), "
      "(999999999.99, -99999999999.9999, '-Infinity', NULL, -1e-300, NULL, NULL, 'a ', NULL, "
      "'\\xff', NULL), "
      "(NULL, NULL, 3.4028235e38, 1.5, 5e-324, 1.5, 'a', 'a', '{\"a\":1}', '\\x00ff', 'mid')");
  exec("CREATE TABLE $NS.ty_huge (n numeric(1000,0), v int)");
  exec("INSERT INTO $NS.ty_huge VALUES (repeat('9', 999)::numeric, 1), (1, 2)");
  exec("CREATE TABLE $NS.ty_wide (n numeric(20,2), v int)");
  exec("INSERT INTO $NS.ty_wide VALUES (10000000000000.00, 1), (1, 2)");
  exec("CREATE TABLE $NS.ty_others (i interval, jb jsonb, m money, u numeric, a int[], v int)");
  exec(
      "INSERT INTO $NS.ty_others VALUES ('1 day', '{\"a\":1.0}', 1.5, 1.0, '{1,2}', 1), "
      "('24 hours', '{\"a\":1}', 2, 1.00, '{1}', 2)");
  // numeric without a declared scale: read while every value is written at its own scale with
  // at most 15 significant digits; 1.50 (two spellings possible) or 16 digits push it down.
  exec("CREATE TABLE $NS.ty_natural (u numeric, v numeric)");
  exec(
      "INSERT INTO $NS.ty_natural VALUES (1.5, 1.5), (3, 3), (-0.125, -0.125), "
      "(0.00000000000000000001, 0.00000000000000000001), (123456789012345, 123456789012345), "
      "(3, 3), ('NaN', NULL), ('Infinity', 7), ('-Infinity', 7), (NULL, NULL)");
  exec("CREATE TABLE $NS.ty_zeros (u numeric)");
  exec("INSERT INTO $NS.ty_zeros VALUES (2), (1.50)");
  exec("CREATE TABLE $NS.ty_long (u numeric)");
  exec("INSERT INTO $NS.ty_long VALUES (2), (1234567890123456)");
  Config config = pipeline(
      {"ty_edges", "ty_huge", "ty_wide", "ty_others", "ty_natural", "ty_zeros", "ty_long"}, "ty");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_EQ(native.outcomes.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) {
    ASSERT_TRUE(sql.outcomes[i].ok()) << sql.outcomes[i].error;
    ASSERT_TRUE(native.outcomes[i].ok()) << native.outcomes[i].error;
    SCOPED_TRACE(native.outcomes[i].table);
    expect_same_metrics(*sql.outcomes[i].result, *native.outcomes[i].result);
  }
  EXPECT_EQ(native.outcomes[0].result->executor, streams() ? "native" : "sql");
  EXPECT_EQ(native.outcomes[1].result->executor, "sql");  // 999 digits: found while reading
  EXPECT_EQ(native.outcomes[2].result->executor, "sql");  // 10^15 at scale 2: 17 digits
  EXPECT_EQ(native.outcomes[3].result->executor, "sql");
  EXPECT_EQ(native.outcomes[4].result->executor, streams() ? "native" : "sql");
  EXPECT_EQ(native.outcomes[5].result->executor, "sql");  // 1.50: found while reading
  EXPECT_EQ(native.outcomes[6].result->executor, "sql");  // 16 digits
  {
    const ProfilingResult& u = *native.outcomes[4].result;
    auto metric = [&u](std::size_t column, const char* name) {
      const MetricValue* v = u.columns.at(column).metric(name);
      return v ? metric_text(*v).value_or("NULL") : std::string("absent");
    };
    EXPECT_EQ(metric(0, "min"), "-inf");
    EXPECT_EQ(metric(0, "max"), "nan");
    EXPECT_EQ(metric(0, "mean"), "nan");
    EXPECT_EQ(metric(0, "distinct_count"), "8");
    EXPECT_EQ(metric(1, "min"), "-0.125");
    EXPECT_EQ(metric(1, "max"), "123456789012345");
    EXPECT_EQ(metric(1, "distinct_count"), "6");
    EXPECT_NE(metric(1, "top_values").find(R"({"value":"0.00000000000000000001","count":1})"),
              std::string::npos)
        << metric(1, "top_values");
    EXPECT_NE(metric(1, "top_values").find(R"({"value":"3","count":2})"), std::string::npos)
        << metric(1, "top_values");
  }

  // The values, as computed here from what was inserted.
  const ProfilingResult& r = *native.outcomes[0].result;
  auto text = [&r](std::size_t column, const char* metric) {
    const MetricValue* v = r.columns.at(column).metric(metric);
    return v ? metric_text(*v).value_or("NULL") : std::string("absent");
  };
  EXPECT_EQ(text(0, "distinct_count"), "4");  // 1.50 = 1.5, -2.25, NaN, 999999999.99
  EXPECT_EQ(text(0, "min"), "-2.25");
  EXPECT_EQ(text(0, "max"), "nan");  // NaN sorts above every number
  EXPECT_EQ(text(0, "mean"), "nan");
  EXPECT_EQ(text(1, "min"), "-99999999999.9999");
  EXPECT_EQ(text(1, "max"), "99999999999.9999");
  EXPECT_EQ(std::stod(text(1, "mean")), 12345678901.1234 / 5 - 0.0001 / 5);
  EXPECT_EQ(text(2, "min"), "-inf");
  EXPECT_EQ(text(2, "max"), "nan");
  EXPECT_EQ(text(2, "distinct_count"), "5");
  EXPECT_EQ(text(3, "min"), "-0.0");  // only -0 was written: kept negative, as the server has it
  EXPECT_EQ(text(3, "max"), "3.25");
  EXPECT_NE(text(3, "quantiles").find(R"({"p":0.0,"value":-0.0})"), std::string::npos)
      << text(3, "quantiles");
  EXPECT_EQ(text(4, "max"), "nan");
  EXPECT_EQ(text(4, "min"), "-inf");
  EXPECT_EQ(text(6, "distinct_count"), "3");  // 'a' = 'a  ', 'ü', ''
  EXPECT_EQ(text(6, "max_length"), "1");
  EXPECT_EQ(text(6, "min_length"), "0");
  EXPECT_NE(text(6, "top_values").find(R"({"value":"a  ","count":3})"), std::string::npos)
      << text(6, "top_values");
  EXPECT_EQ(text(7, "distinct_count"), "6");  // '', 'é', '日本語', 'a\tb', 'a ', 'a'
  EXPECT_EQ(text(7, "max_length"), "3");
  EXPECT_EQ(text(8, "distinct_count"), "4");  // json by its text: {"a":1} <> {"a": 1}
  EXPECT_EQ(text(9, "distinct_count"), "4");
  if (streams()) {  // psqlODBC reads bytea as its bytes
    EXPECT_NE(text(9, "top_values").find(R"({"value":"\\x00ff","count":2})"), std::string::npos)
        << text(9, "top_values");
  }
  // Ties in the enum's order: zeta before alpha, although 'alpha' < 'zeta' as text.
  EXPECT_EQ(text(10, "top_values"),
            R"({"k":10,"exact":true,"values":[{"value":"mid","count":3},{"value":"zeta",)"
            R"("count":1},{"value":"alpha","count":1}],"other_count":0,"null_count":1,)"
            R"("distinct_count":3})");

  // plan: which executor, and why.
  config.profiling.executor = Executor::kNative;
  const Plan plan = build_plan(config);
  ASSERT_EQ(plan.tables.size(), 7u);
  EXPECT_EQ(plan.tables[0].executor, streams() ? "native" : "pushdown");
  EXPECT_EQ(plan.tables[3].executor, "pushdown");
  // What will run: the COPY of every column where the table is read natively (no aggregate),
  // the pushdown statements elsewhere.
  auto joined = [](const TablePlan& t) { return fmt::format("{}", fmt::join(t.sql, "\n")); };
  EXPECT_NE(joined(plan.tables[3]).find("COUNT(DISTINCT"), std::string::npos);
  EXPECT_FALSE(plan.tables[3].native_read);
  if (streams()) {
    EXPECT_NE(plan.tables[3].executor_reason.find("column 'i' is interval"), std::string::npos)
        << plan.tables[3].executor_reason;
    EXPECT_TRUE(plan.tables[0].native_read);
    ASSERT_EQ(plan.tables[0].sql.size(), 1u) << joined(plan.tables[0]);
    EXPECT_EQ(plan.tables[0].sql[0],
              "COPY (SELECT \"n\", \"w\", \"r\", \"r0\", \"d\", \"d0\", CAST(\"c\" AS TEXT), "
              "CAST(\"t\" AS TEXT), CAST(\"j\" AS TEXT), CAST(\"b\" AS TEXT), \"e\" FROM " +
                  ns().sql("ty_edges") + ") TO STDOUT (FORMAT binary)");
    const std::string shown = plan.to_text(true);
    EXPECT_NE(shown.find("queries:   1 (one binary COPY of every column)"), std::string::npos)
        << shown;
  } else {
    EXPECT_NE(joined(plan.tables[0]).find("COUNT(DISTINCT"), std::string::npos);
  }
}

// Tables with a type the row source does not decode exactly (interval) are pushed down, and so
// is one whose dates do not sort as text (BC, infinity): detected while reading, the SQL path
// then profiles the table in a snapshot of its own. Either way the metrics are the SQL path's.
// `plan` tells which executor each table gets, and why.
TEST_P(ServerNative, TablesItCannotReadExactlyArePushedDownAndPlanSaysWhy) {
  exec("CREATE TABLE $NS.mixed (n interval, v int)");
  exec("INSERT INTO $NS.mixed VALUES ('1 day', 1), ('24 hours', 2), (NULL, 3)");
  exec("CREATE TABLE $NS.bc (d date, v int)");
  exec("INSERT INTO $NS.bc VALUES ('2024-01-01', 1), ('0044-03-15 BC', 2), ('infinity', 3)");
  exec("CREATE TABLE $NS.fine (d date, t timestamptz, v int)");
  exec(
      "INSERT INTO $NS.fine VALUES ('2024-01-01', '2024-01-01 10:00:00+02', 1), "
      "('1999-12-31', '1970-01-01 00:00:00.5+00', 2), (NULL, NULL, 2)");
  Config config = pipeline({"mixed", "bc", "fine"}, "fb");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_EQ(native.outcomes.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(sql.outcomes[i].ok()) << sql.outcomes[i].error;
    ASSERT_TRUE(native.outcomes[i].ok()) << native.outcomes[i].error;
    SCOPED_TRACE(native.outcomes[i].table);
    expect_same_metrics(*sql.outcomes[i].result, *native.outcomes[i].result);
  }
  EXPECT_EQ(native.outcomes[0].result->executor, "sql");
  EXPECT_EQ(native.outcomes[1].result->executor, "sql");
  EXPECT_EQ(native.outcomes[2].result->executor, "native");
  const auto& fine = native.outcomes[2].result->columns;
  EXPECT_EQ(metric_text(*fine.at(0).metric("min")).value_or(""), "1999-12-31");
  EXPECT_EQ(metric_text(*fine.at(1).metric("max")).value_or(""), "2024-01-01 08:00:00+00");
  EXPECT_EQ(metric_text(*fine.at(2).metric("distinct_count")).value_or(""), "2");

  // plan: global native, the last table pushed down by its own key.
  config.profiling.executor = Executor::kNative;
  config.profiling.tables[2].executor = Executor::kSql;
  Plan plan = build_plan(config);
  ASSERT_EQ(plan.tables.size(), 3u);
  EXPECT_EQ(plan.tables[0].executor, "pushdown");
  EXPECT_NE(plan.tables[0].executor_reason.find("column 'n' is interval"), std::string::npos)
      << plan.tables[0].executor_reason;
  // The BC date is only found while reading: plan, from the catalog, expects the native read.
  EXPECT_EQ(plan.tables[1].executor, "native");
  EXPECT_EQ(plan.tables[2].executor, "pushdown");
  EXPECT_EQ(plan.tables[2].executor_reason, "executor: pushdown");
  EXPECT_NE(plan.to_text(false).find("executor:  pushdown (executor: pushdown)"),
            std::string::npos);
  // auto streams a small table the row source reads (docs/CONFIGURATION.md) and says what it
  // estimated; a table it cannot read exactly stays pushed down.
  config.profiling.executor = Executor::kAuto;
  config.profiling.tables[2].executor.reset();
  plan = build_plan(config);
  EXPECT_EQ(plan.tables[0].executor, "pushdown");
  EXPECT_EQ(plan.tables[2].executor, streams() ? "native" : "pushdown");
  EXPECT_NE(plan.tables[2].executor_reason.find("executor: auto"), std::string::npos);
  if (streams()) {
    EXPECT_NE(plan.tables[2].executor_reason.find("estimated transfer"), std::string::npos)
        << plan.tables[2].executor_reason;
    EXPECT_NE(plan.tables[2].executor_reason.find("transfer_budget 4.29 GB (4294967296 bytes)"),
              std::string::npos)
        << plan.tables[2].executor_reason;
  }
}

// date, timestamp and time are read as integers in their binary format (days and microseconds
// since 2000-01-01, microseconds since midnight) and shown as the text the pushed-down SQL
// stores: the server's ISO text, the fraction without trailing zeros. At their edges (0001-01-01,
// 9999-12-31 23:59:59.999999, a leap day, 24:00:00, .5 and .000001, instants before 2000 with
// fractions), with duplicates (top values with counts), NULLs, an all-NULL column and an empty
// table, both executors store the same text, and the values computed here. timestamptz stays
// text (the COPY casts it; `plan` shows it), and the bytes read are the binary widths.
TEST_P(ServerNative, DatesTimesAndTimestampsAreReadAsIntegersAndShownAsTheServersText) {
  const std::string columns =
      "d date, ts timestamp, ts3 timestamp(3), t time, t0 time(0), n date, tz timestamptz, v int";
  exec("CREATE TABLE $NS.tm (" + columns + ")");
  exec("CREATE TABLE $NS.tm_empty (" + columns + ")");
  exec(
      "INSERT INTO $NS.tm VALUES "
      "('2024-02-29', '2024-02-29 13:45:00.5', '2024-02-29 13:45:00.5', '24:00:00', '24:00:00', "
      "NULL, '2024-02-29 13:45:00.5+02', 1), "
      "('0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00.001', '00:00:00', '00:00:00', "
      "NULL, '0001-01-01 00:00:00+00', 2), "
      "('9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999', "
      "'23:59:59.999999', '23:59:59', NULL, '9999-12-31 23:59:59.999999+00', 3), "
      "('2000-01-01', '2000-01-01 00:00:00.000001', '1999-12-31 23:59:59.5', '12:00:00.000001', "
      "'12:00:00', NULL, '2000-01-01 00:00:00+00', 4), "
      "('1999-12-31', '1999-12-31 23:59:59.999999', '1969-07-20 20:17:40.25', '00:00:00.5', "
      "'00:00:01', NULL, '1999-12-31 23:59:59+00', 5), "
      "('2024-02-29', '2024-02-29 13:45:00.5', '2024-02-29 13:45:00.5', '24:00:00', '24:00:00', "
      "NULL, '2024-02-29 13:45:00.5+02', 6), "
      "('2024-02-29', '1900-03-01 00:00:00.000001', '1900-03-01 00:00:00.25', '00:00:00.000001', "
      "'00:00:00', NULL, NULL, 7), "
      "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, 8)");
  // Many distinct values for the quantiles, before and after 2000.
  exec(
      "INSERT INTO $NS.tm SELECT DATE '1960-01-01' + g * 37, TIMESTAMP '1950-06-15 07:00:00' + "
      "g * INTERVAL '1234567.123457 seconds', TIMESTAMP '1999-12-31 23:00:00' + g * INTERVAL "
      "'1.5 seconds', TIME '00:00:00' + g * INTERVAL '431.000017 seconds', TIME '01:00:00' + g * "
      "INTERVAL '7 seconds', NULL, TIMESTAMPTZ '2000-01-01 00:00:00+00' + g * INTERVAL '1 hour', "
      "1000 + g FROM generate_series(1, 200) g");
  exec("ANALYZE $NS.tm");
  Config config = pipeline({"tm", "tm_empty"}, "tm");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_EQ(native.outcomes.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(sql.outcomes[i].ok()) << sql.outcomes[i].error;
    ASSERT_TRUE(native.outcomes[i].ok()) << native.outcomes[i].error;
    SCOPED_TRACE(native.outcomes[i].table);
    EXPECT_EQ(native.outcomes[i].result->executor, "native");
    expect_same_metrics(*sql.outcomes[i].result, *native.outcomes[i].result);
  }
  EXPECT_EQ(native.outcomes[1].result->row_count, 0);
  const ProfilingResult& r = *native.outcomes[0].result;
  auto text = [&r](std::size_t column, const char* metric) {
    const MetricValue* v = r.columns.at(column).metric(metric);
    return v ? metric_text(*v).value_or("NULL") : std::string("absent");
  };
  EXPECT_EQ(text(0, "min"), "0001-01-01");
  EXPECT_EQ(text(0, "max"), "9999-12-31");
  EXPECT_EQ(text(0, "distinct_count"), "205");  // 200 generated, 5 written
  EXPECT_EQ(text(1, "min"), "0001-01-01 00:00:00");
  EXPECT_EQ(text(1, "max"), "9999-12-31 23:59:59.999999");
  EXPECT_EQ(text(2, "min"), "0001-01-01 00:00:00.001");
  EXPECT_EQ(text(2, "max"), "9999-12-31 23:59:59.999");
  EXPECT_EQ(text(3, "min"), "00:00:00");
  EXPECT_EQ(text(3, "max"), "24:00:00");
  EXPECT_EQ(text(4, "max"), "24:00:00");
  EXPECT_EQ(text(5, "quantiles"), "absent");
  // The written duplicates: counted, and shown as the server's text (generated values are
  // distinct from them and from one another, so they lead the top values).
  const std::string top_d = text(0, "top_values");
  EXPECT_NE(top_d.find(R"({"value":"2024-02-29","count":3})"), std::string::npos) << top_d;
  const std::string top_ts = text(1, "top_values");
  EXPECT_NE(top_ts.find(R"({"value":"2024-02-29 13:45:00.5","count":2})"), std::string::npos)
      << top_ts;
  const std::string top_t = text(3, "top_values");
  EXPECT_NE(top_t.find(R"({"value":"24:00:00","count":2})"), std::string::npos) << top_t;
  // The quantiles' ends, with their epoch seconds (computed here).
  const std::string q = text(1, "quantiles");
  EXPECT_NE(q.find(R"({"p":0.0,"value":"0001-01-01 00:00:00","epoch":-62135596800})"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find(R"({"p":1.0,"value":"9999-12-31 23:59:59.999999","epoch":)"), std::string::npos)
      << q;

  if (!streams()) return;
  // plan: the temporal columns without a cast, timestamptz as its text.
  config.profiling.executor = Executor::kNative;
  const Plan plan = build_plan(config);
  ASSERT_EQ(plan.tables.size(), 2u);
  ASSERT_EQ(plan.tables[0].sql.size(), 1u);
  EXPECT_EQ(plan.tables[0].sql[0],
            "COPY (SELECT \"d\", \"ts\", \"ts3\", \"t\", \"t0\", \"n\", CAST(\"tz\" AS TEXT), "
            "\"v\" FROM " +
                ns().sql("tm") + ") TO STDOUT (FORMAT binary)");

  // The cells are the integers (days, microseconds), and the bytes read their binary widths:
  // per row a CopyData header (5), the field count (2), eight lengths (4 each), then 4 for a
  // date, 8 for a timestamp or a time, and the timestamptz's text ("2000-01-01 01:00:00+00",
  // 22 bytes, for the generated rows); per part a header (19 bytes) and a trailer (2).
  Reader tm = reader(config, 0, "tm");
  const auto estimate =
      profiling::PgRowSource::estimate_transfer(*tm.leader, tm.target, tm.specs, tm.scope);
  auto source =
      profiling::PgRowSource::open(*tm.leader, &tm.factory, 1, tm.target, tm.specs, tm.scope);
  ASSERT_TRUE(source);
  const std::vector<std::size_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
  std::int64_t expected = 0, rows = 0;
  std::set<std::int64_t> days;
  for (std::size_t part = 0; part < source->parts(); ++part) {
    auto cursor = source->open(0, part, all);
    while (cursor->next()) {
      ++rows;
      const db::CellView v = cursor->cell(7);
      ASSERT_EQ(v.kind, db::CellView::Kind::kInt);
      expected += 5 + 2 + 8 * 4 + 4;
      for (int c = 0; c < 7; ++c) {
        const db::CellView cell = cursor->cell(c);
        if (cell.kind == db::CellView::Kind::kNull) continue;
        if (c == 6) {
          ASSERT_EQ(cell.kind, db::CellView::Kind::kText);
          expected += static_cast<std::int64_t>(cell.bytes.size());
          continue;
        }
        ASSERT_EQ(cell.kind, db::CellView::Kind::kInt) << c;
        expected += c == 0 ? 4 : 8;
      }
      if (v.i == 4) {  // 2000-01-01, 2000-01-01 00:00:00.000001, 1999-12-31 23:59:59.5, ...
        EXPECT_EQ(cursor->cell(0).i, 0);
        EXPECT_EQ(cursor->cell(1).i, 1);
        EXPECT_EQ(cursor->cell(2).i, -500000);
        EXPECT_EQ(cursor->cell(3).i, 12LL * 3600 * 1000000 + 1);
      }
      if (v.i == 1) {  // 2024-02-29 and 24:00:00
        EXPECT_EQ(cursor->cell(0).i, 8825);
        EXPECT_EQ(cursor->cell(3).i, 24LL * 3600 * 1000000);
      }
      if (cursor->cell(0).kind == db::CellView::Kind::kInt) days.insert(cursor->cell(0).i);
    }
  }
  EXPECT_EQ(rows, 208);
  EXPECT_EQ(days.size(), 205u);
  const auto parts = static_cast<std::int64_t>(source->parts());
  EXPECT_GE(source->bytes_read(), expected + parts * 21) << source->describe();
  EXPECT_LE(source->bytes_read(), expected + parts * (21 + 10)) << source->describe();
  // The estimate counts the binary widths too (the all-NULL date: its 4 bytes, not read).
  EXPECT_EQ(estimate.method, "pg_stats");
  EXPECT_GT(static_cast<double>(estimate.bytes), 0.8 * static_cast<double>(source->bytes_read()))
      << estimate.bytes;
  EXPECT_LT(static_cast<double>(estimate.bytes), 1.25 * static_cast<double>(source->bytes_read()))
      << estimate.bytes;
}

// A date or timestamp whose SQL text would not sort as its value (BC, +-infinity, a year past
// 9999) is seen, as an integer, while reading: the native read is dropped with the reason and
// the table pushed down, which stores what the SQL path stores.
TEST_P(ServerNative, UnsortableDatesAndTimestampsFallBackToSqlWithTheReason) {
  exec("CREATE TABLE $NS.bc_date (d date, v int)");
  exec("INSERT INTO $NS.bc_date VALUES ('2024-01-01', 1), ('0044-03-15 BC', 2), (NULL, 3)");
  exec("CREATE TABLE $NS.inf_ts (ts timestamp, v int)");
  exec("INSERT INTO $NS.inf_ts VALUES ('2024-01-01 10:00:00', 1), ('infinity', 2)");
  exec("CREATE TABLE $NS.far_ts (ts timestamp, v int)");
  exec("INSERT INTO $NS.far_ts VALUES ('2024-01-01 10:00:00', 1), ('10000-01-01 00:00:00', 2)");
  exec("CREATE TABLE $NS.ninf_date (d date, v int)");
  exec("INSERT INTO $NS.ninf_date VALUES ('-infinity', 1), ('2024-01-01', 2)");
  const std::vector<std::string> tables = {"bc_date", "inf_ts", "far_ts", "ninf_date"};
  const std::vector<std::string> reasons = {"a date in the year 44 BC", "holds infinity",
                                            "a date in the year 10000", "holds -infinity"};
  Config config = pipeline(tables, "ub");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_EQ(native.outcomes.size(), tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    SCOPED_TRACE(tables[i]);
    ASSERT_TRUE(sql.outcomes[i].ok()) << sql.outcomes[i].error;
    ASSERT_TRUE(native.outcomes[i].ok()) << native.outcomes[i].error;
    EXPECT_EQ(native.outcomes[i].result->executor, "sql");
    expect_same_metrics(*sql.outcomes[i].result, *native.outcomes[i].result);
  }
  EXPECT_EQ(metric_text(*sql.outcomes[0].result->columns.at(0).metric("min")).value_or(""),
            "0044-03-15 BC");
  if (!streams()) return;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    SCOPED_TRACE(tables[i]);
    Reader r = reader(config, i, tables[i]);
    profiling::NativeExecutor nx(*r.leader, &r.factory, 2);
    EXPECT_FALSE(nx.scalar_pass(r.target, r.specs, r.scope, DistinctMode::kExact, 10));
    EXPECT_NE(nx.declined().find(reasons[i]), std::string::npos) << nx.declined();
    EXPECT_NE(nx.declined().find("does not sort as its value"), std::string::npos) << nx.declined();
  }
}

// The auto rule on PostgreSQL: native while the estimated transfer fits profiling.transfer_budget
// (global, or the table's own), pushdown over it; views have no estimate and push down. The
// estimate (rows from the statistics, widths from pg_stats and the types) is within 25% of the
// COPY data the read then moves, and the bytes counted are exactly those of the binary COPY
// format computed here from the generated rows.
TEST_P(ServerNative, AutoStreamsWithinTheTransferBudgetAndEstimatesTheBytesMoved) {
  constexpr std::int64_t kMany = 40000;
  exec("CREATE TABLE $NS.wide (id bigint, k int, s text, f float8, b boolean)");
  // Text of 0 to 30 characters, NULL every 7th row; the generator's values are reproduced below.
  exec(fmt::format(
      "INSERT INTO $NS.wide SELECT g, g % 1000, CASE WHEN g % 7 = 0 THEN NULL ELSE "
      "repeat('x', (g * 13) % 31) END, g * 0.25, g % 2 = 0 FROM generate_series(1, {}) g",
      kMany));
  exec("ANALYZE $NS.wide");
  exec("CREATE VIEW $NS.wide_view AS SELECT id, k FROM $NS.wide");
  Config config = pipeline({"wide", "wide_view"}, "tb");
  config.profiling.executor = Executor::kAuto;
  Plan plan = build_plan(config);
  ASSERT_EQ(plan.tables.size(), 2u);
  if (!streams()) {  // psqlODBC: auto pushes down, whatever the budget
    EXPECT_EQ(plan.tables[0].executor, "pushdown");
    EXPECT_NE(plan.tables[0].executor_reason.find("ODBC sources push down"), std::string::npos)
        << plan.tables[0].executor_reason;
    return;
  }
  EXPECT_EQ(plan.tables[0].executor, "native") << plan.tables[0].executor_reason;
  EXPECT_NE(plan.tables[0].executor_reason.find("from pg_stats"), std::string::npos)
      << plan.tables[0].executor_reason;
  EXPECT_EQ(plan.tables[1].executor, "pushdown");
  EXPECT_NE(plan.tables[1].executor_reason.find("no size estimate"), std::string::npos)
      << plan.tables[1].executor_reason;

  // Over a budget of 1 MB (the table moves about 2.4 MB): pushdown, unless the table's own
  // budget is larger.
  config.profiling.transfer_budget = 1000000;
  plan = build_plan(config);
  EXPECT_EQ(plan.tables[0].executor, "pushdown");
  EXPECT_NE(plan.tables[0].executor_reason.find("over the budget"), std::string::npos)
      << plan.tables[0].executor_reason;
  EXPECT_NE(plan.tables[0].executor_reason.find("transfer_budget 1 MB (1000000 bytes)"),
            std::string::npos)
      << plan.tables[0].executor_reason;
  const Profiled over = profile(config, nullptr, nullptr, Executor::kAuto);
  ASSERT_TRUE(over.outcomes.at(0).ok()) << over.outcomes[0].error;
  EXPECT_EQ(over.outcomes[0].result->executor, "sql");
  config.profiling.tables[0].transfer_budget = 4000000;
  plan = build_plan(config);
  EXPECT_EQ(plan.tables[0].executor, "native") << plan.tables[0].executor_reason;
  const Profiled within = profile(config, nullptr, nullptr, Executor::kAuto);
  ASSERT_TRUE(within.outcomes.at(0).ok()) << within.outcomes[0].error;
  EXPECT_EQ(within.outcomes[0].result->executor, "native");
  expect_same_metrics(*over.outcomes[0].result, *within.outcomes[0].result);

  // The estimate against the bytes the read moves.
  profiling::TableTarget target;
  target.config = &config.profiling.tables[0];
  target.ref = ns().ref("wide");
  std::unique_ptr<db::Connection> leader = ns().connect();
  const ConnectionFactory factory = [this] { return ns().connect(); };
  const auto specs =
      profiling::column_specs(leader->dialect(), leader->columns(target.ref), config.profiling);
  const profiling::Scope scope = profiling::plan_scope(target, specs);
  const auto estimate = profiling::PgRowSource::estimate_transfer(*leader, target, specs, scope);
  EXPECT_EQ(estimate.method, "pg_stats");
  auto source = profiling::PgRowSource::open(*leader, &factory, 2, target, specs, scope);
  ASSERT_TRUE(source);
  const std::vector<std::size_t> all = {0, 1, 2, 3, 4};
  std::int64_t rows = 0;
  for (std::size_t part = 0; part < source->parts(); ++part) {
    auto cursor = source->open(static_cast<int>(part % 2), part, all);
    while (cursor->next()) ++rows;
  }
  ASSERT_EQ(rows, kMany);
  // Per row: a CopyData message (5), the field count (2), five lengths (4 each), 8 + 4 + 8 + 1
  // bytes of numbers and the text's bytes; per part a header (19 bytes) and a trailer (2), each
  // in at most one message of its own.
  std::int64_t expected = 0;
  for (std::int64_t g = 1; g <= kMany; ++g) {
    expected += 5 + 2 + 5 * 4 + 8 + 4 + 8 + 1 + (g % 7 == 0 ? 0 : (g * 13) % 31);
  }
  const auto parts = static_cast<std::int64_t>(source->parts());
  const std::int64_t bytes = source->bytes_read();
  EXPECT_GE(bytes, expected + parts * 21) << source->describe();
  EXPECT_LE(bytes, expected + parts * (21 + 10)) << source->describe();
  EXPECT_GT(static_cast<double>(estimate.bytes), 0.8 * static_cast<double>(bytes))
      << estimate.bytes;
  EXPECT_LT(static_cast<double>(estimate.bytes), 1.25 * static_cast<double>(bytes))
      << estimate.bytes;
  EXPECT_NEAR(static_cast<double>(estimate.rows), static_cast<double>(kMany), kMany * 0.05);
}

// double precision NaN and infinities: PostgreSQL orders NaN above every number and counts it as
// one value; the native read stores what the pushed-down aggregates give (min -inf, max NaN, a
// NaN mean and standard deviation, no histogram). A NaN among finite values makes the mean and
// standard deviation NaN (the engine leaves NaN out of its moments; the read notes it), and a
// column whose zeros are all -0 shows them as -0.0, as the server does (the engine's distinct
// sets keep one unsigned zero).
TEST_P(ServerNative, NonFiniteDoublesGiveThePushdownAnswers) {
  exec("CREATE TABLE $NS.nf (f float8, g float8, h float8, z float8)");
  exec(
      "INSERT INTO $NS.nf VALUES (1, 1, 1, '-0'), ('Infinity', 2, 2, '-0'), "
      "('-Infinity', 'Infinity', 'NaN', 2.5), ('NaN', 3, 3, 3.25), ('NaN', 4, 5, NULL), "
      "(NULL, 'Infinity', NULL, 1.5)");
  const Config config = pipeline({"nf"}, "nf");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
  EXPECT_EQ(native.outcomes[0].result->executor, "native");
  expect_same_metrics(*sql.outcomes[0].result, *native.outcomes[0].result);
  const auto& f = native.outcomes[0].result->columns.at(0);
  EXPECT_EQ(metric_text(*f.metric("distinct_count")).value_or(""), "4");
  EXPECT_EQ(metric_text(*f.metric("max")).value_or(""), "nan");
  EXPECT_EQ(metric_text(*f.metric("min")).value_or(""), "-inf");
  const auto& h = native.outcomes[0].result->columns.at(2);
  EXPECT_EQ(metric_text(*h.metric("mean")).value_or(""), "nan");
  EXPECT_EQ(metric_text(*h.metric("stddev")).value_or(""), "nan");
  const auto& z = native.outcomes[0].result->columns.at(3);
  EXPECT_EQ(metric_text(*z.metric("min")).value_or(""), "-0.0");
  const std::string q = metric_text(*z.metric("quantiles")).value_or("");
  EXPECT_NE(q.find(R"({"p":0.0,"value":-0.0})"), std::string::npos) << q;
  EXPECT_NE(metric_text(*z.metric("top_values")).value_or("").find(R"({"value":"-0.0","count":2})"),
            std::string::npos)
      << metric_text(*z.metric("top_values")).value_or("");
}

// Text in a linguistic collation (ICU en-US orders 'a' before 'A'; most databases default to such
// a collation) is read natively, under auto too: both executors count and order strings by their
// bytes, so top_values ties come 'A' < 'B' < 'a' < 'b' < 'e' < 'é' whatever the collation, and
// 'e'/'é'/'E' are three distinct values.
TEST_P(ServerNative, TextInALinguisticCollationIsReadNativelyByItsBytes) {
  exec(
      "CREATE TABLE $NS.coll (s text COLLATE \"en-US-x-icu\", "
      "v varchar(8) COLLATE \"en-US-x-icu\", n int)");
  exec(
      "INSERT INTO $NS.coll VALUES ('b', 'b', 1), ('B', 'B', 2), ('a', 'a', 3), ('A', 'A', 4), "
      "('\u00e9', 'e', 5), ('e', 'E', 6), ('E', NULL, 7), ('z', 'z', 8), ('z', 'z', 9), "
      "(NULL, 'z', 10)");
  const Config config = pipeline({"coll"}, "co");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled automatic = profile(config, nullptr, nullptr, Executor::kAuto);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(automatic.outcomes.at(0).ok()) << automatic.outcomes[0].error;
  EXPECT_EQ(sql.outcomes[0].result->executor, "sql");
  EXPECT_EQ(automatic.outcomes[0].result->executor, streams() ? "native" : "sql");
  expect_same_metrics(*sql.outcomes[0].result, *automatic.outcomes[0].result);
  for (const ProfilingResult* r : {&*sql.outcomes[0].result, &*automatic.outcomes[0].result}) {
    SCOPED_TRACE(r->executor);
    const auto& s = r->columns.at(0);
    EXPECT_EQ(metric_text(*s.metric("distinct_count")).value_or(""), "8");
    const std::string top = metric_text(*s.metric("top_values")).value_or("");
    // 'z' (twice) first, then the ties in byte order.
    std::size_t at = 0;
    for (const char* v :
         {"\"z\"", "\"A\"", "\"B\"", "\"E\"", "\"a\"", "\"b\"", "\"e\"", "\"\u00e9\""}) {
      const std::size_t found = top.find(v, at);
      ASSERT_NE(found, std::string::npos) << v << " after " << at << " in " << top;
      at = found + 1;
    }
  }
}

// A statement that fails while the rows stream (division by zero at one row of a view) fails the
// table as the pushed-down statement does: an outcome with the server's message and SQLSTATE, and
// the connection stays usable for the next table.
TEST_P(ServerNative, AnErrorWhileStreamingFailsTheTableLikePushdown) {
  exec("CREATE TABLE $NS.src (id int)");
  exec("INSERT INTO $NS.src SELECT g FROM generate_series(1, 20000) g");
  exec("CREATE VIEW $NS.boom AS SELECT 100 / (id - 15000) AS x FROM $NS.src");
  exec("CREATE TABLE $NS.after (v int)");
  exec("INSERT INTO $NS.after VALUES (1), (2), (2)");
  const Config config = pipeline({"boom", "after"}, "err");
  for (Executor executor : {Executor::kSql, Executor::kNative}) {
    SCOPED_TRACE(executor == Executor::kSql ? "pushdown" : "native");
    const Profiled p = profile(config, nullptr, nullptr, executor);
    ASSERT_EQ(p.outcomes.size(), 2u);
    EXPECT_FALSE(p.outcomes[0].ok());
    EXPECT_NE(p.outcomes[0].error.find("division by zero"), std::string::npos)
        << p.outcomes[0].error;
    EXPECT_NE(p.outcomes[0].error.find("SQLSTATE 22012"), std::string::npos) << p.outcomes[0].error;
    if (streams()) {  // psqlODBC's own messages start with "ERROR:"
      EXPECT_EQ(p.outcomes[0].error.find("ERROR:"), std::string::npos) << p.outcomes[0].error;
    }
    ASSERT_TRUE(p.outcomes[1].ok()) << p.outcomes[1].error;
    EXPECT_EQ(p.outcomes[1].result->executor, executor == Executor::kNative ? "native" : "sql");
    EXPECT_EQ(metric_text(*p.outcomes[1].result->columns.at(0).metric("distinct_count")), "2");
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, ServerNative, ::testing::ValuesIn(postgres_names()), param_name);

class PostgresRowSource : public ServerNative {};

// A table of many blocks is read in block ranges on two connections that share one exported
// snapshot: every row present when the read began is read exactly once, with its values decoded
// from the binary format, and rows that other sessions insert or delete meanwhile change nothing.
TEST_P(PostgresRowSource, BlockRangesOfOneSnapshotReadEveryRowOnce) {
  constexpr std::int64_t kBig = 60000;
  exec("CREATE TABLE $NS.big (id bigint, k smallint, s text, f float8, b boolean, n int)");
  exec(
      fmt::format("INSERT INTO $NS.big SELECT g, g % 97, 'v' || (g % 1000), g * 0.5, g % 3 = 0, "
                  "CASE WHEN g % 10 = 0 THEN NULL ELSE -g END FROM generate_series(1, {}) g",
                  kBig));
  exec("ANALYZE $NS.big");
  Config config = pipeline({"big"}, "big");
  profiling::TableTarget target;
  target.config = &config.profiling.tables[0];
  target.ref = ns().ref("big");
  std::unique_ptr<db::Connection> leader = ns().connect();
  const ConnectionFactory factory = [this] { return ns().connect(); };
  const auto specs =
      profiling::column_specs(leader->dialect(), leader->columns(target.ref), config.profiling);
  const profiling::Scope scope = profiling::plan_scope(target, specs);
  auto source = profiling::PgRowSource::open(*leader, &factory, 2, target, specs, scope);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->threads(), 2);
  EXPECT_TRUE(source->shared_snapshot());
  EXPECT_GT(source->parts(), 2u) << source->describe();

  // Committed after the snapshot: seen by no part.
  exec("DELETE FROM $NS.big WHERE id <= 5000");
  exec(
      fmt::format("INSERT INTO $NS.big SELECT g, 0, 'new', 0, false, 0 FROM "
                  "generate_series({}, {}) g",
                  kBig + 1, kBig + 5000));

  std::vector<int> seen(static_cast<std::size_t>(kBig) + 1, 0);
  std::int64_t rows = 0, nulls = 0;
  bool decoded = true;
  const std::vector<std::size_t> all = {0, 1, 2, 3, 4, 5};
  for (std::size_t part = 0; part < source->parts(); ++part) {
    auto cursor = source->open(static_cast<int>(part % 2), part, all);
    while (cursor->next()) {
      ++rows;
      const db::CellView id = cursor->cell(0);
      ASSERT_EQ(id.kind, db::CellView::Kind::kInt);
      ASSERT_GE(id.i, 1);
      ASSERT_LE(id.i, kBig);
      ++seen[static_cast<std::size_t>(id.i)];
      const std::int64_t g = id.i;
      decoded = decoded && cursor->cell(1).i == g % 97 &&
                cursor->cell(2).bytes == fmt::format("v{}", g % 1000) &&
                cursor->cell(3).d == static_cast<double>(g) * 0.5 &&
                cursor->cell(4).i == (g % 3 == 0 ? 1 : 0);
      if (g % 10 == 0) {
        nulls += cursor->cell(5).kind == db::CellView::Kind::kNull ? 1 : 0;
      } else {
        decoded = decoded && cursor->cell(5).i == -g;
      }
    }
  }
  EXPECT_EQ(rows, kBig);
  EXPECT_EQ(nulls, kBig / 10);
  EXPECT_TRUE(decoded);
  std::int64_t once = 0;
  for (std::size_t g = 1; g < seen.size(); ++g) once += seen[g] == 1 ? 1 : 0;
  EXPECT_EQ(once, kBig);
}

// With exact distinct counts the histograms are binned from the counted values of the one read
// (each distinct value once, with its count), whatever the table's size: the histogram pass moves
// no byte. With approximate counts (no counted sets) it reads the histogram columns once more.
// Both give the bins of the generated values: integers with NULLs, distinct doubles, and doubles
// of which some are integral (counted as integers) and some not.
TEST_P(PostgresRowSource, ExactHistogramsAreBinnedFromTheOneRead) {
  constexpr std::int64_t kHistRows = 20000;
  exec("CREATE TABLE $NS.hist (i bigint, f float8, r float8)");
  exec(fmt::format(
      "INSERT INTO $NS.hist SELECT CASE WHEN g % 9 = 0 THEN NULL ELSE (g * 7919) % 1000 - 500 END, "
      "g * 0.125 - 1000.0, (g % 13) * 0.5 FROM generate_series(1, {}) g",
      kHistRows));
  exec("ANALYZE $NS.hist");
  // The generated values, and their bins over [min, max] by the shared formula.
  std::vector<std::vector<double>> values(3);
  for (std::int64_t g = 1; g <= kHistRows; ++g) {
    if (g % 9 != 0) values[0].push_back(static_cast<double>((g * 7919) % 1000 - 500));
    values[1].push_back(static_cast<double>(g) * 0.125 - 1000.0);
    values[2].push_back(static_cast<double>(g % 13) * 0.5);
  }
  constexpr int kBins = 10;
  std::vector<profiling::HistogramRequest> requests;
  std::vector<std::vector<std::int64_t>> expected;
  for (std::size_t c = 0; c < values.size(); ++c) {
    const auto [lo, hi] = std::minmax_element(values[c].begin(), values[c].end());
    requests.push_back({c, *lo, *hi});
    std::vector<std::int64_t> bins(kBins, 0);
    for (double v : values[c]) {
      ++bins[static_cast<std::size_t>(histogram_bin(v, *lo, *hi - *lo, kBins))];
    }
    expected.push_back(bins);
  }

  Config config = pipeline({"hist"}, "hist");
  config.profiling.compute_histograms = true;
  profiling::TableTarget target;
  target.config = &config.profiling.tables[0];
  target.ref = ns().ref("hist");
  std::unique_ptr<db::Connection> leader = ns().connect();
  const ConnectionFactory factory = [this] { return ns().connect(); };
  const auto specs =
      profiling::column_specs(leader->dialect(), leader->columns(target.ref), config.profiling);
  const profiling::Scope scope = profiling::plan_scope(target, specs);
  for (const DistinctMode mode : {DistinctMode::kExact, DistinctMode::kApproximate}) {
    const bool exact = mode == DistinctMode::kExact;
    SCOPED_TRACE(exact ? "exact" : "approximate");
    profiling::NativeExecutor native(*leader, &factory, 2);
    const auto pass = native.scalar_pass(target, specs, scope, mode, 10);
    ASSERT_TRUE(pass) << native.declined();
    EXPECT_EQ(pass->count, kHistRows);
    const auto* source = dynamic_cast<const profiling::PgRowSource*>(native.source());
    ASSERT_NE(source, nullptr);
    const std::int64_t read = source->bytes_read();
    EXPECT_GT(read, kHistRows * 3 * 8);
    const auto bins = native.histogram_pass(target, specs, scope, requests, kBins);
    EXPECT_EQ(bins, expected);
    if (exact) {
      EXPECT_EQ(source->bytes_read(), read) << "no second read: " << source->describe();
    } else {
      EXPECT_GT(source->bytes_read(), read) << "a second read: " << source->describe();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresRowSource, ::testing::Values(std::string("postgres")),
                         param_name);

}  // namespace
}  // namespace baselinr::conformance
