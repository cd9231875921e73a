// The MySQL/MariaDB connector and dialect against a real MariaDB server (started by
// scripts/test-services.sh). Each test works in a database of its own, created with a random
// name and dropped at the end, so the tests can run in parallel.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/events.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "db/dialect/mysql_dialect.hpp"
#include "events/hooks/sql_hook.hpp"
#include "profiling/query_builder.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

// A numeric column expression for the dialect's aggregate functions.
db::ColumnExpr numeric_col(const std::string& sql) { return {sql, "bigint", TypeClass::kNumeric}; }

using db::Value;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

ConnectionConfig server_config() {
  ConnectionConfig c;
  c.type = DatabaseType::kMysql;
  c.host = testing::required_env("BASELINR_TEST_MYSQL_HOST");
  if (auto port = parse_int(testing::required_env("BASELINR_TEST_MYSQL_PORT"))) {
    c.port = static_cast<int>(*port);
  }
  c.username = testing::required_env("BASELINR_TEST_MYSQL_USER");
  c.password = testing::required_env("BASELINR_TEST_MYSQL_PASSWORD");
  c.database = testing::required_env("BASELINR_TEST_MYSQL_DATABASE");
  return c;
}

std::string q(std::string_view identifier) {
  return db::mysql_dialect().quote_identifier(identifier);
}

std::string random_suffix() {
  std::random_device rd;
  std::uint64_t v =
      (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(getpid());
  return fmt::format("{:016x}", v);
}

// |actual - expected| <= rel * |expected|.
void expect_rel(double actual, long double expected, double rel, const std::string& what) {
  const long double diff = std::fabs(static_cast<long double>(actual) - expected);
  EXPECT_LE(diff, rel * std::fabs(expected))
      << what << ": got " << format_double(actual) << ", expected "
      << format_double(static_cast<double>(expected));
}

std::int64_t get_int(const Value& v) {
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(v)) << "not an int64: " << v.index();
  return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0;
}

double get_double(const Value& v) {
  EXPECT_TRUE(std::holds_alternative<double>(v)) << "not a double: " << v.index();
  return std::holds_alternative<double>(v) ? std::get<double>(v) : 0;
}

std::string get_text(const Value& v) {
  EXPECT_TRUE(std::holds_alternative<std::string>(v)) << "not a string: " << v.index();
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "";
}

// Characters (code points) of UTF-8 text.
std::int64_t utf8_length(const std::string& s) {
  std::int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// A port on 127.0.0.1 that nothing listens on.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class MysqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = server_config();
    ASSERT_FALSE(base_.host.empty() || !base_.port || base_.username.empty() ||
                 base_.database.empty())
        << "the BASELINR_TEST_MYSQL_* variables are missing";
    admin_ = db::connect(base_);
    name_ = "baselinr_t_" + random_suffix();
    admin_->execute("CREATE DATABASE " + q(name_) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    config_ = base_;
    config_.database = name_;
    conn_ = db::connect(config_);
  }

  void TearDown() override {
    conn_.reset();
    if (admin_) admin_->execute("DROP DATABASE IF EXISTS " + q(name_));
  }

  std::int64_t count(const std::string& table) {
    return get_int(conn_->query("SELECT COUNT(*) FROM " + q(table)).rows.at(0).at(0));
  }

  ConnectionConfig base_;
  ConnectionConfig config_;  // base_ with database = name_
  std::string name_;
  std::unique_ptr<db::Connection> admin_;
  std::unique_ptr<db::Connection> conn_;
};

// ---- values ---------------------------------------------------------------------------------

TEST_F(MysqlTest, EveryValueTypeRoundTripsThroughBoundParameters) {
  const std::string binary("a\0b\xff\xfe", 5);
  const std::vector<Value> params = {std::monostate{}, kMin, 0.1, std::string("naïve 日本語 🎉"),
                                     true};
  db::Result r = conn_->query("SELECT ? AS n, ? AS i, ? AS d, ? AS s, ? AS b", params);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"n", "i", "d", "s", "b"}));
  const auto& row = r.rows[0];
  EXPECT_TRUE(db::is_null(row[0]));
  EXPECT_EQ(get_int(row[1]), kMin);
  EXPECT_EQ(get_double(row[2]), 0.1);
  EXPECT_EQ(get_text(row[3]), "naïve 日本語 🎉");
  EXPECT_EQ(get_int(row[4]), 1);  // booleans come back as TINYINT

  conn_->execute(
      "CREATE TABLE rt (k INT PRIMARY KEY, i BIGINT, d DOUBLE, s VARCHAR(100), blb LONGBLOB, "
      "b BOOLEAN)");
  const std::vector<std::vector<Value>> rows = {
      {std::int64_t{1}, kMax, 1e308, std::string("it's \"quoted\" \\ `tick`"), binary, false},
      {std::int64_t{2}, kMin, -5e-324, std::string(), std::string(), true},
      {std::int64_t{3}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{},
       std::monostate{}},
      {std::int64_t{4}, std::int64_t{0}, -0.0, std::string("ß🎉"), std::string(1, '\0'), true},
  };
  for (const auto& values : rows) {
    conn_->execute("INSERT INTO rt VALUES (?, ?, ?, ?, ?, ?)", values);
  }
  db::Result back = conn_->query("SELECT k, i, d, s, blb, b FROM rt ORDER BY k");
  ASSERT_EQ(back.rows.size(), rows.size());
  for (std::size_t r_i = 0; r_i < rows.size(); ++r_i) {
    for (std::size_t c = 0; c < 5; ++c) {
      EXPECT_EQ(back.rows[r_i][c], rows[r_i][c]) << "row " << r_i << " column " << c;
    }
    const Value& b = rows[r_i][5];
    if (db::is_null(b)) {
      EXPECT_TRUE(db::is_null(back.rows[r_i][5]));
    } else {
      EXPECT_EQ(get_int(back.rows[r_i][5]), std::get<bool>(b) ? 1 : 0);
    }
  }
  // Empty string and NULL stay apart; bound parameters also work in WHERE and LIMIT.
  db::Result empty = conn_->query("SELECT k FROM rt WHERE s = ? ORDER BY k LIMIT ?",
                                  std::vector<Value>{std::string(), std::int64_t{5}});
  ASSERT_EQ(empty.rows.size(), 1u);
  EXPECT_EQ(get_int(empty.rows[0][0]), 2);
}

