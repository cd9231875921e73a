// Golden SQL for Snowflake, and the ODBC connection strings.
//
// No Snowflake account is reachable from here, so no Snowflake SQL is ever sent anywhere: these
// tests pin, character for character, every statement the product issues on a Snowflake
// connection (storage DDL, the run / result / schema-version inserts and the readers of the
// results store, the events table and its INSERT ... SELECT ... PARSE_JSON(?), the profiling scalar
// and histogram queries, introspection) and the connection string built from a configuration. The
// statements of the results store and of the SQL hook are captured from the real RunStore and
// SqlEventHook through a connection that records instead of executing. The ODBC path itself is
// exercised against PostgreSQL's and MariaDB's drivers in tests/integration/odbc_test.cpp.
#include "db/dialect/snowflake_dialect.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "db/odbc/odbc_connection.hpp"
#include "events/hooks/sql_hook.hpp"
#include "profiling/metric_plan.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/scope.hpp"

namespace baselinr {
namespace {

using db::snowflake_dialect;

// ---- a connection that records what would be sent -------------------------------------------

struct Sent {
  std::string kind;  // QUERY, EXECUTE, PREPARE, EXEC (a prepared statement), BEGIN, COMMIT, ...
  std::string sql;
  std::vector<db::Value> params;
};

class RecordingStatement final : public db::Statement {
 public:
  explicit RecordingStatement(std::vector<Sent>* log) : log_(log) {}
  void execute(std::span<const db::Value> params) override {
    log_->push_back({"EXEC", "", {params.begin(), params.end()}});
  }

 private:
  std::vector<Sent>* log_;
};

// Sends nothing: every query answers with no rows.
class RecordingConnection final : public db::Connection {
 public:
  explicit RecordingConnection(std::vector<Sent>* log) : log_(log) {}
  const db::Dialect& dialect() const override { return snowflake_dialect(); }
  db::Result query(std::string_view sql, std::span<const db::Value> params = {}) override {
    log_->push_back({"QUERY", std::string(sql), {params.begin(), params.end()}});
    return {};
  }
  void execute(std::string_view sql, std::span<const db::Value> params = {}) override {
    log_->push_back({"EXECUTE", std::string(sql), {params.begin(), params.end()}});
  }
  std::unique_ptr<db::Statement> prepare(std::string_view sql) override {
    log_->push_back({"PREPARE", std::string(sql), {}});
    return std::make_unique<RecordingStatement>(log_);
  }
  std::vector<db::ColumnInfo> columns(const db::TableRef& table) override {
    log_->push_back({"COLUMNS", table.display(), {}});
    return {};
  }
  void begin() override { log_->push_back({"BEGIN", "", {}}); }
  void commit() override { log_->push_back({"COMMIT", "", {}}); }
  void rollback() override { log_->push_back({"ROLLBACK", "", {}}); }

