#include "db/odbc/odbc_connection.hpp"

#include <fmt/format.h>
#include <odbcinst.h>
#include <sql.h>
#include <sqlext.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "baselinr/error.hpp"
#include "common/text.hpp"
#include "db/dialect/odbc_dialect.hpp"
#include "db/dialect/snowflake_dialect.hpp"

namespace baselinr::db {
namespace {

// ---- text helpers -----------------------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view text, std::string_view word) {
  return to_lower(text).find(to_lower(word)) != std::string::npos;
}

bool is_one_of(std::string_view key, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(),
                     [key](std::string_view n) { return iequals(key, n); });
}

// A diagnostic's text before the "(SQLSTATE ...)" that follows it: without its final stop.
std::string without_final_stop(std::string text) {
  while (!text.empty() && (text.back() == ';' || text.back() == '.')) text.pop_back();
  return text;
}

// ---- connection strings ---------------------------------------------------------------------

using Attributes = std::vector<std::pair<std::string, std::string>>;

// "key=value;..." with braced values, as ODBC defines it (for reading a user's string).
Attributes parse_connection_string(std::string_view text) {
  Attributes out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ';' || std::isspace(static_cast<unsigned char>(text[i]))))
      ++i;
    const std::size_t eq = text.find('=', i);
    if (i >= text.size() || eq == std::string_view::npos) break;
    std::string key(text.substr(i, eq - i));
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '{') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '}') {
          if (i + 1 < text.size() && text[i + 1] == '}') {
            value.push_back('}');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value.push_back(text[i++]);
      }
      while (i < text.size() && text[i] != ';') ++i;
    } else {
      const std::size_t semi = text.find(';', i);
      const std::size_t end = semi == std::string_view::npos ? text.size() : semi;
      value = std::string(text.substr(i, end - i));
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

[[noreturn]] void bad_param(const ConnectionConfig& config, const std::string& key,
                            const std::string& problem) {
  throw ConfigError(config.location, "extra_params." + key,
                    fmt::format("{}: {}", to_string(config.type), problem));
}

std::map<std::string, std::string>::const_iterator find_param(
    const ConnectionConfig& config, std::initializer_list<std::string_view> names) {
  for (auto it = config.extra_params.begin(); it != config.extra_params.end(); ++it) {
    if (is_one_of(it->first, names)) return it;
  }
  return config.extra_params.end();
}

class StringBuilder {
 public:
  explicit StringBuilder(const ConnectionConfig& config) : config_(config) {}
  void add(std::string_view key, std::string_view value) {
    if (!text_.empty() && text_.back() != ';') text_.push_back(';');
    text_ += key;
    text_.push_back('=');
    text_ += odbc_attribute_value(value);
  }
  void add_if(std::string_view key, const std::string& value) {
    if (!value.empty()) add(key, value);
  }
  void add_braced(std::string_view key, std::string_view value) {
    // DRIVER={name} is the conventional spelling, spaces or not.
    if (!text_.empty() && text_.back() != ';') text_.push_back(';');
    std::string braced = odbc_attribute_value(value);
    if (braced.empty() || braced.front() != '{') braced = "{" + braced + "}";
    text_ += std::string(key) + "=" + braced;
  }
  void append_raw(std::string_view text) { text_ += text; }
  // Every extra_params entry except the ones baselinr interprets itself.
  void add_extra(std::initializer_list<std::string_view> reserved) {
    static constexpr std::string_view kInvalid = "[]{}(),;?*=!@";
    for (const auto& [key, value] : config_.extra_params) {
      if (is_one_of(key, reserved)) continue;
      if (key.empty() || key.find_first_of(kInvalid) != std::string::npos ||
          std::isspace(static_cast<unsigned char>(key.front())) ||
          std::isspace(static_cast<unsigned char>(key.back()))) {
        bad_param(config_, key,
                  "not a valid ODBC attribute name (it may not contain []{}(),;?*=!@ or "
                  "surrounding blanks)");
      }
      add(key, value);
    }
  }
  std::string str() const { return text_; }

 private:
  const ConnectionConfig& config_;
  std::string text_;
};

const std::initializer_list<std::string_view> kUserKeys = {"uid", "user", "username"};
const std::initializer_list<std::string_view> kPasswordKeys = {"pwd", "password"};

std::string user_connection_string(const ConnectionConfig& config, const std::string& given) {
  StringBuilder b(config);
  b.append_raw(given);
  bool has_user = false, has_password = false;
  for (const auto& [key, value] : parse_connection_string(given)) {
    has_user = has_user || is_one_of(key, kUserKeys);
    has_password = has_password || is_one_of(key, kPasswordKeys);
  }
  if (!has_user) b.add_if("UID", config.username);
  if (!has_password) b.add_if("PWD", config.password);
  return b.str();
}

std::string snowflake_host(const ConnectionConfig& config) {
  if (!config.host.empty()) return config.host;
  std::string account = config.account;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (account.starts_with(scheme)) account.erase(0, scheme.size());
  }
  while (!account.empty() && account.back() == '/') account.pop_back();
  if (icontains(account, ".snowflakecomputing.")) return account;
  return account + ".snowflakecomputing.com";
}

// Extra params the connector interprets itself, never passed to the driver.
const std::initializer_list<std::string_view> kReserved = {"dsn", "driver", "connection_string",
                                                           "login_timeout", "query_timeout"};

// A whole number of seconds from 0 (no limit) to 86400.
int seconds_param(const ConnectionConfig& config, std::string_view name, int fallback) {
  auto it = find_param(config, {name});
  if (it == config.extra_params.end()) return fallback;
  auto v = parse_int(it->second);
  if (!v || *v < 0 || *v > 86400) {
    bad_param(config, it->first,
              fmt::format("expected a whole number of seconds from 0 (no limit) to 86400, got '{}'",
                          it->second));
  }
  return static_cast<int>(*v);
}

int login_timeout(const ConnectionConfig& config) {
  return seconds_param(config, "login_timeout", 10);
}

// The driver a DSN names in odbc.ini (user or system), as written there: a name from
// odbcinst.ini or the library's path.
std::string dsn_driver(const std::string& dsn) {
  std::vector<char> buf(1024, '\0');
  const int n = SQLGetPrivateProfileString(dsn.c_str(), "Driver", "", buf.data(),
                                           static_cast<int>(buf.size()), "ODBC.INI");
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
}

// True when the connection goes through MariaDB's Connector/ODBC (or MySQL's), which ignores
// SQL_ATTR_LOGIN_TIMEOUT: its own CONN_TIMEOUT bounds the connect and the server's greeting.
bool mariadb_driver(const ConnectionConfig& config, const std::string& connection_string) {
  if (config.type == DatabaseType::kSnowflake) return false;
  std::string driver;
  for (const auto& [key, value] : parse_connection_string(connection_string)) {
    if (iequals(key, "driver")) driver = value;
    if (iequals(key, "dsn") && driver.empty()) driver = dsn_driver(value);
  }
  return icontains(driver, "maria") || icontains(driver, "mysql") || icontains(driver, "maodbc");
}