TEST_F(MysqlTest, ResultColumnsMapByFieldType) {
  conn_->execute(
      "CREATE TABLE types (ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT, "
      "bu BIGINT UNSIGNED, bu_small BIGINT UNSIGNED, iu INT UNSIGNED, dec2 DECIMAL(10,2), "
      "dec0 DECIMAL(30,0), f FLOAT, d DOUBLE, vc VARCHAR(20), tx TEXT, dt DATE, dtm DATETIME(6), "
      "dt0 DATETIME, ts TIMESTAMP(3) NULL, tm TIME(3), tm_neg TIME, js JSON, en ENUM('a','b'), "
      "st SET('x','y'), bl BLOB, bt BIT(10), yr YEAR, bo BOOLEAN)");
  conn_->execute(
      "INSERT INTO types VALUES (-128, -32768, -8388608, -2147483648, -9223372036854775808, "
      "18446744073709551615, 42, 4294967295, -12345678.91, 123456789012345678901234567890, 0.1, "
      "0.1, 'grüße 🎉', 'text ✓', '2024-02-29', '2024-02-29 13:14:15.123456', "
      "'1999-12-31 23:59:59', '2024-02-29 13:14:15.5', '123:04:05.25', '-01:02:03', "
      "'{\"a\": [1, 2]}', 'b', 'x,y', X'00FF10', b'1000000001', 2024, TRUE)");
  conn_->execute("INSERT INTO types () VALUES ()");
  db::Result r = conn_->query("SELECT * FROM types");
  ASSERT_EQ(r.rows.size(), 2u);
  ASSERT_EQ(r.columns.size(), 27u);
  std::map<std::string, Value> v;
  for (std::size_t i = 0; i < r.columns.size(); ++i) v[r.columns[i]] = r.rows[0][i];

  EXPECT_EQ(get_int(v["ti"]), -128);
  EXPECT_EQ(get_int(v["si"]), -32768);
  EXPECT_EQ(get_int(v["mi"]), -8388608);
  EXPECT_EQ(get_int(v["i"]), -2147483648LL);
  EXPECT_EQ(get_int(v["bi"]), kMin);
  EXPECT_EQ(get_text(v["bu"]), "18446744073709551615");  // beyond int64: exact text
  EXPECT_EQ(get_int(v["bu_small"]), 42);
  EXPECT_EQ(get_int(v["iu"]), 4294967295LL);
  EXPECT_EQ(get_double(v["dec2"]), -12345678.91);
  EXPECT_EQ(get_double(v["dec0"]), 123456789012345678901234567890.0);
  EXPECT_EQ(get_double(v["f"]), 0.1);  // the float's shortest form, as the server shows it
  EXPECT_EQ(get_double(v["d"]), 0.1);
  EXPECT_EQ(get_text(v["vc"]), "grüße 🎉");
  EXPECT_EQ(get_text(v["tx"]), "text ✓");
  EXPECT_EQ(get_text(v["dt"]), "2024-02-29");
  EXPECT_EQ(get_text(v["dtm"]), "2024-02-29 13:14:15.123456");
  EXPECT_EQ(get_text(v["dt0"]), "1999-12-31 23:59:59");
  EXPECT_EQ(get_text(v["ts"]), "2024-02-29 13:14:15.500");
  EXPECT_EQ(get_text(v["tm"]), "123:04:05.250");
  EXPECT_EQ(get_text(v["tm_neg"]), "-01:02:03");
  EXPECT_EQ(nlohmann::json::parse(get_text(v["js"])), nlohmann::json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(get_text(v["en"]), "b");
  EXPECT_EQ(get_text(v["st"]), "x,y");
  EXPECT_EQ(get_text(v["bl"]), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(get_text(v["bt"]), "513");
  EXPECT_EQ(get_int(v["yr"]), 2024);
  EXPECT_EQ(get_int(v["bo"]), 1);
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    EXPECT_TRUE(db::is_null(r.rows[1][i])) << r.columns[i];
  }

  // Aggregates keep their types too: the profiler's min/max of dates and datetimes.
  db::Result agg = conn_->query("SELECT MIN(dtm), MAX(dt), COUNT(*), SUM(bi), AVG(i) FROM types");
  EXPECT_EQ(get_text(agg.rows[0][0]), "2024-02-29 13:14:15.123456");
  EXPECT_EQ(get_text(agg.rows[0][1]), "2024-02-29");
  EXPECT_EQ(get_int(agg.rows[0][2]), 2);
  EXPECT_EQ(get_double(agg.rows[0][3]), -9223372036854775808.0);
  EXPECT_EQ(get_double(agg.rows[0][4]), -2147483648.0);
}

TEST_F(MysqlTest, LongValuesAreFetchedWhole) {
  conn_->execute("CREATE TABLE big (k INT PRIMARY KEY, t LONGTEXT, b LONGBLOB)");
  std::string text;
  while (text.size() < 200 * 1024) text += "ünïcødé 日本 🎉 " + std::to_string(text.size());
  std::string bytes;
  for (int i = 0; i < 70 * 1024; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));
  conn_->execute("INSERT INTO big VALUES (?, ?, ?)",
                 std::vector<Value>{std::int64_t{1}, text, bytes});
  conn_->execute("INSERT INTO big VALUES (2, 'short', 'x')");
  db::Result r = conn_->query("SELECT t, b, CHAR_LENGTH(t) FROM big ORDER BY k");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_TRUE(get_text(r.rows[0][0]) == text) << "long text differs";
  EXPECT_TRUE(get_text(r.rows[0][1]) == bytes) << "long blob differs";
  EXPECT_EQ(get_int(r.rows[0][2]), utf8_length(text));
  EXPECT_EQ(get_text(r.rows[1][0]), "short");
  EXPECT_EQ(get_text(r.rows[1][1]), "x");

  db::Result expr = conn_->query("SELECT REPEAT(?, 100000)", std::vector<Value>{std::string("é")});
  EXPECT_EQ(get_text(expr.rows[0][0]).size(), 200000u);
}

// ---- introspection ----------------------------------------------------------------------------

TEST_F(MysqlTest, ColumnsReportNativeTypesInOrder) {
  conn_->execute(
      "CREATE TABLE cols (z_first TINYINT(1), amount DECIMAL(10,2), kind ENUM('a','b'), "
      "big BIGINT UNSIGNED, name VARCHAR(30), yr YEAR, seen DATETIME(6), flag BOOLEAN, "
      "payload JSON, raw VARBINARY(10), bits BIT(1))");
  auto cols = conn_->columns({"", "cols"});
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& c : cols) got.emplace_back(c.name, c.type);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"z_first", "tinyint(1)"},      {"amount", "decimal(10,2)"}, {"kind", "enum('a','b')"},
      {"big", "bigint(20) unsigned"}, {"name", "varchar(30)"},     {"yr", "year(4)"},
      {"seen", "datetime(6)"},        {"flag", "tinyint(1)"},      {"payload", "longtext"},
      {"raw", "varbinary(10)"},       {"bits", "bit(1)"}};
  EXPECT_EQ(got, expected);

  const db::Dialect& d = conn_->dialect();
  std::vector<TypeClass> classes;
  for (const auto& c : cols) classes.push_back(d.classify_type(c.type));
  EXPECT_EQ(classes,
            (std::vector<TypeClass>{TypeClass::kBoolean, TypeClass::kNumeric, TypeClass::kOther,
                                    TypeClass::kNumeric, TypeClass::kString, TypeClass::kTemporal,
                                    TypeClass::kTemporal, TypeClass::kBoolean,
                                    TypeClass::kString,  // MariaDB's JSON is longtext
                                    TypeClass::kOther, TypeClass::kOther}));

  // Explicit schema, another database, a view, and missing tables.
  EXPECT_EQ(conn_->columns({name_, "cols"}).size(), expected.size());
  conn_->execute("CREATE VIEW cols_view AS SELECT amount, name AS renamed FROM cols");
  auto view = conn_->columns({"", "cols_view"});
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view[0].name, "amount");
  EXPECT_EQ(view[0].type, "decimal(10,2)");
  EXPECT_EQ(view[1].name, "renamed");
  EXPECT_TRUE(conn_->columns({"", "no_such_table"}).empty());
  EXPECT_TRUE(conn_->columns({"no_such_database_xyz", "cols"}).empty());
  auto from_admin = admin_->columns({name_, "cols"});
  EXPECT_EQ(from_admin.size(), expected.size());
}