 private:
  std::vector<Sent>* log_;
};

std::vector<std::string> lines(const std::vector<Sent>& log) {
  std::vector<std::string> out;
  for (const Sent& s : log) out.push_back(s.sql.empty() ? s.kind : s.kind + " " + s.sql);
  return out;
}

const std::string kEventsDdl =
    "CREATE TABLE IF NOT EXISTS \"BASELINR_EVENTS\" (\"EVENT_ID\" VARCHAR(36) PRIMARY KEY, "
    "\"EVENT_TYPE\" VARCHAR(100) NOT NULL, \"TABLE_NAME\" VARCHAR(255), \"COLUMN_NAME\" "
    "VARCHAR(255), \"METRIC_NAME\" VARCHAR(100), \"BASELINE_VALUE\" FLOAT, \"CURRENT_VALUE\" "
    "FLOAT, \"CHANGE_PERCENT\" FLOAT, \"DRIFT_SEVERITY\" VARCHAR(20), \"TIMESTAMP\" TIMESTAMP_NTZ "
    "NOT NULL, \"METADATA\" VARIANT, \"CREATED_AT\" TIMESTAMP_NTZ DEFAULT SYSDATE())";

const std::vector<std::string> kStorageDdl = {
    "CREATE TABLE IF NOT EXISTS \"BASELINR_SCHEMA_VERSION\" (\"VERSION\" INTEGER PRIMARY KEY, "
    "\"APPLIED_AT\" TIMESTAMP_NTZ NOT NULL, \"DESCRIPTION\" VARCHAR(500), \"MIGRATION_SCRIPT\" "
    "VARCHAR(255), \"CHECKSUM\" VARCHAR(64))",
    "CREATE TABLE IF NOT EXISTS \"BASELINR_RUNS\" (\"RUN_ID\" VARCHAR(36) NOT NULL, "
    "\"DATASET_NAME\" VARCHAR(255) NOT NULL, \"SCHEMA_NAME\" VARCHAR(255), \"PROFILED_AT\" "
    "TIMESTAMP_NTZ NOT NULL, \"ENVIRONMENT\" VARCHAR(50), \"STATUS\" VARCHAR(20), \"ROW_COUNT\" "
    "BIGINT, \"COLUMN_COUNT\" BIGINT, PRIMARY KEY (\"RUN_ID\", \"DATASET_NAME\"))",
    "CREATE TABLE IF NOT EXISTS \"BASELINR_RESULTS\" (\"ID\" NUMBER(38,0) AUTOINCREMENT START 1 "
    "INCREMENT 1 ORDER PRIMARY KEY, \"RUN_ID\" VARCHAR(36) NOT NULL, \"DATASET_NAME\" "
    "VARCHAR(255) NOT NULL, \"SCHEMA_NAME\" VARCHAR(255), \"COLUMN_NAME\" VARCHAR(255) NOT NULL, "
    "\"COLUMN_TYPE\" VARCHAR(255), \"METRIC_NAME\" VARCHAR(100) NOT NULL, \"METRIC_VALUE\" "
    "VARCHAR, \"PROFILED_AT\" TIMESTAMP_NTZ NOT NULL, FOREIGN KEY (\"RUN_ID\", \"DATASET_NAME\") "
    "REFERENCES \"BASELINR_RUNS\" (\"RUN_ID\", \"DATASET_NAME\"))",
    kEventsDdl,
};

const std::string kRunColumns =
    "\"RUN_ID\", \"DATASET_NAME\", \"SCHEMA_NAME\", \"PROFILED_AT\", \"ENVIRONMENT\", "
    "\"STATUS\", \"ROW_COUNT\", \"COLUMN_COUNT\", \"METADATA\"";

// ---- names ------------------------------------------------------------------------------------

TEST(SnowflakeDialect, UserIdentifiersAreExactStorageNamesFollowTheUnquotedConvention) {
  const db::Dialect& d = snowflake_dialect();
  EXPECT_EQ(d.name(), "snowflake");
  EXPECT_EQ(d.placeholder(1), "?");
  EXPECT_EQ(d.placeholder(7), "?");
  EXPECT_FALSE(d.numbered_placeholders());
  // Configured and introspected names: exact, quoted, quotes doubled.
  EXPECT_EQ(d.quote_identifier("customers"), "\"customers\"");
  EXPECT_EQ(d.quote_identifier("CUSTOMERS"), "\"CUSTOMERS\"");
  EXPECT_EQ(d.quote_identifier("x\"; DROP TABLE y; --"), "\"x\"\"; DROP TABLE y; --\"");
  EXPECT_EQ(d.quote_identifier("ünïcødé 表"), "\"ünïcødé 表\"");
  EXPECT_EQ(d.quote_identifier("back`tick\\slash'q"), "\"back`tick\\slash'q\"");
  EXPECT_EQ(d.table_sql({"PUBLIC", "Orders"}), "\"PUBLIC\".\"Orders\"");
  // Names baselinr creates: lower-case ones as Snowflake stores unquoted names.
  EXPECT_EQ(d.storage_identifier("event_id"), "\"EVENT_ID\"");
  EXPECT_EQ(d.storage_identifier("timestamp"), "\"TIMESTAMP\"");
  EXPECT_EQ(d.qualified_name("baselinr_runs"), "\"BASELINR_RUNS\"");
  EXPECT_EQ(d.qualified_name("analytics.monitoring.baselinr_runs"),
            "\"ANALYTICS\".\"MONITORING\".\"BASELINR_RUNS\"");
  EXPECT_EQ(d.qualified_name("_x$1"), "\"_X$1\"");
  // Anything that is not a lower-case unquoted identifier is kept exactly.
  EXPECT_EQ(d.qualified_name("Analytics.MyResults"), "\"Analytics\".\"MyResults\"");
  EXPECT_EQ(d.qualified_name("ANALYTICS.RESULTS"), "\"ANALYTICS\".\"RESULTS\"");
  EXPECT_EQ(db::snowflake_storage_name("with space"), "\"with space\"");
  EXPECT_EQ(db::snowflake_storage_name("1abc"), "\"1abc\"");
  EXPECT_EQ(db::snowflake_storage_name("ünï"), "\"ünï\"");
  EXPECT_EQ(db::snowflake_storage_name("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(db::snowflake_storage_name(""), "\"\"");
}

TEST(SnowflakeDialect, ClassifiesSnowflakeTypes) {
  const db::Dialect& d = snowflake_dialect();
  for (const char* t : {"NUMBER", "NUMBER(38,0)", "NUMBER(10,2)", "DECIMAL(12,2)", "NUMERIC", "INT",
                        "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT", "FLOAT", "FLOAT4",
                        "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL", "FIXED", "DECFLOAT"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kNumeric) << t;
  }
  for (const char* t : {"VARCHAR", "VARCHAR(16777216)", "TEXT", "STRING", "CHAR(1)", "CHARACTER",
                        "NCHAR", "NVARCHAR"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kString) << t;
  }
  for (const char* t : {"DATE", "TIME", "TIME(9)", "TIMESTAMP", "DATETIME", "TIMESTAMP_NTZ",
                        "TIMESTAMP_NTZ(9)", "TIMESTAMP_LTZ", "TIMESTAMP_TZ(3)"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kTemporal) << t;
  }
  EXPECT_EQ(d.classify_type("BOOLEAN"), TypeClass::kBoolean);
  for (const char* t :
       {"VARIANT", "OBJECT", "ARRAY", "GEOGRAPHY", "GEOMETRY", "BINARY", "VARBINARY", "VECTOR"}) {
    EXPECT_EQ(d.classify_type(t), TypeClass::kOther) << t;
  }
}

TEST(SnowflakeDialect, AggregateExpressions) {
  const db::Dialect& d = snowflake_dialect();
  const db::ColumnExpr x{"\"X\"", "NUMBER(38,0)", TypeClass::kNumeric};
  EXPECT_EQ(d.count_rows(), "COUNT(*)");
  EXPECT_EQ(d.count_non_null("\"X\""), "COUNT(\"X\")");
  EXPECT_EQ(d.count_distinct(x), "COUNT(DISTINCT \"X\")");
  EXPECT_EQ(d.approx_count_distinct(x), "APPROX_COUNT_DISTINCT(\"X\")");
  EXPECT_EQ(d.min_value("\"X\""), "MIN(\"X\")");
  EXPECT_EQ(d.max_value("\"X\""), "MAX(\"X\")");
  // AVG of a fixed-point NUMBER keeps six decimals: averaged as a double instead.
  EXPECT_EQ(d.mean(x), "AVG(CAST(\"X\" AS DOUBLE))");
  EXPECT_EQ(d.stddev_samp(x), "STDDEV_SAMP(CAST(\"X\" AS DOUBLE))");
  EXPECT_EQ(d.char_length("\"S\""), "LENGTH(\"S\")");
  EXPECT_EQ(d.to_double("\"X\""), "CAST(\"X\" AS DOUBLE)");
  EXPECT_EQ(d.current_schema_sql(), "CURRENT_SCHEMA()");
  // Run by the ODBC connector right after connecting.
  EXPECT_EQ(d.session_setup(), std::vector<std::string>{"ALTER SESSION SET TIMEZONE = 'UTC'"});
  db::ParamList p(d);
  EXPECT_EQ(d.limit_rows(25, p), " LIMIT 25") << "Snowflake takes no bind variable in LIMIT";
  EXPECT_TRUE(p.bind("").params.empty());
}

// ---- profiling --------------------------------------------------------------------------------

std::vector<profiling::ColumnSpec> sample_columns() {
  std::vector<profiling::ColumnSpec> cols;
  for (const auto& [name, type, type_class] :
       {std::tuple{"ID", "NUMBER(38,0)", TypeClass::kNumeric},
        {"NAME", "VARCHAR(100)", TypeClass::kString},
        {"CREATED_AT", "TIMESTAMP_NTZ", TypeClass::kTemporal},
        {"ACTIVE", "BOOLEAN", TypeClass::kBoolean},
        {"DOC", "VARIANT", TypeClass::kOther}}) {
    EXPECT_EQ(snowflake_dialect().classify_type(type), type_class) << type;
    cols.push_back(
        {name, type, type_class, profiling::metrics_for(type_class, all_metric_names(), true)});
  }
  return cols;
}

TEST(SnowflakeDialect, ProfilingIsOneScalarQueryAndOneHistogramQuery) {
  const db::Dialect& d = snowflake_dialect();
  profiling::QueryBuilder b(d, d.table_sql({"PUBLIC", "ORDERS"}), sample_columns(),
                            DistinctMode::kExact, 4);
  profiling::ScalarQuery scalar = b.scalar_query();
  EXPECT_EQ(scalar.sql,
            "SELECT COUNT(*) AS m0,\n"
            "       COUNT(\"ID\") AS m1,\n"
            "       COUNT(DISTINCT \"ID\") AS m2,\n"
            "       MIN(\"ID\") AS m3,\n"
            "       MAX(\"ID\") AS m4,\n"
            "       AVG(CAST(\"ID\" AS DOUBLE)) AS m5,\n"
            "       STDDEV_SAMP(CAST(\"ID\" AS DOUBLE)) AS m6,\n"
            "       COUNT(\"NAME\") AS m7,\n"
            "       COUNT(DISTINCT \"NAME\") AS m8,\n"
            "       MIN(LENGTH(\"NAME\")) AS m9,\n"
            "       MAX(LENGTH(\"NAME\")) AS m10,\n"
            "       AVG(CAST(LENGTH(\"NAME\") AS DOUBLE)) AS m11,\n"
            "       COUNT(\"CREATED_AT\") AS m12,\n"
            "       COUNT(DISTINCT \"CREATED_AT\") AS m13,\n"
            "       MIN(\"CREATED_AT\") AS m14,\n"
            "       MAX(\"CREATED_AT\") AS m15,\n"
            "       COUNT(\"ACTIVE\") AS m16,\n"
            "       COUNT(DISTINCT \"ACTIVE\") AS m17,\n"
            "       COUNT(\"DOC\") AS m18,\n"
            "       COUNT(DISTINCT \"DOC\") AS m19\n"
            "FROM \"PUBLIC\".\"ORDERS\"");
  EXPECT_TRUE(scalar.params.empty());

  profiling::HistogramQuery h = b.histogram_query({{0, 0.0, 100.0}});
  const std::string x = "CAST(\"ID\" AS DOUBLE)";
  const std::string p = "CAST(? AS DOUBLE)";
  EXPECT_EQ(h.sql, "SELECT ARRAY_TO_STRING(ARRAY_CONSTRUCT(COUNT_IF(" + x + " < " + p +
                       "), COUNT_IF(" + x + " >= " + p + " AND " + x + " < " + p + "), COUNT_IF(" +
                       x + " >= " + p + " AND " + x + " < " + p + "), COUNT_IF(" + x + " >= " + p +
                       ")), ',') AS h0\n"
                       "FROM \"PUBLIC\".\"ORDERS\"");
  EXPECT_TRUE(h.packed);
  EXPECT_EQ(h.params, (std::vector<db::Value>{25.0, 25.0, 50.0, 50.0, 75.0, 75.0}));

  // Two histogram columns still make one query, one packed value each.
  profiling::HistogramQuery two = b.histogram_query({{0, -1.0, 1.0}, {0, 5.0, 6.0}});
  EXPECT_NE(two.sql.find(" AS h0,\n       ARRAY_TO_STRING("), std::string::npos) << two.sql;
  EXPECT_EQ(two.params.size(), 12u);

  // The packed text decodes into the bins.
  db::Result row;
  row.rows = {{std::string("3,0,7,1")}};
  auto bins = b.decode_histograms(row, {{0, 0.0, 100.0}}, h);
  EXPECT_EQ(bins, (std::vector<std::vector<std::int64_t>>{{3, 0, 7, 1}}));
}

// Quantiles and top values: one statement per column, grouping its values once; the ranks of
// the quantiles are computed from the scalar statement's non-null count and bound.
TEST(SnowflakeDialect, DistributionSummariesAreOneStatementPerColumn) {
  const db::Dialect& d = snowflake_dialect();
  profiling::QueryBuilder b(d, d.table_sql({"PUBLIC", "ORDERS"}), sample_columns(),
                            DistinctMode::kExact, 4);
  b.set_distribution(10, 1000);
  const profiling::DistributionQuery q = b.distribution_query(0, 10, true, true);
  std::string rank_terms;
  for (int i = 0; i < 11; ++i) {
    rank_terms += "\n   OR (baselinr_cum - baselinr_n < ? AND baselinr_cum >= ?)";
  }
  EXPECT_EQ(q.sql,
            "SELECT baselinr_value, baselinr_n, baselinr_cum, baselinr_pos, baselinr_groups, "
            "baselinr_total\n"
            "FROM (SELECT baselinr_value, baselinr_n,\n"
            "             SUM(baselinr_n) OVER (ORDER BY baselinr_key ROWS BETWEEN UNBOUNDED "
            "PRECEDING AND CURRENT ROW) AS baselinr_cum,\n"
            "             ROW_NUMBER() OVER (ORDER BY baselinr_n DESC, baselinr_key) AS "
            "baselinr_pos,\n"
            "             COUNT(*) OVER () AS baselinr_groups,\n"
            "             SUM(baselinr_n) OVER () AS baselinr_total\n"
            "      FROM (SELECT \"ID\" AS baselinr_value, \"ID\" AS baselinr_key, COUNT(*) AS "
            "baselinr_n\n"
            "            FROM \"PUBLIC\".\"ORDERS\"\n"
            "            WHERE \"ID\" IS NOT NULL\n"
            "            GROUP BY \"ID\") AS baselinr_counted) AS baselinr_ordered\n"
            "WHERE baselinr_pos <= ?" +
                rank_terms + "\nORDER BY baselinr_pos");
  // k, then each nearest rank ceil(p * 10) twice: p = 0, .01, .05, .1 -> 1; .25 -> 3; .5 -> 5;
  // .75 -> 8; .9 -> 9; .95, .99, 1 -> 10.
  std::vector<db::Value> want = {std::int64_t{10}};
  for (std::int64_t r : {1, 1, 1, 1, 3, 5, 8, 9, 10, 10, 10}) {
    want.emplace_back(r);
    want.emplace_back(r);
  }
  EXPECT_EQ(q.params, want);

  // Only the top values (a string column): the k most frequent groups by a bounded sort, no
  // running count and no ROW_NUMBER over every group (Snowflake writes the row cap itself).
  const profiling::DistributionQuery top = b.distribution_query(1, 10, false, true);
  EXPECT_EQ(top.form, profiling::DistributionQuery::Form::kTop);
  EXPECT_EQ(top.sql,
            "SELECT baselinr_value, baselinr_n, baselinr_groups, baselinr_total\n"
            "FROM (SELECT baselinr_value, baselinr_key, baselinr_n,\n"
            "             COUNT(*) OVER () AS baselinr_groups,\n"
            "             SUM(baselinr_n) OVER () AS baselinr_total\n"
            "      FROM (SELECT \"NAME\" AS baselinr_value, \"NAME\" AS baselinr_key, COUNT(*) AS "
            "baselinr_n\n"
            "            FROM \"PUBLIC\".\"ORDERS\"\n"
            "            WHERE \"NAME\" IS NOT NULL\n"
            "            GROUP BY \"NAME\") AS baselinr_counted) AS baselinr_totals\n"
            "ORDER BY baselinr_n DESC, baselinr_key LIMIT 10");
  EXPECT_TRUE(top.params.empty());
  // Every value distinct (the scalar statement's count says so): the k first values, no grouping.
  const profiling::DistributionQuery unique = b.distribution_query(1, 10, false, true, true);
  EXPECT_EQ(unique.form, profiling::DistributionQuery::Form::kUnique);
  EXPECT_EQ(unique.sql,
            "SELECT \"NAME\" AS baselinr_value\n"
            "FROM \"PUBLIC\".\"ORDERS\"\n"
            "WHERE \"NAME\" IS NOT NULL\n"
            "ORDER BY \"NAME\" LIMIT 10");
  {
    // 12 distinct values: the 10 first, each once; 2 others.
    db::Result first;
    for (int i = 0; i < 10; ++i) first.rows.push_back({std::string(1, static_cast<char>('a' + i))});
    profiling::ColumnAggregates ua;
    const profiling::DistributionQuery u12 = b.distribution_query(1, 12, false, true, true);
    b.decode_distribution(first, u12, ua);
    ASSERT_TRUE(ua.top_values.has_value());
    EXPECT_EQ(ua.top_values->distinct_count, 12);
    EXPECT_EQ(ua.top_values->other_count, 2);
    ASSERT_EQ(ua.top_values->values.size(), 10u);
    EXPECT_EQ(ua.top_values->values[9],
              (std::pair<MetricValue, std::int64_t>{std::string("j"), 1}));
    EXPECT_FALSE(ua.quantiles.has_value());
    // Fewer rows than min(k, n): not the scalar statement's snapshot.
    first.rows.pop_back();
    EXPECT_THROW(b.decode_distribution(first, u12, ua), QueryError);
    // The top form: rows by position; the groups and their total over all groups.
    db::Result t;
    t.rows = {{std::string("x"), std::int64_t{7}, std::int64_t{3}, std::int64_t{12}},
              {std::string("y"), std::int64_t{4}, std::int64_t{3}, std::int64_t{12}}};
    const profiling::DistributionQuery t12 = b.distribution_query(1, 12, false, true);
    profiling::ColumnAggregates ta;
    b.decode_distribution(t, t12, ta);
    ASSERT_TRUE(ta.top_values.has_value());
    EXPECT_EQ(ta.top_values->distinct_count, 3);
    EXPECT_EQ(ta.top_values->other_count, 1);
    ASSERT_EQ(ta.top_values->values.size(), 2u);
    EXPECT_EQ(ta.top_values->values[1],
              (std::pair<MetricValue, std::int64_t>{std::string("y"), 4}));
    t.rows[0][3] = std::int64_t{13};
    t.rows[1][3] = std::int64_t{13};
    EXPECT_THROW(b.decode_distribution(t, t12, ta), QueryError);
  }

  // The groups 5 (4 values), 7 (3), 9 (2), 11 (1), by position.
  db::Result r;
  auto row = [](std::int64_t v, std::int64_t n, std::int64_t cum, std::int64_t pos) {
    return std::vector<db::Value>{v, n, cum, pos, std::int64_t{4}, std::string("10")};
  };
  r.rows = {row(5, 4, 4, 1), row(7, 3, 7, 2), row(9, 2, 9, 3), row(11, 1, 10, 4)};
  profiling::ColumnAggregates a;
  b.decode_distribution(r, q, a);
  ASSERT_TRUE(a.quantiles.has_value());
  EXPECT_EQ(a.quantiles->n, 10);
  EXPECT_EQ(
      a.quantiles->values,
      (std::vector<MetricValue>{std::int64_t{5}, std::int64_t{5}, std::int64_t{5}, std::int64_t{5},
                                std::int64_t{5}, std::int64_t{7}, std::int64_t{9}, std::int64_t{9},
                                std::int64_t{11}, std::int64_t{11}, std::int64_t{11}}));
  ASSERT_TRUE(a.top_values.has_value());
  EXPECT_EQ(a.top_values->distinct_count, 4);
  EXPECT_EQ(a.top_values->other_count, 0);
  ASSERT_EQ(a.top_values->values.size(), 4u);
  EXPECT_EQ(a.top_values->values[0], (std::pair<MetricValue, std::int64_t>{std::int64_t{5}, 4}));
  EXPECT_EQ(a.top_values->values[3], (std::pair<MetricValue, std::int64_t>{std::int64_t{11}, 1}));
  // Another count than the scalar statement's: the statements did not read one snapshot.
  r.rows.pop_back();
  for (auto& x : r.rows) x[5] = std::int64_t{9};
  EXPECT_THROW(b.decode_distribution(r, q, a), QueryError);
}

TEST(SnowflakeDialect, HistogramThresholdsGiveTheSharedFormulasBins) {
  const db::Dialect& d = snowflake_dialect();
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int round = 0; round < 20; ++round) {
    double lo = u(rng), hi = u(rng);
    if (lo > hi) std::swap(lo, hi);
    const int bins = 1 + static_cast<int>(rng() % 12);
    db::ParamList params(d);
    db::HistogramExprs h = d.histogram("\"V\"", lo, hi - lo, bins, params);
    ASSERT_EQ(h.exprs.size(), 1u);
    db::BoundSql bound = params.bind(h.exprs[0]);
    // Each bin's condition is [t(i-1), t(i)): the bin of x is the number of distinct
    // thresholds <= x.
    std::vector<double> t;
    for (const auto& v : bound.params) {
      if (t.empty() || t.back() != std::get<double>(v)) t.push_back(std::get<double>(v));
    }
    ASSERT_EQ(t.size(), static_cast<std::size_t>(bins - 1));
    for (int k = 0; k < 200; ++k) {
      const double v = lo + (hi - lo) * static_cast<double>(rng() % 10001) / 10000.0;
      const auto below = std::upper_bound(t.begin(), t.end(), v) - t.begin();
      EXPECT_EQ(below, histogram_bin(v, lo, hi - lo, bins)) << v;
    }
  }
}

TEST(SnowflakeDialect, ApproximateDistinctCountsPushDown) {
  const db::Dialect& d = snowflake_dialect();
  std::vector<profiling::ColumnSpec> cols = {
      {"ID", "NUMBER", TypeClass::kNumeric, {"count", "distinct_count", "distinct_percent"}}};
  profiling::QueryBuilder b(d, d.table_sql({"", "T"}), cols, DistinctMode::kApproximate, 10);
  EXPECT_EQ(b.scalar_query().sql,
            "SELECT COUNT(*) AS m0,\n"
            "       APPROX_COUNT_DISTINCT(\"ID\") AS m1\n"
            "FROM \"T\"");
}

// Sampling: SAMPLE ... SEED on the table for random sampling; HASH() orders the cap and strata.
TEST(SnowflakeDialect, SamplingStatementsArePinned) {
  const db::Dialect& d = db::snowflake_dialect();
  TableConfig table;
  table.table = "EVENTS";
  profiling::TableTarget target{&table, 0, {"PUBLIC", "EVENTS"}};
  std::vector<profiling::ColumnSpec> cols = {{"ID", "NUMBER(38,0)", TypeClass::kNumeric, {}},
                                             {"CATEGORY", "VARCHAR", TypeClass::kString, {}}};
  profiling::Scope scope;
  scope.seed = 12345;
  SamplingConfig s;
  s.enabled = true;
  s.fraction = 0.05;
  s.max_rows = 1000;
  scope.sampling = s;
  db::ParamList params(d);
  db::BoundSql random = params.bind(profiling::scope_from(d, target, cols, scope, params));
  EXPECT_EQ(random.sql,
            "(SELECT * FROM (SELECT * FROM \"PUBLIC\".\"EVENTS\" AS baselinr_t SAMPLE BERNOULLI "
            "(5.0) SEED (12345)) AS baselinr_selected ORDER BY (BITAND(HASH(?, \"ID\", "
            "\"CATEGORY\"), 9007199254740991) / 9007199254740992.0) LIMIT 1000) AS "
            "baselinr_scope");
  ASSERT_EQ(random.params.size(), 1u);
  EXPECT_NE(std::get<std::int64_t>(random.params[0]), 12345) << "the cap has its own seed";

  s.method = SamplingMethod::kStratified;
  s.stratify_by = "CATEGORY";
  s.max_rows.reset();
  s.native = "system";
  scope.sampling = s;
  db::ParamList p2(d);
  db::BoundSql strata = p2.bind(profiling::scope_from(d, target, cols, scope, p2));
  EXPECT_EQ(strata.sql,
            "(SELECT * FROM (SELECT baselinr_t.*, ROW_NUMBER() OVER (PARTITION BY \"CATEGORY\" "
            "ORDER BY (BITAND(HASH(?, \"ID\", \"CATEGORY\"), 9007199254740991) / "
            "9007199254740992.0)) AS baselinr_rn, COUNT(*) OVER (PARTITION BY \"CATEGORY\") AS "
            "baselinr_n FROM \"PUBLIC\".\"EVENTS\" AS baselinr_t) AS baselinr_ranked WHERE "
            "baselinr_rn <= baselinr_n * CAST(? AS DOUBLE) + 0.5 OR baselinr_rn = 1) AS "
            "baselinr_scope");
  s.method = SamplingMethod::kRandom;
  s.max_rows.reset();
  scope.sampling = s;
  db::ParamList p3(d);
  EXPECT_EQ(p3.bind(profiling::scope_from(d, target, cols, scope, p3)).sql,
            "(SELECT * FROM \"PUBLIC\".\"EVENTS\" AS baselinr_t SAMPLE SYSTEM (5.0) SEED "
            "(12345)) AS baselinr_scope");
}

TEST(SnowflakeDialect, IntrospectionQuery) {
  const db::Dialect& d = snowflake_dialect();
  db::ParamList params(d);
  db::BoundSql q = params.bind(d.columns_query({"PUBLIC", "ORDERS"}, params));
  EXPECT_EQ(q.sql,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position");
  EXPECT_EQ(q.params, (std::vector<db::Value>{std::string("PUBLIC"), std::string("ORDERS")}));
  db::ParamList current(d);
  q = current.bind(d.columns_query({"", "Orders"}, current));
  EXPECT_EQ(q.sql,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
            "CURRENT_SCHEMA() AND table_name = ? ORDER BY ordinal_position");
  EXPECT_EQ(q.params, (std::vector<db::Value>{std::string("Orders")}));
}

// ---- storage ----------------------------------------------------------------------------------

TEST(SnowflakeStorage, DdlHasEveryTableAndNoIndexes) {
  auto ddl = snowflake_dialect().storage_ddl(
      {"baselinr_runs", "baselinr_results", "baselinr_events", "baselinr_schema_version"});
  EXPECT_EQ(ddl, kStorageDdl);
  EXPECT_EQ(snowflake_dialect().events_ddl("baselinr_events"),
            std::vector<std::string>{kEventsDdl});
}

TEST(SnowflakeStorage, EveryStatementOfTheResultsStore) {
  std::vector<Sent> log;
  StorageConfig sc;
  {
    RunStore store(std::make_unique<RecordingConnection>(&log), sc, "production");
    std::vector<std::string> want = kStorageDdl;
    for (auto& s : want) s = "EXECUTE " + s;
    const std::string insert_version =
        "EXECUTE INSERT INTO \"BASELINR_SCHEMA_VERSION\" (\"VERSION\", \"APPLIED_AT\", "
        "\"DESCRIPTION\") VALUES (?, ?, ?)";
    want.push_back("QUERY SELECT MAX(\"VERSION\") FROM \"BASELINR_SCHEMA_VERSION\"");
    // Version 1: the tables above. (Snowflake offers no schema lock: each statement is
    // idempotent or atomic on its own.)
    want.push_back(insert_version);
    // Version 2: runs.metadata, added unless the column exists (looked up by its stored name).
    want.push_back("COLUMNS BASELINR_RUNS");
    want.push_back("EXECUTE ALTER TABLE \"BASELINR_RUNS\" ADD COLUMN \"METADATA\" VARCHAR");
    want.push_back(insert_version);
    // Version 3: the outbox, the delivery records and the findings (Snowflake has no indexes).
    want.push_back(
        "EXECUTE CREATE TABLE IF NOT EXISTS \"BASELINR_OUTBOX\" (\"EVENT_ID\" VARCHAR(36) "
        "PRIMARY KEY, \"EVENT_TYPE\" VARCHAR(100) NOT NULL, \"TABLE_NAME\" VARCHAR(255), "
        "\"FINDING_KEY\" VARCHAR(36), \"GROUP_KEY\" VARCHAR(36), \"SEVERITY\" BIGINT, "
        "\"CREATED_AT\" TIMESTAMP_NTZ NOT NULL, \"PAYLOAD\" VARCHAR NOT NULL)");
    want.push_back(
        "EXECUTE CREATE TABLE IF NOT EXISTS \"BASELINR_DELIVERIES\" (\"EVENT_ID\" VARCHAR(36) NOT "
        "NULL, \"HOOK_NAME\" VARCHAR(255) NOT NULL, \"STATUS\" VARCHAR(20) NOT NULL, \"ATTEMPTS\" "
        "BIGINT NOT NULL, \"NEXT_ATTEMPT_AT\" TIMESTAMP_NTZ NOT NULL, \"LEASE_OWNER\" "
        "VARCHAR(100), \"LEASE_UNTIL\" TIMESTAMP_NTZ, \"LAST_ERROR\" VARCHAR, \"EVENT_TYPE\" "
        "VARCHAR(100), \"FINDING_KEY\" VARCHAR(36), \"GROUP_KEY\" VARCHAR(36), \"SEVERITY\" "
        "BIGINT, \"FORCED\" BIGINT NOT NULL, \"CREATED_AT\" TIMESTAMP_NTZ NOT NULL, "
        "\"UPDATED_AT\" TIMESTAMP_NTZ, \"DELIVERED_AT\" TIMESTAMP_NTZ, PRIMARY KEY "
        "(\"EVENT_ID\", \"HOOK_NAME\"))");
    want.push_back(
        "EXECUTE CREATE TABLE IF NOT EXISTS \"BASELINR_FINDINGS\" (\"FINDING_KEY\" VARCHAR(36) "
        "PRIMARY KEY, \"SCHEMA_NAME\" VARCHAR(255), \"TABLE_NAME\" VARCHAR(255) NOT NULL, "
        "\"COLUMN_NAME\" VARCHAR(255), \"METRIC_NAME\" VARCHAR(100), \"DIRECTION\" VARCHAR(20), "
        "\"STATUS\" VARCHAR(20) NOT NULL, \"SEVERITY\" BIGINT, \"OPENED_AT\" TIMESTAMP_NTZ NOT "
        "NULL, \"LAST_EVENT_ID\" VARCHAR(36), \"LAST_RUN_ID\" VARCHAR(36), \"LAST_RUN_AT\" "
        "TIMESTAMP_NTZ, \"RESOLVED_EVENT_ID\" VARCHAR(36), \"UPDATED_AT\" TIMESTAMP_NTZ)");
    want.push_back(insert_version);
    // Version 4: the pinned baselines (no index: standard tables have none).
    want.push_back(
        "EXECUTE CREATE TABLE IF NOT EXISTS \"BASELINR_BASELINES\" (\"DATASET_NAME\" "
        "VARCHAR(255) NOT NULL, \"SCHEMA_NAME\" VARCHAR(255), \"RUN_ID\" VARCHAR(36) NOT NULL, "
        "\"PINNED_AT\" TIMESTAMP_NTZ NOT NULL)");
    want.push_back(insert_version);
    EXPECT_EQ(lines(log), want);
    ASSERT_EQ(log.size(), want.size());
    const std::size_t first_insert = kStorageDdl.size() + 1;
    EXPECT_EQ(log[first_insert].params.size(), 3u);
    EXPECT_EQ(log[first_insert].params.at(0), db::Value(std::int64_t{1}));
    EXPECT_EQ(log.back().params.at(0), db::Value(std::int64_t{kStorageSchemaVersion}));
    log.clear();

    ProfilingResult r;
    r.run_id = "0f5c2f4e-0000-4000-8000-000000000001";
    r.dataset_name = "orders";
    r.schema_name = "PUBLIC";
    r.profiled_at = *parse_time("2026-01-02 03:04:05.250000");
    r.row_count = 3;
    ColumnProfile id;
    id.name = "ID";
    id.type = "NUMBER";
    id.metrics = {{"count", std::int64_t{3}}, {"mean", 2.5}, {"min", std::monostate{}}};
    r.columns = {id};
    r.table_metrics = {{"row_count", std::int64_t{3}}};
    store.store(r);
    EXPECT_EQ(lines(log),
              (std::vector<std::string>{
                  "BEGIN",
                  "EXECUTE INSERT INTO \"BASELINR_RUNS\" (" + kRunColumns +
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "PREPARE INSERT INTO \"BASELINR_RESULTS\" (\"RUN_ID\", \"DATASET_NAME\", "
                  "\"SCHEMA_NAME\", \"COLUMN_NAME\", \"COLUMN_TYPE\", \"METRIC_NAME\", "
                  "\"METRIC_VALUE\", \"PROFILED_AT\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  "EXEC", "EXEC", "EXEC", "EXEC", "COMMIT"}));
    ASSERT_EQ(log[1].params.size(), 9u);
    EXPECT_EQ(std::vector<db::Value>(log[1].params.begin(), log[1].params.begin() + 8),
              (std::vector<db::Value>{r.run_id, std::string("orders"), std::string("PUBLIC"),
                                      std::string("2026-01-02 03:04:05.250000"),
                                      std::string("production"), std::string("completed"),
                                      std::int64_t{3}, std::int64_t{1}}));
    // The run's metadata (what it profiled) as JSON text.
    EXPECT_TRUE(nlohmann::json::accept(db::as_text(log[1].params[8]).value_or("")));
    EXPECT_EQ(log[4].params, (std::vector<db::Value>{
                                 r.run_id, std::string("orders"), std::string("PUBLIC"),
                                 std::string("ID"), std::string("NUMBER"), std::string("mean"),
                                 std::string("2.5"), std::string("2026-01-02 03:04:05.250000")}));
    EXPECT_EQ(log[5].params[6], db::Value(std::monostate{}));
    // A table-level metric: an empty column name (COLUMN_NAME is NOT NULL) and no type.
    EXPECT_EQ(log[6].params,
              (std::vector<db::Value>{r.run_id, std::string("orders"), std::string("PUBLIC"),
                                      std::string(), db::Value(std::monostate{}),
                                      std::string("row_count"), std::string("3"),
                                      std::string("2026-01-02 03:04:05.250000")}));
    log.clear();

    RunRecord run;
    run.run_id = r.run_id;
    run.dataset_name = "orders";
    run.schema_name = "PUBLIC";
    run.profiled_at = "2026-01-02 03:04:05.250000";
    store.list_runs({.dataset = "orders", .schema = "PUBLIC", .limit = 5});
    store.list_runs({});
    store.find_run(r.run_id);
    store.results(run);
    store.runs_before(run, 3);
    store.list_events({.event_type = "DataDriftDetected", .table = "orders", .limit = 2});
    store.schema_version();
    const std::string select_runs = "QUERY SELECT " + kRunColumns + " FROM \"BASELINR_RUNS\"";
    EXPECT_EQ(
        lines(log),
        (std::vector<std::string>{
            select_runs +
                " WHERE \"DATASET_NAME\" = ? AND \"SCHEMA_NAME\" = ? ORDER BY \"PROFILED_AT\" DESC "
                "LIMIT 5",
            select_runs + " ORDER BY \"PROFILED_AT\" DESC", select_runs + " WHERE \"RUN_ID\" = ?",
            "QUERY SELECT \"COLUMN_NAME\", \"COLUMN_TYPE\", \"METRIC_NAME\", \"METRIC_VALUE\" FROM "
            "\"BASELINR_RESULTS\" WHERE \"RUN_ID\" = ? AND \"DATASET_NAME\" = ? ORDER BY \"ID\"",
            select_runs +
                " WHERE \"DATASET_NAME\" = ? AND \"SCHEMA_NAME\" = ? AND \"STATUS\" = ? AND "
                "\"PROFILED_AT\" < ? ORDER BY \"PROFILED_AT\" DESC LIMIT 3",
            // No earlier run in its schema: the runs stored without one (older versions).
            select_runs +
                " WHERE \"DATASET_NAME\" = ? AND \"SCHEMA_NAME\" IS NULL AND \"STATUS\" = ? AND "
                "\"PROFILED_AT\" < ? ORDER BY \"PROFILED_AT\" DESC LIMIT 3",
            "QUERY SELECT \"EVENT_ID\", \"EVENT_TYPE\", \"TABLE_NAME\", \"COLUMN_NAME\", "
            "\"METRIC_NAME\", \"BASELINE_VALUE\", \"CURRENT_VALUE\", \"CHANGE_PERCENT\", "
            "\"DRIFT_SEVERITY\", \"TIMESTAMP\", \"METADATA\", \"CREATED_AT\" FROM "
            "\"BASELINR_EVENTS\" WHERE \"EVENT_TYPE\" = ? AND \"TABLE_NAME\" = ? AND "
            "(\"TABLE_NAME\" IS NULL OR \"TABLE_NAME\" <> ?) ORDER BY \"TIMESTAMP\" DESC LIMIT 2",
            "QUERY SELECT MAX(\"VERSION\") FROM \"BASELINR_SCHEMA_VERSION\""}));
    EXPECT_EQ(log[0].params,
              (std::vector<db::Value>{std::string("orders"), std::string("PUBLIC")}));
    EXPECT_EQ(log[4].params, (std::vector<db::Value>{std::string("orders"), std::string("PUBLIC"),
                                                     std::string("completed"),
                                                     std::string("2026-01-02 03:04:05.250000")}));
    EXPECT_EQ(log[5].params,
              (std::vector<db::Value>{std::string("orders"), std::string("completed"),
                                      std::string("2026-01-02 03:04:05.250000")}));
  }
}

TEST(SnowflakeStorage, PinnedBaselineStatements) {
  std::vector<Sent> log;
  StorageConfig sc;
  RunStore store(std::make_unique<RecordingConnection>(&log), sc, "production");
  RunRecord run;
  run.run_id = "r1";
  run.dataset_name = "ORDERS";
  run.schema_name = "PUBLIC";
  log.clear();
  store.pin_baseline(run);
  store.pinned_baseline("ORDERS", "PUBLIC");
  EXPECT_EQ(lines(log),
            (std::vector<std::string>{
                "BEGIN",
                "EXECUTE DELETE FROM \"BASELINR_BASELINES\" WHERE \"DATASET_NAME\" = ? AND "
                "\"SCHEMA_NAME\" = ?",
                "EXECUTE INSERT INTO \"BASELINR_BASELINES\" (\"DATASET_NAME\", \"SCHEMA_NAME\", "
                "\"RUN_ID\", \"PINNED_AT\") VALUES (?, ?, ?, ?)",
                "COMMIT",
                "QUERY SELECT \"DATASET_NAME\", \"SCHEMA_NAME\", \"RUN_ID\", \"PINNED_AT\" FROM "
                "\"BASELINR_BASELINES\" WHERE \"DATASET_NAME\" = ? AND \"SCHEMA_NAME\" = ?"}));
  EXPECT_EQ(log[1].params, (std::vector<db::Value>{std::string("ORDERS"), std::string("PUBLIC")}));
  EXPECT_EQ(
      std::vector<db::Value>(log[2].params.begin(), log[2].params.begin() + 3),
      (std::vector<db::Value>{std::string("ORDERS"), std::string("PUBLIC"), std::string("r1")}));
}

TEST(SnowflakeDialect, LastChangeOfATableFromTheInformationSchema) {
  const db::Dialect& d = snowflake_dialect();
  db::ParamList params(d);
  db::BoundSql q = params.bind(d.last_change_query({"PUBLIC", "ORDERS"}, params));
  EXPECT_EQ(q.sql,
            "SELECT DATE_PART(EPOCH_SECOND, LAST_ALTERED) FROM INFORMATION_SCHEMA.TABLES WHERE "
            "TABLE_SCHEMA = ? AND TABLE_NAME = ?");
  EXPECT_EQ(q.params, (std::vector<db::Value>{std::string("PUBLIC"), std::string("ORDERS")}));
  db::ParamList current(d);
  q = current.bind(d.last_change_query({"", "Orders"}, current));
  EXPECT_EQ(q.sql,
            "SELECT DATE_PART(EPOCH_SECOND, LAST_ALTERED) FROM INFORMATION_SCHEMA.TABLES WHERE "
            "TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = ?");
}

TEST(SnowflakeStorage, ConfiguredTableNamesFoldOnlyWhenLowerCase) {
  std::vector<Sent> log;
  StorageConfig sc;
  sc.runs_table = "monitoring.runs";
  sc.results_table = "Monitoring.Results";
  sc.events_table = "EVENTS";
  RunStore store(std::make_unique<RecordingConnection>(&log), sc, "test");
  ASSERT_GE(log.size(), 4u);
  EXPECT_TRUE(log[0].sql.starts_with(
      "CREATE TABLE IF NOT EXISTS \"MONITORING\".\"BASELINR_SCHEMA_VERSION\" ("))
      << log[0].sql;
  EXPECT_TRUE(log[1].sql.starts_with("CREATE TABLE IF NOT EXISTS \"MONITORING\".\"RUNS\" ("))
      << log[1].sql;
  EXPECT_TRUE(log[2].sql.starts_with("CREATE TABLE IF NOT EXISTS \"Monitoring\".\"Results\" ("))
      << log[2].sql;
  EXPECT_NE(log[2].sql.find("REFERENCES \"MONITORING\".\"RUNS\" (\"RUN_ID\", \"DATASET_NAME\")"),
            std::string::npos)
      << log[2].sql;
  EXPECT_TRUE(log[3].sql.starts_with("CREATE TABLE IF NOT EXISTS \"EVENTS\" (")) << log[3].sql;
}

TEST(SnowflakeHook, EventsAreInsertedWithSelectAndParseJson) {
  std::vector<Sent> log;
  hooks::SqlEventHook hook([&log] { return std::make_unique<RecordingConnection>(&log); },
                           "monitoring.baselinr_events");
  Event drift(DataDriftDetected{"orders", "amount", "mean", 10.0, 12.5, 25.0, Severity::kHigh});
  hook.handle_event(drift);
  hook.handle_event(Event(ProfilingStarted{"orders", "run-1"}));
  const std::string insert =
      "INSERT INTO \"MONITORING\".\"BASELINR_EVENTS\" (\"EVENT_ID\", \"EVENT_TYPE\", "
      "\"TABLE_NAME\", \"COLUMN_NAME\", \"METRIC_NAME\", \"BASELINE_VALUE\", \"CURRENT_VALUE\", "
      "\"CHANGE_PERCENT\", \"DRIFT_SEVERITY\", \"TIMESTAMP\", \"METADATA\") SELECT ?, ?, ?, ?, ?, "
      "CAST(? AS FLOAT), CAST(? AS FLOAT), CAST(? AS FLOAT), ?, TO_TIMESTAMP_NTZ(?), "
      "PARSE_JSON(?)";
  std::string ddl = kEventsDdl;
  ddl.replace(ddl.find("\"BASELINR_EVENTS\""), std::string("\"BASELINR_EVENTS\"").size(),
              "\"MONITORING\".\"BASELINR_EVENTS\"");
  // An event whose id is stored already is not inserted again (the store's own events table may
  // be the hook's).
  const std::string exists =
      "QUERY SELECT \"EVENT_ID\" FROM \"MONITORING\".\"BASELINR_EVENTS\" WHERE \"EVENT_ID\" = ?";
  EXPECT_EQ(lines(log), (std::vector<std::string>{"EXECUTE " + ddl, "PREPARE " + insert, exists,
                                                  "EXEC", exists, "EXEC"}));
  EXPECT_EQ(snowflake_dialect().insert_event_sql("monitoring.baselinr_events"), insert);
  EXPECT_EQ(insert.find("VALUES"), std::string::npos) << "PARSE_JSON is not allowed in VALUES";
  EXPECT_EQ(log[2].params, (std::vector<db::Value>{drift.event_id()}));
  const auto& p = log[3].params;
  ASSERT_EQ(p.size(), db::events_insert_columns().size());
  EXPECT_EQ(p[0], db::Value(drift.event_id()));
  EXPECT_EQ(p[1], db::Value(std::string("DataDriftDetected")));
  EXPECT_EQ(p[5], db::Value(10.0));
  EXPECT_EQ(p[6], db::Value(12.5));
  EXPECT_EQ(p[7], db::Value(25.0));
  EXPECT_EQ(p[8], db::Value(std::string("high")));
  EXPECT_EQ(p[9], db::Value(format_storage_time(drift.timestamp())));
  EXPECT_EQ(nlohmann::json::parse(std::get<std::string>(p[10])),
            nlohmann::json::parse(drift.metadata_json()));
  EXPECT_EQ(log[5].params[5], db::Value(std::monostate{}));
}

// ---- connection strings -------------------------------------------------------------------------

ConnectionConfig snowflake_config() {
  ConnectionConfig c;
  c.type = DatabaseType::kSnowflake;
  c.account = "xy12345.eu-west-1";
  c.username = "analyst";
  c.password = "S3cret;Pa{ss}word";
  c.database = "ANALYTICS";
  c.schema = "PUBLIC";
  c.warehouse = "COMPUTE_WH";
  c.role = "ANALYST";
  c.extra_params = {{"authenticator", "snowflake"}};
  return c;
}

TEST(SnowflakeConnection, ConnectionStringFromConfig) {
  ConnectionConfig c = snowflake_config();
  EXPECT_EQ(db::snowflake_connection_string(c),
            "DRIVER={SnowflakeDSIIDriver};SERVER=xy12345.eu-west-1.snowflakecomputing.com;"
            "UID=analyst;PWD={S3cret;Pa{ss}}word};DATABASE=ANALYTICS;SCHEMA=PUBLIC;"
            "WAREHOUSE=COMPUTE_WH;ROLE=ANALYST;authenticator=snowflake");
  EXPECT_EQ(db::odbc_connection_string(c), db::snowflake_connection_string(c));

  // A full host name is used as it is; a driver or DSN from extra_params; optional keys omitted.
  ConnectionConfig full;
  full.type = DatabaseType::kSnowflake;
  full.account = "https://myorg-acct.privatelink.snowflakecomputing.com/";
  full.username = "u";
  full.database = "DB";
  full.extra_params = {{"driver", "/opt/snowflake/odbc/lib/libSnowflake.so"},
                       {"authenticator", "externalbrowser"}};
  EXPECT_EQ(db::snowflake_connection_string(full),
            "DRIVER={/opt/snowflake/odbc/lib/libSnowflake.so};"
            "SERVER=myorg-acct.privatelink.snowflakecomputing.com;UID=u;DATABASE=DB;"
            "authenticator=externalbrowser");
  ConnectionConfig dsn = snowflake_config();
  dsn.extra_params = {{"dsn", "snowflake prod"}, {"login_timeout", "30"}};
  dsn.host = "proxy.internal";
  dsn.port = 8443;
  EXPECT_EQ(db::snowflake_connection_string(dsn),
            "DSN=snowflake prod;SERVER=proxy.internal;PORT=8443;UID=analyst;"
            "PWD={S3cret;Pa{ss}}word};DATABASE=ANALYTICS;SCHEMA=PUBLIC;WAREHOUSE=COMPUTE_WH;"
            "ROLE=ANALYST");
}

TEST(SnowflakeConnection, ThePasswordIsOnlyInTheConnectionString) {
  ConnectionConfig c = snowflake_config();
  // A driver that is certainly not installed: the driver manager fails before any network.
  c.extra_params["driver"] = "baselinr-test-no-such-driver-4711";
  c.extra_params["private_key_file_pwd"] = "KeyPassphrase-99";
  const std::string cs = db::snowflake_connection_string(c);
  EXPECT_NE(cs.find("PWD={S3cret;Pa{ss}}word}"), std::string::npos) << cs;
  EXPECT_NE(cs.find("KeyPassphrase-99"), std::string::npos);
  EXPECT_EQ(c.describe(), "snowflake://analyst@xy12345.eu-west-1/ANALYTICS");
  EXPECT_TRUE(db::supports(DatabaseType::kSnowflake));
  try {
    db::connect(c);
    FAIL() << "connected through a driver that does not exist";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(
        what.starts_with("odbc: cannot connect to snowflake://analyst@xy12345.eu-west-1/"
                         "ANALYTICS: "))
        << what;
    EXPECT_NE(what.find("baselinr-test-no-such-driver-4711"), std::string::npos) << what;
    EXPECT_NE(what.find("odbcinst"), std::string::npos) << what;
    for (const char* secret : {"S3cret", "Pa{ss", "PWD", "KeyPassphrase-99"}) {
      EXPECT_EQ(what.find(secret), std::string::npos) << secret << " in: " << what;
    }
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_FALSE(e.sqlstate().empty());
  }
}

TEST(OdbcConnectionString, DriverDsnAndConnectionStringForms) {
  ConnectionConfig c;
  c.type = DatabaseType::kOdbc;
  c.host = "db.internal";
  c.port = 5432;
  c.database = "analytics";
  c.username = "analyst";
  c.password = "pw";
  c.extra_params = {{"driver", "PostgreSQL Unicode"},
                    {"login_timeout", "5"},
                    {"sslmode", "require"},
                    {"BoolsAsChar", "0"}};
  EXPECT_EQ(db::odbc_connection_string(c),
            "DRIVER={PostgreSQL Unicode};SERVER=db.internal;PORT=5432;DATABASE=analytics;"
            "UID=analyst;PWD=pw;BoolsAsChar=0;sslmode=require");

  ConnectionConfig dsn;
  dsn.type = DatabaseType::kOdbc;
  dsn.username = "analyst";
  dsn.password = "p;w";
  dsn.extra_params = {{"DSN", "warehouse"}};
  EXPECT_EQ(db::odbc_connection_string(dsn), "DSN=warehouse;UID=analyst;PWD={p;w}");

  ConnectionConfig given;
  given.type = DatabaseType::kOdbc;
  given.username = "analyst";
  given.password = "pw";
  given.host = "ignored";
  given.extra_params = {{"connection_string", "Driver={MariaDB Unicode};Server=h;Port=1"},
                        {"charset", "ignored too"}};
  EXPECT_EQ(db::odbc_connection_string(given),
            "Driver={MariaDB Unicode};Server=h;Port=1;UID=analyst;PWD=pw");
  given.extra_params["connection_string"] = "DSN=x;uid=other;Password={a;b};";
  EXPECT_EQ(db::odbc_connection_string(given), "DSN=x;uid=other;Password={a;b};")
      << "UID and PWD already present are not repeated";
}

TEST(OdbcConnectionString, ValuesAreBracedWhenTheyMustBe) {
  EXPECT_EQ(db::odbc_attribute_value("plain"), "plain");
  EXPECT_EQ(db::odbc_attribute_value("with space"), "with space");
  EXPECT_EQ(db::odbc_attribute_value("a=b"), "a=b");
  EXPECT_EQ(db::odbc_attribute_value(""), "");
  EXPECT_EQ(db::odbc_attribute_value("a;b"), "{a;b}");
  EXPECT_EQ(db::odbc_attribute_value("{x}"), "{{x}}}");
  EXPECT_EQ(db::odbc_attribute_value("a}b"), "{a}}b}");
  EXPECT_EQ(db::odbc_attribute_value(" lead"), "{ lead}");
  EXPECT_EQ(db::odbc_attribute_value("trail "), "{trail }");
  EXPECT_EQ(db::odbc_attribute_value("ünï;cödé"), "{ünï;cödé}");
}

TEST(OdbcConnectionString, InvalidAttributeNamesAreConfigErrors) {
  ConnectionConfig c;
  c.type = DatabaseType::kOdbc;
  c.location = {"config.yml", 4, 3};
  for (const char* key : {"a;b", "x=y", "{k}", " lead"}) {
    c.extra_params = {{"driver", "d"}, {key, "v"}};
    try {
      db::odbc_connection_string(c);
      ADD_FAILURE() << "accepted " << key;
    } catch (const ConfigError& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with("config.yml:4:3: extra_params.")) << e.what();
    }
  }
  c.extra_params = {{"driver", "d"}, {"login_timeout", "soon"}};
  try {
    db::connect(c);
    ADD_FAILURE() << "accepted login_timeout: soon";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("login_timeout"), std::string::npos) << e.what();
  }
}

TEST(OdbcDialect, ChosenFromTheDbmsName) {
  EXPECT_EQ(db::dialect_for_dbms("PostgreSQL").name(), "postgres");
  EXPECT_EQ(db::dialect_for_dbms("PostgreSQL").placeholder(2), "?")
      << "the ODBC driver translates ? markers";
  EXPECT_FALSE(db::dialect_for_dbms("PostgreSQL").numbered_placeholders());
  EXPECT_EQ(db::dialect_for_dbms("MariaDB").name(), "mysql");
  EXPECT_EQ(db::dialect_for_dbms("MySQL").name(), "mysql");
  EXPECT_EQ(db::dialect_for_dbms("Snowflake").name(), "snowflake");
  EXPECT_EQ(db::dialect_for_dbms("Microsoft SQL Server").name(), "odbc");
  EXPECT_EQ(db::dialect_for_dbms("").name(), "odbc");
  EXPECT_EQ(db::dialect_for_dbms("").quote_identifier("a\"b"), "\"a\"\"b\"");
}

TEST(SnowflakeConnection, HooksOnSnowflakeAreBuiltFromConfiguration) {
  HooksConfig hooks;
  HookConfig h;
  h.type = HookType::kSnowflake;
  h.connection = snowflake_config();
  h.table_name = "baselinr_events";
  hooks.hooks = {h};
  // The hook connects on its first event; building it needs no driver.
  EXPECT_NO_THROW(create_event_bus(hooks));
}

}  // namespace
}  // namespace baselinr
