// The PostgreSQL connector and dialect against the real server the test script starts
// (scripts/test-services.sh exports BASELINR_TEST_PG_*): parameter binding, result type mapping,
// catalog introspection, prepared statements and transactions, the error cases a user meets,
// hostile identifiers, profiling through the real pipeline with every metric checked against an
// independent computation, and the results store and SQL hook with PostgreSQL as the target.
// Every test works in its own schema, so the suite can run in parallel with itself.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/events.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "db/dialect/postgres_dialect.hpp"
#include "events/hooks/sql_hook.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::required_env;
using testing::TempDir;

constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

db::Value opt(const auto& o) {
  if (!o) return std::monostate{};
  return db::Value(*o);
}

void expect_rel(double got, double want, double tol = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * tol) << "got " << got << " want " << want;
}

void expect_one_line_postgres_message(const std::string& what) {
  EXPECT_TRUE(what.starts_with("postgres: ")) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\t'), std::string::npos) << what;
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.type = DatabaseType::kPostgres;
    config_.host = required_env("BASELINR_TEST_PG_HOST");
    const std::string port = required_env("BASELINR_TEST_PG_PORT");
    config_.username = required_env("BASELINR_TEST_PG_USER");
    config_.password = required_env("BASELINR_TEST_PG_PASSWORD");
    config_.database = required_env("BASELINR_TEST_PG_DATABASE");
    ASSERT_FALSE(HasFailure()) << "the PostgreSQL test server is not configured";
    config_.port = std::stoi(port);
    conn_ = db::connect(config_);
    schema_ = "baselinr_test_" + random_suffix();
    conn_->execute("CREATE SCHEMA " + q(schema_));
    config_.schema = schema_;
  }

  void TearDown() override {
    if (schema_.empty()) return;
    try {
      // A fresh connection: the test's own may be broken or inside a failed transaction.
      auto c = db::connect(config_);
      c->execute("DROP SCHEMA " + q(schema_) + " CASCADE");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping the test schema failed: " << e.what();
    }
  }

  const db::Dialect& d() const { return conn_->dialect(); }
  std::string q(const std::string& identifier) const {
    return db::postgres_dialect().quote_identifier(identifier);
  }
  // schema.table, quoted.
  std::string t(const std::string& table) const { return q(schema_) + "." + q(table); }

  db::Result query(const std::string& sql, std::vector<db::Value> params = {}) {
    return conn_->query(sql, params);
  }
  std::int64_t count(const std::string& table) {
    return db::as_int(query("SELECT COUNT(*) FROM " + t(table)).rows.at(0).at(0)).value_or(-1);
  }

  // Profiles one table of this test's schema through the whole pipeline, every metric, one
  // worker, into a throw-away SQLite store.
  std::vector<TableOutcome> profile_table(const std::string& table) {
    TempDir dir;
    return Profiler(testing::pipeline_config(config_, dir / "store.db", {table})).profile();
  }

  // distinct_count per column name.
  static std::map<std::string, std::int64_t> distinct_counts(const ProfilingResult& r) {
    std::map<std::string, std::int64_t> out;
    for (const auto& c : r.columns) {
      if (const MetricValue* m = c.metric("distinct_count"))
        out[c.name] = std::get<std::int64_t>(*m);
    }
    return out;
  }

  ConnectionConfig config_;
  std::unique_ptr<db::Connection> conn_;
  std::string schema_;
};

// ---- parameters and results ---------------------------------------------------------------

TEST_F(PostgresTest, EveryValueTypeRoundTripsThroughBoundParameters) {
  const std::vector<db::Value> values = {
      std::monostate{},
      std::int64_t{0},
      std::int64_t{-1},
      kMin64,
      kMax64,
      0.1,
      1.0 / 3.0,
      -1e-300,
      5e-324,
      std::numeric_limits<double>::max(),
      -0.0,
      kInf,
      -kInf,
      std::numeric_limits<double>::quiet_NaN(),
      123456789.123456789,
      std::string(),
      std::string("plain"),
      std::string("it's \"quoted\" \\ back\\slash"),
      std::string("ünïcödé 日本語 🎉"),
      std::string("line1\nline2\ttab"),
      std::string("$1 ? %s {}"),
      std::string("x'); DROP TABLE y; --"),
      true,
      false,
  };
  db::ParamList params(d());
  std::string select;
  for (const db::Value& v : values) {
    const char* type = std::visit(
        [](const auto& x) -> const char* {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::int64_t>) return "BIGINT";
          if constexpr (std::is_same_v<T, double>) return "DOUBLE PRECISION";
          if constexpr (std::is_same_v<T, bool>) return "BOOLEAN";
          return "TEXT";
        },
        v);
    if (!select.empty()) select += ", ";
    select += "CAST(" + params.add(v) + " AS " + type + ")";
  }
  db::BoundSql bound = params.bind("SELECT " + select);
  EXPECT_NE(bound.sql.find("$24"), std::string::npos) << bound.sql;
  db::Result r = conn_->query(bound.sql, bound.params);
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.rows[0].size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const db::Value& got = r.rows[0][i];
    if (auto* want = std::get_if<double>(&values[i]); want && std::isnan(*want)) {
      ASSERT_TRUE(std::holds_alternative<double>(got)) << i;
      EXPECT_TRUE(std::isnan(std::get<double>(got))) << i;
      continue;
    }
    EXPECT_EQ(got, values[i]) << "value " << i << ": " << db::as_text(values[i]).value_or("NULL");
    if (auto* want = std::get_if<double>(&values[i])) {
      EXPECT_EQ(std::signbit(std::get<double>(got)), std::signbit(*want)) << i;
    }
  }
  // A NULL parameter is NULL in SQL, not the text "NULL".
  r = query("SELECT $1::text IS NULL, $2::text IS NULL", {std::monostate{}, std::string("NULL")});
  EXPECT_EQ(r.rows[0][0], db::Value(true));
  EXPECT_EQ(r.rows[0][1], db::Value(false));
}

TEST_F(PostgresTest, ParameterTypesAreInferredFromTheirContext) {
  conn_->execute("CREATE TABLE " + t("vals") +
                 " (i BIGINT, d DOUBLE PRECISION, s TEXT, b BOOLEAN, n NUMERIC(20,4), "
                 "ts TIMESTAMP, j JSONB)");
  // No casts: the server infers each parameter from its column.
  const std::string insert = "INSERT INTO " + t("vals") + " VALUES ($1, $2, $3, $4, $5, $6, $7)";
  conn_->execute(
      insert, std::vector<db::Value>{kMin64, 2.5, std::string("ü"), true, std::string("12345.6789"),
                                     std::string("2026-01-02 03:04:05.25"),
                                     std::string("{\"a\": [1, 2]}")});
  // An integral double into a BIGINT column, an integer into a DOUBLE PRECISION one.
  conn_->execute(insert,
                 std::vector<db::Value>{42.0, std::int64_t{7}, std::monostate{}, false,
                                        std::monostate{}, std::monostate{}, std::monostate{}});
  db::Result r = query("SELECT i, d, s, b, n, ts, j FROM " + t("vals") + " WHERE i = $1", {kMin64});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(kMin64));
  EXPECT_EQ(r.rows[0][1], db::Value(2.5));
  EXPECT_EQ(r.rows[0][2], db::Value(std::string("ü")));
  EXPECT_EQ(r.rows[0][3], db::Value(true));
  EXPECT_EQ(r.rows[0][4], db::Value(12345.6789));
  EXPECT_EQ(r.rows[0][5], db::Value(std::string("2026-01-02 03:04:05.25")));
  EXPECT_EQ(r.rows[0][6], db::Value(std::string("{\"a\": [1, 2]}")));
  r = query("SELECT i, d, s FROM " + t("vals") + " WHERE b = $1", {false});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(std::int64_t{42}));
  EXPECT_EQ(r.rows[0][1], db::Value(7.0));
  EXPECT_EQ(r.rows[0][2], db::Value(std::monostate{}));
  // LIMIT takes a bound integer.
  r = query("SELECT i FROM " + t("vals") + " ORDER BY i" + d().limit_clause("$1"),
            {std::int64_t{1}});
  EXPECT_EQ(r.rows.size(), 1u);
}