// Everything a message must never show: the password, and secret-looking extra_params values
// (tokens, key passphrases) and passwords inside a user's connection string.
std::vector<std::string> secrets_of(const ConnectionConfig& config) {
  std::vector<std::string> out;
  if (!config.password.empty()) out.push_back(config.password);
  for (const auto& [key, value] : config.extra_params) {
    const std::string k = to_lower(key);
    for (std::string_view word : {"pwd", "passw", "secret", "token", "passcode"}) {
      if (k.find(word) != std::string::npos && !value.empty()) {
        out.push_back(value);
        break;
      }
    }
    if (k == "connection_string") {
      for (const auto& [ckey, cvalue] : parse_connection_string(value)) {
        if (is_one_of(ckey, kPasswordKeys) && !cvalue.empty()) out.push_back(cvalue);
      }
    }
  }
  // Longest first, so a secret containing another is masked whole.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

// ---- handles --------------------------------------------------------------------------------

template <SQLSMALLINT kType>
class Handle {
 public:
  Handle() = default;
  ~Handle() { reset(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  SQLHANDLE get() const { return handle_; }
  SQLHANDLE* out() { return &handle_; }
  void reset() {
    if (handle_ != SQL_NULL_HANDLE) SQLFreeHandle(kType, handle_);
    handle_ = SQL_NULL_HANDLE;
  }

 private:
  SQLHANDLE handle_ = SQL_NULL_HANDLE;
};

SQLPOINTER int_attr(std::uintptr_t value) { return reinterpret_cast<SQLPOINTER>(value); }

struct Diagnostic {
  std::string sqlstate;
  SQLINTEGER native = 0;
  std::string message;
};

std::vector<Diagnostic> diagnostics(SQLSMALLINT type, SQLHANDLE handle) {
  std::vector<Diagnostic> out;
  if (handle == SQL_NULL_HANDLE) return out;
  for (SQLSMALLINT rec = 1; rec <= 20; ++rec) {
    SQLCHAR state[6] = {};
    SQLINTEGER native = 0;
    std::vector<SQLCHAR> text(1024);
    SQLSMALLINT length = 0;
    SQLRETURN rc = SQLGetDiagRec(type, handle, rec, state, &native, text.data(),
                                 static_cast<SQLSMALLINT>(text.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && length >= static_cast<SQLSMALLINT>(text.size())) {
      text.resize(static_cast<std::size_t>(length) + 1);
      rc = SQLGetDiagRec(type, handle, rec, state, &native, text.data(),
                         static_cast<SQLSMALLINT>(text.size()), &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;
    const std::size_t n =
        std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), text.size() - 1);
    out.push_back({std::string(reinterpret_cast<const char*>(state)), native,
                   std::string(reinterpret_cast<const char*>(text.data()), n)});
  }
  return out;
}

}  // namespace

// ---- session ----------------------------------------------------------------------------------

class OdbcSession {
 public:
  explicit OdbcSession(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}
  ~OdbcSession() {
    if (!connected_) return;
    // A transaction left open (autocommit off) would make SQLDisconnect fail.
    if (!autocommit_) SQLEndTran(SQL_HANDLE_DBC, dbc_.get(), SQL_ROLLBACK);
    SQLDisconnect(dbc_.get());  // also frees the statements still allocated on it
  }
  OdbcSession(const OdbcSession&) = delete;
  OdbcSession& operator=(const OdbcSession&) = delete;

  SQLHDBC dbc() const { return dbc_.get(); }
  // extra_params.query_timeout: seconds a statement may run (0: no limit).
  int query_timeout() const { return query_timeout_; }
  void set_query_timeout(int seconds) { query_timeout_ = seconds; }

  // Throws the exception for a failed call on `handle`: QueryError, or ConnectionError when the
  // driver reports SQLSTATE class 08 / 28 or a dead connection.
  [[noreturn]] void fail(SQLSMALLINT type, SQLHANDLE handle, SQLRETURN rc,
                         std::string_view what) const {
    const Failure f = describe(type, handle, rc);
    // Drivers report a lost session with their own SQLSTATE (psqlODBC: the server's 57P01).
    SQLUINTEGER dead = SQL_CD_FALSE;
    const bool lost =
        connected_ &&
        SQL_SUCCEEDED(SQLGetConnectAttr(dbc_.get(), SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr)) &&
        dead == SQL_CD_TRUE;
    std::string text = fmt::format("odbc: {} failed: {}", what, f.message);
    if (lost) text += "; the connection to the server was lost";
    text = redact(std::move(text), secrets_);
    if (lost || f.state.starts_with("08") || f.state.starts_with("28")) {
      throw ConnectionError(text, f.state, f.native);
    }
    throw QueryError(text, f.state, f.native);
  }

  // Throws ConnectionError for a failure while connecting to `target` (ConnectionConfig's
  // describe()), with a hint for the usual setup mistakes.
  [[noreturn]] void fail_connect(SQLSMALLINT type, SQLHANDLE handle, SQLRETURN rc,
                                 const std::string& target) const {
    const Failure f = describe(type, handle, rc);
    std::string hint;
    if (f.state == "IM002") {
      hint =
          "; check extra_params.dsn and odbc.ini, or name a driver (`odbcinst -q -d` lists them)";
    } else if (f.state == "01000" || f.state == "IM003" || icontains(f.message, "can't open lib")) {
      hint = "; is the ODBC driver installed and registered in odbcinst.ini (`odbcinst -j`)?";
    }
    throw ConnectionError(
        redact(fmt::format("odbc: cannot connect to {}: {}{}", target, f.message, hint), secrets_),
        f.state.empty() ? "08001" : f.state, f.native);
  }

  void check(SQLRETURN rc, SQLSMALLINT type, SQLHANDLE handle, std::string_view what) const {
    if (!SQL_SUCCEEDED(rc)) fail(type, handle, rc, what);
  }

  void connect(const std::string& connection_string, int timeout, const std::string& target) {
    SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, env_.out());
    if (!SQL_SUCCEEDED(rc)) {
      throw ConnectionError("odbc: cannot allocate an ODBC environment (is unixODBC installed?)",
                            "HY001");
    }
    rc = SQLSetEnvAttr(env_.get(), SQL_ATTR_ODBC_VERSION, int_attr(SQL_OV_ODBC3), 0);
    if (!SQL_SUCCEEDED(rc)) fail_connect(SQL_HANDLE_ENV, env_.get(), rc, target);
    rc = SQLAllocHandle(SQL_HANDLE_DBC, env_.get(), dbc_.out());
    if (!SQL_SUCCEEDED(rc)) fail_connect(SQL_HANDLE_ENV, env_.get(), rc, target);
    // Not every driver implements a login timeout; it is a request.
    SQLSetConnectAttr(dbc_.get(), SQL_ATTR_LOGIN_TIMEOUT,
                      int_attr(static_cast<std::uintptr_t>(timeout)), SQL_IS_UINTEGER);
    std::vector<SQLCHAR> in(connection_string.begin(), connection_string.end());
    in.push_back(0);
    SQLSMALLINT out_length = 0;
    rc = SQLDriverConnect(dbc_.get(), nullptr, in.data(), SQL_NTS, nullptr, 0, &out_length,
                          SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(rc)) fail_connect(SQL_HANDLE_DBC, dbc_.get(), rc, target);
    connected_ = true;
  }

  void set_autocommit(bool on) {
    const SQLRETURN rc =
        SQLSetConnectAttr(dbc_.get(), SQL_ATTR_AUTOCOMMIT,
                          int_attr(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF), SQL_IS_UINTEGER);
    check(rc, SQL_HANDLE_DBC, dbc_.get(), on ? "ending a transaction" : "starting a transaction");
    autocommit_ = on;
  }
  // Back to autocommit whatever happens: used on the error path.
  void restore_autocommit() noexcept {
    SQLSetConnectAttr(dbc_.get(), SQL_ATTR_AUTOCOMMIT, int_attr(SQL_AUTOCOMMIT_ON),
                      SQL_IS_UINTEGER);
    autocommit_ = true;
  }

  std::string info_text(SQLUSMALLINT type) const {
    std::vector<SQLCHAR> buf(512);
    SQLSMALLINT length = 0;
    SQLRETURN rc =
        SQLGetInfo(dbc_.get(), type, buf.data(), static_cast<SQLSMALLINT>(buf.size()), &length);
    if (!SQL_SUCCEEDED(rc)) return {};
    return std::string(
        reinterpret_cast<const char*>(buf.data()),
        std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), buf.size() - 1));
  }
  std::optional<SQLUINTEGER> info_uint(SQLUSMALLINT type) const {
    SQLUINTEGER value = 0;
    if (!SQL_SUCCEEDED(SQLGetInfo(dbc_.get(), type, &value, sizeof(value), nullptr))) {
      return std::nullopt;
    }
    return value;
  }
  std::string current_catalog() const {
    std::vector<SQLCHAR> buf(512);
    SQLINTEGER length = 0;
    if (!SQL_SUCCEEDED(SQLGetConnectAttr(dbc_.get(), SQL_ATTR_CURRENT_CATALOG, buf.data(),
                                         static_cast<SQLINTEGER>(buf.size()), &length))) {
      return {};
    }
    return std::string(
        reinterpret_cast<const char*>(buf.data()),
        std::min(static_cast<std::size_t>(std::max<SQLINTEGER>(length, 0)), buf.size() - 1));
  }

 private:
  struct Failure {
    std::string message;  // every diagnostic record, one line
    std::string state;    // the first record's SQLSTATE that is not a warning (01xxx)
    long native = 0;
  };

  static Failure describe(SQLSMALLINT type, SQLHANDLE handle, SQLRETURN rc) {
    Failure f;
    const Diagnostic* primary = nullptr;
    const std::vector<Diagnostic> diags = diagnostics(type, handle);
    for (const Diagnostic& d : diags) {
      if (!primary && !d.sqlstate.starts_with("01")) primary = &d;
      if (!f.message.empty()) f.message += "; ";
      f.message += fmt::format("{} (SQLSTATE {}, native error {})",
                               without_final_stop(one_line(d.message)), d.sqlstate, d.native);
    }
    if (!primary && !diags.empty()) primary = &diags.front();
    if (f.message.empty()) {
      f.message = rc == SQL_INVALID_HANDLE
                      ? "invalid handle (internal error)"
                      : fmt::format("the driver gave no diagnostics (return code {})", rc);
    }
    if (primary) {
      f.state = primary->sqlstate;
      f.native = primary->native;
    }
    return f;
  }

  std::vector<std::string> secrets_;
  Handle<SQL_HANDLE_ENV> env_;  // declared first: freed last
  Handle<SQL_HANDLE_DBC> dbc_;
  bool connected_ = false;
  bool autocommit_ = true;
  int query_timeout_ = 0;
};

