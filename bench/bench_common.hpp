// Shared by the benchmark generator and driver: the bench_events table (its 20 columns and how
// each value is derived), thin RAII wrappers over sqlite3 and libpq, MariaDB through baselinr's
// own connector, and small helpers.
//
// Every value is a pure function of (row index, column): a counter-based hash (splitmix64) of
// a fixed seed, the row and the column, turned into the wanted distribution by hand-written
// transforms (no <random> distributions, whose output differs between standard libraries).
// The same --rows therefore always gives the same table, in SQLite, PostgreSQL and MariaDB alike.
#pragma once

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"
#include "db/connection.hpp"

namespace bench {

inline constexpr const char* kTable = "bench_events";
inline constexpr const char* kMetaTable = "bench_meta";
// Bump when the generated data changes: stored data with another version is regenerated.
inline constexpr std::int64_t kGeneratorVersion = 1;
inline constexpr std::uint64_t kSeed = 0x5EED'BA5E'11A2'2026ULL;

enum class Kind { kInt, kReal, kText, kDate, kTimestamp, kBool };

struct ColumnDef {
  const char* name;
  Kind kind;
  const char* sqlite_type;
  const char* pg_type;
  const char* description;  // what the values look like (stored in the results JSON)
};

// MariaDB's type for each kind: BOOLEAN is TINYINT(1), a naive timestamp is DATETIME.
inline const char* mysql_type(const ColumnDef& c) {
  switch (c.kind) {
    case Kind::kInt:
      return c.pg_type == std::string_view("bigint") ? "BIGINT" : "INT";
    case Kind::kReal:
      return "DOUBLE";
    case Kind::kText:
      return "TEXT";
    case Kind::kDate:
      return "DATE";
    case Kind::kTimestamp:
      return "DATETIME";
    case Kind::kBool:
      return "BOOLEAN";
  }
  return "TEXT";
}

// 20 columns: 5 integer, 4 floating point, 5 text, 2 date, 2 timestamp, 2 boolean.
inline constexpr std::array<ColumnDef, 20> kColumns = {{
    {"id", Kind::kInt, "BIGINT", "bigint", "unique 1..N, no NULLs"},
    {"user_id", Kind::kInt, "BIGINT", "bigint", "uniform over ~N/10 values"},
    {"quantity", Kind::kInt, "INTEGER", "integer", "1..100 geometric-like, 10% NULL"},
    {"score", Kind::kInt, "INTEGER", "integer", "normal(500, 150) rounded, 10% NULL"},
    {"status_code", Kind::kInt, "INTEGER", "integer", "10 HTTP codes, skewed"},
    {"amount", Kind::kReal, "DOUBLE", "double precision", "lognormal(mu 3, sigma 1.2)"},
    {"price", Kind::kReal, "DOUBLE", "double precision", "lognormal(mu 1, sigma 2), 10% NULL"},
    {"ratio", Kind::kReal, "DOUBLE", "double precision", "uniform [0, 1)"},
    {"latency_ms", Kind::kReal, "DOUBLE", "double precision", "exponential mean 120, 5% NULL"},
    {"country", Kind::kText, "TEXT", "text", "10 values, skewed"},
    {"category", Kind::kText, "TEXT", "text", "10 values, 10% NULL"},
    {"email", Kind::kText, "TEXT", "text", "exactly ceil(N/2) distinct, 24-29 chars"},
    {"session_id", Kind::kText, "TEXT", "text", "N distinct, 32 hex chars"},
    {"description", Kind::kText, "TEXT", "text", "2-12 words (9-90 chars), 5% NULL"},
    {"event_date", Kind::kDate, "DATE", "date", "uniform over 2020-01-01 + 4 years"},
    {"signup_date", Kind::kDate, "DATE", "date", "uniform over 2015-01-01 + 10 years, 10% NULL"},
    {"created_at", Kind::kTimestamp, "TIMESTAMP", "timestamp", "uniform seconds over 4 years"},
    {"updated_at", Kind::kTimestamp, "TIMESTAMP", "timestamp",
     "created_at + exponential delay, 20% NULL"},
    {"is_active", Kind::kBool, "BOOLEAN", "boolean", "70% true"},
    {"is_test", Kind::kBool, "BOOLEAN", "boolean", "2% true, 10% NULL"},
}};

// A command-line value that must be a positive integer; nullopt when it is not.
template <class T>
std::optional<T> positive_number(std::string_view v) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out <= 0) return std::nullopt;
  return out;
}