TEST_F(PostgresTest, ResultsAreMappedByColumnType) {
  conn_->execute("CREATE TYPE " + t("mood") + " AS ENUM ('sad', 'happy')");
  db::Result r = query(
      "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 4::oid AS o, "
      "'9223372036854775807'::int8 AS imax, '-9223372036854775808'::int8 AS imin, "
      "1.5::float4 AS f4, 0.1::float8 AS f8, 'Infinity'::float8 AS pinf, "
      "'-Infinity'::float8 AS ninf, 'NaN'::float8 AS nan8, 12345.678::numeric(10,3) AS num, "
      "'NaN'::numeric AS numnan, 10::numeric ^ 400 AS huge, true AS t, false AS f, "
      "'héllo'::text AS txt, 'v'::varchar(5) AS vc, 'c'::char(3) AS ch, "
      "DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, "
      "TIMESTAMPTZ '2024-01-02 03:04:05+02' AS tstz, '{\"a\": 1}'::json AS js, "
      "'{\"b\": [1, 2]}'::jsonb AS jsb, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, "
      "'\\x00ff41'::bytea AS by, ARRAY[1, 2] AS arr, '1 day'::interval AS iv, "
      "'happy'::" +
      t("mood") + " AS en, NULL::int8 AS n1, NULL::text AS n2, NULL::float8 AS n3");
  ASSERT_EQ(r.rows.size(), 1u);
  std::map<std::string, db::Value> row;
  for (std::size_t i = 0; i < r.columns.size(); ++i) row[r.columns[i]] = r.rows[0][i];
  EXPECT_EQ(row["a"], db::Value(std::int64_t{1}));
  EXPECT_EQ(row["b"], db::Value(std::int64_t{2}));
  EXPECT_EQ(row["c"], db::Value(std::int64_t{3}));
  EXPECT_EQ(row["o"], db::Value(std::int64_t{4}));
  EXPECT_EQ(row["imax"], db::Value(kMax64));
  EXPECT_EQ(row["imin"], db::Value(kMin64));
  EXPECT_EQ(row["f4"], db::Value(1.5));
  EXPECT_EQ(row["f8"], db::Value(0.1));
  EXPECT_EQ(row["pinf"], db::Value(kInf));
  EXPECT_EQ(row["ninf"], db::Value(-kInf));
  ASSERT_TRUE(std::holds_alternative<double>(row["nan8"]));
  EXPECT_TRUE(std::isnan(std::get<double>(row["nan8"])));
  EXPECT_EQ(row["num"], db::Value(12345.678));
  ASSERT_TRUE(std::holds_alternative<double>(row["numnan"]));
  EXPECT_TRUE(std::isnan(std::get<double>(row["numnan"])));
  // Beyond the double range a numeric keeps its exact text.
  ASSERT_TRUE(std::holds_alternative<std::string>(row["huge"]));
  EXPECT_TRUE(std::get<std::string>(row["huge"]).starts_with("1" + std::string(400, '0')));
  EXPECT_EQ(row["t"], db::Value(true));
  EXPECT_EQ(row["f"], db::Value(false));
  EXPECT_EQ(row["txt"], db::Value(std::string("héllo")));
  EXPECT_EQ(row["vc"], db::Value(std::string("v")));
  EXPECT_EQ(row["ch"], db::Value(std::string("c  ")));
  EXPECT_EQ(row["dt"], db::Value(std::string("2024-02-29")));
  EXPECT_EQ(row["ts"], db::Value(std::string("2024-01-02 03:04:05.123456")));
  // The session runs in UTC.
  EXPECT_EQ(row["tstz"], db::Value(std::string("2024-01-02 01:04:05+00")));
  EXPECT_EQ(row["js"], db::Value(std::string("{\"a\": 1}")));
  EXPECT_EQ(row["jsb"], db::Value(std::string("{\"b\": [1, 2]}")));
  EXPECT_EQ(row["u"], db::Value(std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")));
  EXPECT_EQ(row["by"], db::Value(std::string("\\x00ff41")));
  EXPECT_EQ(row["arr"], db::Value(std::string("{1,2}")));
  EXPECT_EQ(row["iv"], db::Value(std::string("1 day")));
  EXPECT_EQ(row["en"], db::Value(std::string("happy")));
  EXPECT_EQ(row["n1"], db::Value(std::monostate{}));
  EXPECT_EQ(row["n2"], db::Value(std::monostate{}));
  EXPECT_EQ(row["n3"], db::Value(std::monostate{}));

  // Floats print with all their digits, so they read back exactly.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v)) continue;
    r = query("SELECT CAST($1 AS DOUBLE PRECISION) * 1", {v});
    EXPECT_EQ(r.rows[0][0], db::Value(v)) << format_double(v);
  }
}

// ---- introspection ------------------------------------------------------------------------

TEST_F(PostgresTest, ColumnsComeFromTheCatalogInOrderWithTheirTypes) {
  conn_->execute("CREATE TABLE " + t("cols") +
                 " (id bigint, name character varying(20), amount numeric(10,2), "
                 "created timestamp with time zone, d date, flag boolean, gone integer, "
                 "tags integer[], doc jsonb, u uuid, price real, small smallint, note text, "
                 "ts timestamp(3) without time zone, code char(2), at time, raw bytea, "
                 "ratio double precision)");
  conn_->execute("ALTER TABLE " + t("cols") + " DROP COLUMN gone");
  conn_->execute("CREATE INDEX cols_idx ON " + t("cols") + " (id)");
  conn_->execute("CREATE VIEW " + t("cols_view") +
                 " AS SELECT id, name, amount * 2 AS doubled FROM " + t("cols"));
  conn_->execute("CREATE TYPE " + t("pair") + " AS (a int, b int)");

  const std::vector<std::pair<std::string, std::string>> want = {
      {"id", "bigint"},
      {"name", "character varying(20)"},
      {"amount", "numeric(10,2)"},
      {"created", "timestamp with time zone"},
      {"d", "date"},
      {"flag", "boolean"},
      {"tags", "integer[]"},
      {"doc", "jsonb"},
      {"u", "uuid"},
      {"price", "real"},
      {"small", "smallint"},
      {"note", "text"},
      {"ts", "timestamp(3) without time zone"},
      {"code", "character(2)"},
      {"at", "time without time zone"},
      {"raw", "bytea"},
      {"ratio", "double precision"},
  };
  std::vector<db::ColumnInfo> cols = conn_->columns({schema_, "cols"});
  ASSERT_EQ(cols.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(cols[i].name, want[i].first);
    EXPECT_EQ(cols[i].type, want[i].second);
  }

  // The type names the catalog gives, classified.
  const std::map<std::string, TypeClass> classes = {
      {"id", TypeClass::kNumeric},     {"name", TypeClass::kString},
      {"amount", TypeClass::kNumeric}, {"created", TypeClass::kTemporal},
      {"d", TypeClass::kTemporal},     {"flag", TypeClass::kBoolean},
      {"tags", TypeClass::kOther},     {"doc", TypeClass::kOther},
      {"u", TypeClass::kOther},        {"price", TypeClass::kNumeric},
      {"small", TypeClass::kNumeric},  {"note", TypeClass::kString},
      {"ts", TypeClass::kTemporal},    {"code", TypeClass::kString},
      {"at", TypeClass::kTemporal},    {"raw", TypeClass::kOther},
      {"ratio", TypeClass::kNumeric},
  };
  for (const auto& c : cols) {
    EXPECT_EQ(d().classify_type(c.type), classes.at(c.name)) << c.name << " " << c.type;
  }

  std::vector<db::ColumnInfo> view = conn_->columns({schema_, "cols_view"});
  ASSERT_EQ(view.size(), 3u);
  EXPECT_EQ(view[0].name, "id");
  EXPECT_EQ(view[1].type, "character varying(20)");
  EXPECT_EQ(view[2].name, "doubled");
  EXPECT_EQ(view[2].type, "numeric");

  // Missing tables, missing schemas, and relations that are not tables: no columns.
  EXPECT_TRUE(conn_->columns({schema_, "no_such_table"}).empty());
  EXPECT_TRUE(conn_->columns({"no_such_schema_" + random_suffix(), "cols"}).empty());
  EXPECT_TRUE(conn_->columns({schema_, "cols_idx"}).empty());
  EXPECT_TRUE(conn_->columns({schema_, "pair"}).empty());
  EXPECT_TRUE(conn_->columns({schema_, "COLS"}).empty()) << "names are exact, not folded";

  // An empty schema means what an unqualified name resolves to.
  EXPECT_TRUE(conn_->columns({"", "cols"}).empty());
  conn_->execute("SET search_path TO " + q(schema_));
  EXPECT_EQ(conn_->columns({"", "cols"}).size(), want.size());
  EXPECT_EQ(conn_->columns({"", "cols_view"}).size(), 3u);
}

TEST_F(PostgresTest, HostileIdentifiersAreQuotedNeverInjected) {
  const std::string table = "x\"; DROP TABLE y; --";
  const std::vector<std::string> names = {"a\"b",     "with space", "ünïcödé 列", "back\\slash",
                                          "'single'", "$1",         "Mixed Case", "x\"\"y"};
  conn_->execute("CREATE TABLE " + t("y") + " (keep int)");
  std::string defs;
  for (const auto& n : names) {
    if (!defs.empty()) defs += ", ";
    defs += q(n) + " TEXT";
  }
  defs += ", " + q("n") + " BIGINT";
  conn_->execute("CREATE TABLE " + t(table) + " (" + defs + ")");
  std::vector<db::Value> row;
  std::string cols, vals;
  for (std::size_t i = 0; i < names.size(); ++i) {
    row.emplace_back(names[i] + " value");
    cols += q(names[i]) + ", ";
    vals += fmt::format("${}, ", i + 1);
  }
  row.emplace_back(std::int64_t{5});
  conn_->execute(fmt::format("INSERT INTO {} ({}{}) VALUES ({}${})", t(table), cols, q("n"), vals,
                             names.size() + 1),
                 row);

  std::vector<db::ColumnInfo> info = conn_->columns({schema_, table});
  ASSERT_EQ(info.size(), names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(info[i].name, names[i]);
  for (std::size_t i = 0; i < names.size(); ++i) {
    db::Result r = query("SELECT " + q(names[i]) + " FROM " + d().table_sql({schema_, table}));
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0][0], db::Value(names[i] + " value"));
  }
  EXPECT_EQ(count("y"), 0) << "the table named like an injection is just a name";
  EXPECT_EQ(d().qualified_name(schema_ + ".y"), t("y"));

  // And the whole pipeline copes with them.
  auto outcomes = profile_table(table);
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  const ProfilingResult& r = *outcomes[0].result;
  EXPECT_EQ(r.row_count, 1);
  EXPECT_EQ(r.schema_name, schema_);
  ASSERT_EQ(r.columns.size(), names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(r.columns[i].name, names[i]);
    const MetricValue* max_length = r.columns[i].metric("max_length");
    ASSERT_NE(max_length, nullptr);
    EXPECT_EQ(*max_length,
              MetricValue(static_cast<std::int64_t>(utf8_length(names[i] + " value"))));
  }
}

