// The native executor through ODBC (issue 16): PostgreSQL (psqlODBC) and MariaDB (Connector/ODBC)
// rows fetched with block cursors (SQL_ATTR_ROW_ARRAY_SIZE, column-wise bound arrays), in chunks
// the drivers can buffer (a server-side cursor, keyset pages), one row at a time with SQLGetData
// where a column is unbounded or when asked. Every value is checked against the generator, and the
// stored results against the pushed-down SQL's, byte for byte. The conformance shapes through
// both executors on these targets are in native_server_test.cpp and native_mysql_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/odbc_row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"
#include "suite.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr::conformance {
namespace {

using testing::expect_same_metrics;

constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();

// The generated rows, as the test computes them: id = i; k = i % 997; v NULL every 10th row,
// '' every 7th, else 'é' followed by i % 500; d = i / 4; e = INT64_MIN at i = 1, INT64_MAX at
// i = 2, NULL every 13th row, else i * 1000003.
struct Row {
  std::int64_t id;
  std::int64_t k;
  std::optional<std::string> v;
  double d;
  std::optional<std::int64_t> e;
};

Row row_of(std::int64_t i) {
  Row r{i, i % 997, std::nullopt, static_cast<double>(i) * 0.25, std::nullopt};
  if (i % 10 != 0) r.v = i % 7 == 0 ? std::string() : "\u00e9" + std::to_string(i % 500);
  if (i == 1) {
    r.e = kMin64;
  } else if (i == 2) {
    r.e = kMax64;
  } else if (i % 13 != 0) {
    r.e = i * 1000003;
  }
  return r;
}

class OdbcNative : public EngineTest {
 protected:
  bool postgres() const { return GetParam() == "postgres_odbc"; }
  void exec(const std::string& sql) { ns().admin().execute(ns().expand(sql)); }

  // Creates `table` (id primary key) with rows 1..n.
  void make_table(const std::string& table, std::int64_t n) {
    exec(fmt::format(
        "CREATE TABLE $NS.{} (id BIGINT PRIMARY KEY, k INTEGER, v VARCHAR(16), d {}, e BIGINT)",
        q(table), postgres() ? "DOUBLE PRECISION" : "DOUBLE"));
    const std::string integers =
        replace_all(quirks().integers_sql, "$N", std::to_string(static_cast<long long>(n)));
    exec(fmt::format(
        "INSERT INTO $NS.{} SELECT i, i % 997, CASE WHEN i % 10 = 0 THEN NULL WHEN i % 7 = 0 "
        "THEN '' ELSE CONCAT('\u00e9', CAST(i % 500 AS {})) END, i * 0.25, CASE WHEN i = 1 THEN "
        "-9223372036854775807 - 1 WHEN i = 2 THEN 9223372036854775807 WHEN i % 13 = 0 THEN NULL "
        "ELSE {} * 1000003 END FROM ({}) AS s",
        q(table), quirks().cast_text, postgres() ? "CAST(i AS BIGINT)" : "i", integers));
  }

  struct Source {
    Config config;
    profiling::TableTarget target;
    std::unique_ptr<db::Connection> connection;
    std::vector<profiling::ColumnSpec> specs;
    profiling::Scope scope;
    std::unique_ptr<profiling::OdbcRowSource> source;
  };
  std::unique_ptr<Source> open_source(const std::string& table, std::size_t block_rows,
                                      const std::string& rename_column = {}) {
    auto s = std::make_unique<Source>();
    s->config = pipeline({table}, "src");
    s->target.config = &s->config.profiling.tables[0];
    s->target.ref = ns().ref(table);
    s->connection = ns().connect();
    s->specs = profiling::column_specs(s->connection->dialect(),
                                       s->connection->columns(s->target.ref), s->config.profiling);
    if (!rename_column.empty()) s->specs.back().name = rename_column;
    s->scope = profiling::plan_scope(s->target, s->specs);
    s->source =
        profiling::OdbcRowSource::open(*s->connection, s->target, s->specs, s->scope, block_rows);
    return s;
  }