inline bool is_numeric(Kind k) { return k == Kind::kInt || k == Kind::kReal; }

// ---------------------------------------------------------------- deterministic values

inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E37'79B9'7F4A'7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58'476D'1CE4'E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D0'49BB'1331'11EBULL;
  return x ^ (x >> 31);
}

// The stream-th random 64-bit word of a row.
inline std::uint64_t draw(std::uint64_t row, std::uint64_t stream) {
  return mix64(kSeed ^ mix64(row * 64 + stream));
}

// Uniform in [0, 1) with 53 bits.
inline double unit(std::uint64_t r) { return static_cast<double>(r >> 11) * 0x1.0p-53; }
// Uniform in (0, 1]: safe for log().
inline double unit_open(std::uint64_t r) { return 1.0 - unit(r); }
inline double normal(std::uint64_t row, std::uint64_t stream) {
  const double u1 = unit_open(draw(row, stream));
  const double u2 = unit(draw(row, stream + 1));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// One generated cell.
struct Cell {
  bool null = false;
  std::int64_t i = 0;  // kInt, kBool (0/1)
  double d = 0;        // kReal
  std::string s;       // kText, kDate, kTimestamp (ISO text)
};

using Row = std::array<Cell, kColumns.size()>;

inline std::string iso_date(std::int64_t days_since_epoch) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

inline std::string iso_timestamp(std::int64_t seconds_since_epoch) {
  const std::int64_t days = seconds_since_epoch >= 0 ? seconds_since_epoch / 86400
                                                     : (seconds_since_epoch - 86399) / 86400;
  const std::int64_t sec = seconds_since_epoch - days * 86400;
  return fmt::format("{} {:02}:{:02}:{:02}", iso_date(days), sec / 3600, (sec / 60) % 60, sec % 60);
}

inline constexpr std::int64_t kDay2015 = 16436;  // 2015-01-01
inline constexpr std::int64_t kDay2020 = 18262;  // 2020-01-01

// Fills `row` with the values of row index `r` (0-based) of a table of `n` rows.
inline void make_row(std::uint64_t r, std::uint64_t n, Row& row) {
  static constexpr std::array<const char*, 10> kCountries = {"US", "DE", "FR", "GB", "IN",
                                                             "BR", "JP", "CA", "AU", "NL"};
  static constexpr std::array<const char*, 10> kCategories = {
      "electronics", "books",  "clothing", "home", "garden",
      "toys",        "sports", "beauty",   "food", "automotive"};
  static constexpr std::array<std::int64_t, 10> kStatus = {200, 201, 204, 301, 302,
                                                           400, 401, 403, 404, 500};
  static constexpr std::array<const char*, 8> kDomains = {
      "example.com", "mail.test", "corp.example",  "inbox.test",
      "web.example", "post.test", "users.example", "net.test"};
  static constexpr std::array<const char*, 24> kWords = {
      "fast",   "order",  "shipped", "return", "refund", "gift",    "blue",   "large",
      "small",  "bundle", "promo",   "cart",   "review", "express", "backup", "widget",
      "retail", "online", "store",   "member", "coupon", "premium", "basic",  "daily"};
  for (auto& c : row) {
    c.null = false;
    c.s.clear();
  }
  auto u = [r](std::uint64_t stream) { return unit(draw(r, stream)); };
  // Skewed pick of one of 10: index k with probability ~ 1/(k+1) (Zipf s=1, normalised).
  auto zipf10 = [&](std::uint64_t stream) {
    static constexpr std::array<double, 10> kCdf = {0.34142, 0.51213, 0.62594, 0.71130, 0.77958,
                                                    0.83649, 0.88526, 0.92794, 0.96588, 1.0};
    const double x = u(stream);
    std::size_t k = 0;
    while (k + 1 < kCdf.size() && x >= kCdf[k]) ++k;
    return k;
  };
  const std::uint64_t half = std::max<std::uint64_t>(1, n / 2);
  const std::uint64_t tenth = std::max<std::uint64_t>(1, n / 10);

  row[0].i = static_cast<std::int64_t>(r + 1);
  row[1].i = static_cast<std::int64_t>(draw(r, 1) % tenth) + 1;
  row[2].null = u(2) < 0.10;
  row[2].i =
      1 + static_cast<std::int64_t>(std::min(99.0, std::floor(-12.0 * std::log(1.0 - u(3)))));
  row[3].null = u(4) < 0.10;
  row[3].i = std::llround(500.0 + 150.0 * normal(r, 5));
  row[4].i = kStatus[zipf10(7)];
  row[5].d = std::exp(3.0 + 1.2 * normal(r, 8));
  row[6].null = u(10) < 0.10;
  row[6].d = std::exp(1.0 + 2.0 * normal(r, 11));
  row[7].d = u(13);
  row[8].null = u(14) < 0.05;
  row[8].d = -120.0 * std::log(unit_open(draw(r, 15)));
  row[9].s = kCountries[zipf10(16)];
  row[10].null = u(17) < 0.10;
  row[10].s = kCategories[draw(r, 18) % kCategories.size()];
  {
    // Two rows share each email key: exactly ceil(n/2) distinct values, in scattered order.
    const std::uint64_t key = (r / 2) % half;
    const std::uint64_t h = mix64(kSeed ^ (key * 0x9E37'79B9ULL + 11));
    row[11].s = fmt::format("user.{:010x}@{}", h >> 24, kDomains[h % kDomains.size()]);
  }
  row[12].s = fmt::format("{:016x}{:016x}", draw(r, 19), draw(r, 20));
  row[13].null = u(21) < 0.05;
  {
    const std::uint64_t words = 2 + draw(r, 22) % 11;
    for (std::uint64_t w = 0; w < words; ++w) {
      if (w) row[13].s += ' ';
      row[13].s += kWords[draw(r, 23 + w) % kWords.size()];
    }
  }
  row[14].s = iso_date(kDay2020 + static_cast<std::int64_t>(draw(r, 40) % 1461));
  row[15].null = u(41) < 0.10;
  row[15].s = iso_date(kDay2015 + static_cast<std::int64_t>(draw(r, 42) % 3653));
  const std::int64_t created =
      kDay2020 * 86400 + static_cast<std::int64_t>(draw(r, 43) % (1461ULL * 86400ULL));
  row[16].s = iso_timestamp(created);
  row[17].null = u(44) < 0.20;
  row[17].s = iso_timestamp(
      created + static_cast<std::int64_t>(-86400.0 * 7.0 * std::log(unit_open(draw(r, 45)))));
  row[18].i = u(46) < 0.70 ? 1 : 0;
  row[19].null = u(47) < 0.10;
  row[19].i = u(48) < 0.02 ? 1 : 0;
}

// ---------------------------------------------------------------- helpers

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string(fallback);
}

inline std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ---------------------------------------------------------------- SQLite

class Sqlite {
 public:
  Sqlite(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(fmt::format("sqlite: cannot open {}: {}", path, msg));
    }
  }
  ~Sqlite() { sqlite3_close(db_); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  sqlite3* get() const { return db_; }

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw std::runtime_error(fmt::format("sqlite: {}: {}", msg, sql.substr(0, 200)));
    }
  }

  // Runs a query and returns its first row as text (NULL as nullopt-like empty marker).
  std::vector<std::optional<std::string>> first_row(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      throw std::runtime_error(
          fmt::format("sqlite: {}: {}", sqlite3_errmsg(db_), sql.substr(0, 200)));
    }
    std::vector<std::optional<std::string>> out;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
          out.emplace_back();
        } else {
          const unsigned char* t = sqlite3_column_text(stmt, i);
          out.emplace_back(std::string(reinterpret_cast<const char*>(t),
                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
        }
      }
      rc = sqlite3_step(stmt);
    }
    if (rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      throw std::runtime_error(fmt::format("sqlite: {}: {}", msg, sql.substr(0, 200)));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// ---------------------------------------------------------------- PostgreSQL (libpq)

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class Pg {
 public:
  // Connection details from BASELINR_TEST_PG_* (what scripts/test-services.sh writes).
  static bool configured() { return std::getenv("BASELINR_TEST_PG_PORT") != nullptr; }

  Pg() {
    const std::array<std::string, 6> values = {env_or("BASELINR_TEST_PG_HOST", "127.0.0.1"),
                                               env_or("BASELINR_TEST_PG_PORT", "5432"),
                                               env_or("BASELINR_TEST_PG_USER", "baselinr"),
                                               env_or("BASELINR_TEST_PG_PASSWORD", ""),
                                               env_or("BASELINR_TEST_PG_DATABASE", "baselinr_test"),
                                               "baselinr-bench"};
    const char* keys[] = {"host", "port", "user", "password", "dbname", "application_name",
                          nullptr};
    const char* vals[] = {values[0].c_str(),
                          values[1].c_str(),
                          values[2].c_str(),
                          values[3].c_str(),
                          values[4].c_str(),
                          values[5].c_str(),
                          nullptr};
    conn_ = PQconnectdbParams(keys, vals, 0);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
      PQfinish(conn_);
      throw std::runtime_error(fmt::format("postgres: cannot connect to {}:{} as {}: {}", values[0],
                                           values[1], values[2], msg));
    }
    // Keep server notices (e.g. from DROP ... IF EXISTS) off the benchmark's output.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Pg() { PQfinish(conn_); }
  Pg(const Pg&) = delete;
  Pg& operator=(const Pg&) = delete;

  PGconn* get() const { return conn_; }

  PgResult exec(const std::string& sql) {
    PgResult res(PQexec(conn_, sql.c_str()));
    const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) {
      throw std::runtime_error(
          fmt::format("postgres: {}: {}", PQerrorMessage(conn_), sql.substr(0, 200)));
    }
    return res;
  }

  std::vector<std::optional<std::string>> first_row(const std::string& sql) {
    PgResult res = exec(sql);
    std::vector<std::optional<std::string>> out;
    if (PQntuples(res.get()) < 1) return out;
    for (int i = 0; i < PQnfields(res.get()); ++i) {
      if (PQgetisnull(res.get(), 0, i)) {
        out.emplace_back();
      } else {
        out.emplace_back(std::string(PQgetvalue(res.get(), 0, i),
                                     static_cast<std::size_t>(PQgetlength(res.get(), 0, i))));
      }
    }
    return out;
  }

 private:
  PGconn* conn_ = nullptr;
};

