// The ODBC connector against real servers through real drivers (no mocks): PostgreSQL through
// psqlODBC ("PostgreSQL Unicode", Debian's odbc-postgresql) and MariaDB through Connector/ODBC
// ("MariaDB Unicode", odbc-mariadb), the servers scripts/test-services.sh starts. Covered:
// connecting by driver attributes, by connection string and by DSN; parameter binding of every
// Value type; result type mapping; long text; catalog introspection with names that are LIKE
// patterns; prepared statements and transactions; the errors a user meets; the dialect chosen from
// the DBMS name; the profiler through ODBC giving the same metric values as the native connector
// and as an independent computation, in two queries; and the results store and the SQL hook on an
// ODBC connection. Every test works in a schema (database, for MariaDB) of its own.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
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
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::required_env;
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

ConnectionConfig pg_native_config() {
  ConnectionConfig c;
  c.type = DatabaseType::kPostgres;
  c.host = required_env("BASELINR_TEST_PG_HOST");
  if (auto port = parse_int(required_env("BASELINR_TEST_PG_PORT")))
    c.port = static_cast<int>(*port);
  c.username = required_env("BASELINR_TEST_PG_USER");
  c.password = required_env("BASELINR_TEST_PG_PASSWORD");
  c.database = required_env("BASELINR_TEST_PG_DATABASE");
  return c;
}

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

TEST_F(OdbcPostgresTest, EveryValueTypeRoundTripsThroughBoundParameters) {
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
      std::string("? $1 %s {}; --"),
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
  EXPECT_EQ(bound.sql.find('$'), std::string::npos) << bound.sql;
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
  r = query("SELECT CAST(? AS TEXT) IS NULL, CAST(? AS TEXT) IS NULL",
            {std::monostate{}, std::string("NULL")});
  EXPECT_EQ(r.rows[0][0], db::Value(true));
  EXPECT_EQ(r.rows[0][1], db::Value(false));

  // Doubles travel with every digit: any finite value comes back exactly.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {
    double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v)) continue;
    r = query("SELECT CAST(? AS DOUBLE PRECISION) * 1", {v});
    EXPECT_EQ(r.rows[0][0], db::Value(v)) << format_double(v);
  }
}

TEST_F(OdbcPostgresTest, ParameterTypesAreInferredFromTheirContext) {
  conn_->execute("CREATE TABLE " + t("vals") +
                 " (i BIGINT, d DOUBLE PRECISION, s TEXT, b BOOLEAN, n NUMERIC(20,4), "
                 "ts TIMESTAMP, j JSONB)");
  const std::string insert = "INSERT INTO " + t("vals") + " VALUES (?, ?, ?, ?, ?, ?, ?)";
  conn_->execute(
      insert, std::vector<db::Value>{kMin64, 2.5, std::string("ü"), true, std::string("12345.6789"),
                                     std::string("2026-01-02 03:04:05.25"),
                                     std::string("{\"a\": [1, 2]}")});
  conn_->execute(insert,
                 std::vector<db::Value>{42.0, std::int64_t{7}, std::monostate{}, false,
                                        std::monostate{}, std::monostate{}, std::monostate{}});
  db::Result r = query("SELECT i, d, s, b, n, ts, j FROM " + t("vals") + " WHERE i = ?", {kMin64});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(kMin64));
  EXPECT_EQ(r.rows[0][1], db::Value(2.5));
  EXPECT_EQ(r.rows[0][2], db::Value(std::string("ü")));
  EXPECT_EQ(r.rows[0][3], db::Value(true));
  EXPECT_EQ(r.rows[0][4], db::Value(12345.6789));
  EXPECT_EQ(r.rows[0][5], db::Value(std::string("2026-01-02 03:04:05.25")));
  EXPECT_EQ(r.rows[0][6], db::Value(std::string("{\"a\": [1, 2]}")));
  r = query("SELECT i, d, s FROM " + t("vals") + " WHERE b = ?", {false});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(std::int64_t{42}));
  EXPECT_EQ(r.rows[0][1], db::Value(7.0));
  EXPECT_EQ(r.rows[0][2], db::Value(std::monostate{}));
  // LIMIT takes a bound integer, and a statement with no rows to change is no error.
  r = query("SELECT i FROM " + t("vals") + " ORDER BY i" + d().limit_clause("?"),
            {std::int64_t{1}});
  EXPECT_EQ(r.rows.size(), 1u);
  conn_->execute("UPDATE " + t("vals") + " SET s = 'x' WHERE i = ?",
                 std::vector<db::Value>{std::int64_t{5}});
}

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