  // Reads every row of `source` (columns id, k, v, d, e) and checks each against the generator;
  // returns the ids read.
  std::vector<std::int64_t> read_all(profiling::OdbcRowSource& source) {
    std::vector<std::int64_t> ids;
    auto cursor = source.open(0, 0, {0, 1, 2, 3, 4});
    EXPECT_EQ(cursor->column_count(), 5);
    int wrong = 0;
    while (cursor->next()) {
      const db::CellView id = cursor->cell(0);
      if (id.kind != db::CellView::Kind::kInt) {
        ADD_FAILURE() << "id is not an integer";
        break;
      }
      ids.push_back(id.i);
      const Row want = row_of(id.i);
      const db::CellView k = cursor->cell(1), v = cursor->cell(2), d = cursor->cell(3),
                         e = cursor->cell(4);
      const bool ok = k.kind == db::CellView::Kind::kInt && k.i == want.k &&
                      (want.v ? v.kind == db::CellView::Kind::kText && v.bytes == *want.v
                              : v.kind == db::CellView::Kind::kNull) &&
                      d.kind == db::CellView::Kind::kReal && d.d == want.d &&
                      (want.e ? e.kind == db::CellView::Kind::kInt && e.i == *want.e
                              : e.kind == db::CellView::Kind::kNull);
      if (!ok && ++wrong <= 3) ADD_FAILURE() << "row " << id.i << " was read wrong";
    }
    EXPECT_EQ(wrong, 0);
    return ids;
  }
};

std::vector<std::string> odbc_names() {
  std::vector<std::string> out;
  for (const std::string& name : target_names()) {
    if (name.ends_with("_odbc")) out.push_back(name);
  }
  return out;
}

// A table of more rows than two chunks is read with a block cursor in three statements (a
// server-side cursor's FETCH FORWARD on PostgreSQL, primary-key pages on MariaDB), every row
// exactly once and every value as generated (int64 extremes, NULLs, empty and multibyte
// strings), in one snapshot: rows changed after the read began are not seen, by the first read
// nor by a second one (the histogram pass).
TEST_P(OdbcNative, BlockCursorReadsEveryRowOfATableLargerThanABlockOnce) {
  const std::int64_t n = 2 * profiling::OdbcRowSource::kChunkRows + 1;
  make_table("big", n);
  auto s = open_source("big", profiling::OdbcRowSource::kBlockRows);
  ASSERT_TRUE(s->source);
  EXPECT_EQ(s->source->threads(), 1);
  EXPECT_EQ(s->source->parts(), 1u);

  // The first row, then other sessions change the table: the read began in its snapshot.
  auto first = s->source->open(0, 0, {0});
  ASSERT_TRUE(first->next());
  exec(fmt::format("DELETE FROM $NS.{} WHERE id = 3", q("big")));
  exec(fmt::format("INSERT INTO $NS.{} (id, k) VALUES ({}, 1), ({}, 2)", q("big"), n + 1, n + 2));
  std::int64_t first_rows = 1;
  while (first->next()) ++first_rows;
  first.reset();
  EXPECT_EQ(first_rows, n);

  const std::vector<std::int64_t> ids = read_all(*s->source);
  EXPECT_EQ(static_cast<std::int64_t>(ids.size()), n);
  const std::set<std::int64_t> distinct(ids.begin(), ids.end());
  EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), n);
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), n);
  EXPECT_EQ(s->source->fetch_mode(),
            fmt::format("block cursor, {} rows per fetch", profiling::OdbcRowSource::kBlockRows))
      << s->source->describe();
  // Two reads of three statements each.
  EXPECT_EQ(s->source->statements(), 6) << s->source->describe();
  EXPECT_NE(s->source->describe().find(postgres() ? "server-side cursor" : "primary key `id`"),
            std::string::npos)
      << s->source->describe();
}