TEST_F(MysqlTest, DialectClassifiesMysqlTypes) {
  const db::Dialect& d = db::mysql_dialect();
  struct Case {
    const char* type;
    TypeClass expected;
  };
  const Case cases[] = {
      {"tinyint(1)", TypeClass::kBoolean},
      {"TINYINT(1) UNSIGNED", TypeClass::kBoolean},
      {"bool", TypeClass::kBoolean},
      {"boolean", TypeClass::kBoolean},
      {"tinyint(4)", TypeClass::kNumeric},
      {"tinyint(10)", TypeClass::kNumeric},
      {"int(11)", TypeClass::kNumeric},
      {"bigint(20) unsigned", TypeClass::kNumeric},
      {"mediumint(8) unsigned zerofill", TypeClass::kNumeric},
      {"decimal(10,2)", TypeClass::kNumeric},
      {"double", TypeClass::kNumeric},
      {"float", TypeClass::kNumeric},
      {"varchar(20)", TypeClass::kString},
      {"char(3)", TypeClass::kString},
      {"longtext", TypeClass::kString},
      {"date", TypeClass::kTemporal},
      {"datetime(6)", TypeClass::kTemporal},
      {"timestamp", TypeClass::kTemporal},
      {"time(3)", TypeClass::kTemporal},
      {"year(4)", TypeClass::kTemporal},
      {"year", TypeClass::kTemporal},
      {"enum('a)','b')", TypeClass::kOther},
      {"set('x','y')", TypeClass::kOther},
      {"json", TypeClass::kOther},
      {"blob", TypeClass::kOther},
      {"mediumblob", TypeClass::kOther},
      {"varbinary(16)", TypeClass::kOther},
      {"binary(16)", TypeClass::kOther},
      {"bit(1)", TypeClass::kOther},
      {"geometry", TypeClass::kOther},
  };
  for (const auto& c : cases) EXPECT_EQ(d.classify_type(c.type), c.expected) << c.type;
}

TEST_F(MysqlTest, HostileIdentifiersAreQuotedAndEscaped) {
  const db::Dialect& d = conn_->dialect();
  EXPECT_EQ(d.quote_identifier("plain"), "`plain`");
  EXPECT_EQ(d.quote_identifier("a`b"), "`a``b`");
  EXPECT_EQ(d.quote_identifier("a\"b'c\\d"), "`a\"b'c\\d`");
  EXPECT_EQ(d.table_sql({"s`x", "t"}), "`s``x`.`t`");
  EXPECT_EQ(d.placeholder(3), "?");

  const std::vector<std::string> names = {"it's",
                                          "dq\"name",
                                          "back`tick",
                                          "back\\slash",
                                          "with space",
                                          "größe 列",
                                          "x\"; DROP TABLE y; --",
                                          "``"};
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string table = "t " + name;
    conn_->execute(
        fmt::format("CREATE TABLE {} ({} INT, {} VARCHAR(10))", q(table), q(name), q(name + "2")));
    conn_->execute(fmt::format("INSERT INTO {} ({}, {}) VALUES (?, ?)", d.table_sql({"", table}),
                               q(name), q(name + "2")),
                   std::vector<Value>{std::int64_t{7}, std::string("v")});
    auto cols = conn_->columns({name_, table});
    ASSERT_EQ(cols.size(), 2u);
    EXPECT_EQ(cols[0].name, name);
    EXPECT_EQ(cols[1].name, name + "2");
    db::Result r =
        conn_->query(fmt::format("SELECT {} FROM {}", q(name), d.table_sql({name_, table})));
    EXPECT_EQ(get_int(r.rows.at(0).at(0)), 7);
  }
  // The injection attempt created nothing and dropped nothing.
  db::Result tables = conn_->query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()");
  EXPECT_EQ(get_int(tables.rows[0][0]), static_cast<std::int64_t>(names.size()));
}

// ---- statements and transactions -----------------------------------------------------------

TEST_F(MysqlTest, PreparedStatementsAndTransactions) {
  conn_->execute("CREATE TABLE items (id BIGINT PRIMARY KEY, label VARCHAR(20)) ENGINE=InnoDB");
  {
    db::Transaction tx(*conn_);
    auto insert = conn_->prepare("INSERT INTO items VALUES (?, ?)");
    for (std::int64_t i = 0; i < 100; ++i) {
      insert->execute(std::vector<Value>{i, "item " + std::to_string(i)});
    }
    tx.commit();
  }
  EXPECT_EQ(count("items"), 100);

  conn_->begin();
  conn_->execute("DELETE FROM items WHERE id < ?", std::vector<Value>{std::int64_t{50}});
  conn_->execute("INSERT INTO items VALUES (1000, 'late')");
  conn_->rollback();
  EXPECT_EQ(count("items"), 100);

  {
    db::Transaction tx(*conn_);  // destroyed without commit: rolled back
    conn_->prepare("DELETE FROM items")->execute({});
  }
  EXPECT_EQ(count("items"), 100);

  // A failing execution leaves the statement usable.
  auto insert = conn_->prepare("INSERT INTO items VALUES (?, ?)");
  EXPECT_THROW(insert->execute(std::vector<Value>{std::int64_t{5}, std::string("dup")}),
               QueryError);
  insert->execute(std::vector<Value>{std::int64_t{500}, std::string("ok")});
  EXPECT_EQ(count("items"), 101);
  EXPECT_THROW(insert->execute(std::vector<Value>{std::int64_t{1}}), QueryError);
  // Destroying a statement after its connection is safe too.
  conn_.reset();
  insert.reset();
}

// ---- errors -----------------------------------------------------------------------------------

TEST_F(MysqlTest, WrongPasswordIsAConnectionErrorWithoutThePassword) {
  ConnectionConfig bad = config_;
  bad.password = "Wr0ng-Secret-Pw";
  try {
    db::connect(bad);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("mysql: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find("Wr0ng-Secret-Pw"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(base_.password), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("check username and password"), std::string::npos) << msg;
    EXPECT_EQ(e.code(), 1045);
    EXPECT_EQ(e.sqlstate(), "28000");
  }
}

TEST_F(MysqlTest, ClosedPortIsAConnectionError) {
  ConnectionConfig bad = config_;
  bad.port = closed_port();
  bad.extra_params["connect_timeout"] = "3";
  try {
    db::connect(bad);
    FAIL() << "connected to a closed port";
  } catch (const ConnectionError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("mysql: cannot connect to mysql://", 0), 0u) << msg;
    EXPECT_NE(msg.find("is the server running"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(base_.password), std::string::npos) << msg;
    EXPECT_TRUE(e.code() == 2002 || e.code() == 2003) << e.code();
  }
}

TEST_F(MysqlTest, LocalhostWithAPortUsesTcp) {
  // libmariadb takes "localhost" to mean the default Unix socket; with a port configured the
  // connector goes over TCP to that port instead (the test server has no default socket).
  ConnectionConfig local = config_;
  local.host = "localhost";
  auto c = db::connect(local);
  EXPECT_EQ(get_int(c->query("SELECT @@port").rows.at(0).at(0)), *config_.port);
}

TEST_F(MysqlTest, UnknownDatabaseAndBadExtraParams) {
  ConnectionConfig bad = config_;
  bad.database = "no_such_database_xyz";
  try {
    db::connect(bad);
    FAIL();
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.code(), 1049);
    EXPECT_NE(std::string(e.what()).find("check the database name"), std::string::npos);
  }

  ConnectionConfig typo = config_;
  typo.extra_params["sslmode"] = "required";
  try {
    db::connect(typo);
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("extra_params.sslmode"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'ssl_mode'"), std::string::npos) << msg;
  }
  ConnectionConfig timeout = config_;
  timeout.extra_params["connect_timeout"] = "soon";
  EXPECT_THROW(db::connect(timeout), ConfigError);
  ConnectionConfig mode = config_;
  mode.extra_params["ssl_mode"] = "sometimes";
  EXPECT_THROW(db::connect(mode), ConfigError);

  // The test server has TLS disabled: requiring it must fail to connect, not fall back.
  for (const char* tls_mode : {"required", "verify_ca", "verify_identity"}) {
    ConnectionConfig tls = config_;
    tls.extra_params["ssl_mode"] = tls_mode;
    try {
      db::connect(tls);
      ADD_FAILURE() << "connected without TLS although ssl_mode is " << tls_mode;
    } catch (const ConnectionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("mysql: cannot connect", 0), 0u) << e.what();
      EXPECT_EQ(e.code(), 2026) << e.what();
    }
  }

  // Supported parameters are accepted.
  ConnectionConfig ok = config_;
  ok.extra_params = {{"connect_timeout", "5"},
                     {"read_timeout", "30"},
                     {"write_timeout", "30"},
                     {"ssl_mode", "disabled"}};
  EXPECT_EQ(get_int(db::connect(ok)->query("SELECT 1").rows[0][0]), 1);
}

