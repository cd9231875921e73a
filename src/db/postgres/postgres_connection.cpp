#include "db/postgres/postgres_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "baselinr/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/postgres_dialect.hpp"

namespace baselinr::db {

// Owns the PGconn. Shared with prepared statements, which hold it weakly: a statement that
// outlives its connection fails cleanly instead of touching a closed handle.
class PostgresSession {
 public:
  explicit PostgresSession(PGconn* conn) : conn_(conn) {}
  PGconn* get() const { return conn_.get(); }
  std::string next_statement_name() { return fmt::format("baselinr_stmt_{}", ++statements_); }

 private:
  struct Finisher {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Finisher> conn_;
  unsigned long long statements_ = 0;
};

namespace {

// Type OIDs from pg_type.h (stable across PostgreSQL versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// The most parameters one statement may carry (the protocol counts them in 16 bits).
constexpr std::size_t kMaxParams = 65535;

struct ResultClearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Neither libpq nor the server echo the password, but a message must never show it, whatever a
// future version prints.
std::string without_password(std::string text, const char* password) {
  return redact(std::move(text), {password ? password : ""});
}

void log_notice(void* /*arg*/, const char* message) {
  log().debug("postgres: {}", one_line(message ? message : ""));
}

std::string field(const PGresult* res, int code) {
  const char* v = res ? PQresultErrorField(res, code) : nullptr;
  return v ? one_line(v) : std::string();
}

// Throws the exception for a failed call: ConnectionError when the connection is gone (the
// caller must reconnect), QueryError otherwise; both keep the SQLSTATE.
[[noreturn]] void throw_failure(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
  std::string message = field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = one_line(PQerrorMessage(conn));
  if (message.empty()) message = "unknown error";
  if (std::string detail = field(res, PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
    message += "; " + detail;
  }
  if (std::string hint = field(res, PG_DIAG_MESSAGE_HINT); !hint.empty()) {
    message += "; hint: " + hint;
  }
  const bool lost = PQstatus(conn) != CONNECTION_OK;
  if (lost && sqlstate.empty()) sqlstate = "08006";  // connection_failure
  std::string text = without_password(
      fmt::format("postgres: {} failed: {}{}", what, message,
                  sqlstate.empty() ? std::string() : " (SQLSTATE " + sqlstate + ")"),
      PQpass(conn));
  if (lost) throw ConnectionError(text, sqlstate);
  throw QueryError(text, sqlstate);
}

void check(PGconn* conn, const PGresult* res, std::string_view what) {
  if (!res) throw_failure(conn, nullptr, what);
  switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return;
    default:
      throw_failure(conn, res, what);
  }
}

std::string double_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);  // the shortest text that reads back to the same double
}

// Parameters in libpq's text format. Strings are passed without copying; the other values are
// rendered into `owned_`, which is reserved up front so the pointers stay valid.
class TextParams {
 public:
  explicit TextParams(std::span<const Value> params) {
    if (params.size() > kMaxParams) {
      throw QueryError(fmt::format("postgres: a statement takes at most {} parameters; {} given",
                                   kMaxParams, params.size()),
                       "54000");
    }
    owned_.reserve(params.size());
    values_.reserve(params.size());
    for (const Value& v : params) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        if (s->find('\0') != std::string::npos) {
          throw QueryError(
              "postgres: a text parameter contains a NUL byte, which PostgreSQL text cannot hold",
              "22021");
        }
        values_.push_back(s->c_str());
        continue;
      }
      if (std::holds_alternative<std::monostate>(v)) {
        values_.push_back(nullptr);
        continue;
      }
      if (const auto* i = std::get_if<std::int64_t>(&v)) {
        owned_.push_back(std::to_string(*i));
      } else if (const auto* d = std::get_if<double>(&v)) {
        owned_.push_back(double_text(*d));
      } else {
        owned_.emplace_back(std::get<bool>(v) ? "true" : "false");
      }
      values_.push_back(owned_.back().c_str());
    }
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* data() const { return values_.empty() ? nullptr : values_.data(); }

 private:
  std::vector<std::string> owned_;
  std::vector<const char*> values_;
};

// numeric: a double when it lies within the double range, else its exact text.
Value numeric_value(std::string_view text) {
  std::optional<double> d = parse_double(text);
  if (!d) return std::string(text);
  if (std::isinf(*d) && text.find("Infinity") == std::string_view::npos) {
    return std::string(text);
  }
  return *d;
}

