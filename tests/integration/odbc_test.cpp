// What only the ODBC connector does, against real servers through real drivers (no mocks):
// PostgreSQL through psqlODBC ("PostgreSQL Unicode", Debian's odbc-postgresql) and MariaDB through
// Connector/ODBC ("MariaDB Unicode", odbc-mariadb), the servers scripts/test-services.sh starts:
// connecting by driver attributes, by connection string and by DSN, UTC sessions, read-only
// access, parameter types inferred by the server, result type mapping, long text, catalog
// introspection with names that are LIKE patterns, orphan statements, driver errors. The
// behaviour every engine shares (values round trip, statements and transactions, error
// classification, run store, SQL hook, hostile names, metrics) runs once for all targets, the
// ODBC ones included (postgres_odbc, mariadb_odbc), in tests/conformance/. Every test works in a
// schema (database, for MariaDB) of its own.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
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
#include "db/odbc/odbc_connection.hpp"
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

// Debian's odbc-postgresql and odbc-mariadb register these names in /etc/odbcinst.ini.
constexpr const char* kPgDriver = "PostgreSQL Unicode";
constexpr const char* kMariaDriver = "MariaDB Unicode";

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

void expect_one_line_odbc_message(const std::string& what) {
  EXPECT_TRUE(what.starts_with("odbc: ")) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(what.find('\t'), std::string::npos) << what;
}

db::Value opt(const auto& o) {
  if (!o) return std::monostate{};
  return db::Value(*o);
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

ConnectionConfig pg_native_config() { return conformance::postgres_server(); }

// The same server through psqlODBC. BoolsAsChar=0 (a driver attribute passed through
// extra_params) makes the driver report booleans as SQL_BIT instead of text.
ConnectionConfig pg_odbc_config(const ConnectionConfig& native) {
  ConnectionConfig c = native;
  c.type = DatabaseType::kOdbc;
  c.extra_params = {{"driver", kPgDriver}, {"BoolsAsChar", "0"}};
  return c;
}

// Sets an environment variable for one scope (ctest runs each test in a process of its own; this
// keeps a whole-binary run clean too).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

db::OdbcConnection& as_odbc(db::Connection& c) {
  auto* odbc = dynamic_cast<db::OdbcConnection*>(&c);
  if (!odbc) throw std::logic_error("not an ODBC connection");
  return *odbc;
}

class OdbcPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    native_ = pg_native_config();
    ASSERT_FALSE(HasFailure()) << "the PostgreSQL test server is not configured";
    config_ = pg_odbc_config(native_);
    schema_ = "odbc_t_" + random_suffix();
    admin_ = db::connect(native_);
    admin_->execute("CREATE SCHEMA " + q(schema_));
    native_.schema = schema_;
    config_.schema = schema_;
    conn_ = db::connect(config_);
  }

  void TearDown() override {
    conn_.reset();
    if (!admin_) return;
    try {
      auto c = db::connect(pg_native_config());
      c->execute("DROP SCHEMA " + q(schema_) + " CASCADE");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping the test schema failed: " << e.what();
    }
  }

  const db::Dialect& d() const { return conn_->dialect(); }
  std::string q(const std::string& identifier) const {
    return db::dialect_for_dbms("PostgreSQL").quote_identifier(identifier);
  }
  std::string t(const std::string& table) const { return q(schema_) + "." + q(table); }
  db::Result query(const std::string& sql, std::vector<db::Value> params = {}) {
    return conn_->query(sql, params);
  }
  std::int64_t count(const std::string& table) {
    return db::as_int(query("SELECT COUNT(*) FROM " + t(table)).rows.at(0).at(0)).value_or(-1);
  }

  ConnectionConfig native_;  // libpq, for fixtures and comparisons
  ConnectionConfig config_;  // the same server through ODBC
  std::unique_ptr<db::Connection> admin_;
  std::unique_ptr<db::Connection> conn_;
  std::string schema_;
};