// ---------------------------------------------------------------- MariaDB (baselinr's connector)

// Connection details from BASELINR_TEST_MYSQL_* (what scripts/test-services.sh writes).
inline bool mysql_configured() { return std::getenv("BASELINR_TEST_MYSQL_PORT") != nullptr; }

inline baselinr::ConnectionConfig mysql_config() {
  baselinr::ConnectionConfig c;
  c.type = baselinr::DatabaseType::kMysql;
  c.host = env_or("BASELINR_TEST_MYSQL_HOST", "127.0.0.1");
  c.port = std::stoi(env_or("BASELINR_TEST_MYSQL_PORT", "3306"));
  c.username = env_or("BASELINR_TEST_MYSQL_USER", "baselinr");
  c.password = env_or("BASELINR_TEST_MYSQL_PASSWORD", "");
  c.database = env_or("BASELINR_TEST_MYSQL_DATABASE", "baselinr_test");
  return c;
}

// The first row of a query's result as text (NULL as nullopt).
inline std::vector<std::optional<std::string>> first_row(baselinr::db::Connection& conn,
                                                         const std::string& sql) {
  baselinr::db::Result r = conn.query(sql);
  std::vector<std::optional<std::string>> out;
  if (r.rows.empty()) return out;
  for (const auto& v : r.rows[0]) out.push_back(baselinr::db::as_text(v));
  return out;
}

}  // namespace bench