TEST_F(MysqlTest, MissingTableIsAQueryErrorWith42S02) {
  try {
    conn_->query("SELECT * FROM no_such_table");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42S02");
    EXPECT_EQ(e.code(), 1146);
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("mysql: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("no_such_table"), std::string::npos) << msg;
  }
  try {
    conn_->execute("SELECT *\nFROM\nwhere");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42000");
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST_F(MysqlTest, PermissionDeniedIsAQueryError) {
  conn_->execute("CREATE TABLE secret (x INT)");
  ConnectionConfig limited = base_;
  limited.username = "baselinr_limited";
  limited.database.clear();
  auto lc = db::connect(limited);
  try {
    lc->query(fmt::format("SELECT * FROM {}.secret", q(name_)));
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.code(), 1142);
    EXPECT_EQ(e.sqlstate(), "42000");
    EXPECT_NE(std::string(e.what()).find("denied"), std::string::npos) << e.what();
  }
  // Without access to the database, connecting to it already fails.
  limited.database = name_;
  try {
    db::connect(limited);
    FAIL();
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.code(), 1044);
  }
}

TEST_F(MysqlTest, LostConnectionIsAConnectionError) {
  const std::int64_t id = get_int(conn_->query("SELECT CONNECTION_ID()").rows[0][0]);
  admin_->execute(fmt::format("KILL {}", id));
  EXPECT_THROW(conn_->query("SELECT 1"), ConnectionError);
}

TEST_F(MysqlTest, ReadOnlySourcesCannotWrite) {
  conn_->execute("CREATE TABLE ro (x INT)");
  auto source = db::connect(config_, {.read_only = true});
  EXPECT_EQ(get_int(source->query("SELECT COUNT(*) FROM ro").rows[0][0]), 0);
  EXPECT_THROW(source->execute("INSERT INTO ro VALUES (1)"), QueryError);
}

// ---- numerics of the dialect's aggregates ------------------------------------------------------

// Exact mean and sample standard deviation of integers: sums in 128 bits, deviations as exact
// rationals converted once to long double.
struct Exact {
  long double mean = 0;
  long double stddev = 0;
};

Exact exact_moments(const std::vector<std::int64_t>& xs) {
  Int128 sum = 0;
  for (auto x : xs) sum += x;
  const auto n = static_cast<Int128>(xs.size());
  Exact e;
  e.mean = static_cast<long double>(sum) / static_cast<long double>(n);
  long double m2 = 0;
  for (auto x : xs) {
    // x - mean = (n x - sum) / n, the numerator exact in 128 bits.
    long double dev = static_cast<long double>(n * x - sum) / static_cast<long double>(n);
    m2 += dev * dev;
  }
  e.stddev = std::sqrt(m2 / static_cast<long double>(xs.size() - 1));
  return e;
}

Exact exact_moments(const std::vector<double>& xs) {
  long double sum = 0;
  for (auto x : xs) sum += x;
  Exact e;
  e.mean = sum / static_cast<long double>(xs.size());
  long double m2 = 0;
  for (auto x : xs) m2 += (x - e.mean) * (x - e.mean);
  e.stddev = std::sqrt(m2 / static_cast<long double>(xs.size() - 1));
  return e;
}

TEST_F(MysqlTest, MeanAndStddevAreExactForIntegers) {
  const db::Dialect& d = conn_->dialect();
  conn_->execute(
      "CREATE TABLE num (i BIGINT, u BIGINT UNSIGNED, dec0 DECIMAL(25,0), d DOUBLE, ui INT "
      "UNSIGNED)");
  std::mt19937_64 rng(7);
  std::vector<std::int64_t> near_limits, large_mean;
  std::vector<double> doubles;
  auto insert = conn_->prepare("INSERT INTO num (i, dec0, d) VALUES (?, ?, ?)");
  db::Transaction tx(*conn_);
  for (int k = 0; k < 400; ++k) {
    std::int64_t v = k % 2 ? kMax - static_cast<std::int64_t>(rng() % 1000)
                           : kMin + static_cast<std::int64_t>(rng() % 1000);
    if (k == 0) v = kMin;
    if (k == 1) v = kMax;
    std::int64_t w = 1'000'000'000'000 + static_cast<std::int64_t>(rng() % 11);
    double x = 1000.0 + static_cast<double>(rng() % 100000) / 7.0;
    near_limits.push_back(v);
    large_mean.push_back(w);
    doubles.push_back(x);
    insert->execute(std::vector<Value>{v, std::to_string(w), x});
  }
  insert->execute(std::vector<Value>{std::monostate{}, std::monostate{}, std::monostate{}});
  tx.commit();
  conn_->execute("UPDATE num SET u = CAST(i AS DECIMAL(20,0)) + 9223372036854775808");
  // INT UNSIGNED near its top: x * x is exact in BIGINT UNSIGNED arithmetic (< 2^64).
  conn_->execute("UPDATE num SET ui = 4294967295 - MOD(ABS(dec0 - 1000000000000) * 97, 1000)");
  std::vector<std::int64_t> near_uint_max;
  for (const auto& row : conn_->query("SELECT ui FROM num WHERE ui IS NOT NULL").rows) {
    near_uint_max.push_back(get_int(row[0]));
  }
  ASSERT_EQ(near_uint_max.size(), 400u);

  // The dialect picks the formula from the column type as introspection reports it; a type it
  // does not recognise (an ODBC driver's bare "decimal") is decided from the data.
  auto stats = [&](const std::string& col, const std::string& type) {
    const db::ColumnExpr c{q(col), type, TypeClass::kNumeric};
    db::Result r = conn_->query(fmt::format("SELECT {}, {} FROM num", d.mean(c), d.stddev_samp(c)));
    return std::make_pair(get_double(r.rows[0][0]), get_double(r.rows[0][1]));
  };
  for (const std::string type : {"bigint(20)", "decimal"}) {
    SCOPED_TRACE(type);
    const Exact e = exact_moments(near_limits);
    auto [mean, sd] = stats("i", type);
    expect_rel(mean, e.mean, 1e-9, "mean near +-2^63");
    expect_rel(sd, e.stddev, 1e-9, "stddev near +-2^63");
    // Unsigned: the same values shifted by 2^63, so the same spread.
    auto [umean, usd] = stats("u", type == "decimal" ? type : "bigint(20) unsigned");
    expect_rel(umean, e.mean + 9223372036854775808.0L, 1e-9, "unsigned mean");
    expect_rel(usd, e.stddev, 1e-9, "unsigned stddev");
  }
  for (const std::string type : {"decimal(25,0)", "decimal"}) {
    SCOPED_TRACE(type);
    const Exact e = exact_moments(large_mean);
    auto [mean, sd] = stats("dec0", type);
    expect_rel(mean, e.mean, 1e-12, "mean of a large mean, small spread");
    expect_rel(sd, e.stddev, 1e-12, "stddev of a large mean, small spread");
  }
  {
    const Exact e = exact_moments(large_mean);
    // What plain STDDEV_SAMP makes of it, for the record: it is why the dialect computes
    // integer variances exactly.
    db::Result plain = conn_->query("SELECT STDDEV_SAMP(CAST(dec0 AS DOUBLE)) FROM num");
    const double welford = get_double(plain.rows[0][0]);
    RecordProperty("welford_relative_error",
                   format_double(static_cast<double>(std::fabs(welford - e.stddev) / e.stddev)));
  }
  for (const std::string type : {"int(10) unsigned", "int unsigned", "decimal"}) {
    SCOPED_TRACE(type);
    const Exact e = exact_moments(near_uint_max);
    auto [mean, sd] = stats("ui", type);
    expect_rel(mean, e.mean, 1e-12, "mean near 2^32");
    expect_rel(sd, e.stddev, 1e-12, "stddev near 2^32");
  }
  for (const std::string type : {"double", "decimal"}) {
    SCOPED_TRACE(type);
    const Exact e = exact_moments(doubles);
    auto [mean, sd] = stats("d", type);
    expect_rel(mean, e.mean, 1e-12, "mean of doubles");
    expect_rel(sd, e.stddev, 1e-12, "stddev of doubles");
  }
  // Fewer than two values: NULL; no values: NULL.
  db::Result few =
      conn_->query(fmt::format("SELECT {}, {} FROM (SELECT ? AS i) AS one",
                               d.mean(numeric_col("i")), d.stddev_samp(numeric_col("i"))),
                   std::vector<Value>{kMax});
  EXPECT_EQ(get_double(few.rows[0][0]), static_cast<double>(kMax));
  EXPECT_TRUE(db::is_null(few.rows[0][1]));
  db::Result none =
      conn_->query(fmt::format("SELECT {}, {} FROM num WHERE i IS NULL", d.mean(numeric_col("i")),
                               d.stddev_samp(numeric_col("i"))));
  EXPECT_TRUE(db::is_null(none.rows[0][0]));
  EXPECT_TRUE(db::is_null(none.rows[0][1]));
}

// The histogram counts running totals against the shared thresholds, and the decoder's
// differences are exactly the bins of the shared formula, at the bin edges and their
// neighbouring doubles too, for doubles and for BIGINTs near the limits (binned as doubles).
TEST_F(MysqlTest, HistogramBinsAreExactlyTheSharedFormula) {
  conn_->execute("CREATE TABLE h (x DOUBLE, big BIGINT)");
  const double min = -3.0, max = 7.0;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> xs;
  for (int bins : {3, 7, 10}) {
    for (int i = 0; i <= bins; ++i) {
      const double edge = min + (max - min) * i / bins;
      for (double v : {std::nextafter(edge, -inf), edge, std::nextafter(edge, inf)}) {
        if (v >= min && v <= max) xs.push_back(v);
      }
    }
  }
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(min, max);
  for (int i = 0; i < 500; ++i) xs.push_back(u(rng));
  std::vector<std::int64_t> bigs;
  for (int i = 0; i < 300; ++i) {
    bigs.push_back(i % 2 ? kMax - static_cast<std::int64_t>(rng() % 5000)
                         : kMin + static_cast<std::int64_t>(rng() % 5000));
  }
  {
    auto ins = conn_->prepare("INSERT INTO h VALUES (?, ?)");
    db::Transaction tx(*conn_);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      ins->execute(std::vector<Value>{xs[i], i < bigs.size() ? Value(bigs[i]) : Value()});
    }
    tx.commit();
  }
  auto expected = [](const std::vector<double>& values, double lo, double hi, int bins) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(bins), 0);
    for (double v : values) ++out[static_cast<std::size_t>(histogram_bin(v, lo, hi - lo, bins))];
    return out;
  };
  auto run = [&](const std::string& column, double lo, double hi, int bins) {
    profiling::ColumnSpec spec{column, "double", TypeClass::kNumeric, {"histogram"}};
    profiling::QueryBuilder b(conn_->dialect(), q("h"), {spec}, DistinctMode::kExact, bins);
    const std::vector<profiling::HistogramRequest> requests = {{0, lo, hi}};
    const profiling::HistogramQuery hq = b.histogram_query(requests);
    EXPECT_FALSE(hq.packed);
    EXPECT_TRUE(hq.cumulative);
    return b.decode_histograms(conn_->query(hq.sql, hq.params), requests, hq).at(0);
  };
  for (int bins : {1, 2, 3, 7, 10, 97}) {
    EXPECT_EQ(run("x", min, max, bins), expected(xs, min, max, bins)) << bins;
  }
  std::vector<double> bd;
  for (auto v : bigs) bd.push_back(static_cast<double>(v));
  const double blo = static_cast<double>(kMin), bhi = static_cast<double>(kMax);
  for (int bins : {2, 10, 97}) {
    EXPECT_EQ(run("big", blo, bhi, bins), expected(bd, blo, bhi, bins)) << bins;
  }
}