// ---- statements and transactions ------------------------------------------------------------

TEST_F(OdbcPostgresTest, PreparedStatementsAndTransactions) {
  conn_->execute("CREATE TABLE " + t("tx") + " (id BIGINT PRIMARY KEY, label TEXT)");
  auto insert = conn_->prepare("INSERT INTO " + t("tx") + " (id, label) VALUES (?, ?)");
  auto update = conn_->prepare("UPDATE " + t("tx") + " SET label = ? WHERE id = ?");
  for (std::int64_t i = 1; i <= 5; ++i) {
    insert->execute(std::vector<db::Value>{i, std::string(fmt::format("row {}", i))});
  }
  update->execute(std::vector<db::Value>{std::string("three"), std::int64_t{3}});
  // New bindings of another type on the same statement.
  update->execute(std::vector<db::Value>{std::monostate{}, std::int64_t{4}});
  EXPECT_EQ(count("tx"), 5);
  EXPECT_EQ(query("SELECT label FROM " + t("tx") + " WHERE id = 3").rows[0][0],
            db::Value(std::string("three")));
  EXPECT_EQ(query("SELECT label FROM " + t("tx") + " WHERE id = 4").rows[0][0],
            db::Value(std::monostate{}));

  // Rollback discards; others never see uncommitted rows.
  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  EXPECT_EQ(count("tx"), 6);
  EXPECT_EQ(db::as_int(admin_->query("SELECT COUNT(*) FROM " + t("tx")).rows[0][0]), 5);
  conn_->rollback();
  EXPECT_EQ(count("tx"), 5);

  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  conn_->commit();
  EXPECT_EQ(db::as_int(admin_->query("SELECT COUNT(*) FROM " + t("tx")).rows[0][0]), 6);
  // Autocommit is back on: this row is visible to others at once.
  insert->execute(std::vector<db::Value>{std::int64_t{7}, std::string("seven")});
  EXPECT_EQ(db::as_int(admin_->query("SELECT COUNT(*) FROM " + t("tx")).rows[0][0]), 7);

  // RAII: a transaction that is not committed is rolled back.
  {
    db::Transaction tx(*conn_);
    insert->execute(std::vector<db::Value>{std::int64_t{8}, std::string("eight")});
  }
  EXPECT_EQ(count("tx"), 7);

  // A failing statement in a transaction is a QueryError with the server's SQLSTATE, and the
  // transaction can be rolled back.
  conn_->begin();
  insert->execute(std::vector<db::Value>{std::int64_t{8}, std::string("eight")});
  try {
    insert->execute(std::vector<db::Value>{std::int64_t{1}, std::string("duplicate")});
    ADD_FAILURE() << "a duplicate key must fail";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "23505") << e.what();
    expect_one_line_odbc_message(e.what());
  }
  conn_->rollback();
  EXPECT_EQ(count("tx"), 7) << "nothing of the failed transaction was saved";

  // A statement with too few parameters fails cleanly.
  EXPECT_THROW(insert->execute(std::vector<db::Value>{std::int64_t{9}}), QueryError);
  insert->execute(std::vector<db::Value>{std::int64_t{9}, std::string("nine")});
  EXPECT_EQ(count("tx"), 8);

  // A statement outliving its connection fails cleanly.
  auto doomed = db::connect(config_);
  auto orphan = doomed->prepare("SELECT 1");
  doomed.reset();
  EXPECT_THROW(orphan->execute({}), ConnectionError);
  orphan.reset();

  // A connection destroyed inside a transaction rolls it back.
  {
    auto c = db::connect(config_);
    c->begin();
    c->execute("INSERT INTO " + t("tx") + " VALUES (100, 'lost')");
  }
  EXPECT_EQ(count("tx"), 8);

  // Several statements in one execute() when nothing is bound (scripts).
  conn_->execute("CREATE TABLE " + t("s1") + " (a int); CREATE TABLE " + t("s2") + " (b int)");
  EXPECT_EQ(count("s1") + count("s2"), 0);
}