namespace {

// ---- parameters -------------------------------------------------------------------------------

// Text longer than this is bound as SQL_LONGVARCHAR.
constexpr std::size_t kLongText = 8000;

// The bound buffers of one execution: the values are copied into `slots_` (strings are
// referenced in the caller's Values), which stays put until the statement has executed.
class BoundParams {
 public:
  BoundParams(const OdbcSession& session, SQLHSTMT stmt, std::span<const Value> params)
      : slots_(params.size()) {
    if (params.size() > static_cast<std::size_t>(std::numeric_limits<SQLUSMALLINT>::max())) {
      throw QueryError(fmt::format("odbc: a statement takes at most {} parameters; {} given",
                                   std::numeric_limits<SQLUSMALLINT>::max(), params.size()),
                       "07001");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      Slot& s = slots_[i];
      const auto number = static_cast<SQLUSMALLINT>(i + 1);
      SQLSMALLINT c_type = SQL_C_CHAR, sql_type = SQL_VARCHAR;
      SQLULEN size = 1;
      SQLPOINTER data = &s.empty;
      SQLLEN buffer_length = 0;
      const Value& v = params[i];
      if (std::holds_alternative<std::monostate>(v)) {
        s.indicator = SQL_NULL_DATA;
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        s.integer = *n;
        c_type = SQL_C_SBIGINT;
        sql_type = SQL_BIGINT;
        size = 19;
        data = &s.integer;
      } else if (const auto* d = std::get_if<double>(&v)) {
        s.real = *d;
        c_type = SQL_C_DOUBLE;
        sql_type = SQL_DOUBLE;
        size = 15;
        data = &s.real;
      } else if (const auto* b = std::get_if<bool>(&v)) {
        s.bit = *b ? 1 : 0;
        c_type = SQL_C_BIT;
        sql_type = SQL_BIT;
        data = &s.bit;
      } else {
        const std::string& text = std::get<std::string>(v);
        sql_type = text.size() > kLongText ? SQL_LONGVARCHAR : SQL_VARCHAR;
        size = std::max<SQLULEN>(text.size(), 1);
        // Input buffers are only read; ODBC's signature is not const-correct.
        if (!text.empty()) data = const_cast<char*>(text.data());
        buffer_length = static_cast<SQLLEN>(text.size());
        s.indicator = static_cast<SQLLEN>(text.size());
      }
      const SQLRETURN rc = SQLBindParameter(stmt, number, SQL_PARAM_INPUT, c_type, sql_type, size,
                                            0, data, buffer_length, &s.indicator);
      session.check(rc, SQL_HANDLE_STMT, stmt, fmt::format("binding parameter {}", number));
    }
  }

 private:
  struct Slot {
    SQLLEN indicator = 0;
    std::int64_t integer = 0;
    double real = 0;
    unsigned char bit = 0;
    char empty = 0;
  };
  std::vector<Slot> slots_;  // sized once: the driver keeps pointers into it
};

// ---- results ----------------------------------------------------------------------------------

enum class Kind { kInt, kUnsignedBig, kFloat, kDouble, kNumeric, kBool, kBytes, kText };

Kind kind_of(SQLSMALLINT type, bool is_unsigned) {
  switch (type) {
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
      return Kind::kInt;
    case SQL_BIGINT:
      return is_unsigned ? Kind::kUnsignedBig : Kind::kInt;
    case SQL_REAL:
      return Kind::kFloat;
    case SQL_FLOAT:
    case SQL_DOUBLE:
      return Kind::kDouble;
    case SQL_NUMERIC:
    case SQL_DECIMAL:
      return Kind::kNumeric;
    case SQL_BIT:
      return Kind::kBool;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
      return Kind::kBytes;
    default:
      return Kind::kText;
  }
}

// A decimal's text: a double within the double range (and NaN / Infinity spelled as such),
// else the exact text.
Value numeric_value(std::string text) {
  std::optional<double> d = parse_double(text);
  if (!d) return text;
  if (std::isinf(*d) && !icontains(text, "inf")) return text;
  return *d;
}

class Fetcher {
 public:
  Fetcher(const OdbcSession& session, SQLHSTMT stmt) : session_(session), stmt_(stmt) {}