// ---- connecting -------------------------------------------------------------------------------

TEST_F(OdbcPostgresTest, DriverAttributesConnectAndPickThePostgresDialect) {
  EXPECT_EQ(as_odbc(*conn_).dbms_name(), "PostgreSQL");
  EXPECT_EQ(d().name(), "postgres");
  EXPECT_EQ(d().placeholder(1), "?");
  EXPECT_FALSE(d().numbered_placeholders());
  db::Result r = query("SELECT current_user, current_database()");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(native_.username));
  EXPECT_EQ(r.rows[0][1], db::Value(native_.database));
  EXPECT_EQ(r.columns, (std::vector<std::string>{"current_user", "current_database"}));
  EXPECT_TRUE(db::supports(DatabaseType::kOdbc));
  EXPECT_EQ(config_.describe(), "odbc:DRIVER=PostgreSQL Unicode;host=" + native_.host +
                                    ";database=" + native_.database);
}

TEST_F(OdbcPostgresTest, AConnectionStringConnectsWithUsernameAndPasswordAdded) {
  ConnectionConfig c;
  c.type = DatabaseType::kOdbc;
  c.username = native_.username;
  c.password = native_.password;
  c.extra_params["connection_string"] =
      fmt::format("Driver={{{}}};Server={};Port={};Database={}", kPgDriver, native_.host,
                  *native_.port, native_.database);
  auto a = db::connect(c);
  EXPECT_EQ(a->query("SELECT current_user").rows.at(0).at(0), db::Value(native_.username));
  EXPECT_EQ(c.describe(), "odbc") << "describe() shows nothing of a connection string";

  // The string may carry the credentials itself.
  ConnectionConfig own;
  own.type = DatabaseType::kOdbc;
  own.extra_params["connection_string"] = fmt::format(
      "DRIVER={{{}}};SERVER={};PORT={};DATABASE={};UID={};PWD={{{}}};", kPgDriver, native_.host,
      *native_.port, native_.database, native_.username, native_.password);
  EXPECT_EQ(db::connect(own)->query("SELECT 1").rows.at(0).at(0), db::Value(std::int64_t{1}));
  // A wrong one is refused without showing it.
  own.extra_params["connection_string"] =
      fmt::format("DRIVER={{{}}};SERVER={};PORT={};DATABASE={};UID={};PWD=Wrong-Inline-Pw-93;",
                  kPgDriver, native_.host, *native_.port, native_.database, native_.username);
  try {
    db::connect(own);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(std::string(e.what()).find("Wrong-Inline-Pw-93"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("connection_string"), std::string::npos) << e.what();
  }
}

TEST_F(OdbcPostgresTest, ADsnConnects) {
  TempDir dir;
  const auto ini =
      dir.write("odbc.ini", fmt::format("[baselinr_pg_dsn]\nDriver = {}\n"
                                        "Servername = {}\nPort = {}\nDatabase = {}\n",
                                        kPgDriver, native_.host, *native_.port, native_.database));
  // unixODBC reads user data sources from $ODBCINI.
  ScopedEnv odbcini("ODBCINI", ini.string());
  ConnectionConfig c;
  c.type = DatabaseType::kOdbc;
  c.username = native_.username;
  c.password = native_.password;
  c.extra_params = {{"dsn", "baselinr_pg_dsn"}, {"login_timeout", "5"}};
  auto a = db::connect(c);
  EXPECT_EQ(a->dialect().name(), "postgres");
  EXPECT_EQ(a->query("SELECT current_database()").rows.at(0).at(0), db::Value(native_.database));
  EXPECT_EQ(c.describe(), "odbc:DSN=baselinr_pg_dsn");

  c.extra_params["dsn"] = "baselinr_no_such_dsn";
  try {
    db::connect(c);
    FAIL() << "connected to a missing DSN";
  } catch (const ConnectionError& e) {
    expect_one_line_odbc_message(e.what());
    EXPECT_EQ(e.sqlstate(), "IM002") << e.what();
    EXPECT_NE(std::string(e.what()).find("odbc.ini"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(native_.password), std::string::npos) << e.what();
  }
}

TEST_F(OdbcPostgresTest, SessionsRunInUtcWhateverTheClientEnvironment) {
  // libpq (inside psqlODBC) would take the session time zone from PGTZ.
  ScopedEnv pgtz("PGTZ", "Asia/Kolkata");
  for (const char* read_only : {"0", "1"}) {
    ConnectionConfig c = config_;
    c.extra_params["ReadOnly"] = read_only;  // the setup is a query: allowed read-only too
    auto s = db::connect(c, {.read_only = true});
    db::Result r = s->query(
        "SELECT current_setting('TimeZone'), CAST(TIMESTAMPTZ '2024-01-02 03:04:05+02' AS TEXT), "
        "CAST(CAST(0.1 AS DOUBLE PRECISION) / 3 AS TEXT)");
    EXPECT_EQ(r.rows.at(0).at(0), db::Value(std::string("UTC")));
    EXPECT_EQ(r.rows.at(0).at(1), db::Value(std::string("2024-01-02 01:04:05+00")));
    EXPECT_EQ(r.rows.at(0).at(2), db::Value(std::string("0.03333333333333333")));
  }
}

TEST_F(OdbcPostgresTest, SourcesAskForReadOnlyAndStillRead) {
  auto ro = db::connect(config_, {.read_only = true});
  EXPECT_EQ(ro->query("SELECT 41 + 1").rows.at(0).at(0), db::Value(std::int64_t{42}));
  // psqlODBC ignores the access mode; its own ReadOnly attribute (passed through) enforces it.
  ConnectionConfig strict = config_;
  strict.extra_params["ReadOnly"] = "1";
  auto c = db::connect(strict, {.read_only = true});
  EXPECT_THROW(c->execute("CREATE TABLE " + t("nope") + " (a int)"), QueryError);
  EXPECT_EQ(c->query("SELECT 1").rows.at(0).at(0), db::Value(std::int64_t{1}));
}

// ---- parameters and results -------------------------------------------------------------------

TEST_F(OdbcPostgresTest, ResultsAreMappedByColumnType) {
  db::Result r = query(
      "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, "
      "'9223372036854775807'::int8 AS imax, '-9223372036854775808'::int8 AS imin, "
      "1.5::float4 AS f4, 0.1::float8 AS f8, 'Infinity'::float8 AS pinf, "
      "'-Infinity'::float8 AS ninf, 'NaN'::float8 AS nan8, 12345.678::numeric(10,3) AS num, "
      "'NaN'::numeric AS numnan, 10::numeric ^ 400 AS huge, true AS t, false AS f, "
      "'héllo'::text AS txt, 'v'::varchar(5) AS vc, 'c'::char(3) AS ch, "
      "DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, "
      "'{\"a\": 1}'::json AS js, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, "
      "'\\x00ff41'::bytea AS by, ARRAY[1, 2] AS arr, "
      "NULL::int8 AS n1, NULL::text AS n2, NULL::float8 AS n3, NULL::bool AS n4, "
      "NULL::numeric AS n5, NULL::bytea AS n6");
  ASSERT_EQ(r.rows.size(), 1u);
  std::map<std::string, db::Value> row;
  for (std::size_t i = 0; i < r.columns.size(); ++i) row[r.columns[i]] = r.rows[0][i];
  EXPECT_EQ(row["a"], db::Value(std::int64_t{1}));
  EXPECT_EQ(row["b"], db::Value(std::int64_t{2}));
  EXPECT_EQ(row["c"], db::Value(std::int64_t{3}));
  EXPECT_EQ(row["imax"], db::Value(kMax64));
  EXPECT_EQ(row["imin"], db::Value(kMin64));
  EXPECT_EQ(row["f4"], db::Value(1.5));
  EXPECT_EQ(row["f8"], db::Value(0.1));
  EXPECT_EQ(row["pinf"], db::Value(kInf));
  EXPECT_EQ(row["ninf"], db::Value(-kInf));
  ASSERT_TRUE(std::holds_alternative<double>(row["nan8"]));
  EXPECT_TRUE(std::isnan(std::get<double>(row["nan8"])));
  EXPECT_EQ(row["num"], db::Value(12345.678));
  ASSERT_TRUE(std::holds_alternative<double>(row["numnan"])) << row["numnan"].index();
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
  EXPECT_EQ(row["js"], db::Value(std::string("{\"a\": 1}")));
  // psqlODBC reports uuid as SQL_GUID and prints it in upper case.
  EXPECT_EQ(to_lower(db::as_text(row["u"]).value_or("")), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(row["by"], db::Value(std::string("\x00\xff\x41", 3))) << "binary types as bytes";
  EXPECT_EQ(row["arr"], db::Value(std::string("{1,2}")));
  for (const char* n : {"n1", "n2", "n3", "n4", "n5", "n6"}) {
    EXPECT_EQ(row[n], db::Value(std::monostate{})) << n;
  }

  // psqlODBC's default (BoolsAsChar=1) reports booleans as text.
  ConnectionConfig plain = config_;
  plain.extra_params.erase("BoolsAsChar");
  EXPECT_EQ(db::connect(plain)->query("SELECT true").rows.at(0).at(0), db::Value(std::string("1")));
}

TEST_F(OdbcPostgresTest, LongTextRoundTripsWhole) {
  conn_->execute("CREATE TABLE " + t("docs") + " (id INT, body TEXT)");
  std::string body;
  std::mt19937 rng(5);
  const std::vector<std::string> pieces = {"plain ", "ünïcödé ", "日本語 ", "🎉", "{;}", "'\""};
  while (body.size() < 300 * 1024) body += pieces[rng() % pieces.size()];
  ASSERT_GT(body.size(), 64u * 1024);
  conn_->execute("INSERT INTO " + t("docs") + " VALUES (?, ?)",
                 std::vector<db::Value>{std::int64_t{1}, body});
  db::Result r = query("SELECT body, length(body), octet_length(body) FROM " + t("docs"));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(body));
  EXPECT_EQ(r.rows[0][1], db::Value(static_cast<std::int64_t>(utf8_length(body))));
  EXPECT_EQ(r.rows[0][2], db::Value(static_cast<std::int64_t>(body.size())));
  // Made by the server, read in pieces.
  r = query("SELECT repeat('ü', 100000), repeat('x', 70000)");
  std::string want;
  for (int i = 0; i < 100000; ++i) want += "ü";
  EXPECT_EQ(r.rows[0][0], db::Value(want));
  EXPECT_EQ(r.rows[0][1], db::Value(std::string(70000, 'x')));
}

// ---- introspection ----------------------------------------------------------------------------

// PostgreSQL through psqlODBC is introspected with the PostgreSQL dialect's own catalog query, as
// libpq is: the same type names, and names matched exactly (no LIKE pattern anywhere).
TEST_F(OdbcPostgresTest, ColumnsComeFromTheCatalogMatchedExactly) {
  conn_->execute("CREATE TABLE " + t("cols") +
                 " (id bigint, name character varying(20), amount numeric(10,2), "
                 "created timestamp with time zone, d date, flag boolean, gone integer, "
                 "tags integer[], doc jsonb, u uuid, price real, small smallint, note text, "
                 "ts timestamp(3) without time zone, code char(2), raw bytea, "
                 "ratio double precision)");
  conn_->execute("ALTER TABLE " + t("cols") + " DROP COLUMN gone");
  const std::vector<std::tuple<std::string, std::string, TypeClass>> want = {
      {"id", "bigint", TypeClass::kNumeric},
      {"name", "character varying(20)", TypeClass::kString},
      {"amount", "numeric(10,2)", TypeClass::kNumeric},
      {"created", "timestamp with time zone", TypeClass::kTemporal},
      {"d", "date", TypeClass::kTemporal},
      {"flag", "boolean", TypeClass::kBoolean},
      {"tags", "integer[]", TypeClass::kOther},
      {"doc", "jsonb", TypeClass::kOther},
      {"u", "uuid", TypeClass::kOther},
      {"price", "real", TypeClass::kNumeric},
      {"small", "smallint", TypeClass::kNumeric},
      {"note", "text", TypeClass::kString},
      {"ts", "timestamp(3) without time zone", TypeClass::kTemporal},
      {"code", "character(2)", TypeClass::kString},
      {"raw", "bytea", TypeClass::kOther},
      {"ratio", "double precision", TypeClass::kNumeric},
  };
  std::vector<db::ColumnInfo> cols = conn_->columns({schema_, "cols"});
  ASSERT_EQ(cols.size(), want.size());
  const std::vector<db::ColumnInfo> native = admin_->columns({schema_, "cols"});
  ASSERT_EQ(native.size(), cols.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(cols[i].name, std::get<0>(want[i]));
    EXPECT_EQ(cols[i].type, std::get<1>(want[i])) << cols[i].name;
    EXPECT_EQ(cols[i].type, native[i].type) << cols[i].name;
    EXPECT_EQ(cols[i].type_equality, native[i].type_equality) << cols[i].name;
    EXPECT_EQ(d().classify_type(cols[i].type), std::get<2>(want[i])) << cols[i].type;
  }

  // Catalog arguments are LIKE patterns: '_' and '%' must match only themselves.
  for (const char* name : {"a_b", "axb", "a%b", "aXYZb", "back\\slash", "backXslash"}) {
    conn_->execute(fmt::format("CREATE TABLE {} ({} int, {} text)", t(name),
                               q(std::string(name) + "_1"), q("only_in_" + std::string(name))));
  }
  for (const char* name : {"a_b", "axb", "a%b", "aXYZb", "back\\slash", "backXslash"}) {
    auto c = conn_->columns({schema_, name});
    ASSERT_EQ(c.size(), 2u) << name;
    EXPECT_EQ(c[0].name, std::string(name) + "_1");
    EXPECT_EQ(c[1].name, "only_in_" + std::string(name));
  }
  // A schema whose name differs only where ours has '_'.
  std::string twin = schema_;
  twin[4] = 'X';
  admin_->execute("CREATE SCHEMA " + q(twin));
  admin_->execute("CREATE TABLE " + q(twin) + "." + q("cols") + " (other int)");
  EXPECT_EQ(conn_->columns({schema_, "cols"}).size(), want.size());
  EXPECT_EQ(conn_->columns({twin, "cols"}).size(), 1u);
  admin_->execute("DROP SCHEMA " + q(twin) + " CASCADE");

  // Missing tables and schemas, and names in another case: no columns.
  EXPECT_TRUE(conn_->columns({schema_, "no_such_table"}).empty());
  EXPECT_TRUE(conn_->columns({"no_such_schema_" + random_suffix(), "cols"}).empty());
  EXPECT_TRUE(conn_->columns({schema_, "COLS"}).empty()) << "names are exact, not folded";
  EXPECT_TRUE(conn_->columns({schema_, "a_"}).empty());

  // An empty schema means the connection's current schema.
  EXPECT_TRUE(conn_->columns({"", "cols"}).empty());
  conn_->execute("SET search_path TO " + q(schema_));
  EXPECT_EQ(conn_->columns({"", "cols"}).size(), want.size());
}

// The shared contract of statements and transactions is in conformance/connection_test.cpp
// (postgres_odbc, mariadb_odbc). Through psqlODBC also: a statement outliving its connection
// fails cleanly, and execute() without parameters runs a script of several statements.
TEST_F(OdbcPostgresTest, OrphanStatementsAndScripts) {
  auto doomed = db::connect(config_);
  auto orphan = doomed->prepare("SELECT 1");
  doomed.reset();
  EXPECT_THROW(orphan->execute({}), ConnectionError);
  orphan.reset();
  conn_->execute("CREATE TABLE " + t("s1") + " (a int); CREATE TABLE " + t("s2") + " (b int)");
  EXPECT_EQ(count("s1") + count("s2"), 0);
}

// ---- errors -----------------------------------------------------------------------------------

TEST_F(OdbcPostgresTest, ServerNotListeningIsAConnectionError) {
  ConnectionConfig down = config_;
  down.port = closed_port();
  ASSERT_NE(*down.port, 0);
  try {
    db::connect(down);
    FAIL() << "connected to a closed port";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line_odbc_message(what);
    EXPECT_NE(what.find(std::to_string(*down.port)), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
    EXPECT_EQ(what.find(native_.password), std::string::npos) << what;
    EXPECT_TRUE(e.sqlstate().starts_with("08")) << e.sqlstate();
  }
}

TEST_F(OdbcPostgresTest, AMissingDriverSaysHowToFixIt) {
  ConnectionConfig c = config_;
  c.extra_params["driver"] = "No Such ODBC Driver";
  try {
    db::connect(c);
    FAIL() << "connected through a driver that does not exist";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line_odbc_message(what);
    EXPECT_NE(what.find("No Such ODBC Driver"), std::string::npos) << what;
    EXPECT_NE(what.find("odbcinst"), std::string::npos) << what;
    EXPECT_EQ(what.find(native_.password), std::string::npos) << what;
  }
}

// ---- MariaDB through Connector/ODBC -------------------------------------------------------------

class OdbcMariaDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    native_ = conformance::mariadb_server();
    ASSERT_FALSE(HasFailure()) << "the MariaDB test server is not configured";
    db_ = "odbc_t_" + random_suffix();
    admin_ = db::connect(native_);
    admin_->execute("CREATE DATABASE `" + db_ + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    native_.database = db_;
    config_ = native_;
    config_.type = DatabaseType::kOdbc;
    config_.extra_params = {{"driver", kMariaDriver}};
    conn_ = db::connect(config_);
  }
  void TearDown() override {
    conn_.reset();
    if (admin_) admin_->execute("DROP DATABASE IF EXISTS `" + db_ + "`");
  }

  ConnectionConfig native_, config_;
  std::unique_ptr<db::Connection> admin_, conn_;
  std::string db_;
};

TEST_F(OdbcMariaDbTest, ColumnsUseTheDatabaseAsCatalog) {
  conn_->execute(
      "CREATE TABLE a_b (id BIGINT, name VARCHAR(20), amount DECIMAL(10,2), at DATETIME(6))");
  conn_->execute("CREATE TABLE axb (other INT)");
  auto cols = conn_->columns({db_, "a_b"});
  ASSERT_EQ(cols.size(), 4u);
  EXPECT_EQ(cols[0].name, "id");
  EXPECT_EQ(conn_->dialect().classify_type(cols[0].type), TypeClass::kNumeric) << cols[0].type;
  EXPECT_EQ(conn_->dialect().classify_type(cols[1].type), TypeClass::kString) << cols[1].type;
  EXPECT_EQ(conn_->dialect().classify_type(cols[2].type), TypeClass::kNumeric) << cols[2].type;
  EXPECT_EQ(conn_->dialect().classify_type(cols[3].type), TypeClass::kTemporal) << cols[3].type;
  EXPECT_EQ(conn_->columns({"", "a_b"}).size(), 4u) << "the connection's database";
  EXPECT_EQ(conn_->columns({db_, "axb"}).size(), 1u);
  EXPECT_TRUE(conn_->columns({db_, "nope"}).empty());
  EXPECT_TRUE(conn_->columns({"no_such_db_" + random_suffix(), "a_b"}).empty());
}

}  // namespace
}  // namespace baselinr