// ---- errors -----------------------------------------------------------------------------------

TEST_F(OdbcPostgresTest, WrongPasswordIsAConnectionErrorThatHidesThePassword) {
  ConnectionConfig bad = config_;
  bad.password = "Definitely-Wrong;Secret-4711";
  try {
    db::connect(bad);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line_odbc_message(what);
    EXPECT_TRUE(what.starts_with("odbc: cannot connect to " + config_.describe())) << what;
    EXPECT_EQ(what.find("Definitely-Wrong"), std::string::npos) << what;
    EXPECT_EQ(what.find("Secret-4711"), std::string::npos) << what;
    EXPECT_EQ(what.find(native_.password), std::string::npos) << what;
    EXPECT_EQ(what.find("PWD"), std::string::npos) << what;
    EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
    EXPECT_NE(what.find(native_.username), std::string::npos) << what;
    EXPECT_TRUE(e.sqlstate().starts_with("08") || e.sqlstate().starts_with("28")) << e.sqlstate();
  }
}

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

TEST_F(OdbcPostgresTest, MissingTableAndBadSqlAreQueryErrorsWithSqlstate) {
  try {
    query("SELECT * FROM " + t("no_such_table"));
    FAIL() << "selected from a missing table";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    expect_one_line_odbc_message(e.what());
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("SQLSTATE 42P01"), std::string::npos) << e.what();
  }
  try {
    query("SELEC 1");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
    expect_one_line_odbc_message(e.what());
  }
  try {
    conn_->prepare("SELECT * FROM " + t("no_such_table"))->execute({});
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01") << e.what();
  }
  // The connection is still usable afterwards.
  EXPECT_EQ(query("SELECT 1").rows[0][0], db::Value(std::int64_t{1}));
}

TEST_F(OdbcPostgresTest, ALostConnectionIsAConnectionError) {
  auto victim = db::connect(config_);
  db::Value pid = victim->query("SELECT pg_backend_pid()").rows[0][0];
  admin_->query("SELECT pg_terminate_backend($1)", std::vector<db::Value>{pid});
  try {
    victim->query("SELECT 1");
    FAIL() << "a terminated session still answered";
  } catch (const ConnectionError& e) {
    expect_one_line_odbc_message(e.what());
    EXPECT_NE(std::string(e.what()).find("connection to the server was lost"), std::string::npos)
        << e.what();
    EXPECT_FALSE(e.sqlstate().empty());
  }
}

// ---- profiling through ODBC -------------------------------------------------------------------

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

double as_d(const MetricValue& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "not a double";
  return std::nan("");
}

void expect_rel(double got, double want, double tol = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * tol) << "got " << got << " want " << want;
}

std::vector<std::int64_t> expected_bins(const std::vector<double>& xs, int bins) {
  const double lo = *std::min_element(xs.begin(), xs.end());
  const double hi = *std::max_element(xs.begin(), xs.end());
  std::vector<std::int64_t> out(static_cast<std::size_t>(bins), 0);
  for (double x : xs) out[static_cast<std::size_t>(histogram_bin(x, lo, hi - lo, bins))]++;
  return out;
}

std::vector<std::int64_t> histogram_counts(const MetricValue& v) {
  std::vector<std::int64_t> out;
  if (!std::holds_alternative<std::string>(v)) return out;
  for (const auto& bin : nlohmann::json::parse(std::get<std::string>(v))) {
    out.push_back(bin["count"].get<std::int64_t>());
  }
  return out;
}

struct Profiled {
  ProfilingResult result;
  int queries = 0;
};