  Result fetch(SQLSMALLINT ncols) {
    Result result;
    std::vector<Kind> kinds;
    for (SQLUSMALLINT c = 1; c <= static_cast<SQLUSMALLINT>(ncols); ++c) {
      std::vector<SQLCHAR> name(256);
      SQLSMALLINT name_length = 0, type = 0, digits = 0, nullable = 0;
      SQLULEN size = 0;
      SQLRETURN rc = SQLDescribeCol(stmt_, c, name.data(), static_cast<SQLSMALLINT>(name.size()),
                                    &name_length, &type, &size, &digits, &nullable);
      if (SQL_SUCCEEDED(rc) && name_length >= static_cast<SQLSMALLINT>(name.size())) {
        name.resize(static_cast<std::size_t>(name_length) + 1);
        rc = SQLDescribeCol(stmt_, c, name.data(), static_cast<SQLSMALLINT>(name.size()),
                            &name_length, &type, &size, &digits, &nullable);
      }
      session_.check(rc, SQL_HANDLE_STMT, stmt_, "describing a result column");
      SQLLEN is_unsigned = SQL_FALSE;
      if (type == SQL_BIGINT) {
        SQLColAttribute(stmt_, c, SQL_DESC_UNSIGNED, nullptr, 0, nullptr, &is_unsigned);
      }
      result.columns.emplace_back(
          reinterpret_cast<const char*>(name.data()),
          std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(name_length, 0)),
                   name.size() - 1));
      kinds.push_back(kind_of(type, is_unsigned == SQL_TRUE));
    }
    while (true) {
      const SQLRETURN rc = SQLFetch(stmt_);
      if (rc == SQL_NO_DATA) break;
      session_.check(rc, SQL_HANDLE_STMT, stmt_, "fetching a row");
      std::vector<Value> row;
      row.reserve(kinds.size());
      for (std::size_t c = 0; c < kinds.size(); ++c) {
        row.push_back(cell(static_cast<SQLUSMALLINT>(c + 1), kinds[c]));
      }
      result.rows.push_back(std::move(row));
    }
    return result;
  }

 private:
  template <typename T>
  std::optional<T> fixed(SQLUSMALLINT column, SQLSMALLINT c_type) {
    T value{};
    SQLLEN indicator = 0;
    const SQLRETURN rc = SQLGetData(stmt_, column, c_type, &value, sizeof(value), &indicator);
    session_.check(rc, SQL_HANDLE_STMT, stmt_, "reading a value");
    if (indicator == SQL_NULL_DATA) return std::nullopt;
    return value;
  }

  // Reads a character or binary value of any length, in pieces.
  std::optional<std::string> variable(SQLUSMALLINT column, SQLSMALLINT c_type) {
    const std::size_t capacity = c_type == SQL_C_CHAR ? buffer_.size() - 1 : buffer_.size();
    std::string out;
    while (true) {
      SQLLEN indicator = 0;
      const SQLRETURN rc = SQLGetData(stmt_, column, c_type, buffer_.data(),
                                      static_cast<SQLLEN>(buffer_.size()), &indicator);
      if (rc == SQL_NO_DATA) break;  // the previous piece was the last
      session_.check(rc, SQL_HANDLE_STMT, stmt_, "reading a value");
      if (indicator == SQL_NULL_DATA) return std::nullopt;
      const bool truncated =
          rc == SQL_SUCCESS_WITH_INFO &&
          (indicator == SQL_NO_TOTAL || static_cast<std::size_t>(indicator) > capacity);
      if (truncated) {
        out.append(buffer_.data(), capacity);
        continue;
      }
      out.append(buffer_.data(), static_cast<std::size_t>(std::max<SQLLEN>(indicator, 0)));
      break;
    }
    return out;
  }

  Value cell(SQLUSMALLINT column, Kind kind) {
    switch (kind) {
      case Kind::kInt:
        if (auto v = fixed<std::int64_t>(column, SQL_C_SBIGINT)) return *v;
        return std::monostate{};
      case Kind::kUnsignedBig: {
        auto v = fixed<std::uint64_t>(column, SQL_C_UBIGINT);
        if (!v) return std::monostate{};
        if (*v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return std::to_string(*v);
        }
        return static_cast<std::int64_t>(*v);
      }
      case Kind::kFloat:
        // As the native connectors read a REAL / FLOAT: 0.1f as 0.1, not 0.100000001490116.
        if (auto v = fixed<float>(column, SQL_C_FLOAT)) return widen_float(*v);
        return std::monostate{};
      case Kind::kDouble:
        if (auto v = fixed<double>(column, SQL_C_DOUBLE)) return *v;
        return std::monostate{};
      case Kind::kBool:
        if (auto v = fixed<unsigned char>(column, SQL_C_BIT)) return *v != 0;
        return std::monostate{};
      case Kind::kNumeric:
        if (auto v = variable(column, SQL_C_CHAR)) return numeric_value(std::move(*v));
        return std::monostate{};
      case Kind::kBytes:
        if (auto v = variable(column, SQL_C_BINARY)) return std::move(*v);
        return std::monostate{};
      case Kind::kText:
        if (auto v = variable(column, SQL_C_CHAR)) return std::move(*v);
        return std::monostate{};
    }
    return std::monostate{};
  }

  const OdbcSession& session_;
  SQLHSTMT stmt_;
  std::vector<char> buffer_ = std::vector<char>(32 * 1024);
};

// Runs `stmt` (prepared, or `sql` directly) and reads the first result set; later result sets
// (scripts) are drained so their errors surface.
Result run(const OdbcSession& session, SQLHSTMT stmt, std::span<const Value> params,
           const std::string* sql, std::string_view what, bool want_rows) {
  // The driver keeps pointers to the bound buffers until the bindings are reset: reset them on
  // every way out, so no later execution reads this one's (then freed) values.
  struct Reset {
    SQLHSTMT stmt;
    ~Reset() {
      SQLFreeStmt(stmt, SQL_CLOSE);
      SQLFreeStmt(stmt, SQL_RESET_PARAMS);
    }
  } reset{stmt};
  SQLFreeStmt(stmt, SQL_RESET_PARAMS);
  BoundParams bound(session, stmt, params);
  SQLRETURN rc;
  if (sql) {
    std::vector<SQLCHAR> text(sql->begin(), sql->end());
    text.push_back(0);
    rc = SQLExecDirect(stmt, text.data(), SQL_NTS);
  } else {
    rc = SQLExecute(stmt);
  }
  if (rc != SQL_NO_DATA) session.check(rc, SQL_HANDLE_STMT, stmt, what);
  Result result;
  bool first = true;
  while (true) {
    SQLSMALLINT ncols = 0;
    if (rc != SQL_NO_DATA) {
      session.check(SQLNumResultCols(stmt, &ncols), SQL_HANDLE_STMT, stmt, what);
    }
    if (ncols > 0) {
      if (first && want_rows) {
        result = Fetcher(session, stmt).fetch(ncols);
        first = false;
      } else {
        SQLCloseCursor(stmt);
      }
    }
    rc = SQLMoreResults(stmt);
    if (rc == SQL_NO_DATA) break;
    session.check(rc, SQL_HANDLE_STMT, stmt, what);
  }
  return result;
}

