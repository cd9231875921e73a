// What only the PostgreSQL connector and dialect do, against the real server the test script
// starts: parameter types inferred from their context, result mapping of PostgreSQL's own types,
// catalog introspection (arrays, domains, views), distinct strings under collations, the
// unique-index shortcut, failed transactions, the packed histogram formula, parallel append, and
// freshness of partitioned tables. The behaviour every engine shares (values round trip,
// statements and transactions, error classification, run store, SQL hook, hostile names,
// metrics) is tested once for all engines in tests/conformance/. Every test works in its own
// schema, so the suite can run in parallel with itself.
#include <fmt/format.h>
#include <gtest/gtest.h>
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
#include "support/sockets.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::closed_port;
using testing::TempDir;

constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

void expect_one_line_postgres_message(const std::string& what) {
  EXPECT_TRUE(what.starts_with("postgres: ")) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\t'), std::string::npos) << what;
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = conformance::postgres_server();
    ASSERT_FALSE(HasFailure()) << "the PostgreSQL test server is not configured";
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

// What only PostgreSQL does with statements and transactions (the shared contract is
// conformance/connection_test.cpp): a failed statement dooms the whole transaction and COMMIT
// says so, statements outliving their connection fail cleanly, and execute() without parameters
// runs a script of several statements.
TEST_F(PostgresTest, FailedTransactionsOrphanStatementsAndScripts) {
  conn_->execute("CREATE TABLE " + t("tx") + " (id BIGINT PRIMARY KEY, label TEXT)");
  auto insert = conn_->prepare("INSERT INTO " + t("tx") + " (id, label) VALUES ($1, $2)");
  insert->execute(std::vector<db::Value>{std::int64_t{1}, std::string("one")});
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
  EXPECT_EQ(count("tx"), 1) << "nothing of the failed transaction was saved";

  auto doomed = db::connect(config_);
  auto orphan = doomed->prepare("SELECT 1");
  doomed.reset();
  EXPECT_THROW(orphan->execute({}), ConnectionError);

  conn_->execute("CREATE TABLE " + t("s1") + " (a int); CREATE TABLE " + t("s2") + " (b int)");
  EXPECT_EQ(count("s1") + count("s2"), 0);
}

// ---- errors -------------------------------------------------------------------------------

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

// A missing table's 42P01 is in conformance/connection_test.cpp.
TEST_F(PostgresTest, BadSqlAndNulBytesAreQueryErrorsWithSqlstate) {
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

// ---- histogram --------------------------------------------------------------------------------

std::vector<std::int64_t> expected_bins(const std::vector<double>& xs, double min, double range,
                                        int bins) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(bins), 0);
  for (double x : xs) out[static_cast<std::size_t>(histogram_bin(x, min, range, bins))]++;
  return out;
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
  // The pushed-down statements (under auto this small table is read natively, and plan shows
  // that read's COPY instead).
  config.profiling.executor = Executor::kSql;
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