// ---- profiling through the real pipeline -----------------------------------------------------

struct Generated {
  std::vector<std::optional<std::int64_t>> id, big, serial;
  std::vector<std::optional<double>> amount;
  std::vector<std::optional<std::string>> label, day, at;
  std::vector<std::optional<bool>> flag;
};

Generated generate(std::size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(1000.0, 250.0);
  const std::vector<std::string> words = {"plain", "ä",     "日本語テキスト", "emoji 🎉",
                                          "",      "ß-ß-ß", "mixed ascii + ü"};
  const auto base_day = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};
  const auto base_time = std::chrono::sys_days{std::chrono::year{2024} / 3 / 1};
  Generated g;
  for (std::size_t i = 0; i < n; ++i) {
    g.id.push_back(static_cast<std::int64_t>(i) * 3 - 100);
    if (i % 9 == 0) {
      g.big.push_back(std::nullopt);
    } else if (i == 1) {
      g.big.push_back(kMax);
    } else if (i == 2) {
      g.big.push_back(kMin);
    } else if (i % 5 == 0) {
      g.big.push_back(kMax - static_cast<std::int64_t>(rng() % 1000));
    } else if (i % 5 == 1) {
      g.big.push_back(kMin + static_cast<std::int64_t>(rng() % 1000));
    } else {
      g.big.push_back(static_cast<std::int64_t>(rng() % 2'000'001) - 1'000'000);
    }
    // A large mean with a tiny spread: where a double-based stddev loses ~1e-2 of precision.
    if (i % 23 == 0) {
      g.serial.push_back(std::nullopt);
    } else {
      g.serial.push_back(1'000'000'000'000'000 + static_cast<std::int64_t>(rng() % 20));
    }
    if (i % 11 == 0) {
      g.amount.push_back(std::nullopt);
    } else {
      g.amount.push_back(normal(rng));
    }
    if (i % 7 == 0) {
      g.label.push_back(std::nullopt);
    } else {
      g.label.push_back(words[rng() % words.size()] + (i % 3 ? "" : " #" + std::to_string(i)));
    }
    if (i % 13 == 0) {
      g.day.push_back(std::nullopt);
    } else {
      std::chrono::year_month_day ymd{base_day + std::chrono::days{rng() % 400}};
      g.day.push_back(fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                                  static_cast<unsigned>(ymd.month()),
                                  static_cast<unsigned>(ymd.day())));
    }
    if (i % 17 == 0) {
      g.at.push_back(std::nullopt);
    } else {
      auto us = std::chrono::microseconds{static_cast<std::int64_t>(rng() % 2'592'000'000'000)};
      g.at.push_back(format_storage_time(base_time + us));
    }
    if (i % 19 == 0) {
      g.flag.push_back(std::nullopt);
    } else {
      g.flag.push_back(rng() % 2 == 1);
    }
  }
  return g;
}