class OdbcStatement final : public Statement {
 public:
  OdbcStatement(std::weak_ptr<OdbcSession> session, SQLHSTMT stmt)
      : session_(std::move(session)), stmt_(stmt) {}
  ~OdbcStatement() override {
    // SQLDisconnect frees the statements of a closed connection; only a live one has ours.
    if (session_.lock()) SQLFreeHandle(SQL_HANDLE_STMT, stmt_);
  }
  void execute(std::span<const Value> params) override {
    auto session = session_.lock();
    if (!session) {
      throw ConnectionError("odbc: prepared statement used after its connection was closed",
                            "08003");
    }
    run(*session, stmt_, params, nullptr, "prepared statement", false);
  }

 private:
  std::weak_ptr<OdbcSession> session_;
  SQLHSTMT stmt_;
};

// A statement handle for one call.
class StatementHandle {
 public:
  explicit StatementHandle(const OdbcSession& session) {
    const SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, session.dbc(), handle_.out());
    session.check(rc, SQL_HANDLE_DBC, session.dbc(), "allocating a statement");
    if (session.query_timeout() > 0) {
      const SQLRETURN set =
          SQLSetStmtAttr(handle_.get(), SQL_ATTR_QUERY_TIMEOUT,
                         int_attr(static_cast<std::uintptr_t>(session.query_timeout())), 0);
      session.check(set, SQL_HANDLE_STMT, handle_.get(), "setting the query timeout");
    }
  }
  // True when the driver kept the query timeout it was given (MariaDB's Connector/ODBC accepts
  // it with "Option value changed to default (no timeout)" and ignores it).
  bool query_timeout_kept(SQLULEN seconds) {
    SQLSetStmtAttr(handle_.get(), SQL_ATTR_QUERY_TIMEOUT,
                   int_attr(static_cast<std::uintptr_t>(seconds)), 0);
    SQLULEN kept = 0;
    return SQL_SUCCEEDED(
               SQLGetStmtAttr(handle_.get(), SQL_ATTR_QUERY_TIMEOUT, &kept, 0, nullptr)) &&
           kept == seconds;
  }
  SQLHSTMT get() const { return handle_.get(); }
  // Hands the handle over (to a prepared statement).
  SQLHSTMT release() {
    SQLHSTMT h = handle_.get();
    *handle_.out() = SQL_NULL_HANDLE;
    return h;
  }

 private:
  Handle<SQL_HANDLE_STMT> handle_;
};

// ---- streaming (block cursors) ----------------------------------------------------------------

// One block's buffers stay within this many bytes: the row array size is lowered to fit.
constexpr std::size_t kBlockBytes = std::size_t{8} << 20;

// The rows of OdbcConnection::stream() (see the header).
class BlockCursor final : public OdbcRowCursor {
 public:
  BlockCursor(std::shared_ptr<OdbcSession> session, std::vector<OdbcFetch> fetch)
      : session_(std::move(session)), stmt_(*session_), cells_(fetch.size()) {
    for (OdbcFetch f : fetch) {
      Column c;
      c.fetch = f;
      columns_.push_back(std::move(c));
    }
  }
  ~BlockCursor() override {
    SQLFreeStmt(stmt_.get(), SQL_CLOSE);
    SQLFreeStmt(stmt_.get(), SQL_UNBIND);
    SQLFreeStmt(stmt_.get(), SQL_RESET_PARAMS);
  }