// Distinct strings are counted byte-wise ("C" collation, a faster sort) only where the
// column's collation is deterministic; under a nondeterministic (case-insensitive) one the
// count follows the collation. Booleans are counted without a sort; every case is checked.
// Strings are distinct when their bytes are, whatever the column's collation (SPEC: the same
// data gives the same numbers on every engine), a nondeterministic ICU collation included.
TEST_F(PostgresTest, DistinctStringsAreComparedByBytesAndBooleansNeedNoSort) {
  conn_->execute("CREATE COLLATION " + q(schema_) +
                 ".ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
  conn_->execute("CREATE TABLE " + t("c") + " (plain text, ci text COLLATE " + q(schema_) +
                 ".ci, v varchar(5), b_none boolean, b_one boolean, b_two boolean)");
  conn_->execute("INSERT INTO " + t("c") +
                 " VALUES ('a', 'a', 'x', NULL, true, true), ('A', 'A', 'x ', NULL, true, "
                 "false), ('b', 'B', 'X', NULL, NULL, NULL), ('a', 'b', 'x', NULL, true, true)");
  auto outcomes = profile_table("c");
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  std::map<std::string, std::int64_t> distinct = distinct_counts(*outcomes[0].result);
  ASSERT_EQ(distinct.size(), 6u);
  EXPECT_EQ(distinct["plain"], 3);  // a, A, b
  EXPECT_EQ(distinct["ci"], 4);     // a, A, B, b: not the collation's a = A, b = B
  EXPECT_EQ(distinct["v"], 3);      // x, 'x ', X
  EXPECT_EQ(distinct["b_none"], 0);
  EXPECT_EQ(distinct["b_one"], 1);
  EXPECT_EQ(distinct["b_two"], 2);
}

// A column that is the only key of a valid, whole-table unique index has as many distinct values
// as non-null ones, and is counted without a sort; partial, multi-column, other-collation and
// expression indexes prove nothing about a single column, and their columns keep
// COUNT(DISTINCT). Every count is checked against the data.
TEST_F(PostgresTest, UniqueIndexesShortcutDistinctCountsOnlyWhenTheyProveIt) {
  conn_->execute("CREATE COLLATION " + q(schema_) +
                 ".ci2 (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
  conn_->execute("CREATE TABLE " + t("u") +
                 " (pk bigint PRIMARY KEY, uq text UNIQUE, part text, m1 int, m2 int, "
                 "inc int, other int, ci text COLLATE " +
                 q(schema_) + ".ci2, ex text)");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (part) WHERE pk > 2");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (m1, m2)");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (inc) INCLUDE (other)");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (ci COLLATE \"C\")");
  conn_->execute("CREATE UNIQUE INDEX ON " + t("u") + " (lower(ex))");
  conn_->execute("INSERT INTO " + t("u") +
                 " VALUES (1, 'a', 'p', 1, 1, 10, 1, 'x', 'e1'), (2, NULL, 'p', 1, 2, 20, 1, 'X', "
                 "'e2'), (3, 'b', 'q', 2, 1, NULL, 1, 'y', 'e3'), (4, NULL, 'r', 2, 2, 30, 1, "
                 "'Y', 'e4')");
  std::vector<db::ColumnInfo> info = conn_->columns({schema_, "u"});
  ASSERT_EQ(info.size(), 9u);
  std::map<std::string, bool> unique;
  for (const auto& c : info) unique[c.name] = c.unique;
  EXPECT_TRUE(unique["pk"]);
  EXPECT_TRUE(unique["uq"]);
  EXPECT_FALSE(unique["part"]);  // partial index
  EXPECT_FALSE(unique["m1"]);    // one key of two
  EXPECT_FALSE(unique["m2"]);
  EXPECT_TRUE(unique["inc"]);  // INCLUDE columns are not keys
  EXPECT_FALSE(unique["other"]);
  EXPECT_FALSE(unique["ci"]);  // unique byte-wise, not under the column's collation
  EXPECT_FALSE(unique["ex"]);  // expression index

  auto outcomes = profile_table("u");
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  std::map<std::string, std::int64_t> distinct = distinct_counts(*outcomes[0].result);
  ASSERT_EQ(distinct.size(), 9u);
  EXPECT_EQ(distinct["pk"], 4);
  EXPECT_EQ(distinct["uq"], 2);  // NULLs are not values
  EXPECT_EQ(distinct["part"], 3);
  EXPECT_EQ(distinct["m1"], 2);
  EXPECT_EQ(distinct["inc"], 3);
  EXPECT_EQ(distinct["other"], 1);
  EXPECT_EQ(distinct["ci"], 4);  // bytes: x, X, y, Y (not equal under ci2 either way)
  EXPECT_EQ(distinct["ex"], 4);
}

// ---- statements and transactions ----------------------------------------------------------

TEST_F(PostgresTest, PreparedStatementsAndTransactions) {
  conn_->execute("CREATE TABLE " + t("tx") + " (id BIGINT PRIMARY KEY, label TEXT)");
  auto insert = conn_->prepare("INSERT INTO " + t("tx") + " (id, label) VALUES ($1, $2)");
  auto other = conn_->prepare("UPDATE " + t("tx") + " SET label = $2 WHERE id = $1");
  for (std::int64_t i = 1; i <= 5; ++i) {
    insert->execute(std::vector<db::Value>{i, std::string(fmt::format("row {}", i))});
  }
  other->execute(std::vector<db::Value>{std::int64_t{3}, std::string("three")});
  EXPECT_EQ(count("tx"), 5);
  EXPECT_EQ(query("SELECT label FROM " + t("tx") + " WHERE id = 3").rows[0][0],
            db::Value(std::string("three")));

  // Rollback discards, for a second connection too.
  auto observer = db::connect(config_);
  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  EXPECT_EQ(count("tx"), 6);
  EXPECT_EQ(db::as_int(observer->query("SELECT COUNT(*) FROM " + t("tx")).rows[0][0]), 5)
      << "uncommitted rows are invisible to others";
  conn_->rollback();
  EXPECT_EQ(count("tx"), 5);

  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  conn_->commit();
  EXPECT_EQ(db::as_int(observer->query("SELECT COUNT(*) FROM " + t("tx")).rows[0][0]), 6);

  // RAII: a transaction that is not committed is rolled back.
  {
    db::Transaction tx(*conn_);
    insert->execute(std::vector<db::Value>{std::int64_t{7}, std::string("seven")});
  }
  EXPECT_EQ(count("tx"), 6);

  // A failed statement dooms the transaction: COMMIT says so instead of pretending.
  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{8}, std::string("eight")});
  try {
    insert->execute(std::vector<db::Value>{std::int64_t{1}, std::string("duplicate")});
    ADD_FAILURE() << "a duplicate key must fail";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    expect_one_line_postgres_message(e.what());
  }
  try {
    conn_->commit();
    ADD_FAILURE() << "COMMIT of a failed transaction must throw";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
    expect_one_line_postgres_message(e.what());
  }
  EXPECT_EQ(count("tx"), 6) << "nothing of the failed transaction was saved";

  // Statements outliving their connection fail cleanly.
  auto doomed = db::connect(config_);
  auto orphan = doomed->prepare("SELECT 1");
  doomed.reset();
  EXPECT_THROW(orphan->execute({}), ConnectionError);

  // A statement with a wrong number of parameters is the server's QueryError.
  EXPECT_THROW(insert->execute(std::vector<db::Value>{std::int64_t{9}}), QueryError);
  // Several statements in one execute() when nothing is bound (DDL scripts).
  conn_->execute("CREATE TABLE " + t("s1") + " (a int); CREATE TABLE " + t("s2") + " (b int)");
  EXPECT_EQ(count("s1") + count("s2"), 0);
}

// ---- errors -------------------------------------------------------------------------------

TEST_F(PostgresTest, WrongPasswordIsAConnectionErrorThatHidesThePassword) {
  ConnectionConfig bad = config_;
  bad.password = "Definitely-Wrong-Secret-4711";
  try {
    db::connect(bad);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line_postgres_message(what);
    EXPECT_EQ(what.find(bad.password), std::string::npos) << what;
    EXPECT_EQ(what.find(config_.password), std::string::npos) << what;
    EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
    EXPECT_NE(what.find(config_.username), std::string::npos) << what;
    EXPECT_FALSE(e.sqlstate().empty());
  }
}

TEST_F(PostgresTest, ServerNotListeningIsAConnectionError) {
  ConnectionConfig down = config_;
  down.port = closed_port();
  ASSERT_NE(*down.port, 0);
  try {
    db::connect(down);
    FAIL() << "connected to a closed port";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line_postgres_message(what);
    EXPECT_NE(what.find(std::to_string(*down.port)), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
    EXPECT_EQ(what.find(config_.password), std::string::npos) << what;
  }
}

TEST_F(PostgresTest, OtherConnectionFailuresSayWhatIsWrong) {
  ConnectionConfig nodb = config_;
  nodb.database = "no_such_database_" + random_suffix();
  try {
    db::connect(nodb);
    FAIL() << "connected to a missing database";
  } catch (const ConnectionError& e) {
    expect_one_line_postgres_message(e.what());
    EXPECT_NE(std::string(e.what()).find(nodb.database + "\" does not exist"), std::string::npos)
        << e.what();
  }
  ConnectionConfig badopt = config_;
  badopt.extra_params["no_such_option"] = "1";
  try {
    db::connect(badopt);
    FAIL() << "an unknown libpq option was accepted";
  } catch (const ConfigError& e) {  // a configuration error (exit 2), as with MySQL
    EXPECT_EQ(std::string(e.what()),
              "extra_params.no_such_option: postgres: not a libpq connection parameter");
  }
  // Driver options pass through: sslmode=disable works against the test server.
  ConnectionConfig opts = config_;
  opts.extra_params["sslmode"] = "disable";
  opts.extra_params["connect_timeout"] = "5";
  auto c = db::connect(opts);
  EXPECT_EQ(c->query("SELECT current_setting('application_name')").rows[0][0],
            db::Value(std::string("baselinr")));
}

TEST_F(PostgresTest, MissingTableAndBadSqlAreQueryErrorsWithSqlstate) {
  try {
    query("SELECT * FROM " + t("no_such_table"));
    FAIL() << "selected from a missing table";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    expect_one_line_postgres_message(e.what());
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("42P01"), std::string::npos) << e.what();
  }
  try {
    query("SELEC 1");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
    expect_one_line_postgres_message(e.what());
  }
  // Text cannot hold NUL bytes: refused before it is silently truncated.
  try {
    query("SELECT $1::text", {std::string("a\0b", 3)});
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "22021");
  }
  // The connection is still usable afterwards.
  EXPECT_EQ(query("SELECT 1").rows[0][0], db::Value(std::int64_t{1}));
}