template <class T>
Value to_value(const std::optional<T>& v) {
  if (!v) return std::monostate{};
  return *v;
}

// The metrics a column must have, from the generated data.
template <class T>
void expect_common(const ColumnProfile& col, const std::vector<std::optional<T>>& data) {
  SCOPED_TRACE(col.name);
  std::int64_t nulls = 0;
  std::set<T> distinct;
  for (const auto& v : data) {
    if (v) {
      distinct.insert(*v);
    } else {
      ++nulls;
    }
  }
  const auto n = static_cast<std::int64_t>(data.size());
  auto metric = [&](const char* name) -> MetricValue {
    const MetricValue* m = col.metric(name);
    EXPECT_NE(m, nullptr) << name;
    return m ? *m : MetricValue{};
  };
  EXPECT_EQ(metric("count"), MetricValue(n));
  EXPECT_EQ(metric("null_count"), MetricValue(nulls));
  EXPECT_EQ(metric("null_percent"),
            MetricValue(static_cast<double>(nulls) / static_cast<double>(n) * 100.0));
  const auto d = static_cast<std::int64_t>(distinct.size());
  EXPECT_EQ(metric("distinct_count"), MetricValue(d));
  EXPECT_EQ(metric("distinct_percent"),
            MetricValue(static_cast<double>(d) / static_cast<double>(n) * 100.0));
}

double metric_double(const ColumnProfile& col, const char* name) {
  const MetricValue* m = col.metric(name);
  EXPECT_TRUE(m && std::holds_alternative<double>(*m)) << col.name << "." << name;
  return m && std::holds_alternative<double>(*m) ? std::get<double>(*m) : 0;
}

template <class T>
void expect_numeric(const ColumnProfile& col, const std::vector<std::optional<T>>& data, int bins) {
  SCOPED_TRACE(col.name);
  std::vector<T> values;
  for (const auto& v : data) {
    if (v) values.push_back(*v);
  }
  const T lo = *std::min_element(values.begin(), values.end());
  const T hi = *std::max_element(values.begin(), values.end());
  EXPECT_EQ(*col.metric("min"), MetricValue(lo));
  EXPECT_EQ(*col.metric("max"), MetricValue(hi));
  const Exact e = exact_moments(values);
  expect_rel(metric_double(col, "mean"), e.mean, 1e-9, "mean");
  expect_rel(metric_double(col, "stddev"), e.stddev, 1e-9, "stddev");

  const double min = static_cast<double>(lo), max = static_cast<double>(hi);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  for (T v : values) {
    ++counts[static_cast<std::size_t>(histogram_bin(static_cast<double>(v), min, max - min, bins))];
  }
  const MetricValue* h = col.metric("histogram");
  ASSERT_TRUE(h && std::holds_alternative<std::string>(*h));
  auto json = nlohmann::json::parse(std::get<std::string>(*h));
  ASSERT_EQ(json.size(), counts.size());
  for (std::size_t b = 0; b < counts.size(); ++b) {
    EXPECT_EQ(json[b]["count"].get<std::int64_t>(), counts[b]) << "bin " << b;
  }
  EXPECT_EQ(json.front()["bin_start"].get<double>(), min);
  EXPECT_EQ(json.back()["bin_end"].get<double>(), max);
}

void expect_string(const ColumnProfile& col, const std::vector<std::optional<std::string>>& data) {
  SCOPED_TRACE(col.name);
  std::vector<std::int64_t> lengths;
  for (const auto& v : data) {
    if (v) lengths.push_back(utf8_length(*v));
  }
  EXPECT_EQ(*col.metric("min_length"),
            MetricValue(*std::min_element(lengths.begin(), lengths.end())));
  EXPECT_EQ(*col.metric("max_length"),
            MetricValue(*std::max_element(lengths.begin(), lengths.end())));
  expect_rel(metric_double(col, "avg_length"), exact_moments(lengths).mean, 1e-9, "avg_length");
  EXPECT_EQ(col.metric("min"), nullptr);
  EXPECT_EQ(col.metric("mean"), nullptr);
}

void expect_temporal(const ColumnProfile& col,
                     const std::vector<std::optional<std::string>>& data) {
  SCOPED_TRACE(col.name);
  std::vector<std::string> values;
  for (const auto& v : data) {
    if (v) values.push_back(*v);
  }
  EXPECT_EQ(*col.metric("min"), MetricValue(*std::min_element(values.begin(), values.end())));
  EXPECT_EQ(*col.metric("max"), MetricValue(*std::max_element(values.begin(), values.end())));
  EXPECT_EQ(col.metric("mean"), nullptr);
  EXPECT_EQ(col.metric("histogram"), nullptr);
}