  void start(std::string_view sql, std::span<const Value> params, std::size_t block_rows) {
    SQLHSTMT h = stmt_.get();
    // Forward-only and read-only are the defaults; asked anyway, ignoring drivers that refuse.
    SQLSetStmtAttr(h, SQL_ATTR_CURSOR_TYPE, int_attr(SQL_CURSOR_FORWARD_ONLY), 0);
    SQLSetStmtAttr(h, SQL_ATTR_CONCURRENCY, int_attr(SQL_CONCUR_READ_ONLY), 0);
    params_.assign(params.begin(), params.end());
    bound_.emplace(*session_, h, params_);
    std::vector<SQLCHAR> text(sql.begin(), sql.end());
    text.push_back(0);
    session_->check(SQLExecDirect(h, text.data(), SQL_NTS), SQL_HANDLE_STMT, h,
                    "reading the table's rows");
    SQLSMALLINT ncols = 0;
    session_->check(SQLNumResultCols(h, &ncols), SQL_HANDLE_STMT, h, "reading the table's rows");
    if (static_cast<std::size_t>(ncols) != columns_.size()) {
      throw QueryError(fmt::format("odbc: the statement returned {} columns, {} expected", ncols,
                                   columns_.size()));
    }
    // Text columns: bound at their declared size (4 bytes a character: UTF-8), unless unbounded.
    std::size_t row_bytes = 0;
    std::string unbounded;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      Column& c = columns_[i];
      const auto number = static_cast<SQLUSMALLINT>(i + 1);
      switch (c.fetch) {
        case OdbcFetch::kInteger:
          c.c_type = SQL_C_SBIGINT;
          c.width = sizeof(std::int64_t);
          break;
        case OdbcFetch::kUnsigned:
          c.c_type = SQL_C_UBIGINT;
          c.width = sizeof(std::uint64_t);
          break;
        case OdbcFetch::kDouble:
          c.c_type = SQL_C_DOUBLE;
          c.width = sizeof(double);
          break;
        case OdbcFetch::kText: {
          c.c_type = SQL_C_CHAR;
          SQLSMALLINT type = 0, digits = 0, nullable = 0, name_length = 0;
          SQLULEN size = 0;
          SQLCHAR name[8];
          const SQLRETURN rc = SQLDescribeCol(h, number, name, sizeof(name), &name_length, &type,
                                              &size, &digits, &nullable);
          if (!SQL_SUCCEEDED(rc) || size == 0 || size > kBoundTextLimit) {
            if (unbounded.empty()) {
              unbounded =
                  SQL_SUCCEEDED(rc) && size > 0
                      ? fmt::format("column {} is declared {} characters long", number, size)
                      : fmt::format("column {} has no declared length", number);
            }
          } else {
            c.width = size * 4 + 1;
          }
          break;
        }
      }
      row_bytes += c.width + sizeof(SQLLEN);
    }
    std::size_t rows = std::max<std::size_t>(1, block_rows);
    if (!unbounded.empty()) {
      rows = 1;
      mode_ = "one row at a time (SQLGetData): " + unbounded;
    } else if (rows == 1) {
      mode_ = "one row at a time (SQLGetData): asked";
    } else {
      rows = std::max<std::size_t>(
          1, std::min(rows, kBlockBytes / std::max<std::size_t>(1, row_bytes)));
      const SQLRETURN rc = SQLSetStmtAttr(h, SQL_ATTR_ROW_ARRAY_SIZE,
                                          int_attr(static_cast<std::uintptr_t>(rows)), 0);
      SQLULEN kept = 0;
      if (!SQL_SUCCEEDED(rc) ||
          !SQL_SUCCEEDED(SQLGetStmtAttr(h, SQL_ATTR_ROW_ARRAY_SIZE, &kept, 0, nullptr)) ||
          kept < 1) {
        rows = 1;
        mode_ = "one row at a time (SQLGetData): the driver refused SQL_ATTR_ROW_ARRAY_SIZE";
      } else if (kept == 1) {
        rows = 1;
        mode_ = fmt::format(
            "one row at a time (SQLGetData): the driver changed SQL_ATTR_ROW_ARRAY_SIZE {} to 1",
            rows);
      } else {
        rows = kept;
        mode_ = fmt::format("block cursor, {} rows per fetch", rows);
      }
    }
    block_ = rows;
    if (block_ > 1) {
      status_.resize(block_);
      session_->check(SQLSetStmtAttr(h, SQL_ATTR_ROW_BIND_TYPE, int_attr(SQL_BIND_BY_COLUMN), 0),
                      SQL_HANDLE_STMT, h, "binding the columns");
      session_->check(SQLSetStmtAttr(h, SQL_ATTR_ROWS_FETCHED_PTR, &fetched_, 0), SQL_HANDLE_STMT,
                      h, "binding the columns");
      session_->check(SQLSetStmtAttr(h, SQL_ATTR_ROW_STATUS_PTR, status_.data(), 0),
                      SQL_HANDLE_STMT, h, "binding the columns");
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        Column& c = columns_[i];
        c.data.resize(c.width * block_);
        c.indicator.resize(block_);
        session_->check(SQLBindCol(h, static_cast<SQLUSMALLINT>(i + 1), c.c_type, c.data.data(),
                                   static_cast<SQLLEN>(c.width), c.indicator.data()),
                        SQL_HANDLE_STMT, h, "binding the columns");
      }
    }
  }

  bool next() override {
    if (done_) return false;
    if (block_ > 1) {
      if (++row_ < fetched_) return decode_block_row();
      const SQLRETURN rc = SQLFetch(stmt_.get());
      if (rc == SQL_NO_DATA) return finish();
      session_->check(rc, SQL_HANDLE_STMT, stmt_.get(), "fetching the table's rows");
      row_ = 0;
      if (fetched_ == 0) return finish();
      return decode_block_row();
    }
    const SQLRETURN rc = SQLFetch(stmt_.get());
    if (rc == SQL_NO_DATA) return finish();
    session_->check(rc, SQL_HANDLE_STMT, stmt_.get(), "fetching the table's rows");
    for (std::size_t i = 0; i < columns_.size(); ++i) read_value(i);
    return true;
  }
  int column_count() const override { return static_cast<int>(cells_.size()); }
  CellView cell(int column) const override { return cells_[static_cast<std::size_t>(column)]; }
  const std::string& mode() const override { return mode_; }
  std::size_t block_rows() const override { return block_; }

 private:
  struct Column {
    OdbcFetch fetch = OdbcFetch::kText;
    SQLSMALLINT c_type = SQL_C_CHAR;
    std::size_t width = 0;   // bytes per bound element
    std::vector<char> data;  // block_ elements of `width` bytes
    std::vector<SQLLEN> indicator;
    std::string text;  // row mode: the value; both modes: an unsigned above INT64_MAX
  };

  bool finish() {
    done_ = true;
    SQLFreeStmt(stmt_.get(), SQL_CLOSE);
    return false;
  }

  [[noreturn]] void truncated(std::size_t column, SQLLEN indicator) const {
    throw QueryError(
        indicator == SQL_NO_TOTAL
            ? fmt::format("odbc: a value of result column {} is longer than the {} bytes bound "
                          "for it (the driver declared the column shorter than its values)",
                          column + 1, columns_[column].width - 1)
            : fmt::format("odbc: a value of result column {} is {} bytes long, more than the {} "
                          "bytes bound for it (the driver declared the column shorter than its "
                          "values)",
                          column + 1, indicator, columns_[column].width - 1),
        "01004");
  }

  void set_unsigned(std::size_t i, std::uint64_t v) {
    CellView& cell = cells_[i];
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      cell.kind = CellView::Kind::kInt;
      cell.i = static_cast<std::int64_t>(v);
      return;
    }
    columns_[i].text = std::to_string(v);
    cell.kind = CellView::Kind::kText;
    cell.bytes = columns_[i].text;
  }

  bool decode_block_row() {
    const SQLUSMALLINT status = status_[row_];
    if (status == SQL_ROW_ERROR) {
      session_->fail(SQL_HANDLE_STMT, stmt_.get(), SQL_ERROR, "fetching the table's rows");
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      Column& c = columns_[i];
      CellView& cell = cells_[i];
      cell = CellView{};
      const SQLLEN ind = c.indicator[row_];
      if (ind == SQL_NULL_DATA) continue;
      const char* p = c.data.data() + row_ * c.width;
      switch (c.fetch) {
        case OdbcFetch::kInteger:
          cell.kind = CellView::Kind::kInt;
          std::memcpy(&cell.i, p, sizeof(cell.i));
          break;
        case OdbcFetch::kUnsigned: {
          std::uint64_t v = 0;
          std::memcpy(&v, p, sizeof(v));
          set_unsigned(i, v);
          break;
        }
        case OdbcFetch::kDouble:
          cell.kind = CellView::Kind::kReal;
          std::memcpy(&cell.d, p, sizeof(cell.d));
          break;
        case OdbcFetch::kText:
          if (ind == SQL_NO_TOTAL || ind < 0 || static_cast<std::size_t>(ind) >= c.width) {
            truncated(i, ind);
          }
          cell.kind = CellView::Kind::kText;
          cell.bytes = std::string_view(p, static_cast<std::size_t>(ind));
          break;
      }
    }
    return true;
  }

  template <typename T>
  bool fixed(std::size_t i, SQLSMALLINT c_type, T& value) {
    SQLLEN indicator = 0;
    const SQLRETURN rc = SQLGetData(stmt_.get(), static_cast<SQLUSMALLINT>(i + 1), c_type, &value,
                                    sizeof(value), &indicator);
    session_->check(rc, SQL_HANDLE_STMT, stmt_.get(), "reading a value");
    return indicator != SQL_NULL_DATA;
  }

  void read_value(std::size_t i) {
    Column& c = columns_[i];
    CellView& cell = cells_[i];
    cell = CellView{};
    switch (c.fetch) {
      case OdbcFetch::kInteger:
        if (fixed(i, SQL_C_SBIGINT, cell.i)) cell.kind = CellView::Kind::kInt;
        return;
      case OdbcFetch::kUnsigned: {
        std::uint64_t v = 0;
        if (fixed(i, SQL_C_UBIGINT, v)) set_unsigned(i, v);
        return;
      }
      case OdbcFetch::kDouble:
        if (fixed(i, SQL_C_DOUBLE, cell.d)) cell.kind = CellView::Kind::kReal;
        return;
      case OdbcFetch::kText:
        break;
    }
    // Text of any length, in pieces (as Fetcher reads it).
    c.text.clear();
    const std::size_t capacity = piece_.size() - 1;
    while (true) {
      SQLLEN indicator = 0;
      const SQLRETURN rc =
          SQLGetData(stmt_.get(), static_cast<SQLUSMALLINT>(i + 1), SQL_C_CHAR, piece_.data(),
                     static_cast<SQLLEN>(piece_.size()), &indicator);
      if (rc == SQL_NO_DATA) break;
      session_->check(rc, SQL_HANDLE_STMT, stmt_.get(), "reading a value");
      if (indicator == SQL_NULL_DATA) return;
      if (rc == SQL_SUCCESS_WITH_INFO &&
          (indicator == SQL_NO_TOTAL || static_cast<std::size_t>(indicator) > capacity)) {
        c.text.append(piece_.data(), capacity);
        continue;
      }
      c.text.append(piece_.data(), static_cast<std::size_t>(std::max<SQLLEN>(indicator, 0)));
      break;
    }
    cell.kind = CellView::Kind::kText;
    cell.bytes = c.text;
  }

  std::shared_ptr<OdbcSession> session_;  // declared first: outlives the statement
  StatementHandle stmt_;
  std::vector<Value> params_;  // the bound values, owned while the statement runs
  std::optional<BoundParams> bound_;
  std::vector<Column> columns_;
  std::vector<CellView> cells_;
  std::vector<SQLUSMALLINT> status_;
  SQLULEN fetched_ = 0;
  SQLULEN row_ = 0;
  std::size_t block_ = 1;
  bool done_ = false;
  std::string mode_;
  std::vector<char> piece_ = std::vector<char>(32 * 1024);
};