Profiled profile_table(const ConnectionConfig& source, const std::string& table) {
  TempDir dir;
  Config config = testing::pipeline_config(source, dir / "store.db", {table});
  auto queries = std::make_shared<std::atomic<int>>(0);
  Profiler profiler(config, [&config, queries] {
    return std::make_unique<testing::CountingConnection>(
        db::connect(config.source, {.read_only = true}), queries);
  });
  auto outcomes = profiler.profile();
  Profiled out;
  if (outcomes.size() != 1 || !outcomes[0].ok()) {
    ADD_FAILURE() << "profiling failed: " << (outcomes.empty() ? "" : outcomes[0].error);
    return out;
  }
  out.result = *outcomes[0].result;
  out.queries = queries->load();
  return out;
}

TEST_F(OdbcPostgresTest, ProfilingThroughOdbcMatchesTheNativeConnectorAndTheData) {
  constexpr int kRows = 2000;
  std::mt19937_64 rng(20261127);
  std::normal_distribution<double> noise(0.0, 3.5);
  const std::vector<std::string> words = {"alpha", "Ünïcødé", "日本語テキスト", "emoji 🙂🚀",
                                          "",      "a",       "naïve café",     "x\"y'z"};
  std::vector<std::optional<std::int64_t>> bigs, smalls, cents;
  std::vector<std::optional<double>> reals;
  std::vector<std::optional<std::string>> labels, days, stamps;
  std::vector<std::optional<bool>> flags;
  conn_->execute("CREATE TABLE " + t("profiled") +
                 " (big BIGINT, small INTEGER, real DOUBLE PRECISION, ratio REAL, "
                 "amount NUMERIC(12,2), label VARCHAR(40), day DATE, at TIMESTAMP, flag BOOLEAN, "
                 "doc JSONB, empty DOUBLE PRECISION)");
  {
    auto ins = conn_->prepare("INSERT INTO " + t("profiled") +
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db::Transaction tx(*conn_);
    for (int i = 0; i < kRows; ++i) {
      // Values near +2^63 and -2^63 cancel in the mean: it is exact only when summed exactly.
      std::optional<std::int64_t> big;
      if (i % 10 == 1) {
        big = kMax64 - static_cast<std::int64_t>(rng() % 1000);
      } else if (i % 10 == 2) {
        big = kMin64 + static_cast<std::int64_t>(rng() % 1000);
      } else if (rng() % 8 != 0) {
        big = static_cast<std::int64_t>(rng() % 2000001) - 1000000;
      }
      std::optional<std::int64_t> small;
      if (rng() % 6 != 0) small = static_cast<std::int64_t>(rng() % 101) - 50;
      std::optional<double> real;
      if (rng() % 8 != 0) real = 1e6 + noise(rng);
      std::optional<double> ratio;
      if (rng() % 5 != 0) ratio = static_cast<double>(static_cast<float>(noise(rng)));
      std::optional<std::int64_t> cent;
      if (rng() % 9 != 0) cent = static_cast<std::int64_t>(rng() % 2000000) - 500000;
      std::optional<std::string> label;
      if (rng() % 7 != 0) label = words[rng() % words.size()] + std::to_string(rng() % 40);
      std::optional<std::string> day;
      if (rng() % 5 != 0) {
        day = fmt::format("20{:02}-{:02}-{:02}", 10 + rng() % 15, 1 + rng() % 12, 1 + rng() % 28);
      }
      std::optional<std::string> at;
      if (rng() % 4 != 0) {
        at = fmt::format("2025-{:02}-{:02} {:02}:{:02}:{:02}{}", 1 + rng() % 12, 1 + rng() % 28,
                         rng() % 24, rng() % 60, rng() % 60,
                         rng() % 2 ? fmt::format(".{:06}", rng() % 1000000) : "");
      }
      std::optional<bool> flag;
      if (rng() % 3 != 0) flag = rng() % 2 == 0;
      db::Value amount;
      if (cent) {
        amount = fmt::format("{}{}.{:02}", *cent < 0 ? "-" : "", std::llabs(*cent) / 100,
                             std::llabs(*cent) % 100);
      }
      db::Value doc;
      if (rng() % 2) doc = fmt::format("{{\"k\": {}}}", rng() % 50);
      bigs.push_back(big);
      smalls.push_back(small);
      reals.push_back(real);
      cents.push_back(cent);
      labels.push_back(label);
      days.push_back(day);
      stamps.push_back(at);
      flags.push_back(flag);
      ins->execute(std::vector<db::Value>{opt(big), opt(small), opt(real), opt(ratio), amount,
                                          opt(label), opt(day), opt(at), opt(flag), doc,
                                          std::monostate{}});
    }
    tx.commit();
  }

  Profiled odbc = profile_table(config_, "profiled");
  Profiled native = profile_table(native_, "profiled");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(odbc.queries, 2) << "one scalar query and one histogram query";
  EXPECT_EQ(native.queries, 2);
  const ProfilingResult& r = odbc.result;
  EXPECT_EQ(r.row_count, kRows);
  EXPECT_EQ(r.schema_name, schema_);

  // Every metric, as stored text, is the same through ODBC as through libpq.
  ASSERT_EQ(r.columns.size(), native.result.columns.size());
  std::size_t compared = 0;
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    const ColumnProfile& a = r.columns[i];
    const ColumnProfile& b = native.result.columns[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type_class, b.type_class) << a.name << ": " << a.type << " vs " << b.type;
    ASSERT_EQ(a.metrics.size(), b.metrics.size()) << a.name;
    for (std::size_t m = 0; m < a.metrics.size(); ++m) {
      EXPECT_EQ(a.metrics[m].first, b.metrics[m].first) << a.name;
      EXPECT_EQ(metric_text(a.metrics[m].second), metric_text(b.metrics[m].second))
          << a.name << "." << a.metrics[m].first;
      ++compared;
    }
  }
  EXPECT_GT(compared, 60u);

  // And they are the data's values, computed here independently.
  auto nulls_of = [](const auto& column) {
    return static_cast<std::int64_t>(std::count(column.begin(), column.end(), std::nullopt));
  };
  auto present = [](const auto& column) {
    std::vector<double> out;
    for (const auto& v : column) {
      if (v) out.push_back(static_cast<double>(*v));
    }
    return out;
  };
  {
    SCOPED_TRACE("big");
    Int128 sum = 0;
    std::set<std::int64_t> distinct;
    std::int64_t lo = kMax64, hi = kMin64;
    for (const auto& v : bigs) {
      if (!v) continue;
      sum += *v;
      distinct.insert(*v);
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
    const auto n = static_cast<std::int64_t>(bigs.size()) - nulls_of(bigs);
    EXPECT_EQ(metric(r, "big", "count"), MetricValue(std::int64_t{kRows}));
    EXPECT_EQ(metric(r, "big", "null_count"), MetricValue(nulls_of(bigs)));
    EXPECT_EQ(metric(r, "big", "distinct_count"),
              MetricValue(static_cast<std::int64_t>(distinct.size())));
    EXPECT_EQ(metric(r, "big", "min"), MetricValue(lo));
    EXPECT_EQ(metric(r, "big", "max"), MetricValue(hi));
    expect_rel(as_d(metric(r, "big", "mean")),
               static_cast<double>(static_cast<long double>(sum) / static_cast<long double>(n)));
    EXPECT_EQ(histogram_counts(metric(r, "big", "histogram")), expected_bins(present(bigs), 10));
  }
  {
    SCOPED_TRACE("real");
    std::vector<double> xs = present(reals);
    long double mean = 0;
    for (double x : xs) mean += x;
    mean /= static_cast<long double>(xs.size());
    long double ss = 0;
    for (double x : xs) ss += (x - mean) * (x - mean);
    EXPECT_EQ(metric(r, "real", "null_count"), MetricValue(nulls_of(reals)));
    EXPECT_EQ(metric(r, "real", "min"), MetricValue(*std::min_element(xs.begin(), xs.end())));
    EXPECT_EQ(metric(r, "real", "max"), MetricValue(*std::max_element(xs.begin(), xs.end())));
    expect_rel(as_d(metric(r, "real", "mean")), static_cast<double>(mean));
    expect_rel(as_d(metric(r, "real", "stddev")),
               static_cast<double>(std::sqrt(ss / static_cast<long double>(xs.size() - 1))));
    EXPECT_EQ(histogram_counts(metric(r, "real", "histogram")), expected_bins(xs, 10));
  }
  {
    SCOPED_TRACE("amount");
    std::vector<double> xs;
    std::vector<std::int64_t> amounts;
    for (const auto& c : cents) {
      if (c) xs.push_back(static_cast<double>(*c) / 100.0);
      if (c) amounts.push_back(*c);
    }
    // Every digit of the numeric, as PostgreSQL prints it, through the driver as natively.
    auto exact = [](std::int64_t c) {
      return fmt::format("{}{}.{:02}", c < 0 ? "-" : "", std::llabs(c) / 100, std::llabs(c) % 100);
    };
    EXPECT_EQ(metric(r, "amount", "min"),
              MetricValue(exact(*std::min_element(amounts.begin(), amounts.end()))));
    EXPECT_EQ(metric(r, "amount", "max"),
              MetricValue(exact(*std::max_element(amounts.begin(), amounts.end()))));
    EXPECT_EQ(histogram_counts(metric(r, "amount", "histogram")), expected_bins(xs, 10));
  }
  {
    SCOPED_TRACE("label");  // lengths in characters, not bytes
    std::int64_t min_len = kMax64, max_len = 0;
    std::set<std::string> distinct;
    for (const auto& v : labels) {
      if (!v) continue;
      distinct.insert(*v);
      min_len = std::min(min_len, static_cast<std::int64_t>(utf8_length(*v)));
      max_len = std::max(max_len, static_cast<std::int64_t>(utf8_length(*v)));
    }
    EXPECT_EQ(metric(r, "label", "distinct_count"),
              MetricValue(static_cast<std::int64_t>(distinct.size())));
    EXPECT_EQ(metric(r, "label", "min_length"), MetricValue(min_len));
    EXPECT_EQ(metric(r, "label", "max_length"), MetricValue(max_len));
  }
  for (const auto& [name, column] :
       {std::pair{std::string("day"), &days}, std::pair{std::string("at"), &stamps}}) {
    SCOPED_TRACE(name);  // temporal: min and max as PostgreSQL prints them
    std::set<std::string> distinct;
    for (const auto& v : *column) {
      if (v) distinct.insert(*v);
    }
    EXPECT_EQ(metric(r, name, "distinct_count"),
              MetricValue(static_cast<std::int64_t>(distinct.size())));
    EXPECT_EQ(metric(r, name, "min"), MetricValue(*distinct.begin()));
    EXPECT_EQ(metric(r, name, "max"), MetricValue(*distinct.rbegin()));
  }
  {
    SCOPED_TRACE("flag");
    EXPECT_EQ(metric(r, "flag", "null_count"), MetricValue(nulls_of(flags)));
    EXPECT_EQ(metric(r, "flag", "distinct_count"), MetricValue(std::int64_t{2}));
  }
  EXPECT_EQ(metric(r, "empty", "null_count"), MetricValue(std::int64_t{kRows}));
  EXPECT_EQ(metric(r, "empty", "mean"), MetricValue());
}

TEST_F(OdbcPostgresTest, HostileIdentifiersSurviveTheDriversParsing) {
  // psqlODBC scans statement text for ? markers and {fn ...} escapes; quoted names hold both.
  const std::string table = "t?{fn x}\"; --";
  const std::vector<std::string> names = {
      "q?mark", "{fn now()}", "{d '2024-01-01'}", "a\"b", "semi;colon",
      "it's",   "ünï 列",     "back\\slash",      "$1",   "--dash"};
  std::string defs;
  for (const auto& n : names) defs += (defs.empty() ? "" : ", ") + q(n) + " TEXT";
  conn_->execute("CREATE TABLE " + t(table) + " (" + defs + ")");
  std::vector<db::Value> row;
  std::string cols, marks;
  for (const auto& n : names) {
    row.emplace_back(n + " ?");
    cols += (cols.empty() ? "" : ", ") + q(n);
    marks += marks.empty() ? "?" : ", ?";
  }
  conn_->execute("INSERT INTO " + t(table) + " (" + cols + ") VALUES (" + marks + ")", row);
  std::vector<db::ColumnInfo> info = conn_->columns({schema_, table});
  ASSERT_EQ(info.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(info[i].name, names[i]);

  Profiled p = profile_table(config_, table);
  ASSERT_EQ(p.result.columns.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(p.result.columns[i].name, names[i]);
    EXPECT_EQ(metric(p.result, names[i], "max_length"),
              MetricValue(static_cast<std::int64_t>(utf8_length(names[i] + " ?"))))
        << names[i];
  }
}

// ---- storage and hooks on an ODBC connection ----------------------------------------------------

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

TEST_F(OdbcPostgresTest, RunStoreOnAnOdbcConnection) {
  StorageConfig sc;
  sc.connection = config_;
  sc.runs_table = schema_ + ".baselinr_runs";
  sc.results_table = schema_ + ".baselinr_results";
  sc.events_table = schema_ + ".baselinr_events";
  const auto now = std::chrono::system_clock::now();
  ProfilingResult first = sample_result("orders", now - std::chrono::hours(1));
  ProfilingResult second = sample_result("orders", now);
  auto versions = [this] {
    return db::as_int(
        admin_->query("SELECT COUNT(*) FROM " + t("baselinr_schema_version")).rows.at(0).at(0));
  };
  {
    RunStore store(sc, "test");
    EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
    store.store(first);
    store.store(second);
    // The same run again violates the primary key: nothing of it is written.
    EXPECT_THROW(store.store(second), StorageError);
  }
  const auto recorded = versions();
  RunStore store(sc, "test");  // the tables exist: created and migrated only once
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  EXPECT_EQ(versions(), recorded);
  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, second.run_id) << "newest first";
  EXPECT_EQ(runs[1].run_id, first.run_id);
  EXPECT_EQ(runs[0].profiled_at, format_storage_time(second.profiled_at));
  EXPECT_EQ(runs[0].schema_name, "public");
  EXPECT_EQ(runs[0].environment, "test");
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].row_count, 42);
  EXPECT_EQ(runs[0].column_count, 2);
  EXPECT_EQ(store.list_runs({.limit = 1}).size(), 1u);
  EXPECT_EQ(store.list_runs({.dataset = "orders", .schema = "public"}).size(), 2u);
  EXPECT_TRUE(store.list_runs({.dataset = "nope"}).empty());
  ASSERT_TRUE(store.find_run(first.run_id).has_value());
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