TEST_F(PostgresTest, PermissionDeniedIsAQueryErrorWithSqlstate42501) {
  conn_->execute("CREATE TABLE " + t("secret") + " (id int)");
  conn_->execute("GRANT USAGE ON SCHEMA " + q(schema_) + " TO baselinr_limited");
  ConnectionConfig limited = config_;
  limited.username = "baselinr_limited";
  auto c = db::connect(limited);
  // The catalog shows the table; reading it is refused.
  EXPECT_EQ(c->columns({schema_, "secret"}).size(), 1u);
  try {
    c->query("SELECT * FROM " + t("secret"));
    FAIL() << "baselinr_limited read a table it has no grant on";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
    expect_one_line_postgres_message(e.what());
    EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresTest, ALostConnectionIsAConnectionError) {
  auto victim = db::connect(config_);
  db::Value pid = victim->query("SELECT pg_backend_pid()").rows[0][0];
  query("SELECT pg_terminate_backend($1)", {pid});
  try {
    victim->query("SELECT 1");
    FAIL() << "a terminated session still answered";
  } catch (const ConnectionError& e) {
    expect_one_line_postgres_message(e.what());
    EXPECT_FALSE(e.sqlstate().empty());
  }
}

// ---- histogram --------------------------------------------------------------------------------

std::vector<std::int64_t> expected_bins(const std::vector<double>& xs, double min, double range,
                                        int bins) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(bins), 0);
  for (double x : xs) out[static_cast<std::size_t>(histogram_bin(x, min, range, bins))]++;
  return out;
}

TEST(PostgresDialect, GeneratedSqlIsPinned) {
  const db::Dialect& pg = db::postgres_dialect();
  EXPECT_EQ(pg.name(), "postgres");
  EXPECT_EQ(pg.placeholder(1), "$1");
  EXPECT_EQ(pg.placeholder(12), "$12");
  EXPECT_EQ(pg.quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(pg.table_sql({"s", "t"}), "\"s\".\"t\"");
  const db::ColumnExpr x{"\"x\"", "bigint", TypeClass::kNumeric};
  EXPECT_EQ(pg.mean(x), "AVG(\"x\")");
  EXPECT_EQ(pg.stddev_samp(x), "VAR_SAMP(\"x\")");
  EXPECT_TRUE(pg.stddev_is_variance(x));
  const db::ColumnExpr f{"\"f\"", "double precision", TypeClass::kNumeric};
  EXPECT_EQ(pg.stddev_samp(f), "STDDEV_SAMP(\"f\")");
  EXPECT_FALSE(pg.stddev_is_variance(f));
  EXPECT_EQ(pg.count_distinct(x), "COUNT(DISTINCT \"x\")");
  EXPECT_EQ(pg.count_distinct({"\"j\"", "json", TypeClass::kOther}),
            "COUNT(DISTINCT CAST(\"j\" AS TEXT))");
  EXPECT_EQ(pg.count_distinct({"\"s\"", "text", TypeClass::kString}),
            "COUNT(DISTINCT \"s\" COLLATE \"C\")");
  EXPECT_EQ(pg.count_distinct({"\"j\"", "jsonb", TypeClass::kOther, true}),
            "COUNT(DISTINCT \"j\")");
  EXPECT_EQ(pg.column_min({"\"n\"", "numeric(30,10)", TypeClass::kNumeric}),
            "CAST(MIN(\"n\") AS TEXT)");
  EXPECT_EQ(pg.column_max({"\"d\"", "date", TypeClass::kTemporal}), "CAST(MAX(\"d\") AS TEXT)");
  EXPECT_EQ(pg.column_max(f), "MAX(\"f\")");
  EXPECT_EQ(pg.value_text("\"k\""), "CAST(\"k\" AS TEXT)");
  EXPECT_EQ(pg.typed_parameter("$1", "numeric(18,0)"), "CAST($1 AS numeric(18,0))");
  EXPECT_EQ(
      pg.snapshot_begin(),
      std::vector<std::string>{"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"});
  EXPECT_EQ(pg.select_item_limit(), 1664u);
  EXPECT_FALSE(pg.split_moments(x).has_value()) << "bigint sums exactly";
  const std::optional<db::SplitMoments> split = pg.split_moments(f);
  ASSERT_TRUE(split.has_value());
  const std::string small =
      " FILTER (WHERE abs(\"f\") < CAST(2.5822498780869086e+120 AS DOUBLE PRECISION))";
  const std::string big =
      " FILTER (WHERE NOT abs(\"f\") < CAST(2.5822498780869086e+120 AS DOUBLE PRECISION))";
  const std::string scaled = "\"f\" * CAST(2.409919865102884e-181 AS DOUBLE PRECISION)";
  EXPECT_EQ(split->count, "COUNT(\"f\")");
  EXPECT_EQ(split->small_mean, "AVG(\"f\")" + small);
  EXPECT_EQ(split->small_var, "VAR_SAMP(\"f\")" + small);
  EXPECT_EQ(split->big_count, "COUNT(\"f\")" + big);
  EXPECT_EQ(split->big_mean, "AVG(" + scaled + ")" + big);
  EXPECT_EQ(split->big_var, "VAR_SAMP(" + scaled + ")" + big);
  EXPECT_EQ(pg.count_distinct({"\"k\"", "bigint", TypeClass::kNumeric, false, true}),
            "COUNT(\"k\")");
  EXPECT_EQ(pg.count_distinct({"\"b\"", "boolean", TypeClass::kBoolean}),
            "(CASE WHEN BOOL_AND(\"b\") IS NULL THEN 0 WHEN BOOL_AND(\"b\") = BOOL_OR(\"b\") "
            "THEN 1 ELSE 2 END)");
  EXPECT_EQ(pg.char_length("\"x\""), "CHAR_LENGTH(\"x\")");
  EXPECT_EQ(pg.current_schema_sql(), "current_schema()");
  EXPECT_THROW(pg.approx_count_distinct(x), NotSupportedError);

  db::ParamList params(pg);
  db::BoundSql columns = params.bind(pg.columns_query({"s", "t"}, params));
  EXPECT_EQ(columns.sql,
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), CASE WHEN EXISTS "
            "(SELECT 1 FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_am am ON am.oid = "
            "oc.opcmethod JOIN pg_catalog.pg_type it ON it.oid = oc.opcintype WHERE am.amname = "
            "'btree' AND oc.opcdefault AND (oc.opcintype = bt.oid OR (bt.typtype = 'e' AND "
            "it.typname = 'anyenum') OR (bt.typtype = 'r' AND it.typname = 'anyrange') OR "
            "(bt.typtype = 'm' AND it.typname = 'anymultirange') OR (bt.typcategory = 'A' AND "
            "it.typname = 'anyarray' AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass eo JOIN "
            "pg_catalog.pg_am ea ON ea.oid = eo.opcmethod WHERE ea.amname = 'btree' AND "
            "eo.opcdefault AND eo.opcintype = bt.typelem)))) THEN 1 ELSE 0 END, CASE WHEN "
            "c.relkind IN ('r', 'm') AND NOT c.relhassubclass AND EXISTS (SELECT 1 FROM "
            "pg_catalog.pg_index i JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0] WHERE "
            "i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND "
            "i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND oc.opcdefault AND "
            "i.indcollation[0] = a.attcollation) THEN 1 ELSE 0 END, CASE WHEN base.oid <> "
            "a.atttypid THEN pg_catalog.format_type(base.oid, base.typmod) ELSE '' END FROM "
            "pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN "
            "pg_catalog.pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL (WITH "
            "RECURSIVE chain(oid, typmod, depth) AS (SELECT a.atttypid, a.atttypmod, 0 UNION ALL "
            "SELECT t.typbasetype, t.typtypmod, chain.depth + 1 FROM chain JOIN "
            "pg_catalog.pg_type t ON t.oid = chain.oid WHERE t.typtype = 'd') SELECT chain.oid, "
            "chain.typmod FROM chain ORDER BY chain.depth DESC LIMIT 1) AS base JOIN "
            "pg_catalog.pg_type bt ON bt.oid = base.oid WHERE c.relname = $1 AND n.nspname = $2 "
            "AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum");
  EXPECT_EQ(columns.params, (std::vector<db::Value>{std::string("t"), std::string("s")}));

  db::ParamList hp(pg);
  db::HistogramExprs h = pg.histogram("\"x\"", 0.0, 10.0, 2, hp);
  ASSERT_TRUE(h.packed);
  ASSERT_EQ(h.exprs.size(), 1u);
  db::BoundSql hist = hp.bind(h.exprs[0]);
  EXPECT_EQ(hist.sql,
            "ARRAY_TO_STRING(ARRAY[COUNT(CAST(\"x\" AS DOUBLE PRECISION)) - COUNT(*) FILTER "
            "(WHERE CAST(\"x\" AS DOUBLE PRECISION) >= CAST($1 AS DOUBLE PRECISION)), COUNT(*) "
            "FILTER (WHERE CAST(\"x\" AS DOUBLE PRECISION) >= CAST($1 AS DOUBLE PRECISION))], "
            "',')");
  EXPECT_EQ(hist.params, (std::vector<db::Value>{5.0}))
      << "one parameter per threshold, however often it is used";

  const std::vector<std::pair<std::string, TypeClass>> types = {
      {"bigint", TypeClass::kNumeric},
      {"int2", TypeClass::kNumeric},
      {"int4", TypeClass::kNumeric},
      {"int8", TypeClass::kNumeric},
      {"serial8", TypeClass::kNumeric},
      {"float4", TypeClass::kNumeric},
      {"float8", TypeClass::kNumeric},
      {"double precision", TypeClass::kNumeric},
      {"numeric(10,2)", TypeClass::kNumeric},
      {"NUMERIC", TypeClass::kNumeric},
      {"character varying(255)", TypeClass::kString},
      {"character(3)", TypeClass::kString},
      {"bpchar", TypeClass::kString},
      {"text", TypeClass::kString},
      {"timestamp with time zone", TypeClass::kTemporal},
      {"timestamp(6) without time zone", TypeClass::kTemporal},
      {"timestamptz", TypeClass::kTemporal},
      {"date", TypeClass::kTemporal},
      {"time with time zone", TypeClass::kTemporal},
      {"bool", TypeClass::kBoolean},
      {"boolean", TypeClass::kBoolean},
      {"uuid", TypeClass::kOther},
      {"json", TypeClass::kOther},
      {"jsonb", TypeClass::kOther},
      {"bytea", TypeClass::kOther},
      {"money", TypeClass::kOther},
      {"interval", TypeClass::kOther},
      {"integer[]", TypeClass::kOther},
      {"character varying(20)[]", TypeClass::kOther},
      {"myschema.mood", TypeClass::kOther},
  };
  for (const auto& [type, cls] : types) EXPECT_EQ(pg.classify_type(type), cls) << type;

  // Storage DDL: identity keys and CREATE INDEX IF NOT EXISTS, both native to PostgreSQL.
  auto ddl = pg.storage_ddl(
      {"s.baselinr_runs", "s.baselinr_results", "s.baselinr_events", "s.baselinr_schema_version"});
  std::string all;
  for (const auto& stmt : ddl) all += stmt + ";\n";
  EXPECT_NE(all.find("\"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("CREATE INDEX IF NOT EXISTS \"idx_baselinr_runs_dataset_profiled\" ON "
                     "\"s\".\"baselinr_runs\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("\"baseline_value\" DOUBLE PRECISION"), std::string::npos) << all;
  EXPECT_NE(
      pg.insert_event_sql("s.e").find("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
      std::string::npos);
}

TEST(PostgresDialect, ThresholdsAreWhereTheSharedFormulaChangesBin) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int trial = 0; trial < 300; ++trial) {
    double min = trial % 3 == 0 ? std::floor(u(rng)) : u(rng);
    double range = std::fabs(u(rng)) * std::pow(10.0, static_cast<int>(rng() % 20) - 10) + 1e-300;
    if (trial == 1) {
      min = 0;
      range = 1e10;  // tiny differences underflow when divided by the range
    }
    int bins = 1 + static_cast<int>(rng() % 40);
    std::vector<double> th = db::histogram_thresholds(min, range, bins);
    ASSERT_EQ(th.size(), static_cast<std::size_t>(bins - 1));
    for (int i = 1; i < bins; ++i) {
      double ti = th[static_cast<std::size_t>(i - 1)];
      EXPECT_GE(histogram_bin(ti, min, range, bins), i);
      EXPECT_LT(histogram_bin(std::nextafter(ti, -kInf), min, range, bins), i);
    }
  }
}