// The stored results of the native read equal the pushed-down SQL's, byte for byte, and what the
// generator says.
TEST_P(OdbcNative, NativeResultsAreThePushdownResultsAndTheGeneratedOnes) {
  constexpr std::int64_t kRows = 6000;
  make_table("res", kRows);
  const Config config = pipeline({"res"}, "res");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
  const ProfilingResult& a = *sql.outcomes[0].result;
  const ProfilingResult& b = *native.outcomes[0].result;
  EXPECT_EQ(a.executor, "sql");
  EXPECT_EQ(b.executor, "native");
  expect_same_metrics(a, b);

  std::set<std::string> values;
  std::int64_t v_nulls = 0, e_nulls = 0, empty = 0;
  for (std::int64_t i = 1; i <= kRows; ++i) {
    const Row r = row_of(i);
    if (r.v) {
      values.insert(*r.v);
      empty += r.v->empty() ? 1 : 0;
    } else {
      ++v_nulls;
    }
    e_nulls += r.e ? 0 : 1;
  }
  ASSERT_GT(empty, 0);
  auto metric = [&](std::size_t column, const char* name) {
    const MetricValue* m = b.columns.at(column).metric(name);
    return m ? metric_text(*m).value_or("") : std::string("(absent)");
  };
  EXPECT_EQ(b.row_count, kRows);
  EXPECT_EQ(metric(1, "distinct_count"), "997");
  EXPECT_EQ(metric(2, "null_count"), std::to_string(v_nulls));
  EXPECT_EQ(metric(2, "distinct_count"), std::to_string(values.size()));
  EXPECT_EQ(metric(2, "min_length"), "0");
  EXPECT_EQ(metric(2, "max_length"), "4");  // 'é' and three digits
  EXPECT_EQ(metric(4, "min"), std::to_string(kMin64));
  EXPECT_EQ(metric(4, "max"), std::to_string(kMax64));
  EXPECT_EQ(metric(4, "null_count"), std::to_string(e_nulls));
  EXPECT_EQ(metric(4, "distinct_count"), std::to_string(kRows - e_nulls));
  const std::string top = metric(2, "top_values");
  EXPECT_NE(top.find("\"value\":\"\""), std::string::npos) << top;  // '' is the most frequent
}

// Asked for one row at a time (block_rows 1), or with a column of no bounded length (text), the
// rows are read with SQLGetData: the same values, long ones whole.
TEST_P(OdbcNative, RowAtATimeWhenAskedOrForUnboundedColumns) {
  make_table("rows", 3000);
  auto s = open_source("rows", 1);
  ASSERT_TRUE(s->source);
  EXPECT_EQ(read_all(*s->source).size(), 3000u);
  EXPECT_EQ(s->source->fetch_mode(), "one row at a time (SQLGetData): asked");

  // 20,000 characters of two bytes each: longer than any bound buffer.
  exec(fmt::format("CREATE TABLE $NS.{} (id INTEGER, t TEXT)", q("long")));
  exec(fmt::format(
      "INSERT INTO $NS.{} VALUES (1, REPEAT('\u00e9', 20000)), (2, ''), (3, NULL), (4, 'a'), "
      "(5, REPEAT('\u00e9', 20000))",
      q("long")));
  const Config config = pipeline({"long"}, "long");
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
  EXPECT_EQ(native.outcomes[0].result->executor, "native");
  expect_same_metrics(*sql.outcomes[0].result, *native.outcomes[0].result);
  const auto& t = native.outcomes[0].result->columns.at(1);
  EXPECT_EQ(metric_text(*t.metric("max_length")).value_or(""), "20000");
  EXPECT_EQ(metric_text(*t.metric("distinct_count")).value_or(""), "3");

  auto l = open_source("long", profiling::OdbcRowSource::kBlockRows);
  ASSERT_TRUE(l->source);
  auto cursor = l->source->open(0, 0, {0, 1});
  std::int64_t longest = 0;
  while (cursor->next()) {
    if (cursor->cell(1).kind == db::CellView::Kind::kText) {
      longest =
          std::max<std::int64_t>(longest, static_cast<std::int64_t>(cursor->cell(1).bytes.size()));
    }
  }
  EXPECT_EQ(longest, 40000);  // UTF-8 bytes
  EXPECT_NE(l->source->fetch_mode().find("one row at a time (SQLGetData): column 2"),
            std::string::npos)
      << l->source->fetch_mode();
}