TEST_F(OdbcPostgresTest, SqlHookWritesEventsThroughOdbc) {
  const std::string table = schema_ + ".baselinr_events";
  hooks::SqlEventHook hook(config_, table);
  Event drift(DataDriftDetected{"orders", "amount", "mean", 10.0, 12.5, 25.0, Severity::kHigh});
  Event schema_change(
      SchemaChangeDetected{"orders", "column_added", "note", std::nullopt, std::string("text")});
  Event failed(ProfilingFailed{"orders", new_uuid(), "odbc: query failed: ünïcödé"});
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
  EXPECT_EQ(e.baseline_value, 10.0);
  EXPECT_EQ(e.current_value, 12.5);
  EXPECT_EQ(e.change_percent, 25.0);
  EXPECT_EQ(e.drift_severity, "high");
  EXPECT_EQ(e.timestamp, format_storage_time(drift.timestamp()));
  EXPECT_EQ(nlohmann::json::parse(e.metadata), nlohmann::json::parse(drift.metadata_json()));
  EXPECT_TRUE(parse_time(e.created_at).has_value()) << e.created_at;
  EXPECT_FALSE(by_id[schema_change.event_id()].baseline_value.has_value());
  EXPECT_EQ(nlohmann::json::parse(by_id[failed.event_id()].metadata)["error"],
            "odbc: query failed: ünïcödé");
  EXPECT_EQ(read_events(config_, table, {.event_type = "DataDriftDetected"}).size(), 1u);
  EXPECT_EQ(read_events(config_, table, {.limit = 2}).size(), 2u);
  // The native connector reads the same rows.
  EXPECT_EQ(read_events(native_, table, {}).size(), 3u);

  // The same hook from configuration (hooks: - type: sql, connection: {type: odbc, ...}).
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

// ---- MariaDB through Connector/ODBC -------------------------------------------------------------

class OdbcMariaDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    native_.type = DatabaseType::kMysql;
    native_.host = required_env("BASELINR_TEST_MYSQL_HOST");
    if (auto port = parse_int(required_env("BASELINR_TEST_MYSQL_PORT"))) {
      native_.port = static_cast<int>(*port);
    }
    native_.username = required_env("BASELINR_TEST_MYSQL_USER");
    native_.password = required_env("BASELINR_TEST_MYSQL_PASSWORD");
    native_.database = required_env("BASELINR_TEST_MYSQL_DATABASE");
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

TEST_F(OdbcMariaDbTest, PicksTheMysqlDialectAndRoundTripsValues) {
  EXPECT_EQ(as_odbc(*conn_).dbms_name(), "MariaDB");
  EXPECT_EQ(conn_->dialect().name(), "mysql");
  const std::vector<db::Value> values = {std::monostate{},
                                         kMin64,
                                         kMax64,
                                         0.1,
                                         -1e-300,
                                         std::string("ünïcödé 日本語 🎉"),
                                         std::string("it's `back` \\ slash"),
                                         std::string()};
  db::ParamList params(conn_->dialect());
  std::string select;
  for (const auto& v : values) {
    if (!select.empty()) select += ", ";
    select += params.add(v);
  }
  db::BoundSql bound = params.bind("SELECT " + select);
  db::Result r = conn_->query(bound.sql, bound.params);
  ASSERT_EQ(r.rows.size(), 1u);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(r.rows[0][i], values[i]) << i;
  }
}

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