Value cell(const PGresult* res, int row, int col, Oid type) {
  if (PQgetisnull(res, row, col)) return std::monostate{};
  std::string_view text(PQgetvalue(res, row, col),
                        static_cast<std::size_t>(PQgetlength(res, row, col)));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      if (auto v = parse_int(text)) return *v;
      break;
    case kFloat4Oid:
    case kFloat8Oid:  // "Infinity", "-Infinity" and "NaN" included
      if (auto v = parse_double(text)) return *v;
      break;
    case kNumericOid:
      return numeric_value(text);
    case kBoolOid:
      if (text == "t") return true;
      if (text == "f") return false;
      break;
    default:
      break;
  }
  return std::string(text);
}

Result to_result(const PGresult* res) {
  Result out;
  const int ncols = PQnfields(res);
  const int nrows = PQntuples(res);
  std::vector<Oid> types(static_cast<std::size_t>(ncols));
  for (int c = 0; c < ncols; ++c) {
    out.columns.emplace_back(PQfname(res, c));
    types[static_cast<std::size_t>(c)] = PQftype(res, c);
  }
  out.rows.reserve(static_cast<std::size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    std::vector<Value> row;
    row.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      row.push_back(cell(res, r, c, types[static_cast<std::size_t>(c)]));
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

ResultPtr exec_params(PGconn* conn, std::string_view sql, std::span<const Value> params,
                      std::string_view what) {
  TextParams text(params);
  ResultPtr res(PQexecParams(conn, std::string(sql).c_str(), text.size(), nullptr, text.data(),
                             nullptr, nullptr, 0));
  check(conn, res.get(), what);
  return res;
}

class PostgresStatement final : public Statement {
 public:
  PostgresStatement(std::weak_ptr<PostgresSession> session, std::string name)
      : session_(std::move(session)), name_(std::move(name)) {}

  ~PostgresStatement() override {
    auto session = session_.lock();
    if (!session) return;
    PGconn* conn = session->get();
    // In a failed transaction DEALLOCATE would fail too; the statement then lives until the
    // session ends, which is harmless.
    const PGTransactionStatusType tx = PQtransactionStatus(conn);
    if (PQstatus(conn) != CONNECTION_OK || (tx != PQTRANS_IDLE && tx != PQTRANS_INTRANS)) return;
    ResultPtr res(PQexec(conn, ("DEALLOCATE " + name_).c_str()));
  }

  void execute(std::span<const Value> params) override {
    auto session = session_.lock();
    if (!session) {
      throw ConnectionError("postgres: prepared statement used after its connection was closed",
                            "08003");
    }
    PGconn* conn = session->get();
    TextParams text(params);
    ResultPtr res(
        PQexecPrepared(conn, name_.c_str(), text.size(), text.data(), nullptr, nullptr, 0));
    check(conn, res.get(), "prepared statement");
  }

 private:
  std::weak_ptr<PostgresSession> session_;
  std::string name_;
};

// extra_params keys must be libpq connection parameters: a misspelt one is a configuration
// error (exit 2), as with the MySQL connector, not a failed connection.
void check_extra_param_keys(const ConnectionConfig& config) {
  std::vector<std::string> known;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> defaults(PQconndefaults(),
                                                                        &PQconninfoFree);
  for (const PQconninfoOption* o = defaults.get(); o && o->keyword; ++o) {
    known.emplace_back(o->keyword);
  }
  if (known.empty()) return;  // out of memory: libpq itself will say
  for (const auto& [key, value] : config.extra_params) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint;
    if (auto near = closest_match(key, known)) hint = fmt::format(" (did you mean '{}'?)", *near);
    throw ConfigError(config.location, "extra_params." + key,
                      fmt::format("postgres: not a libpq connection parameter{}", hint));
  }
}

}  // namespace