TEST_F(PostgresTest, HistogramBinsAreExactlyTheSharedFormula) {
  conn_->execute("CREATE TABLE " + t("h") + " (x DOUBLE PRECISION, big BIGINT, n NUMERIC)");
  std::vector<double> xs;
  std::vector<std::int64_t> bigs;
  const double min = -3.0, max = 7.0;
  // Bin edges and their neighbours, in the double arithmetic of the formula.
  for (int bins : {3, 7, 10}) {
    for (int i = 0; i <= bins; ++i) {
      double edge = min + (max - min) * i / bins;
      for (double v : {std::nextafter(edge, -kInf), edge, std::nextafter(edge, kInf)}) {
        if (v >= min && v <= max) xs.push_back(v);
      }
    }
  }
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(min, max);
  for (int i = 0; i < 500; ++i) xs.push_back(u(rng));
  for (int i = 0; i < 300; ++i) {
    bigs.push_back(i % 2 ? kMax64 - static_cast<std::int64_t>(rng() % 5000)
                         : kMin64 + static_cast<std::int64_t>(rng() % 5000));
  }
  bigs.push_back(0);
  {
    auto ins = conn_->prepare("INSERT INTO " + t("h") + " VALUES ($1, $2, $3)");
    db::Transaction tx(*conn_);
    for (std::size_t i = 0; i < std::max(xs.size(), bigs.size()); ++i) {
      db::Value x = i < xs.size() ? db::Value(xs[i]) : db::Value();
      db::Value b = i < bigs.size() ? db::Value(bigs[i]) : db::Value();
      db::Value n = i < bigs.size() ? db::Value(std::to_string(bigs[i]) + ".5") : db::Value();
      ins->execute(std::vector<db::Value>{x, b, n});
    }
    tx.commit();
  }
  auto run = [&](const std::string& column, double lo, double hi, int bins,
                 const std::string& table = "h") {
    db::ParamList params(d());
    db::HistogramExprs h = d().histogram(q(column), lo, hi - lo, bins, params);
    EXPECT_TRUE(h.packed);
    EXPECT_EQ(h.exprs.size(), 1u);
    db::BoundSql bound = params.bind("SELECT " + h.exprs.at(0) + " FROM " + t(table));
    std::string text = db::as_text(conn_->query(bound.sql, bound.params).rows.at(0).at(0)).value();
    std::vector<std::int64_t> got;
    for (const auto& part : split(text, ',')) got.push_back(parse_int(part).value());
    return got;
  };
  for (int bins : {1, 2, 3, 7, 10, 1000}) {
    EXPECT_EQ(run("x", min, max, bins), expected_bins(xs, min, max - min, bins)) << bins;
  }
  // Bigints are binned as doubles, like every engine does.
  std::vector<double> bd;
  for (auto b : bigs) bd.push_back(static_cast<double>(b));
  const double blo = static_cast<double>(kMin64 + 0), bhi = static_cast<double>(kMax64);
  for (int bins : {2, 10, 97}) {
    EXPECT_EQ(run("big", blo, bhi, bins), expected_bins(bd, blo, bhi - blo, bins)) << bins;
  }
  std::vector<double> nd;
  for (auto b : bigs) nd.push_back(*parse_double(std::to_string(b) + ".5"));
  const double nlo = *std::min_element(nd.begin(), nd.end());
  const double nhi = *std::max_element(nd.begin(), nd.end());
  EXPECT_EQ(run("n", nlo, nhi, 10), expected_bins(nd, nlo, nhi - nlo, 10));

  // Tiny differences from the minimum: (x - min) / range underflows, which PostgreSQL's float8
  // division reports as an error, so the formula cannot simply be written in SQL.
  conn_->execute("CREATE TABLE " + t("tiny") + " (x DOUBLE PRECISION)");
  const std::vector<double> tiny = {0.0, 5e-324, 1e-310, 1e-300, 2.5e9, 1e10};
  for (double v : tiny)
    conn_->execute("INSERT INTO " + t("tiny") + " VALUES ($1)", std::vector<db::Value>{v});
  EXPECT_THROW(query("SELECT (x - 0) / CAST(1e10 AS DOUBLE PRECISION) FROM " + t("tiny")),
               QueryError);
  EXPECT_EQ(run("x", 0.0, 1e10, 10, "tiny"), expected_bins(tiny, 0.0, 1e10, 10));
}

// ---- profiling through the real pipeline ----------------------------------------------------

struct NumericExpectation {
  std::int64_t nulls = 0, distinct = 0;
  std::optional<double> mean, sd;
};

template <class T>
NumericExpectation expect_numeric(const std::vector<std::optional<T>>& values) {
  NumericExpectation e;
  std::set<T> distinct;
  std::vector<long double> xs;
  Int128 isum = 0;
  for (const auto& v : values) {
    if (!v) {
      ++e.nulls;
      continue;
    }
    distinct.insert(*v);
    xs.push_back(static_cast<long double>(*v));
    if constexpr (std::is_integral_v<T>) isum += *v;
  }
  e.distinct = static_cast<std::int64_t>(distinct.size());
  if (xs.empty()) return e;
  long double mean = 0;
  if constexpr (std::is_integral_v<T>) {
    mean = static_cast<long double>(isum) / static_cast<long double>(xs.size());
  } else {
    for (auto x : xs) mean += x;
    mean /= static_cast<long double>(xs.size());
  }
  e.mean = static_cast<double>(mean);
  if (xs.size() > 1) {
    long double ss = 0;
    for (auto x : xs) ss += (x - mean) * (x - mean);
    e.sd = static_cast<double>(std::sqrt(ss / static_cast<long double>(xs.size() - 1)));
  }
  return e;
}

const MetricValue& metric(const ProfilingResult& r, const std::string& column,
                          const std::string& name) {
  static const MetricValue none;
  for (const auto& c : r.columns) {
    if (c.name != column) continue;
    if (const MetricValue* v = c.metric(name)) return *v;
    ADD_FAILURE() << "no metric " << name << " for column " << column;
    return none;
  }
  ADD_FAILURE() << "no column " << column;
  return none;
}

bool has_metric(const ProfilingResult& r, const std::string& column, const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.name == column) return c.metric(name) != nullptr;
  }
  return false;
}

double as_d(const MetricValue& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "not a double";
  return std::nan("");
}

std::string date_text(int days_since_epoch) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

void expect_histogram(const MetricValue& v, const std::vector<double>& xs, int bins) {
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  const double lo = *std::min_element(xs.begin(), xs.end());
  const double hi = *std::max_element(xs.begin(), xs.end());
  std::vector<std::int64_t> want = expected_bins(xs, lo, hi - lo, bins);
  auto json = nlohmann::json::parse(std::get<std::string>(v));
  ASSERT_EQ(json.size(), static_cast<std::size_t>(bins));
  EXPECT_EQ(json.front()["bin_start"].get<double>(), lo);
  EXPECT_EQ(json.back()["bin_end"].get<double>(), hi);
  for (int i = 0; i < bins; ++i) {
    EXPECT_EQ(json[static_cast<std::size_t>(i)]["count"].get<std::int64_t>(),
              want[static_cast<std::size_t>(i)])
        << "bin " << i;
  }
}