TEST_F(OdbcMariaDbTest, ProfilingMatchesTheNativeConnector) {
  conn_->execute(
      "CREATE TABLE m (id BIGINT, price DOUBLE, amount DECIMAL(12,2), label VARCHAR(30), "
      "day DATE)");
  {
    auto ins = conn_->prepare("INSERT INTO m VALUES (?, ?, ?, ?, ?)");
    db::Transaction tx(*conn_);
    std::mt19937_64 rng(9);
    for (int i = 0; i < 500; ++i) {
      ins->execute(std::vector<db::Value>{
          i % 7 ? db::Value(static_cast<std::int64_t>(rng() % 100000) - 50000) : db::Value(),
          i % 5 ? db::Value(static_cast<double>(rng() % 10000) / 7.0) : db::Value(),
          db::Value(fmt::format("{}.{:02}", rng() % 1000, rng() % 100)),
          i % 3 ? db::Value(fmt::format("ü{}", rng() % 60)) : db::Value(),
          db::Value(fmt::format("2024-{:02}-{:02}", 1 + rng() % 12, 1 + rng() % 28))});
    }
    tx.commit();
  }
  Profiled odbc = profile_table(config_, "m");
  Profiled native = profile_table(native_, "m");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(odbc.queries, 3) << "scalar, histogram, and the table's last change time";
  ASSERT_EQ(odbc.result.columns.size(), native.result.columns.size());
  for (std::size_t i = 0; i < odbc.result.columns.size(); ++i) {
    const auto& a = odbc.result.columns[i];
    const auto& b = native.result.columns[i];
    ASSERT_EQ(a.metrics.size(), b.metrics.size()) << a.name;
    for (std::size_t m = 0; m < a.metrics.size(); ++m) {
      EXPECT_EQ(metric_text(a.metrics[m].second), metric_text(b.metrics[m].second))
          << a.name << "." << a.metrics[m].first;
    }
  }
}

}  // namespace
}  // namespace baselinr