TEST_F(MysqlTest, ProfilerComputesEveryMetricInOneScanPerTable) {
  constexpr std::size_t kRows = 600;
  const Generated g = generate(kRows);
  const std::string hostile = "x\"; DROP TABLE y; --";
  for (const std::string& table : {std::string("profile_data"), hostile}) {
    conn_->execute(
        fmt::format("CREATE TABLE {} (id INT NOT NULL PRIMARY KEY, big BIGINT, amount DOUBLE, "
                    "label VARCHAR(40), day DATE, {} DATETIME(6), flag BOOLEAN, serial BIGINT)",
                    q(table), q(table == hostile ? "at`" : "at")));
    db::Transaction tx(*conn_);
    auto insert =
        conn_->prepare(fmt::format("INSERT INTO {} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", q(table)));
    for (std::size_t i = 0; i < kRows; ++i) {
      insert->execute(std::vector<Value>{
          to_value(g.id[i]), to_value(g.big[i]), to_value(g.amount[i]), to_value(g.label[i]),
          to_value(g.day[i]), to_value(g.at[i]), to_value(g.flag[i]), to_value(g.serial[i])});
    }
    insert.reset();
    tx.commit();
  }

  testing::TempDir tmp;
  Config config = testing::pipeline_config(config_, tmp / "store.db", {"profile_data", hostile});
  const int bins = config.profiling.histogram_bins;

  auto queries = std::make_shared<std::atomic<int>>(0);
  ConnectionFactory factory = [&] {
    return std::make_unique<testing::CountingConnection>(
        db::connect(config.source, {.read_only = true}), queries);
  };
  RunStore store(config.storage, "test");
  Profiler profiler(config, factory, nullptr, &store);
  const std::vector<TableOutcome> outcomes = profiler.profile();
  ASSERT_EQ(outcomes.size(), 2u);
  // One scalar query and one histogram query per table: no per-column or per-bin queries; plus
  // one information_schema look-up per table for the time it last changed (drift's freshness).
  EXPECT_EQ(queries->load(), 6);

  for (const TableOutcome& outcome : outcomes) {
    SCOPED_TRACE(outcome.table);
    ASSERT_TRUE(outcome.ok()) << outcome.error;
    const ProfilingResult& r = *outcome.result;
    EXPECT_EQ(r.row_count, static_cast<std::int64_t>(kRows));
    ASSERT_EQ(r.columns.size(), 8u);
    std::map<std::string, const ColumnProfile*> by_name;
    for (const auto& c : r.columns) by_name[c.name] = &c;
    const ColumnProfile& at = *by_name.at(outcome.table == hostile ? "at`" : "at");

    EXPECT_EQ(by_name.at("id")->type_class, TypeClass::kNumeric);
    EXPECT_EQ(by_name.at("big")->type_class, TypeClass::kNumeric);
    EXPECT_EQ(by_name.at("amount")->type_class, TypeClass::kNumeric);
    EXPECT_EQ(by_name.at("label")->type_class, TypeClass::kString);
    EXPECT_EQ(by_name.at("day")->type_class, TypeClass::kTemporal);
    EXPECT_EQ(at.type_class, TypeClass::kTemporal);
    EXPECT_EQ(by_name.at("flag")->type_class, TypeClass::kBoolean);

    expect_common(*by_name.at("id"), g.id);
    expect_numeric(*by_name.at("id"), g.id, bins);
    expect_common(*by_name.at("big"), g.big);
    expect_numeric(*by_name.at("big"), g.big, bins);
    expect_common(*by_name.at("serial"), g.serial);
    expect_numeric(*by_name.at("serial"), g.serial, bins);
    expect_common(*by_name.at("amount"), g.amount);
    expect_numeric(*by_name.at("amount"), g.amount, bins);
    expect_common(*by_name.at("label"), g.label);
    expect_string(*by_name.at("label"), g.label);
    expect_common(*by_name.at("day"), g.day);
    expect_temporal(*by_name.at("day"), g.day);
    expect_common(at, g.at);
    expect_temporal(at, g.at);
    expect_common(*by_name.at("flag"), g.flag);
    EXPECT_EQ(by_name.at("flag")->metrics.size(), 5u);

    // The run reached the store with the same values.
    auto run = store.find_run(outcome.run_id);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->row_count, static_cast<std::int64_t>(kRows));
    std::size_t expected_metrics = 0;
    for (const auto& c : r.columns) expected_metrics += c.metrics.size();
    expected_metrics += r.table_metrics.size();  // row_count, freshness, last change
    auto stored = store.results(*run);
    ASSERT_EQ(stored.size(), expected_metrics);
    const std::map<std::string, MetricValue> table(r.table_metrics.begin(), r.table_metrics.end());
    for (const auto& m : stored) {
      if (m.table_level) {
        ASSERT_EQ(table.count(m.metric_name), 1u) << m.metric_name;
        EXPECT_EQ(m.metric_value, metric_text(table.at(m.metric_name))) << m.metric_name;
        continue;
      }
      const MetricValue* v = by_name.at(m.column_name)->metric(m.metric_name);
      ASSERT_NE(v, nullptr);
      EXPECT_EQ(m.metric_value, metric_text(*v)) << m.column_name << "." << m.metric_name;
    }
  }
}

// ---- MariaDB as the results store and the events target -----------------------------------------

ProfilingResult sample_result(const std::string& dataset,
                              std::chrono::system_clock::time_point at) {
  ProfilingResult r;
  r.run_id = new_uuid();
  r.dataset_name = dataset;
  r.schema_name = "sales";
  r.profiled_at = at;
  r.row_count = 42;
  ColumnProfile amount;
  amount.name = "amount";
  amount.type = "decimal(10,2)";
  amount.type_class = TypeClass::kNumeric;
  std::string histogram = "[";
  for (int i = 0; i < 1500; ++i) {  // longer than TEXT's 64 KiB
    histogram += fmt::format("{}{{\"bin_start\":{}.5,\"bin_end\":{}.5,\"count\":{}}}", i ? "," : "",
                             i, i + 1, i * 1000003);
  }
  histogram += "]";
  amount.metrics = {
      {"count", std::int64_t{42}}, {"null_count", std::int64_t{0}}, {"mean", 12.5}, {"stddev", 0.1},
      {"min", std::monostate{}},   {"histogram", histogram}};
  ColumnProfile note;
  note.name = "notë 日本";
  note.type = "varchar(20)";
  note.type_class = TypeClass::kString;
  note.metrics = {{"max_length", std::int64_t{20}}, {"avg_length", 7.25}};
  r.columns = {amount, note};
  return r;
}

TEST_F(MysqlTest, RunStoreOnMariaDb) {
  StorageConfig sc;
  sc.connection = config_;
  using namespace std::chrono;
  const auto t1 = time_point_cast<microseconds>(system_clock::now()) - hours(2);
  const auto t2 = t1 + minutes(30) + microseconds(17);
  const ProfilingResult first = sample_result("orders", t1);
  const ProfilingResult second = sample_result("orders", t2);
  {
    RunStore store(sc, "ci");
    EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
    store.store(first);
    store.store(second);
  }
  RunStore store(sc, "ci");  // the schema exists now: creating it again is a no-op
  EXPECT_EQ(store.schema_version(), kStorageSchemaVersion);
  // One row per applied migration, none added by opening the store again.
  EXPECT_EQ(get_int(conn_->query("SELECT COUNT(*) FROM baselinr_schema_version").rows[0][0]),
            kStorageSchemaVersion);

  auto runs = store.list_runs({});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, second.run_id);  // newest first
  EXPECT_EQ(runs[0].profiled_at, format_storage_time(t2));
  EXPECT_EQ(runs[1].profiled_at, format_storage_time(t1));
  EXPECT_EQ(runs[0].dataset_name, "orders");
  EXPECT_EQ(runs[0].schema_name, "sales");
  EXPECT_EQ(runs[0].environment, "ci");
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].row_count, 42);
  EXPECT_EQ(runs[0].column_count, 2);
  EXPECT_EQ(store.list_runs({.limit = 1}).size(), 1u);
  EXPECT_EQ(store.list_runs({.dataset = "orders", .schema = "sales"}).size(), 2u);
  EXPECT_TRUE(store.list_runs({.dataset = "nope"}).empty());

  auto before = store.runs_before(runs[0], 10);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].run_id, first.run_id);

  auto results = store.results(runs[0]);
  std::vector<std::tuple<std::string, std::string, std::optional<std::string>>> got, expected;
  for (const auto& m : results) got.emplace_back(m.column_name, m.metric_name, m.metric_value);
  for (const auto& c : second.columns) {
    for (const auto& [name, value] : c.metrics) {
      expected.emplace_back(c.name, name, metric_text(value));
    }
  }
  EXPECT_TRUE(got == expected) << "stored results differ";
  EXPECT_EQ(results[0].column_type, "decimal(10,2)");

  // The DDL: microsecond timestamps, InnoDB, long metric values.
  db::Result precision = conn_->query(
      "SELECT DATETIME_PRECISION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
      "AND COLUMN_NAME IN ('profiled_at', 'applied_at', 'timestamp', 'created_at')");
  // runs, results, schema version, events; the outbox and deliveries (created_at).
  ASSERT_EQ(precision.rows.size(), 7u);
  for (const auto& row : precision.rows) EXPECT_EQ(get_int(row[0]), 6);
  db::Result engines = conn_->query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
      "ENGINE = 'InnoDB'");
  EXPECT_EQ(get_int(engines.rows[0][0]), 8);  // and the three delivery tables, the baselines

  // A failure in the middle of a run leaves nothing of it behind.
  RunStore faulty(std::make_unique<testing::FaultyConnection>(db::connect(sc.connection), 3), sc,
                  "ci");
  const ProfilingResult third = sample_result("orders", t2 + minutes(1));
  EXPECT_THROW(faulty.store(third), StorageError);
  EXPECT_FALSE(store.find_run(third.run_id).has_value());
  EXPECT_EQ(store.list_runs({}).size(), 2u);
}