TEST_F(PostgresTest, ProfilingMatchesAnIndependentComputationInTwoQueries) {
  constexpr int kRows = 3000;
  std::mt19937_64 rng(20261127);
  std::normal_distribution<double> noise(0.0, 3.5);
  const std::vector<std::string> words = {"alpha", "Ünïcødé", "日本語テキスト", "emoji 🙂🚀",
                                          "",      "a",       "naïve café",     "x\"y'z"};
  std::vector<std::optional<std::int64_t>> bigs, mids, smalls, cents;
  std::vector<std::optional<double>> reals, empties;
  std::vector<std::optional<std::string>> texts, days, stamps;
  std::vector<std::optional<bool>> flags;
  conn_->execute(
      "CREATE TABLE " + t("profiled") +
      " (big BIGINT, mid BIGINT, small INTEGER, real DOUBLE PRECISION, amount NUMERIC(12,2), "
      "label VARCHAR(40), day DATE, at TIMESTAMP, flag BOOLEAN, empty DOUBLE "
      "PRECISION)");
  {
    auto ins = conn_->prepare("INSERT INTO " + t("profiled") +
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    db::Transaction tx(*conn_);
    for (int i = 0; i < kRows; ++i) {
      // As many values near +2^63 as near -2^63: they cancel in the mean, so each value must be
      // summed exactly (in doubles each would be off by up to 1024).
      std::optional<std::int64_t> big;
      if (i % 10 == 1) {
        big = kMax64 - static_cast<std::int64_t>(rng() % 1000);
      } else if (i % 10 == 2) {
        big = kMin64 + static_cast<std::int64_t>(rng() % 1000);
      } else if (rng() % 8 != 0) {
        big = static_cast<std::int64_t>(rng() % 2000001) - 1000000;
      }
      // A spread of about 1e8, where PostgreSQL's numeric STDDEV_SAMP of an integer column keeps
      // only about 9 significant digits.
      std::optional<std::int64_t> mid;
      if (rng() % 11 != 0) mid = static_cast<std::int64_t>(rng() % 400000000);
      std::optional<std::int64_t> small;
      if (rng() % 6 != 0) small = static_cast<std::int64_t>(rng() % 101) - 50;
      std::optional<double> real;
      if (rng() % 8 != 0) real = 1e6 + noise(rng);
      std::optional<std::int64_t> cent;
      if (rng() % 9 != 0) cent = static_cast<std::int64_t>(rng() % 2000000) - 500000;
      std::optional<std::string> label;
      if (rng() % 7 != 0) label = words[rng() % words.size()] + std::to_string(rng() % 40);
      std::optional<std::string> day;
      if (rng() % 5 != 0) day = date_text(18000 + static_cast<int>(rng() % 3000));
      std::optional<std::string> at;
      if (rng() % 4 != 0) {
        at = date_text(19000 + static_cast<int>(rng() % 500)) +
             fmt::format(" {:02}:{:02}:{:02}", rng() % 24, rng() % 60, rng() % 60);
      }
      std::optional<bool> flag;
      if (rng() % 3 != 0) flag = rng() % 2 == 0;
      bigs.push_back(big);
      mids.push_back(mid);
      smalls.push_back(small);
      reals.push_back(real);
      cents.push_back(cent);
      texts.push_back(label);
      days.push_back(day);
      stamps.push_back(at);
      flags.push_back(flag);
      empties.push_back(std::nullopt);
      db::Value amount;
      if (cent)
        amount = fmt::format("{}{}.{:02}", *cent < 0 ? "-" : "", std::llabs(*cent) / 100,
                             std::llabs(*cent) % 100);
      ins->execute(std::vector<db::Value>{opt(big), opt(mid), opt(small), opt(real), amount,
                                          opt(label), opt(day), opt(at), opt(flag),
                                          std::monostate{}});
    }
    tx.commit();
  }

  TempDir dir;
  // config_'s schema is this test's schema.
  Config config = testing::pipeline_config(config_, dir / "store.db", {"profiled"});
  auto queries = std::make_shared<std::atomic<int>>(0);
  RunStore store(config.storage, config.environment);
  Profiler profiler(
      config,
      [&config, queries] {
        return std::make_unique<testing::CountingConnection>(
            db::connect(config.source, {.read_only = true}), queries);
      },
      nullptr, &store);
  const auto started = std::chrono::steady_clock::now();
  auto outcomes = profiler.profile();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error;
  const ProfilingResult& r = *outcomes[0].result;
  EXPECT_EQ(queries->load(), 2) << "one scalar query and one histogram query per table";
  EXPECT_LT(elapsed, std::chrono::seconds(30));
  EXPECT_EQ(r.row_count, kRows);
  EXPECT_EQ(r.schema_name, schema_);
  ASSERT_EQ(r.columns.size(), 10u);

  auto check_counts = [&](const std::string& column, std::int64_t nulls, std::int64_t distinct) {
    EXPECT_EQ(metric(r, column, "count"), MetricValue(std::int64_t{kRows})) << column;
    EXPECT_EQ(metric(r, column, "null_count"), MetricValue(nulls)) << column;
    EXPECT_EQ(as_d(metric(r, column, "null_percent")), static_cast<double>(nulls) / kRows * 100.0)
        << column;
    EXPECT_EQ(metric(r, column, "distinct_count"), MetricValue(distinct)) << column;
    EXPECT_EQ(as_d(metric(r, column, "distinct_percent")),
              static_cast<double>(distinct) / kRows * 100.0)
        << column;
  };
  auto values_of = [](const auto& column) {
    std::vector<double> out;
    for (const auto& v : column) {
      if (v) out.push_back(static_cast<double>(*v));
    }
    return out;
  };

  // Integers with NULLs and values near +/-2^63: exact mean and stddev, not doubles' sums.
  for (const auto& [name, column] :
       {std::pair{std::string("big"), &bigs}, std::pair{std::string("mid"), &mids},
        std::pair{std::string("small"), &smalls}}) {
    SCOPED_TRACE(name);
    NumericExpectation e = expect_numeric(*column);
    check_counts(name, e.nulls, e.distinct);
    std::int64_t lo = kMax64, hi = kMin64;
    for (const auto& v : *column) {
      if (v) {
        lo = std::min(lo, *v);
        hi = std::max(hi, *v);
      }
    }
    EXPECT_EQ(metric(r, name, "min"), MetricValue(lo));
    EXPECT_EQ(metric(r, name, "max"), MetricValue(hi));
    expect_rel(as_d(metric(r, name, "mean")), *e.mean);
    expect_rel(as_d(metric(r, name, "stddev")), *e.sd);
    expect_histogram(metric(r, name, "histogram"), values_of(*column), 10);
  }

  {
    SCOPED_TRACE("real");
    NumericExpectation e = expect_numeric(reals);
    check_counts("real", e.nulls, e.distinct);
    std::vector<double> xs = values_of(reals);
    EXPECT_EQ(metric(r, "real", "min"), MetricValue(*std::min_element(xs.begin(), xs.end())));
    EXPECT_EQ(metric(r, "real", "max"), MetricValue(*std::max_element(xs.begin(), xs.end())));
    expect_rel(as_d(metric(r, "real", "mean")), *e.mean);
    expect_rel(as_d(metric(r, "real", "stddev")), *e.sd);
    expect_histogram(metric(r, "real", "histogram"), xs, 10);
  }

  {
    SCOPED_TRACE("amount");  // numeric(12,2): exact decimal aggregates
    NumericExpectation e = expect_numeric(cents);
    check_counts("amount", e.nulls, e.distinct);
    std::vector<double> xs;
    std::vector<std::int64_t> present;
    for (const auto& c : cents) {
      if (c) xs.push_back(static_cast<double>(*c) / 100.0);
      if (c) present.push_back(*c);
    }
    // min and max as PostgreSQL prints the numeric: every digit, at the column's scale.
    auto exact = [](std::int64_t c) {
      return fmt::format("{}{}.{:02}", c < 0 ? "-" : "", std::llabs(c) / 100, std::llabs(c) % 100);
    };
    EXPECT_EQ(metric(r, "amount", "min"),
              MetricValue(exact(*std::min_element(present.begin(), present.end()))));
    EXPECT_EQ(metric(r, "amount", "max"),
              MetricValue(exact(*std::max_element(present.begin(), present.end()))));
    expect_rel(as_d(metric(r, "amount", "mean")), *e.mean / 100.0);
    expect_rel(as_d(metric(r, "amount", "stddev")), *e.sd / 100.0);
    expect_histogram(metric(r, "amount", "histogram"), xs, 10);
  }

  {
    SCOPED_TRACE("label");  // lengths in characters, not bytes
    std::set<std::string> distinct;
    std::int64_t nulls = 0, min_len = kMax64, max_len = 0;
    long double total = 0;
    for (const auto& v : texts) {
      if (!v) {
        ++nulls;
        continue;
      }
      distinct.insert(*v);
      auto n = static_cast<std::int64_t>(utf8_length(*v));
      min_len = std::min(min_len, n);
      max_len = std::max(max_len, n);
      total += static_cast<long double>(n);
    }
    check_counts("label", nulls, static_cast<std::int64_t>(distinct.size()));
    EXPECT_EQ(metric(r, "label", "min_length"), MetricValue(min_len));
    EXPECT_EQ(metric(r, "label", "max_length"), MetricValue(max_len));
    expect_rel(as_d(metric(r, "label", "avg_length")),
               static_cast<double>(total / static_cast<long double>(kRows - nulls)), 1e-12);
    EXPECT_FALSE(has_metric(r, "label", "mean"));
    EXPECT_FALSE(has_metric(r, "label", "min"));
  }

  for (const auto& [name, column] :
       {std::pair{std::string("day"), &days}, std::pair{std::string("at"), &stamps}}) {
    SCOPED_TRACE(name);  // temporal: min and max as PostgreSQL prints them
    std::set<std::string> distinct;
    std::int64_t nulls = 0;
    for (const auto& v : *column) {
      if (v) {
        distinct.insert(*v);
      } else {
        ++nulls;
      }
    }
    check_counts(name, nulls, static_cast<std::int64_t>(distinct.size()));
    EXPECT_EQ(metric(r, name, "min"), MetricValue(*distinct.begin()));
    EXPECT_EQ(metric(r, name, "max"), MetricValue(*distinct.rbegin()));
    EXPECT_FALSE(has_metric(r, name, "mean"));
  }

  {
    SCOPED_TRACE("flag");
    std::set<bool> distinct;
    std::int64_t nulls = 0;
    for (const auto& v : flags) {
      if (v) {
        distinct.insert(*v);
      } else {
        ++nulls;
      }
    }
    check_counts("flag", nulls, static_cast<std::int64_t>(distinct.size()));
    EXPECT_FALSE(has_metric(r, "flag", "min"));
    EXPECT_FALSE(has_metric(r, "flag", "histogram"));
  }

  {
    SCOPED_TRACE("empty");  // all NULL: no mean, no histogram
    check_counts("empty", kRows, 0);
    EXPECT_EQ(metric(r, "empty", "min"), MetricValue());
    EXPECT_EQ(metric(r, "empty", "mean"), MetricValue());
    EXPECT_EQ(metric(r, "empty", "stddev"), MetricValue());
    EXPECT_FALSE(has_metric(r, "empty", "histogram"));
  }

  // The run reached the (SQLite) results store.
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, r.run_id);
  EXPECT_EQ(runs[0].row_count, kRows);
  bool found_mean = false;
  for (const auto& m : store.results(runs[0])) {
    if (m.column_name == "big" && m.metric_name == "mean") {
      found_mean = true;
      EXPECT_EQ(m.metric_value, metric_text(metric(r, "big", "mean")));
      EXPECT_EQ(m.column_type, "bigint");
    }
  }
  EXPECT_TRUE(found_mean);
}

