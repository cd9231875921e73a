// What only the MySQL/MariaDB connector and dialect do, against a real MariaDB server (started
// by scripts/test-services.sh): field type mapping, long values, native types in order, TCP for
// localhost with a port, extra_params (TLS, timeouts), MariaDB's error codes, read-only sources,
// the exact DECIMAL moments, the histogram formula and UPDATE_TIME. The behaviour every engine
// shares is tested once for all engines in tests/conformance/. Each test works in a database of
// its own, created with a random name and dropped at the end, so the tests can run in parallel.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
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
#include "support/sockets.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

// A numeric column expression for the dialect's aggregate functions.
db::ColumnExpr numeric_col(const std::string& sql) { return {sql, "bigint", TypeClass::kNumeric}; }

using db::Value;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

ConnectionConfig server_config() { return conformance::mariadb_server(); }

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

// ---- errors -----------------------------------------------------------------------------------

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