// A partition filter and (MariaDB) random sampling are the SQL path's WHERE conditions with bound
// values (in the declared cursor on PostgreSQL, before the key pages' own condition on MariaDB):
// both executors profile the same rows.
TEST_P(OdbcNative, SamplingAndPartitionFiltersSelectThePushdownRows) {
  constexpr std::int64_t kRows = 120000;
  make_table("smp", kRows);
  Config config = pipeline({"smp", "smp"}, "smp");
  SamplingConfig random;
  random.enabled = true;
  random.method = SamplingMethod::kRandom;
  random.fraction = 0.5;
  config.profiling.tables[0].sampling = random;
  PartitionConfig p;
  p.key = "k";
  p.strategy = PartitionStrategy::kSpecificValues;
  p.values = {"5", "7", "996"};
  config.profiling.tables[1].partition = p;
  // One seed for both executors: the same sample.
  auto run = [&](std::size_t table, Executor executor) {
    profiling::TableTarget target;
    target.config = &config.profiling.tables[table];
    target.ref = ns().ref("smp");
    std::unique_ptr<db::Connection> c = ns().connect();
    profiling::ExecutionOptions exec;
    exec.executor = executor;
    exec.seed = 4242;
    return profiling::profile_table(*c, config, target, "run", exec);
  };
  std::int64_t rows[2] = {0, 0};
  for (std::size_t t = 0; t < 2; ++t) {
    const ProfilingResult sql = run(t, Executor::kSql);
    const ProfilingResult native = run(t, Executor::kNative);
    EXPECT_EQ(sql.executor, "sql");
    // PostgreSQL samples with TABLESAMPLE, which is not a per-row filter: pushed down there, as
    // over libpq.
    EXPECT_EQ(native.executor, t == 0 && postgres() ? "sql" : "native");
    expect_same_metrics(sql, native);
    rows[t] = native.row_count;
  }
  // About half the rows: more than a chunk, so the sample spans several statements.
  EXPECT_GT(rows[0], kRows * 4 / 10);
  EXPECT_LT(rows[0], kRows * 6 / 10);
  std::int64_t in_partition = 0;
  for (std::int64_t i = 1; i <= kRows; ++i) {
    const std::int64_t k = i % 997;
    in_partition += k == 5 || k == 7 || k == 996 ? 1 : 0;
  }
  EXPECT_EQ(rows[1], in_partition);
}

// A string longer than the length the driver declares for its column is never truncated: the
// read stops and the table is pushed down, with the SQL path's results. psqlODBC declares text
// MaxVarcharSize characters long when TextAsLongVarchar is off (here 8); MariaDB declares a
// VARCHAR's own length, and 900 characters of a VARCHAR(1000) are read natively.
TEST_P(OdbcNative, AValueLongerThanItsDeclaredLengthIsNeverTruncated) {
  exec(fmt::format("CREATE TABLE $NS.{} (id INTEGER, s {})", q("decl"),
                   postgres() ? "TEXT" : "VARCHAR(1000)"));
  exec(fmt::format("INSERT INTO $NS.{} VALUES (1, REPEAT('y', 900)), (2, 'short'), (3, NULL)",
                   q("decl")));
  Config config = pipeline({"decl"}, "decl");
  if (postgres()) {
    config.source.extra_params["TextAsLongVarchar"] = "0";
    config.source.extra_params["MaxVarcharSize"] = "8";
  }
  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_TRUE(sql.outcomes.at(0).ok()) << sql.outcomes[0].error;
  ASSERT_TRUE(native.outcomes.at(0).ok()) << native.outcomes[0].error;
  expect_same_metrics(*sql.outcomes[0].result, *native.outcomes[0].result);
  EXPECT_EQ(native.outcomes[0].result->executor, postgres() ? "sql" : "native");
  EXPECT_EQ(metric_text(*native.outcomes[0].result->columns.at(1).metric("max_length")), "900");
}