// How many scans of a table the server runs at once in one statement follows its own parallel
// query rules: the table's parallel_workers storage parameter, else none below
// min_parallel_table_scan_size, at most max_parallel_workers_per_gather, plus the leader.
TEST_F(PostgresTest, ConcurrentScansFollowTheServersParallelQuerySettings) {
  conn_->execute("CREATE TABLE " + t("s") + " (k integer, v text)");
  conn_->execute("INSERT INTO " + t("s") +
                 " SELECT g, 'v' || (g % 7) FROM generate_series(1, 500) AS g");
  conn_->execute("CREATE VIEW " + t("sv") + " AS SELECT * FROM " + t("s"));
  auto setting = [&](const std::string& name) {
    return *db::as_text(query("SELECT current_setting($1)", {name}).rows.at(0).at(0));
  };
  const int per_gather = std::stoi(setting("max_parallel_workers_per_gather"));
  const int total = std::stoi(setting("max_parallel_workers"));
  const bool leader = setting("parallel_leader_participation") == "on";
  ASSERT_GE(std::min(per_gather, total), 1) << "the test server allows parallel workers";
  const db::TableRef s{schema_, "s"};
  auto with_leader = [&](int workers) { return workers + (leader ? 1 : 0); };

  EXPECT_EQ(conn_->concurrent_scans(s), 1) << "40 kB: below min_parallel_table_scan_size";
  EXPECT_EQ(conn_->concurrent_scans({schema_, "sv"}), 1) << "a view has no size of its own";
  EXPECT_EQ(conn_->concurrent_scans({schema_, "no_such_table"}), 1);

  conn_->execute("ALTER TABLE " + t("s") + " SET (parallel_workers = 1)");
  EXPECT_EQ(conn_->concurrent_scans(s), with_leader(1));
  conn_->execute("ALTER TABLE " + t("s") + " SET (parallel_workers = 0)");
  EXPECT_EQ(conn_->concurrent_scans(s), 1);
  conn_->execute("ALTER TABLE " + t("s") + " RESET (parallel_workers)");
  conn_->execute("SET min_parallel_table_scan_size = 0");
  EXPECT_EQ(conn_->concurrent_scans(s), with_leader(std::min(per_gather, total)));
  conn_->execute("SET parallel_leader_participation = off");
  EXPECT_EQ(conn_->concurrent_scans(s), std::min(per_gather, total));
  conn_->execute("SET max_parallel_workers_per_gather = 0");
  EXPECT_EQ(conn_->concurrent_scans(s), 1);
}

// The split statement is what the server runs in parallel: one Gather over a Parallel Append of
// one aggregate per branch, each COUNT(DISTINCT) computed in exactly one branch (the padding of
// the others folded away), and a partition filter's bound values used by every branch.
TEST_F(PostgresTest, ConcurrentScansRunAsOneParallelAppendAndAgreeWithOneScan) {
  conn_->execute("CREATE TABLE " + t("p") +
                 " (day date, a integer, b double precision, c text, d text, e bigint, f boolean)");
  conn_->execute("ALTER TABLE " + t("p") + " SET (parallel_workers = 2)");
  // 4 days x 250 rows; the last day is the latest partition.
  conn_->execute(
      "INSERT INTO " + t("p") +
      " SELECT DATE '2026-01-01' + (g % 4), g % 37, (g % 101) / 8.0, 'c' || (g % 53), "
      "CASE WHEN g % 5 = 0 THEN NULL ELSE md5(CAST(g % 300 AS text)) END, g * 1000003, g % 3 = 0 "
      "FROM generate_series(1, 1000) AS g");
  const int scans = conn_->concurrent_scans({schema_, "p"});
  ASSERT_GE(scans, 2);

  TempDir dir;
  Config config = testing::pipeline_config(config_, dir / "store.db", {"p"});
  config.profiling.tables[0].partition =
      PartitionConfig{.key = "day", .strategy = PartitionStrategy::kLatest};
  Config single = config;
  single.profiling.parallel_scans = 1;

  // The statement as plan shows it, explained by the server (the latest day bound as $1). At
  // 1000 rows starting workers would cost more than the scans; costing them at nothing shows the
  // plan the server picks for a table worth scanning in parallel.
  conn_->execute("SET parallel_setup_cost = 0");
  conn_->execute("SET parallel_tuple_cost = 0");
  const Plan plan = build_plan(config);
  ASSERT_TRUE(plan.tables.at(0).error.empty()) << plan.tables[0].error;
  ASSERT_EQ(plan.tables[0].scalar_scans, std::min(scans, 6)) << "six columns sort";
  const std::string& sql = plan.tables[0].sql.at(0);
  db::Result explained = query("EXPLAIN (VERBOSE) " + sql, {db::Value(std::string("2026-01-04"))});
  std::size_t appends = 0, aggregates = 0, distinct = 0;
  for (std::size_t i = 0; i < explained.rows.size(); ++i) {
    const std::string line = *db::as_text(explained.rows[i].at(0));
    if (line.find("Parallel Append") != std::string::npos) ++appends;
    if (line.find("->  Aggregate") == std::string::npos) continue;
    ++aggregates;
    const std::string output = *db::as_text(explained.rows.at(i + 1).at(0));
    for (auto at = output.find("count(DISTINCT"); at != std::string::npos;
         at = output.find("count(DISTINCT", at + 1)) {
      ++distinct;
    }
  }
  EXPECT_EQ(appends, 1u) << sql;
  EXPECT_EQ(aggregates, static_cast<std::size_t>(plan.tables[0].scalar_scans));
  EXPECT_EQ(distinct, 6u) << "day, a, b, c, d and e sort once each; f needs no sort";

  auto split_run = Profiler(config).profile();
  auto single_run = Profiler(single).profile();
  ASSERT_TRUE(split_run.at(0).ok()) << split_run[0].error;
  ASSERT_TRUE(single_run.at(0).ok()) << single_run[0].error;
  const ProfilingResult& r = *split_run[0].result;
  EXPECT_EQ(r.row_count, 250);
  // Independently: the rows g = 3, 7, 11, ... (g % 4 = 3) of the latest day.
  std::set<std::int64_t> as, es;
  std::set<double> bs;
  std::set<std::string> cs;
  std::int64_t d_nulls = 0;
  for (int g = 3; g <= 1000; g += 4) {
    as.insert(g % 37);
    bs.insert((g % 101) / 8.0);
    cs.insert("c" + std::to_string(g % 53));
    es.insert(std::int64_t{g} * 1000003);
    if (g % 5 == 0) ++d_nulls;
  }
  std::set<int> ds;
  for (int g = 3; g <= 1000; g += 4) {
    if (g % 5 != 0) ds.insert(g % 300);
  }
  std::map<std::string, std::int64_t> distinct_of = distinct_counts(r);
  EXPECT_EQ(distinct_of["day"], 1);
  EXPECT_EQ(distinct_of["a"], static_cast<std::int64_t>(as.size()));
  EXPECT_EQ(distinct_of["b"], static_cast<std::int64_t>(bs.size()));
  EXPECT_EQ(distinct_of["c"], static_cast<std::int64_t>(cs.size()));
  EXPECT_EQ(distinct_of["d"], static_cast<std::int64_t>(ds.size()));
  EXPECT_EQ(distinct_of["e"], 250);
  EXPECT_EQ(distinct_of["f"], 2);
  EXPECT_EQ(metric(r, "d", "null_count"), MetricValue(d_nulls));
  EXPECT_EQ(metric(r, "e", "min"), MetricValue(std::int64_t{3} * 1000003));
  EXPECT_EQ(metric(r, "e", "max"), MetricValue(std::int64_t{999} * 1000003));
  // And every metric as the single scan gives it.
  const ProfilingResult& one = *single_run[0].result;
  ASSERT_EQ(one.columns.size(), r.columns.size());
  for (std::size_t c = 0; c < r.columns.size(); ++c) {
    ASSERT_EQ(one.columns[c].metrics.size(), r.columns[c].metrics.size());
    for (std::size_t m = 0; m < r.columns[c].metrics.size(); ++m) {
      EXPECT_EQ(metric_text(one.columns[c].metrics[m].second),
                metric_text(r.columns[c].metrics[m].second))
          << r.columns[c].name << "." << r.columns[c].metrics[m].first;
    }
  }
}