// A catalog-function pattern that matches `name` (and possibly a few more names, which the
// caller filters out): '_' and '%' escaped, and the escape character itself replaced by the
// one-character wildcard, since drivers disagree on how an escaped escape reads (psqlODBC does not
// match "\\" to a backslash).
std::string escape_pattern(std::string_view name, const std::string& escape) {
  if (escape.empty()) return std::string(name);
  std::string out;
  for (char c : name) {
    if (escape.find(c) != std::string::npos) {
      out.push_back('_');
      continue;
    }
    if (c == '_' || c == '%') out += escape;
    out.push_back(c);
  }
  return out;
}

}  // namespace

// ---- connection strings (public) --------------------------------------------------------------

std::string odbc_attribute_value(std::string_view value) {
  const bool blank_edge =
      !value.empty() && (std::isspace(static_cast<unsigned char>(value.front())) ||
                         std::isspace(static_cast<unsigned char>(value.back())));
  if (value.find_first_of(";{}") == std::string_view::npos && !blank_edge) {
    return std::string(value);
  }
  std::string out = "{";
  for (char c : value) {
    if (c == '}') out.push_back('}');
    out.push_back(c);
  }
  out.push_back('}');
  return out;
}

std::string snowflake_connection_string(const ConnectionConfig& config) {
  StringBuilder b(config);
  if (auto dsn = find_param(config, {"dsn"}); dsn != config.extra_params.end()) {
    b.add("DSN", dsn->second);
  } else {
    auto driver = find_param(config, {"driver"});
    b.add_braced("DRIVER",
                 driver != config.extra_params.end() ? driver->second : "SnowflakeDSIIDriver");
  }
  if (!config.host.empty() || !config.account.empty()) b.add("SERVER", snowflake_host(config));
  if (config.port) b.add("PORT", std::to_string(*config.port));
  b.add_if("UID", config.username);
  b.add_if("PWD", config.password);
  b.add_if("DATABASE", config.database);
  b.add_if("SCHEMA", config.schema);
  b.add_if("WAREHOUSE", config.warehouse);
  b.add_if("ROLE", config.role);
  b.add_extra(kReserved);
  return b.str();
}

std::string odbc_connection_string(const ConnectionConfig& config) {
  if (config.type == DatabaseType::kSnowflake) return snowflake_connection_string(config);
  if (auto cs = find_param(config, {"connection_string"}); cs != config.extra_params.end()) {
    return user_connection_string(config, cs->second);
  }
  StringBuilder b(config);
  if (auto dsn = find_param(config, {"dsn"}); dsn != config.extra_params.end()) {
    b.add("DSN", dsn->second);
  } else if (auto driver = find_param(config, {"driver"}); driver != config.extra_params.end()) {
    b.add_braced("DRIVER", driver->second);
  }
  b.add_if("SERVER", config.host);
  if (config.port) b.add("PORT", std::to_string(*config.port));
  b.add_if("DATABASE", config.database);
  b.add_if("UID", config.username);
  b.add_if("PWD", config.password);
  b.add_extra(kReserved);
  return b.str();
}

// ---- connection -------------------------------------------------------------------------------

OdbcConnection::OdbcConnection(const ConnectionConfig& config, ConnectOptions options) {
  const int timeout = login_timeout(config);
  std::string connection_string = odbc_connection_string(config);
  if (timeout > 0 && mariadb_driver(config, connection_string)) {
    bool has_own = false;
    for (const auto& [key, value] : parse_connection_string(connection_string)) {
      has_own = has_own || iequals(key, "conn_timeout");
    }
    // Connector/ODBC ignores SQL_ATTR_LOGIN_TIMEOUT and would wait for a silent server forever.
    if (!has_own) connection_string += fmt::format(";CONN_TIMEOUT={}", timeout);
  }
  session_ = std::make_shared<OdbcSession>(secrets_of(config));
  session_->connect(connection_string, timeout, config.describe());
  dbms_name_ = session_->info_text(SQL_DBMS_NAME);
  dialect_ = config.type == DatabaseType::kSnowflake ? &snowflake_dialect()
                                                     : &dialect_for_dbms(dbms_name_);
  for (const std::string& sql : dialect_->session_setup()) {
    try {
      query(sql);
    } catch (const DatabaseError& e) {
      throw ConnectionError(
          fmt::format("odbc: setting up the session on {} failed: {}", config.describe(), e.what()),
          e.sqlstate(), e.code());
    }
  }
  if (const int seconds = seconds_param(config, "query_timeout", 0); seconds > 0) {
    bound_statements(config, seconds);
  }
  if (options.read_only) {
    // A request: drivers that do not implement it (most ignore it) leave the session writable.
    SQLSetConnectAttr(session_->dbc(), SQL_ATTR_ACCESS_MODE, int_attr(SQL_MODE_READ_ONLY),
                      SQL_IS_UINTEGER);
  }
}

void OdbcConnection::bound_statements(const ConnectionConfig& config, int seconds) {
  if (StatementHandle(*session_).query_timeout_kept(static_cast<SQLULEN>(seconds))) {
    session_->set_query_timeout(seconds);
    return;
  }
  // The server's own limit where the driver ignores the ODBC one.
  if (icontains(dbms_name_, "mariadb")) {
    execute(fmt::format("SET SESSION max_statement_time = {}", seconds));
  } else if (icontains(dbms_name_, "mysql")) {
    execute(fmt::format("SET SESSION max_execution_time = {}", seconds * 1000));
  } else {
    bad_param(config, "query_timeout",
              fmt::format("the {} ODBC driver does not honour a query timeout; remove the key or "
                          "bound statements on the server",
                          dbms_name_.empty() ? std::string("configured") : dbms_name_));
  }
}