PostgresConnection::PostgresConnection(const ConnectionConfig& config, ConnectOptions options) {
  check_extra_param_keys(config);
  std::map<std::string, std::string> params;
  params["host"] = config.host.empty() ? "localhost" : config.host;
  params["port"] = std::to_string(config.port.value_or(5432));
  if (!config.database.empty()) params["dbname"] = config.database;
  if (!config.username.empty()) params["user"] = config.username;
  if (!config.password.empty()) params["password"] = config.password;
  params["application_name"] = "baselinr";
  params["connect_timeout"] = "10";
  params["client_encoding"] = "UTF8";  // Values carry UTF-8 text whatever the database uses
  for (const auto& [key, value] : config.extra_params) params[key] = value;

  std::vector<const char*> keys, values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  // expand_dbname = 0: a database name is only ever a name, never a connection string.
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!raw) throw ConnectionError("postgres: cannot connect: out of memory", "08001");
  session_ = std::make_shared<PostgresSession>(raw);
  const auto param = [&params](const char* key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  };
  const std::string target = fmt::format("database \"{}\" at {}:{} as user \"{}\"", param("dbname"),
                                         param("host"), param("port"), param("user"));
  if (PQstatus(raw) != CONNECTION_OK) {
    // libpq checks parameter values before it connects ("invalid sslmode value", "invalid
    // integer value ... for connection option ..."): those are configuration errors.
    const std::string error = one_line(PQerrorMessage(raw));
    const auto failed = error.find("failed: ");
    const std::string detail = failed == std::string::npos ? error : error.substr(failed + 8);
    if (detail.starts_with("invalid ") && !config.extra_params.empty()) {
      throw ConfigError(config.location, "extra_params",
                        without_password("postgres: " + error, PQpass(raw)));
    }
    throw ConnectionError(without_password(fmt::format("postgres: cannot connect to {}: {}", target,
                                                       one_line(PQerrorMessage(raw))),
                                           PQpass(raw)),
                          "08001");
  }
  PQsetNoticeProcessor(raw, log_notice, nullptr);

  // Floats print with every digit they need to read back exactly (PostgreSQL < 12 defaults to
  // 15 digits); timestamps print in UTC, the zone the results store uses, and in ISO form
  // whatever DateStyle the role or database sets (see PostgresDialect::session_setup).
  std::vector<std::string> setup = postgres_dialect().session_setup();
  if (options.read_only) setup.emplace_back("SET default_transaction_read_only = on");
  for (const std::string& sql : setup) {
    ResultPtr res(PQexec(raw, sql.c_str()));
    try {
      check(raw, res.get(), "setting up the session on " + target);
    } catch (const DatabaseError& e) {
      throw ConnectionError(e.what(), e.sqlstate());
    }
  }
}

PostgresConnection::~PostgresConnection() = default;

const Dialect& PostgresConnection::dialect() const { return postgres_dialect(); }

Result PostgresConnection::query(std::string_view sql, std::span<const Value> params) {
  return to_result(exec_params(session_->get(), sql, params, "query").get());
}

void PostgresConnection::execute(std::string_view sql, std::span<const Value> params) {
  PGconn* conn = session_->get();
  if (!params.empty()) {
    exec_params(conn, sql, params, "statement");
    return;
  }
  // PQexec runs every statement of a script; PQexecParams allows only one.
  ResultPtr res(PQexec(conn, std::string(sql).c_str()));
  check(conn, res.get(), "statement");
}

std::unique_ptr<Statement> PostgresConnection::prepare(std::string_view sql) {
  PGconn* conn = session_->get();
  std::string name = session_->next_statement_name();
  ResultPtr res(PQprepare(conn, name.c_str(), std::string(sql).c_str(), 0, nullptr));
  check(conn, res.get(), "preparing a statement");
  return std::make_unique<PostgresStatement>(session_, std::move(name));
}

void PostgresConnection::begin() {
  PGconn* conn = session_->get();
  ResultPtr res(PQexec(conn, "BEGIN"));
  check(conn, res.get(), "BEGIN");
}

void PostgresConnection::commit() {
  PGconn* conn = session_->get();
  ResultPtr res(PQexec(conn, "COMMIT"));
  check(conn, res.get(), "COMMIT");
  // COMMIT of a transaction in which a statement failed succeeds as a ROLLBACK.
  if (std::strcmp(PQcmdStatus(res.get()), "ROLLBACK") == 0) {
    throw QueryError(
        "postgres: COMMIT failed: a statement in the transaction had failed, so the server "
        "rolled it back and nothing of it was saved (SQLSTATE 25P02)",
        "25P02");
  }
}

void PostgresConnection::rollback() {
  PGconn* conn = session_->get();
  ResultPtr res(PQexec(conn, "ROLLBACK"));
  check(conn, res.get(), "ROLLBACK");
}

PGconn* PostgresConnection::handle() const { return session_->get(); }

}  // namespace baselinr::db