// A table dropped after the read was planned, and a column that is not there, fail the read with
// the server's SQLSTATE in a one-line "odbc: ..." message, as the pushed-down statements fail.
TEST_P(OdbcNative, ADroppedTableOrAMissingColumnFailsTheReadWithTheServersError) {
  make_table("gone", 100);
  auto s = open_source("gone", profiling::OdbcRowSource::kBlockRows);
  ASSERT_TRUE(s->source);
  exec(fmt::format("DROP TABLE $NS.{}", q("gone")));
  try {
    auto cursor = s->source->open(0, 0, {0, 1});
    while (cursor->next()) {
    }
    ADD_FAILURE() << "the read of a dropped table did not fail";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), quirks().missing_table_sqlstate) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("odbc: ", 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  s.reset();

  make_table("cols", 100);
  auto c = open_source("cols", profiling::OdbcRowSource::kBlockRows, "no_such_column");
  ASSERT_TRUE(c->source);
  try {
    auto cursor = c->source->open(0, 0, {0, 4});
    while (cursor->next()) {
    }
    ADD_FAILURE() << "the read of a missing column did not fail";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), postgres() ? "42703" : "42S22") << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_column"), std::string::npos) << e.what();
  }
}

// `plan`: under auto an ODBC source is pushed down (a DSN can be any engine), with the reason;
// asked for, native fetches the rows with block cursors, except where the row source cannot read
// them exactly or (MariaDB) boundedly: a view has no size estimate, and the driver would hold its
// whole result.
TEST_P(OdbcNative, PlanSaysWhichExecutorAndWhy) {
  make_table("p", 10);
  exec(fmt::format("CREATE VIEW $NS.{} AS SELECT id, k FROM $NS.{}", q("pv"), q("p")));
  exec(fmt::format("CREATE TABLE $NS.{} (id INTEGER, n DECIMAL(12,2))", q("pd")));
  exec(fmt::format("CREATE TABLE $NS.{} (id INTEGER, k INTEGER)", q("pn")));
  exec(fmt::format("INSERT INTO $NS.{} VALUES (1, 2), (2, 2), (3, NULL)", q("pn")));
  Config config = pipeline({"p", "pv", "pd", "pn"}, "plan");
  config.profiling.executor = Executor::kAuto;
  Plan plan = build_plan(config);
  ASSERT_EQ(plan.tables.size(), 4u);
  for (const auto& t : plan.tables) {
    EXPECT_EQ(t.executor, "pushdown");
    EXPECT_NE(t.executor_reason.find("ODBC sources push down"), std::string::npos)
        << t.executor_reason;
  }
  config.profiling.executor = Executor::kNative;
  plan = build_plan(config);
  EXPECT_EQ(plan.tables[0].executor, "native") << plan.tables[0].executor_reason;
  EXPECT_NE(plan.tables[0].executor_reason.find("block cursors"), std::string::npos)
      << plan.tables[0].executor_reason;
  EXPECT_EQ(plan.tables[1].executor, postgres() ? "native" : "pushdown")
      << plan.tables[1].executor_reason;
  if (!postgres()) {
    EXPECT_NE(plan.tables[1].executor_reason.find("a view"), std::string::npos)
        << plan.tables[1].executor_reason;
  }
  EXPECT_EQ(plan.tables[2].executor, "pushdown");
  EXPECT_NE(plan.tables[2].executor_reason.find("column 'n' is "), std::string::npos)
      << plan.tables[2].executor_reason;
  // Without a primary key: one statement on MariaDB, within what the driver may buffer.
  EXPECT_EQ(plan.tables[3].executor, "native") << plan.tables[3].executor_reason;

  const Profiled sql = profile(config, nullptr, nullptr, Executor::kSql);
  const Profiled native = profile(config, nullptr, nullptr, Executor::kNative);
  ASSERT_EQ(native.outcomes.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(native.outcomes[i].table);
    ASSERT_TRUE(sql.outcomes[i].ok()) << sql.outcomes[i].error;
    ASSERT_TRUE(native.outcomes[i].ok()) << native.outcomes[i].error;
    EXPECT_EQ(native.outcomes[i].result->executor,
              plan.tables[i].executor == "native" ? "native" : "sql");
    expect_same_metrics(*sql.outcomes[i].result, *native.outcomes[i].result);
  }
}

INSTANTIATE_TEST_SUITE_P(Odbc, OdbcNative, ::testing::ValuesIn(odbc_names()), param_name);

}  // namespace
}  // namespace baselinr::conformance