OdbcConnection::~OdbcConnection() = default;

const Dialect& OdbcConnection::dialect() const { return *dialect_; }

Result OdbcConnection::query(std::string_view sql, std::span<const Value> params) {
  StatementHandle stmt(*session_);
  const std::string text(sql);
  return run(*session_, stmt.get(), params, &text, "query", true);
}

void OdbcConnection::execute(std::string_view sql, std::span<const Value> params) {
  StatementHandle stmt(*session_);
  const std::string text(sql);
  run(*session_, stmt.get(), params, &text, "statement", false);
}

std::unique_ptr<Statement> OdbcConnection::prepare(std::string_view sql) {
  StatementHandle stmt(*session_);
  std::vector<SQLCHAR> text(sql.begin(), sql.end());
  text.push_back(0);
  const SQLRETURN rc = SQLPrepare(stmt.get(), text.data(), SQL_NTS);
  session_->check(rc, SQL_HANDLE_STMT, stmt.get(), "preparing a statement");
  return std::make_unique<OdbcStatement>(session_, stmt.release());
}

std::string OdbcConnection::current_schema() {
  try {
    Result r = query("SELECT " + dialect_->current_schema_sql());
    if (!r.rows.empty() && !r.rows[0].empty()) return as_text(r.rows[0][0]).value_or("");
  } catch (const DatabaseError&) {
    // Unknown: the catalog function then searches every schema.
  }
  return {};
}

std::vector<ColumnInfo> OdbcConnection::columns(const TableRef& table) {
  // PostgreSQL and MySQL / MariaDB: the dialect's own catalog query, as the native connectors
  // run it, so the types are the same text (tinyint(1) stays a boolean, decimal(30,10) keeps its
  // scale) and PostgreSQL's domains, type equality and unique indexes are known.
  if (dialect_ != &generic_odbc_dialect() && dialect_ != &snowflake_dialect()) {
    return Connection::columns(table);
  }
  // Drivers without schemas (MariaDB's) expose databases as catalogs.
  const bool schemas = session_->info_uint(SQL_SCHEMA_USAGE).value_or(0) != 0;
  std::string schema = table.schema;
  std::string catalog;
  if (schemas) {
    if (schema.empty()) schema = current_schema();
    if (session_->info_text(SQL_CATALOG_NAME) == "Y") catalog = session_->current_catalog();
  } else {
    catalog = schema.empty() ? session_->current_catalog() : schema;
    schema.clear();
  }
  const std::string escape = session_->info_text(SQL_SEARCH_PATTERN_ESCAPE);
  std::string schema_pattern = escape_pattern(schema, escape);
  std::string table_pattern = escape_pattern(table.name, escape);
  std::string catalog_arg = schemas ? std::string() : catalog;
  auto arg = [](std::string& s, bool use) -> SQLCHAR* {
    return use ? reinterpret_cast<SQLCHAR*>(s.data()) : nullptr;
  };
  auto len = [](const std::string& s, bool use) -> SQLSMALLINT {
    return use ? static_cast<SQLSMALLINT>(s.size()) : 0;
  };
  const bool use_catalog = !catalog_arg.empty();
  const bool use_schema = !schema.empty();

  StatementHandle stmt(*session_);
  SQLRETURN rc =
      SQLColumns(stmt.get(), arg(catalog_arg, use_catalog), len(catalog_arg, use_catalog),
                 arg(schema_pattern, use_schema), len(schema_pattern, use_schema),
                 reinterpret_cast<SQLCHAR*>(table_pattern.data()),
                 static_cast<SQLSMALLINT>(table_pattern.size()), nullptr, 0);
  session_->check(rc, SQL_HANDLE_STMT, stmt.get(), "reading the columns of " + table.display());
  SQLSMALLINT ncols = 0;
  session_->check(SQLNumResultCols(stmt.get(), &ncols), SQL_HANDLE_STMT, stmt.get(),
                  "reading the columns of " + table.display());
  Result r = Fetcher(*session_, stmt.get()).fetch(ncols);

  // Result columns of SQLColumns: 1 TABLE_CAT, 2 TABLE_SCHEM, 3 TABLE_NAME, 4 COLUMN_NAME,
  // 6 TYPE_NAME, 17 ORDINAL_POSITION. Matching again exactly guards against drivers that
  // ignore the escape or compare case-insensitively.
  struct Found {
    std::int64_t position;
    ColumnInfo info;
  };
  std::vector<Found> found;
  std::optional<std::pair<std::string, std::string>> owner;  // (catalog, schema) of the table
  for (const auto& row : r.rows) {
    if (row.size() < 17) continue;
    const std::string cat = as_text(row[0]).value_or("");
    const std::string sch = as_text(row[1]).value_or("");
    if (as_text(row[2]).value_or("") != table.name) continue;
    if (!catalog.empty() && !cat.empty() && cat != catalog) continue;
    if (!schema.empty() && sch != schema) continue;
    // Without a known schema, the first schema holding the table wins.
    if (!owner) owner.emplace(cat, sch);
    if (*owner != std::make_pair(cat, sch)) continue;
    found.push_back({as_int(row[16]).value_or(static_cast<std::int64_t>(found.size()) + 1),
                     {as_text(row[3]).value_or(""), as_text(row[5]).value_or("")}});
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.position < b.position; });
  std::vector<ColumnInfo> out;
  out.reserve(found.size());
  for (auto& f : found) out.push_back(std::move(f.info));
  return out;
}

std::string OdbcConnection::driver() const {
  return session_->info_text(SQL_DRIVER_NAME) + " " + session_->info_text(SQL_DRIVER_VER);
}

std::unique_ptr<OdbcRowCursor> OdbcConnection::stream(std::string_view sql,
                                                      std::span<const Value> params,
                                                      std::vector<OdbcFetch> fetch,
                                                      std::size_t block_rows) {
  auto cursor = std::make_unique<BlockCursor>(session_, std::move(fetch));
  cursor->start(sql, params, block_rows);
  return cursor;
}

void OdbcConnection::begin() { session_->set_autocommit(false); }

void OdbcConnection::commit() {
  const SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, session_->dbc(), SQL_COMMIT);
  // On failure the transaction stays open: the caller rolls back (Transaction does).
  session_->check(rc, SQL_HANDLE_DBC, session_->dbc(), "COMMIT");
  session_->set_autocommit(true);
}

void OdbcConnection::rollback() {
  const SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, session_->dbc(), SQL_ROLLBACK);
  if (!SQL_SUCCEEDED(rc)) {
    // Keep the driver's reason, but never leave the connection in manual-commit mode.
    try {
      session_->check(rc, SQL_HANDLE_DBC, session_->dbc(), "ROLLBACK");
    } catch (...) {
      session_->restore_autocommit();
      throw;
    }
  }
  session_->set_autocommit(true);
}

}  // namespace baselinr::db