TEST_F(MysqlTest, SqlEventHookWritesEventsToMariaDb) {
  using namespace std::chrono;
  const auto t0 = time_point_cast<microseconds>(system_clock::now());
  const Event drift(
      DataDriftDetected{"orders", "amount", "mean", 10.0, 12.5, 25.0, Severity::kHigh}, new_uuid(),
      t0 - seconds(5));
  const Event schema(SchemaChangeDetected{"orders", "column_added", "notë", std::nullopt,
                                          std::string("varchar(10)")},
                     new_uuid(), t0);
  {
    hooks::SqlEventHook hook(config_, "drift_events");
    hook.handle_event(drift);
    hook.handle_event(schema);
  }
  auto events = read_events(config_, "drift_events", {});
  ASSERT_EQ(events.size(), 2u);
  const EventRecord& s = events[0];  // newest first
  const EventRecord& d = events[1];
  EXPECT_EQ(s.event_id, schema.event_id());
  EXPECT_EQ(s.event_type, "SchemaChangeDetected");
  EXPECT_EQ(s.column_name, "notë");
  EXPECT_FALSE(s.baseline_value.has_value());
  EXPECT_EQ(nlohmann::json::parse(s.metadata), nlohmann::json::parse(schema.metadata_json()));
  EXPECT_EQ(d.event_id, drift.event_id());
  EXPECT_EQ(d.event_type, "DataDriftDetected");
  EXPECT_EQ(d.table_name, "orders");
  EXPECT_EQ(d.metric_name, "mean");
  EXPECT_EQ(d.baseline_value, 10.0);
  EXPECT_EQ(d.current_value, 12.5);
  EXPECT_EQ(d.change_percent, 25.0);
  EXPECT_EQ(d.drift_severity, "high");
  EXPECT_EQ(d.timestamp, format_storage_time(drift.timestamp()));
  EXPECT_EQ(nlohmann::json::parse(d.metadata), nlohmann::json::parse(drift.metadata_json()));

  // created_at is filled by the server, in UTC, with microseconds.
  auto created = parse_time(d.created_at);
  ASSERT_TRUE(created.has_value()) << d.created_at;
  EXPECT_LT(std::chrono::abs(*created - system_clock::now()), minutes(5)) << d.created_at;
  db::Result def = conn_->query(
      "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = 'drift_events' AND COLUMN_NAME = 'created_at'");
  EXPECT_EQ(to_lower(get_text(def.rows.at(0).at(0))), "current_timestamp(6)");

  // The same events through a RunStore reading that table.
  StorageConfig sc;
  sc.connection = config_;
  sc.events_table = "drift_events";
  RunStore store(sc, "ci");
  EXPECT_EQ(store.list_events({.event_type = "DataDriftDetected"}).size(), 1u);
  EXPECT_EQ(store.list_events({.limit = 1}).at(0).event_id, schema.event_id());
}

TEST_F(MysqlTest, ConfiguredSqlHookTargetsMariaDb) {
  HookConfig hook;
  hook.type = HookType::kSql;
  hook.connection = config_;
  hook.table_name = "bus_events";
  HooksConfig hooks;
  hooks.hooks = {hook};
  auto bus = create_event_bus(hooks);
  ASSERT_EQ(bus->hook_count(), 1u);
  const Event done(ProfilingCompleted{"orders", new_uuid(), 10, 2, 0.5});
  bus->emit(done);
  auto events = read_events(config_, "bus_events", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_id, done.event_id());
  EXPECT_EQ(events[0].event_type, "ProfilingCompleted");
}

TEST(MysqlDialectTest, StorageDdlUsesMysqlTypes) {
  const db::Dialect& d = db::mysql_dialect();
  db::StorageTables tables{"baselinr_runs", "baselinr_results", "baselinr_events",
                           "baselinr_schema_version"};
  std::string all;
  for (const auto& s : d.storage_ddl(tables)) all += s + "\n";
  EXPECT_NE(all.find("`profiled_at` DATETIME(6) NOT NULL"), std::string::npos) << all;
  EXPECT_NE(all.find("`id` BIGINT AUTO_INCREMENT PRIMARY KEY"), std::string::npos) << all;
  EXPECT_NE(all.find("`metric_value` MEDIUMTEXT"), std::string::npos) << all;
  EXPECT_NE(all.find("`baseline_value` DOUBLE,"), std::string::npos) << all;
  EXPECT_NE(all.find("`created_at` DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6))"), std::string::npos)
      << all;
  EXPECT_NE(all.find("CREATE INDEX IF NOT EXISTS `idx_baselinr_runs_dataset_profiled` ON "
                     "`baselinr_runs`"),
            std::string::npos)
      << all;
  EXPECT_EQ(d.current_schema_sql(), "DATABASE()");
  EXPECT_THROW(d.approx_count_distinct(numeric_col("`x`")), NotSupportedError);
  EXPECT_EQ(d.to_double("`x`"), "CAST(`x` AS DOUBLE)");
  EXPECT_EQ(d.char_length("`x`"), "CHAR_LENGTH(`x`)");
}

// MariaDB says when a table last changed (information_schema.TABLES.UPDATE_TIME): stored as
// last_change_seconds at profile time, next to the freshness of its newest timestamp.
TEST_F(MysqlTest, LastChangeAndFreshnessOfATable) {
  conn_->execute("CREATE TABLE orders (id INT PRIMARY KEY, placed_at DATETIME(6))");
  conn_->execute(
      "INSERT INTO orders VALUES (1, '2026-01-10 10:00:00'), (2, '2026-01-11 11:30:00.5')");
  testing::TempDir tmp;
  Config config = testing::pipeline_config(config_, tmp / "store.db", {"orders"});
  Profiler profiler(config);
  const auto now = std::chrono::system_clock::now() + std::chrono::hours(1);
  profiler.set_clock([now] { return now; });
  auto out = profiler.profile();
  ASSERT_TRUE(out.at(0).ok()) << out[0].error;
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double changed = *db::as_double(
      conn_
          ->query("SELECT UNIX_TIMESTAMP(UPDATE_TIME) FROM information_schema.TABLES WHERE "
                  "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'")
          .rows.at(0)
          .at(0));
  std::map<std::string, MetricValue> table(out[0].result->table_metrics.begin(),
                                           out[0].result->table_metrics.end());
  EXPECT_DOUBLE_EQ(std::get<double>(table.at("last_change_seconds")), now_s - changed);
  EXPECT_EQ(std::get<std::string>(table.at("freshness_column")), "placed_at");
  EXPECT_NEAR(std::get<double>(table.at("freshness_seconds")), now_s - 1768131000.5, 1e-3);
  EXPECT_EQ(std::get<std::int64_t>(table.at("row_count")), 2);
}

}  // namespace
}  // namespace baselinr