TEST_F(PostgresTest, APermissionErrorFailsOnlyThatTable) {
  conn_->execute("CREATE TABLE " + t("open") + " (v int)");
  conn_->execute("INSERT INTO " + t("open") + " VALUES (1), (2), (NULL)");
  conn_->execute("CREATE TABLE " + t("closed") + " (v int)");
  conn_->execute("GRANT USAGE ON SCHEMA " + q(schema_) + " TO baselinr_limited");
  conn_->execute("GRANT SELECT ON " + t("open") + " TO baselinr_limited");
  Config config;
  config.source = config_;
  config.source.username = "baselinr_limited";
  TableConfig a, b;
  a.table = "closed";
  b.table = "open";
  config.profiling.tables = {a, b};
  config.profiling.max_workers = 1;
  Profiler profiler(config);
  auto outcomes = profiler.profile();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_FALSE(outcomes[0].ok());
  EXPECT_NE(outcomes[0].error.find("permission denied"), std::string::npos) << outcomes[0].error;
  ASSERT_TRUE(outcomes[1].ok()) << outcomes[1].error;
  EXPECT_EQ(outcomes[1].result->row_count, 3);
}

// ---- PostgreSQL as the results store and the events table ------------------------------------

ProfilingResult sample_result(const std::string& dataset,
                              std::chrono::system_clock::time_point at) {
  ProfilingResult r;
  r.run_id = new_uuid();
  r.dataset_name = dataset;
  r.schema_name = "public";
  r.profiled_at = at;
  r.row_count = 42;
  ColumnProfile amount;
  amount.name = "amount";
  amount.type = "numeric(10,2)";
  amount.type_class = TypeClass::kNumeric;
  amount.metrics = {
      {"count", std::int64_t{42}},
      {"null_percent", 2.5},
      {"min", std::monostate{}},
      {"mean", 1.0 / 3.0},
      {"histogram", std::string("[{\"bin_start\":0.0,\"bin_end\":1.0,\"count\":42}]")}};
  ColumnProfile name;
  name.name = "nåme \"quoted\"";
  name.type = "text";
  name.type_class = TypeClass::kString;
  name.metrics = {{"count", std::int64_t{42}}, {"max_length", std::int64_t{7}}};
  r.columns = {amount, name};
  return r;
}

TEST_F(PostgresTest, RunStoreOnPostgres) {
  StorageConfig sc;
  sc.connection = config_;
  sc.runs_table = schema_ + ".baselinr_runs";
  sc.results_table = schema_ + ".baselinr_results";
  sc.events_table = schema_ + ".baselinr_events";
  const auto now = std::chrono::system_clock::now();
  ProfilingResult first = sample_result("orders", now - std::chrono::hours(1));
  ProfilingResult second = sample_result("orders", now);
  {
    RunStore store(sc, "test");
    EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
    store.store(first);
    store.store(second);
    // The same run again violates the primary key: nothing of it is written.
    EXPECT_THROW(store.store(second), StorageError);
  }
  RunStore store(sc, "test");  // tables exist: created only once
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, second.run_id) << "newest first";
  EXPECT_EQ(runs[1].run_id, first.run_id);
  EXPECT_EQ(runs[0].profiled_at, format_storage_time(second.profiled_at));
  EXPECT_EQ(runs[0].dataset_name, "orders");
  EXPECT_EQ(runs[0].schema_name, "public");
  EXPECT_EQ(runs[0].environment, "test");
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].row_count, 42);
  EXPECT_EQ(runs[0].column_count, 2);
  EXPECT_EQ(store.list_runs({.limit = 1}).size(), 1u);
  EXPECT_EQ(store.list_runs({.dataset = "orders", .schema = "public"}).size(), 2u);
  EXPECT_TRUE(store.list_runs({.dataset = "nope"}).empty());
  ASSERT_TRUE(store.find_run(first.run_id).has_value());
  EXPECT_EQ(store.find_run(first.run_id)->profiled_at, format_storage_time(first.profiled_at));
  auto before = store.runs_before(runs[0], 5);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].run_id, first.run_id);

  auto results = store.results(runs[0]);
  std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>>> want;
  for (const auto& c : second.columns) {
    for (const auto& [m, v] : c.metrics) want.emplace_back(c.name, c.type, m, metric_text(v));
  }
  ASSERT_EQ(results.size(), want.size()) << "the failed duplicate added nothing";
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(results[i].column_name, std::get<0>(want[i]));
    EXPECT_EQ(results[i].column_type, std::get<1>(want[i]));
    EXPECT_EQ(results[i].metric_name, std::get<2>(want[i]));
    EXPECT_EQ(results[i].metric_value, std::get<3>(want[i]));
  }
}

TEST_F(PostgresTest, SqlHookWritesEventsToPostgres) {
  const std::string table = schema_ + ".baselinr_events";
  hooks::SqlEventHook hook(config_, table);
  Event drift(DataDriftDetected{"orders", "amount", "mean", 10.0, 12.5, 25.0, Severity::kHigh});
  Event schema_change(
      SchemaChangeDetected{"orders", "column_added", "note", std::nullopt, std::string("text")});
  Event failed(ProfilingFailed{"orders", new_uuid(), "postgres: query failed: ünïcödé"});
  hook.handle_event(drift);
  hook.handle_event(schema_change);
  hook.handle_event(failed);

  auto events = read_events(config_, table, {});
  ASSERT_EQ(events.size(), 3u);
  std::map<std::string, EventRecord> by_id;
  for (auto& e : events) by_id[e.event_id] = e;
  ASSERT_EQ(by_id.count(drift.event_id()), 1u);
  const EventRecord& e = by_id[drift.event_id()];
  EXPECT_EQ(e.event_type, "DataDriftDetected");
  EXPECT_EQ(e.table_name, "orders");
  EXPECT_EQ(e.column_name, "amount");
  EXPECT_EQ(e.metric_name, "mean");
  EXPECT_EQ(e.baseline_value, 10.0);
  EXPECT_EQ(e.current_value, 12.5);
  EXPECT_EQ(e.change_percent, 25.0);
  EXPECT_EQ(e.drift_severity, "high");
  EXPECT_EQ(e.timestamp, format_storage_time(drift.timestamp()));
  EXPECT_EQ(nlohmann::json::parse(e.metadata), nlohmann::json::parse(drift.metadata_json()));
  // created_at is the server's CURRENT_TIMESTAMP, in UTC like every stored time.
  auto created = parse_time(e.created_at);
  ASSERT_TRUE(created.has_value()) << e.created_at;
  EXPECT_LT(std::chrono::abs(*created - std::chrono::system_clock::now()), std::chrono::minutes(5))
      << e.created_at;

  const EventRecord& s = by_id[schema_change.event_id()];
  EXPECT_EQ(s.event_type, "SchemaChangeDetected");
  EXPECT_EQ(s.column_name, "note");
  EXPECT_FALSE(s.baseline_value.has_value());
  const EventRecord& f = by_id[failed.event_id()];
  EXPECT_EQ(nlohmann::json::parse(f.metadata)["error"], "postgres: query failed: ünïcödé");

  EXPECT_EQ(read_events(config_, table, {.event_type = "DataDriftDetected"}).size(), 1u);
  EXPECT_EQ(read_events(config_, table, {.limit = 2}).size(), 2u);

  // The same hook built from configuration (hooks: - type: sql, connection: postgres).
  HooksConfig hooks;
  HookConfig sql;
  sql.type = HookType::kSql;
  sql.connection = config_;
  sql.table_name = schema_ + ".configured_events";
  hooks.hooks = {sql};
  auto bus = create_event_bus(hooks);
  bus->emit(drift);
  EXPECT_EQ(bus->stats(0).delivered, 1u);
  EXPECT_EQ(bus->total_failed(), 0u);
  auto configured = read_events(config_, sql.table_name, {});
  ASSERT_EQ(configured.size(), 1u);
  EXPECT_EQ(configured[0].event_id, drift.event_id());
}

// Freshness of a partitioned table: one MAX() over the whole table (the run itself read only
// the latest partition), time zones honoured; PostgreSQL keeps no time of a table's last change.
TEST_F(PostgresTest, FreshnessOfAPartitionedTableReadsTheWholeTable) {
  conn_->execute("CREATE TABLE " + t("events") + " (day DATE, loaded_at TIMESTAMPTZ, v INTEGER)");
  conn_->execute("INSERT INTO " + t("events") +
                 " VALUES ('2026-01-09', '2026-01-09 23:00:00+00', 1), "
                 "('2026-01-10', '2026-01-10 06:00:00+02', 2), "
                 "('2026-01-08', '2026-01-10 11:30:00+05:30', 3)");
  const double newest = *db::as_double(
      query("SELECT EXTRACT(EPOCH FROM MAX(loaded_at)) FROM " + t("events")).rows.at(0).at(0));
  TempDir dir;
  Config config = testing::pipeline_config(config_, dir / "store.db", {"events"});
  config.profiling.tables[0].partition =
      PartitionConfig{.key = "day", .strategy = PartitionStrategy::kLatest};
  Profiler profiler(config);
  const auto now = *parse_time("2026-01-12 00:00:00");
  profiler.set_clock([now] { return now; });
  auto out = profiler.profile();
  ASSERT_TRUE(out.at(0).ok()) << out[0].error;
  const ProfilingResult& r = *out[0].result;
  EXPECT_EQ(r.row_count, 1);  // the latest day only
  std::map<std::string, MetricValue> table(r.table_metrics.begin(), r.table_metrics.end());
  EXPECT_EQ(std::get<std::string>(table.at("freshness_column")), "loaded_at");
  // 11:30+05:30 is 06:00 UTC, the newest instant though not in the latest day's row.
  EXPECT_DOUBLE_EQ(newest, 1768024800.0);
  EXPECT_DOUBLE_EQ(std::get<double>(table.at("freshness_seconds")), 1768176000.0 - newest);
  EXPECT_EQ(table.count("last_change_seconds"), 0u);
}

}  // namespace
}  // namespace baselinr
