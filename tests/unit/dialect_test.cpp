#include "db/dialect/dialect.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "baselinr/error.hpp"
#include "db/dialect/postgres_dialect.hpp"
#include "db/dialect/sqlite_dialect.hpp"
#include "profiling/metric_plan.hpp"
#include "profiling/query_builder.hpp"

namespace baselinr {
namespace {

using db::sqlite_dialect;

TEST(Dialect, QuotesAndEscapesIdentifiers) {
  const db::Dialect& d = sqlite_dialect();
  EXPECT_EQ(d.quote_identifier("plain"), "\"plain\"");
  EXPECT_EQ(d.quote_identifier("with space"), "\"with space\"");
  EXPECT_EQ(d.quote_identifier("x\"; DROP TABLE y; --"), "\"x\"\"; DROP TABLE y; --\"");
  EXPECT_EQ(d.quote_identifier("ünïcødé_表"), "\"ünïcødé_表\"");
  EXPECT_EQ(d.quote_identifier("back`tick\\slash"), "\"back`tick\\slash\"");
  EXPECT_EQ(d.table_sql({"main", "t\"x"}), "\"main\".\"t\"\"x\"");
  EXPECT_EQ(d.qualified_name("db.schema.table"), "\"db\".\"schema\".\"table\"");
}

TEST(Dialect, ParamListBindsInTextualOrderWhateverTheEvaluationOrder) {
  const db::Dialect& d = sqlite_dialect();
  db::ParamList p(d);
  // Deliberately add in the reverse of textual order.
  std::string second = p.add(std::string("b"));
  std::string first = p.add(std::int64_t{1});
  db::BoundSql b = p.bind("SELECT " + first + ", " + second + ", " + first);
  EXPECT_EQ(b.sql, "SELECT ?, ?, ?");
  ASSERT_EQ(b.params.size(), 3u);
  EXPECT_EQ(std::get<std::int64_t>(b.params[0]), 1);
  EXPECT_EQ(std::get<std::string>(b.params[1]), "b");
  EXPECT_EQ(std::get<std::int64_t>(b.params[2]), 1);
}

TEST(Dialect, ClassifiesTypesIntoTheSpecClasses) {
  const db::Dialect& d = sqlite_dialect();
  for (const char* t :
       {"INTEGER", "int", "BIGINT", "smallint", "FLOAT", "DOUBLE", "REAL", "NUMERIC(10,2)",
        "DECIMAL", "number", "double precision", "UNSIGNED BIG INT", "INT UNSIGNED"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kNumeric) << t;
  }
  for (const char* t :
       {"TEXT", "VARCHAR(20)", "char(3)", "character varying", "string", "NVARCHAR(100)", "CLOB"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kString) << t;
  }
  for (const char* t : {"DATE", "TIMESTAMP", "time", "timestamp with time zone", "DATETIME"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kTemporal) << t;
  }
  for (const char* t : {"BOOLEAN", "bool"}) EXPECT_EQ(d.classify_type(t), TypeClass::kBoolean) << t;
  for (const char* t : {"", "BLOB", "json", "uuid", "GEOMETRY"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kOther) << t;
  }
}

TEST(Dialect, MetricsPerTypeClass) {
  const auto& all = all_metric_names();
  using profiling::metrics_for;
  // top_values applies to every class (columns that are neither strings nor booleans get it only
  // with few distinct values, decided once the count is known); quantiles to numbers and times.
  EXPECT_EQ(metrics_for(TypeClass::kNumeric, all, true),
            (std::vector<std::string>{"count", "null_count", "null_percent", "distinct_count",
                                      "distinct_percent", "min", "max", "mean", "stddev",
                                      "histogram", "quantiles", "top_values"}));
  EXPECT_EQ(metrics_for(TypeClass::kString, all, true),
            (std::vector<std::string>{"count", "null_count", "null_percent", "distinct_count",
                                      "distinct_percent", "min_length", "max_length", "avg_length",
                                      "top_values"}));
  EXPECT_EQ(
      metrics_for(TypeClass::kTemporal, all, true),
      (std::vector<std::string>{"count", "null_count", "null_percent", "distinct_count",
                                "distinct_percent", "min", "max", "quantiles", "top_values"}));
  EXPECT_EQ(metrics_for(TypeClass::kOther, all, true),
            (std::vector<std::string>{"count", "null_count", "null_percent", "distinct_count",
                                      "distinct_percent", "top_values"}));
  const auto no_histogram = metrics_for(TypeClass::kNumeric, all, false);
  EXPECT_EQ(std::count(no_histogram.begin(), no_histogram.end(), "histogram"), 0);
  EXPECT_EQ(metrics_for(TypeClass::kNumeric, {"mean", "count"}, true),
            (std::vector<std::string>{"count", "mean"}));
}

// Golden SQL: the single scalar query and the single histogram query of a SQLite table.
TEST(Dialect, SqliteProfilingQueriesAreOneScanEach) {
  const db::Dialect& d = sqlite_dialect();
  std::vector<profiling::ColumnSpec> cols = {
      {"id",
       "INTEGER",
       TypeClass::kNumeric,
       {"count", "null_count", "mean", "stddev", "min", "max", "histogram"}},
      {"name", "TEXT", TypeClass::kString, {"distinct_count", "min_length", "avg_length"}}};
  profiling::QueryBuilder b(d, d.table_sql({"", "t"}), cols, DistinctMode::kExact, 4);
  EXPECT_EQ(b.scalar_query().sql,
            "SELECT COUNT(*) AS m0,\n"
            "       COUNT(\"id\") AS m1,\n"
            "       MIN(\"id\") AS m2,\n"
            "       MAX(\"id\") AS m3,\n"
            "       baselinr_mean(\"id\") AS m4,\n"
            "       baselinr_stddev(\"id\") AS m5,\n"
            "       COUNT(DISTINCT \"name\" COLLATE BINARY) AS m6,\n"
            "       MIN(LENGTH(\"name\")) AS m7,\n"
            "       AVG(CAST(LENGTH(\"name\") AS REAL)) AS m8\n"
            "FROM \"t\"");
  profiling::HistogramQuery h = b.histogram_query({{0, 1.0, 9.0}});
  EXPECT_EQ(h.sql, "SELECT baselinr_histogram(\"id\", ?, ?, 4) AS h0\nFROM \"t\"");
  ASSERT_EQ(h.params.size(), 2u);
  EXPECT_DOUBLE_EQ(std::get<double>(h.params[0]), 1.0);
  EXPECT_DOUBLE_EQ(std::get<double>(h.params[1]), 8.0);
  EXPECT_TRUE(h.packed);
}

// Split over concurrent scans, the scalar statement is a UNION ALL of branches over the same
// FROM clause (its bound values shared), each computing its own columns and padding the others
// with NULLs of the same type; decoding rebuilds the one row, whatever order the branches come in.
TEST(Dialect, ScalarStatementSplitsOverConcurrentScans) {
  const db::Dialect& d = db::postgres_dialect();
  auto spec = [](std::string name, std::string type, TypeClass cls) {
    return profiling::ColumnSpec{std::move(name), std::move(type), cls, {"distinct_count"}};
  };
  std::vector<profiling::ColumnSpec> cols = {spec("a", "integer", TypeClass::kNumeric),
                                             spec("s", "text", TypeClass::kString),
                                             spec("f", "boolean", TypeClass::kBoolean)};
  db::ParamList params(d);
  std::string from = "(SELECT * FROM \"t\" WHERE \"k\" = " + params.add(std::int64_t{7}) + ") AS x";
  profiling::QueryBuilder b(d, from, params, cols, DistinctMode::kExact, 10);
  EXPECT_EQ(b.split_scans(1), 1);
  EXPECT_EQ(b.split_scans(8), 2) << "two columns sort; the boolean does not";
  const profiling::ScalarQuery q = b.scalar_query();
  // s costs most and goes first to branch 0, a to branch 1, f to the lighter branch 1.
  EXPECT_EQ(q.sql,
            "SELECT 0 AS part,\n"
            "       COUNT(*) AS m0,\n"
            "       CASE WHEN FALSE THEN COUNT(DISTINCT \"a\") END AS m1,\n"
            "       COUNT(DISTINCT \"s\" COLLATE \"C\") AS m2,\n"
            "       CASE WHEN FALSE THEN (CASE WHEN BOOL_AND(\"f\") IS NULL THEN 0 WHEN "
            "BOOL_AND(\"f\") = BOOL_OR(\"f\") THEN 1 ELSE 2 END) END AS m3\n"
            "FROM (SELECT * FROM \"t\" WHERE \"k\" = $1) AS x\n"
            "UNION ALL\n"
            "SELECT 1 AS part,\n"
            "       CASE WHEN FALSE THEN COUNT(*) END AS m0,\n"
            "       COUNT(DISTINCT \"a\") AS m1,\n"
            "       CASE WHEN FALSE THEN COUNT(DISTINCT \"s\" COLLATE \"C\") END AS m2,\n"
            "       (CASE WHEN BOOL_AND(\"f\") IS NULL THEN 0 WHEN BOOL_AND(\"f\") = "
            "BOOL_OR(\"f\") THEN 1 ELSE 2 END) AS m3\n"
            "FROM (SELECT * FROM \"t\" WHERE \"k\" = $1) AS x");
  ASSERT_EQ(q.params.size(), 1u) << "numbered placeholders: one value for both branches";
  EXPECT_EQ(std::get<std::int64_t>(q.params[0]), 7);

  using V = db::Value;
  const V null = std::monostate{};
  db::Result result;
  result.rows = {{V(std::int64_t{1}), null, V(std::int64_t{40}), null, V(std::int64_t{2})},
                 {V(std::int64_t{0}), V(std::int64_t{100}), null, V(std::int64_t{55}), null}};
  std::vector<profiling::ColumnAggregates> agg;
  EXPECT_EQ(b.decode_scalar(result, agg), 100);
  ASSERT_EQ(agg.size(), 3u);
  EXPECT_EQ(agg[0].distinct, 40);
  EXPECT_EQ(agg[1].distinct, 55);
  EXPECT_EQ(agg[2].distinct, 2);

  db::Result twice = result;
  twice.rows[1][0] = V(std::int64_t{1});
  EXPECT_THROW(b.decode_scalar(twice, agg), QueryError);
  db::Result short_of_one = result;
  short_of_one.rows.pop_back();
  EXPECT_THROW(b.decode_scalar(short_of_one, agg), QueryError);

  // Approximate counts (and columns a unique index covers) do not sort: nothing to split.
  profiling::QueryBuilder approx(d, "\"t\"", cols, DistinctMode::kApproximate, 10);
  EXPECT_EQ(approx.split_scans(8), 1);
  cols[0].unique = true;
  profiling::QueryBuilder keyed(d, "\"t\"", cols, DistinctMode::kExact, 10);
  EXPECT_EQ(keyed.split_scans(8), 1);
}

TEST(Dialect, StorageDdlHasTheOriginalTablesAndIndexes) {
  const db::Dialect& d = sqlite_dialect();
  auto ddl = d.storage_ddl(
      {"baselinr_runs", "baselinr_results", "baselinr_events", "baselinr_schema_version"});
  std::string all;
  for (const auto& s : ddl) all += s + ";\n";
  for (const char* expected :
       {"CREATE TABLE IF NOT EXISTS \"baselinr_runs\" (\"run_id\" VARCHAR(36) NOT NULL",
        "PRIMARY KEY (\"run_id\", \"dataset_name\")", "\"id\" INTEGER PRIMARY KEY AUTOINCREMENT",
        "\"metric_value\" TEXT",
        "FOREIGN KEY (\"run_id\", \"dataset_name\") REFERENCES \"baselinr_runs\"",
        "\"event_id\" VARCHAR(36) PRIMARY KEY",
        "\"created_at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP",
        "CREATE INDEX IF NOT EXISTS \"idx_baselinr_runs_dataset_profiled\"",
        "CREATE INDEX IF NOT EXISTS \"idx_baselinr_results_metric\" ON \"baselinr_results\" "
        "(\"dataset_name\", \"column_name\", \"metric_name\")",
        "CREATE INDEX IF NOT EXISTS \"idx_baselinr_events_drift_severity\"",
        "CREATE TABLE IF NOT EXISTS \"baselinr_schema_version\" (\"version\" INTEGER PRIMARY "
        "KEY"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\n---\n" << all;
  }
  EXPECT_EQ(d.insert_event_sql("ev"),
            "INSERT INTO \"ev\" (\"event_id\", \"event_type\", \"table_name\", \"column_name\", "
            "\"metric_name\", \"baseline_value\", \"current_value\", \"change_percent\", "
            "\"drift_severity\", \"timestamp\", \"metadata\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)");
}

}  // namespace
}  // namespace baselinr
