#include "db/mysql/mysql_connection.hpp"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "baselinr/error.hpp"
#include "common/text.hpp"
#include "db/dialect/mysql_dialect.hpp"

namespace baselinr::db {
namespace {

struct StmtCloser {
  void operator()(MYSQL_STMT* stmt) const { mysql_stmt_close(stmt); }
};
using StmtPtr = std::unique_ptr<MYSQL_STMT, StmtCloser>;

struct ResultFreer {
  void operator()(MYSQL_RES* res) const { mysql_free_result(res); }
};
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultFreer>;

// Releases a statement's buffered result set, also when decoding a row throws.
class StoredResult {
 public:
  explicit StoredResult(MYSQL_STMT* stmt) : stmt_(stmt) {}
  ~StoredResult() { mysql_stmt_free_result(stmt_); }
  StoredResult(const StoredResult&) = delete;
  StoredResult& operator=(const StoredResult&) = delete;

 private:
  MYSQL_STMT* stmt_;
};

// mysql_init() initialises the library on first use, but not thread-safely; do it once here.
// mysql_library_end() is deliberately never called: a connection destroyed during static
// destruction would then use a finalised library, and the global state it would free stays
// reachable (no leak is reported).
void init_library() {
  static const bool ok = mysql_library_init(0, nullptr, nullptr) == 0;
  if (!ok) throw ConnectionError("mysql: cannot initialise the MariaDB client library");
}

bool connection_lost(unsigned int code) {
  return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONNECTION_ERROR ||
         code == CR_CONN_HOST_ERROR || code == CR_SERVER_LOST_EXTENDED ||
         code == ER_CONNECTION_KILLED;
}

[[noreturn]] void throw_error(unsigned int code, const char* sqlstate, const char* message,
                              std::string_view what) {
  std::string state = sqlstate ? sqlstate : "";
  std::string text = fmt::format("mysql: {}: {} (SQLSTATE {}, error {})", what,
                                 one_line(message ? message : "unknown error"), state, code);
  if (connection_lost(code)) {
    throw ConnectionError(text + "; the connection to the server was lost", state, code);
  }
  throw QueryError(text, state, code);
}

[[noreturn]] void throw_db_error(MYSQL* db, std::string_view what) {
  throw_error(mysql_errno(db), mysql_sqlstate(db), mysql_error(db), what);
}

[[noreturn]] void throw_stmt_error(MYSQL_STMT* stmt, std::string_view what) {
  throw_error(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), what);
}

// ---- connection settings ------------------------------------------------------------------

struct TlsFile {
  mysql_option option;
  std::string value;
};

struct Settings {
  unsigned int connect_timeout = 10;
  std::optional<unsigned int> read_timeout;
  std::optional<unsigned int> write_timeout;
  std::string unix_socket;
  std::string ssl_mode;  // empty: not configured
  std::vector<TlsFile> tls_files;
};

[[noreturn]] void bad_param(const ConnectionConfig& config, const std::string& key,
                            const std::string& problem) {
  throw ConfigError(config.location, "extra_params." + key, "mysql: " + problem);
}

unsigned int seconds_param(const ConnectionConfig& config, const std::string& key,
                           const std::string& value) {
  auto v = parse_int(value);
  if (!v || *v < 1 || *v > 86400) {
    bad_param(config, key,
              fmt::format("expected a whole number of seconds from 1 to 86400, got '{}'", value));
  }
  return static_cast<unsigned int>(*v);
}

Settings read_settings(const ConnectionConfig& config) {
  static const std::vector<std::pair<std::string, mysql_option>> kTlsFiles = {
      {"ssl_ca", MYSQL_OPT_SSL_CA},          {"ssl_capath", MYSQL_OPT_SSL_CAPATH},
      {"ssl_cert", MYSQL_OPT_SSL_CERT},      {"ssl_key", MYSQL_OPT_SSL_KEY},
      {"ssl_cipher", MYSQL_OPT_SSL_CIPHER},  {"ssl_crl", MYSQL_OPT_SSL_CRL},
      {"ssl_crlpath", MYSQL_OPT_SSL_CRLPATH}};
  static const std::vector<std::string> kModes = {"disabled", "required", "verify_ca",
                                                  "verify_identity"};
  std::vector<std::string> known = {"connect_timeout", "read_timeout", "write_timeout",
                                    "unix_socket", "ssl_mode"};
  for (const auto& [key, option] : kTlsFiles) known.push_back(key);

  Settings s;
  for (const auto& [key, value] : config.extra_params) {
    if (key == "connect_timeout") {
      s.connect_timeout = seconds_param(config, key, value);
    } else if (key == "read_timeout") {
      s.read_timeout = seconds_param(config, key, value);
    } else if (key == "write_timeout") {
      s.write_timeout = seconds_param(config, key, value);
    } else if (key == "unix_socket") {
      s.unix_socket = value;
    } else if (key == "ssl_mode") {
      s.ssl_mode = to_lower(value);
      if (std::find(kModes.begin(), kModes.end(), s.ssl_mode) == kModes.end()) {
        bad_param(config, key,
                  fmt::format("expected one of {}, got '{}'", join(kModes, ", "), value));
      }
    } else if (auto it = std::find_if(kTlsFiles.begin(), kTlsFiles.end(),
                                      [&key](const auto& f) { return f.first == key; });
               it != kTlsFiles.end()) {
      s.tls_files.push_back({it->second, value});
    } else {
      std::string hint;
      if (auto near = closest_match(key, known)) hint = fmt::format(" (did you mean '{}'?)", *near);
      bad_param(config, key,
                fmt::format("not supported by the mysql connector{}; supported: {}", hint,
                            join(known, ", ")));
    }
  }
  if (s.ssl_mode == "disabled" && !s.tls_files.empty()) {
    bad_param(config, "ssl_mode", "'disabled' contradicts the ssl_* files also configured");
  }
  return s;
}

std::string connect_hint(unsigned int code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
      return "; is the server running, and are host and port right?";
    case ER_ACCESS_DENIED_ERROR:
      return "; check username and password";
    case ER_BAD_DB_ERROR:
      return "; check the database name";
    case ER_DBACCESS_DENIED_ERROR:
      return "; this user may not use that database";
    case CR_SSL_CONNECTION_ERROR:
      return "; check the ssl_* extra_params";
    default:
      return "";
  }
}

// ---- parameters ---------------------------------------------------------------------------

// MYSQL_BIND structures for a statement's parameters, and the storage they point into.
class ParamBinding {
 public:
  explicit ParamBinding(std::span<const Value> params)
      : binds_(params.size()), slots_(params.size()) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      MYSQL_BIND& b = binds_[i];
      Slot& slot = slots_[i];
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              b.buffer_type = MYSQL_TYPE_NULL;
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              slot.integer = v;
              b.buffer_type = MYSQL_TYPE_LONGLONG;
              b.buffer = &slot.integer;
            } else if constexpr (std::is_same_v<T, double>) {
              slot.real = v;
              b.buffer_type = MYSQL_TYPE_DOUBLE;
              b.buffer = &slot.real;
            } else if constexpr (std::is_same_v<T, bool>) {
              slot.tiny = v ? 1 : 0;
              b.buffer_type = MYSQL_TYPE_TINY;
              b.buffer = &slot.tiny;
            } else {
              // The library only reads parameter buffers.
              slot.length = static_cast<unsigned long>(v.size());
              b.buffer_type = MYSQL_TYPE_STRING;
              b.buffer = const_cast<char*>(v.data());
              b.buffer_length = slot.length;
              b.length = &slot.length;
            }
          },
          params[i]);
    }
  }

  MYSQL_BIND* binds() { return binds_.data(); }

 private:
  struct Slot {
    long long integer = 0;
    double real = 0;
    signed char tiny = 0;
    unsigned long length = 0;
  };
  std::vector<MYSQL_BIND> binds_;
  std::vector<Slot> slots_;
};

// ---- results ------------------------------------------------------------------------------

enum class Kind { kInt, kDouble, kFloat, kDecimal, kDate, kDateTime, kTime, kBit, kBytes };

Kind kind_of(const MYSQL_FIELD& field) {
  switch (field.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return Kind::kInt;
    case MYSQL_TYPE_DOUBLE:
      return Kind::kDouble;
    case MYSQL_TYPE_FLOAT:
      return Kind::kFloat;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return Kind::kDecimal;
    case MYSQL_TYPE_DATE:
      return Kind::kDate;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
      return Kind::kDateTime;
    case MYSQL_TYPE_TIME:
      return Kind::kTime;
    case MYSQL_TYPE_BIT:
      return Kind::kBit;
    default:
      return Kind::kBytes;
  }
}

// One result column: its bind and the buffers the bind points into.
struct OutColumn {
  Kind kind = Kind::kBytes;
  bool is_unsigned = false;
  unsigned int decimals = 0;
  long long integer = 0;
  double real = 0;
  float single = 0;
  MYSQL_TIME time{};
  std::vector<char> bytes;
  unsigned long length = 0;
  my_bool null = 0;
  my_bool error = 0;
};

void bind_column(const MYSQL_FIELD& field, OutColumn& col, MYSQL_BIND& b) {
  col.kind = kind_of(field);
  col.is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
  col.decimals = field.decimals;
  b.length = &col.length;
  b.is_null = &col.null;
  b.error = &col.error;
  switch (col.kind) {
    case Kind::kInt:
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &col.integer;
      b.is_unsigned = col.is_unsigned ? 1 : 0;
      break;
    case Kind::kDouble:
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &col.real;
      break;
    case Kind::kFloat:
      b.buffer_type = MYSQL_TYPE_FLOAT;
      b.buffer = &col.single;
      break;
    case Kind::kDate:
    case Kind::kDateTime:
    case Kind::kTime:
      b.buffer_type = col.kind == Kind::kDate       ? MYSQL_TYPE_DATE
                      : col.kind == Kind::kDateTime ? MYSQL_TYPE_DATETIME
                                                    : MYSQL_TYPE_TIME;
      b.buffer = &col.time;
      b.buffer_length = sizeof(MYSQL_TIME);
      break;
    case Kind::kDecimal:
    case Kind::kBit:
    case Kind::kBytes:
      // max_length is the longest value of the stored result (STMT_ATTR_UPDATE_MAX_LENGTH);
      // longer values are still fetched whole, see read_bytes().
      col.bytes.resize(std::max<std::size_t>(field.max_length, 64));
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = col.bytes.data();
      b.buffer_length = static_cast<unsigned long>(col.bytes.size());
      break;
  }
}

std::string read_bytes(MYSQL_STMT* stmt, const OutColumn& col, unsigned int index) {
  if (col.length <= col.bytes.size()) return std::string(col.bytes.data(), col.length);
  std::string whole(col.length, '\0');
  unsigned long length = 0;
  my_bool null = 0;
  my_bool error = 0;
  MYSQL_BIND b{};
  b.buffer_type = MYSQL_TYPE_STRING;
  b.buffer = whole.data();
  b.buffer_length = col.length;
  b.length = &length;
  b.is_null = &null;
  b.error = &error;
  if (mysql_stmt_fetch_column(stmt, &b, index, 0) != 0) {
    throw_stmt_error(stmt, "fetching a long value");
  }
  whole.resize(std::min<std::size_t>(length, whole.size()));
  return whole;
}

// Appends `v` in decimal, zero-padded to `width` digits (fmt's {:0<width>}, without the cost of a
// format string per field: the native executor renders every temporal cell of a table).
void append_digits(std::string& out, unsigned long v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < width) buf[n++] = '0';
  while (n > 0) out.push_back(buf[--n]);
}

// Appends the fraction of a second: `decimals` digits of the microseconds (none for 0).
void append_fraction(std::string& out, unsigned long micros, unsigned int decimals) {
  if (decimals == 0) return;
  if (decimals > 6) {  // not a fixed precision (expressions): show microseconds when present
    if (micros == 0) return;
    decimals = 6;
  }
  std::string digits;
  append_digits(digits, micros, 6);
  out.push_back('.');
  out.append(digits, 0, decimals);
}

// Appends the text of a DATE, DATETIME/TIMESTAMP or TIME value to `out`.
void append_time_text(std::string& out, const OutColumn& col) {
  const MYSQL_TIME& t = col.time;
  if (col.kind != Kind::kTime) {
    append_digits(out, t.year, 4);
    out.push_back('-');
    append_digits(out, t.month, 2);
    out.push_back('-');
    append_digits(out, t.day, 2);
  }
  if (col.kind == Kind::kDate) return;
  if (col.kind == Kind::kDateTime) {
    out.push_back(' ');
  } else if (t.neg) {  // TIME: the library folds days into the hours
    out.push_back('-');
  }
  append_digits(out, t.hour, 2);
  out.push_back(':');
  append_digits(out, t.minute, 2);
  out.push_back(':');
  append_digits(out, t.second, 2);
  append_fraction(out, t.second_part, col.decimals);
}

std::string time_text(const OutColumn& col) {
  std::string out;
  append_time_text(out, col);
  return out;
}

Value column_value(MYSQL_STMT* stmt, const OutColumn& col, unsigned int index) {
  if (col.null) return std::monostate{};
  switch (col.kind) {
    case Kind::kInt: {
      if (!col.is_unsigned) return static_cast<std::int64_t>(col.integer);
      const auto u = static_cast<std::uint64_t>(col.integer);
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::to_string(u);
      }
      return static_cast<std::int64_t>(u);
    }
    case Kind::kDouble:
      return col.real;
    case Kind::kFloat:
      return widen_float(col.single);
    case Kind::kDecimal: {
      std::string text = read_bytes(stmt, col, index);
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(d)) return d;
      return text;
    }
    case Kind::kDate:
    case Kind::kDateTime:
    case Kind::kTime:
      return time_text(col);
    case Kind::kBit: {
      std::string raw = read_bytes(stmt, col, index);
      if (raw.size() > sizeof(std::uint64_t)) return raw;
      std::uint64_t bits = 0;
      for (char c : raw) bits = (bits << 8) | static_cast<unsigned char>(c);
      return std::to_string(bits);
    }
    case Kind::kBytes:
      return read_bytes(stmt, col, index);
  }
  return std::monostate{};
}

Result fetch_all(MYSQL_STMT* stmt, MYSQL_RES* meta) {
  Result result;
  const unsigned int ncols = mysql_num_fields(meta);
  const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  std::vector<OutColumn> cols(ncols);
  std::vector<MYSQL_BIND> binds(ncols);
  for (unsigned int i = 0; i < ncols; ++i) {
    result.columns.emplace_back(fields[i].name, fields[i].name_length);
    bind_column(fields[i], cols[i], binds[i]);
  }
  if (mysql_stmt_bind_result(stmt, binds.data()) != 0) {
    throw_stmt_error(stmt, "binding result columns");
  }
  while (true) {
    const int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA) break;
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) throw_stmt_error(stmt, "fetching rows");
    std::vector<Value> row;
    row.reserve(ncols);
    for (unsigned int i = 0; i < ncols; ++i) row.push_back(column_value(stmt, cols[i], i));
    result.rows.push_back(std::move(row));
  }
  return result;
}

StmtPtr prepare_stmt(MYSQL* db, std::string_view sql) {
  StmtPtr stmt(mysql_stmt_init(db));
  if (!stmt) throw_db_error(db, "preparing a statement");
  if (mysql_stmt_prepare(stmt.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    throw_stmt_error(stmt.get(), "preparing a statement");
  }
  my_bool update_max_length = 1;
  if (mysql_stmt_attr_set(stmt.get(), STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length) != 0) {
    throw_stmt_error(stmt.get(), "preparing a statement");
  }
  return stmt;
}

Result run(MYSQL_STMT* stmt, std::span<const Value> params, bool want_rows) {
  const unsigned long expected = mysql_stmt_param_count(stmt);
  if (expected != params.size()) {
    throw QueryError(
        fmt::format("mysql: statement expects {} parameters, {} given", expected, params.size()));
  }
  ParamBinding binding(params);
  if (!params.empty() && mysql_stmt_bind_param(stmt, binding.binds()) != 0) {
    throw_stmt_error(stmt, "binding parameters");
  }
  if (mysql_stmt_execute(stmt) != 0) throw_stmt_error(stmt, "running a statement");
  ResultPtr meta(mysql_stmt_result_metadata(stmt));
  if (!meta) {
    if (mysql_stmt_errno(stmt) != 0) throw_stmt_error(stmt, "reading result metadata");
    return {};
  }
  // Buffer the whole result: it computes each column's longest value, and the connection is
  // free again as soon as the rows are here.
  if (mysql_stmt_store_result(stmt) != 0) throw_stmt_error(stmt, "reading the result");
  StoredResult stored(stmt);
  if (!want_rows) return {};
  return fetch_all(stmt, meta.get());
}

// Streams the rows of an executed statement, one row from the network per next().
class StreamCursor final : public RowCursor {
 public:
  StreamCursor(StmtPtr stmt, ResultPtr meta) : stmt_(std::move(stmt)), meta_(std::move(meta)) {
    MYSQL_STMT* stmt_raw = stmt_.get();
    const unsigned int ncols = mysql_num_fields(meta_.get());
    const MYSQL_FIELD* fields = mysql_fetch_fields(meta_.get());
    cols_.resize(ncols);
    binds_.resize(ncols);
    scratch_.resize(ncols);
    cells_.resize(ncols);
    blob_.resize(ncols);
    for (unsigned int i = 0; i < ncols; ++i) {
      bind_column(fields[i], cols_[i], binds_[i]);
      blob_[i] = fields[i].charsetnr == 63;  // the binary character set
      if (binds_[i].buffer_type == MYSQL_TYPE_STRING) {
        // No stored result, so no max_length: the declared length, within bounds; longer values
        // are fetched whole in cell().
        cols_[i].bytes.resize(std::clamp<std::size_t>(fields[i].length, 64, 4096));
        binds_[i].buffer = cols_[i].bytes.data();
        binds_[i].buffer_length = static_cast<unsigned long>(cols_[i].bytes.size());
      }
    }
    if (mysql_stmt_bind_result(stmt_raw, binds_.data()) != 0) {
      throw_stmt_error(stmt_raw, "binding result columns");
    }
  }
  ~StreamCursor() override {
    // Reads and drops the rows not read yet, so the connection is usable again.
    mysql_stmt_free_result(stmt_.get());
  }

  bool next() override {
    if (done_) return false;
    MYSQL_STMT* stmt = stmt_.get();
    const int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA) {
      done_ = true;
      return false;
    }
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
      done_ = true;
      // An error the server sends in the middle of the rows is the connection's.
      if (mysql_stmt_errno(stmt) == 0) throw_db_error(stmt->mysql, "fetching rows");
      throw_stmt_error(stmt, "fetching rows");
    }
    for (unsigned int i = 0; i < cols_.size(); ++i) decode(i);
    return true;
  }

  int column_count() const override { return static_cast<int>(cols_.size()); }
  CellView cell(int column) const override { return cells_[static_cast<std::size_t>(column)]; }

 private:
  void decode(unsigned int i) {
    const OutColumn& col = cols_[i];
    CellView& cell = cells_[i];
    cell = CellView{};
    if (col.null) return;
    std::string& scratch = scratch_[i];
    switch (col.kind) {
      case Kind::kInt: {
        const auto u = static_cast<std::uint64_t>(col.integer);
        if (col.is_unsigned &&
            u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          scratch = std::to_string(u);
          cell.kind = CellView::Kind::kText;
          cell.bytes = scratch;
        } else {
          cell.kind = CellView::Kind::kInt;
          cell.i = static_cast<std::int64_t>(col.integer);
        }
        return;
      }
      case Kind::kDouble:
        cell.kind = CellView::Kind::kReal;
        cell.d = col.real;
        return;
      case Kind::kFloat:
        cell.kind = CellView::Kind::kReal;
        cell.d = widen_float(col.single);
        return;
      case Kind::kDate:
      case Kind::kDateTime:
      case Kind::kTime:
        scratch.clear();
        append_time_text(scratch, col);
        cell.kind = CellView::Kind::kText;
        cell.bytes = scratch;
        return;
      case Kind::kBit: {
        scratch = read_bytes(stmt_.get(), col, i);
        if (scratch.size() <= sizeof(std::uint64_t)) {
          std::uint64_t bits = 0;
          for (char c : scratch) bits = (bits << 8) | static_cast<unsigned char>(c);
          scratch = std::to_string(bits);
        }
        cell.kind = CellView::Kind::kText;
        cell.bytes = scratch;
        return;
      }
      case Kind::kDecimal:
      case Kind::kBytes:
        cell.kind =
            blob_[i] && col.kind == Kind::kBytes ? CellView::Kind::kBlob : CellView::Kind::kText;
        if (col.length <= col.bytes.size()) {
          cell.bytes = std::string_view(col.bytes.data(), col.length);
        } else {
          scratch = read_bytes(stmt_.get(), col, i);
          cell.bytes = scratch;
        }
        return;
    }
  }

  StmtPtr stmt_;
  ResultPtr meta_;
  std::vector<OutColumn> cols_;
  std::vector<MYSQL_BIND> binds_;
  std::vector<std::string> scratch_;
  std::vector<CellView> cells_;
  std::vector<bool> blob_;
  bool done_ = false;
};

class MysqlStatement final : public Statement {
 public:
  explicit MysqlStatement(StmtPtr stmt) : stmt_(std::move(stmt)) {}
  void execute(std::span<const Value> params) override { run(stmt_.get(), params, false); }

 private:
  StmtPtr stmt_;
};

}  // namespace

void MysqlConnection::Closer::operator()(st_mysql* db) const { mysql_close(db); }

MysqlConnection::MysqlConnection(const ConnectionConfig& config, ConnectOptions options) {
  const Settings settings = read_settings(config);
  init_library();
  db_.reset(mysql_init(nullptr));
  if (!db_) throw ConnectionError("mysql: out of memory creating a connection handle");
  MYSQL* db = db_.get();

  auto set = [&](mysql_option option, const void* value) {
    if (mysql_options(db, option, value) != 0) {
      throw ConnectionError(fmt::format("mysql: cannot set a connection option of {}: {}",
                                        config.describe(), one_line(mysql_error(db))));
    }
  };
  set(MYSQL_SET_CHARSET_NAME, "utf8mb4");
  set(MYSQL_OPT_CONNECT_TIMEOUT, &settings.connect_timeout);
  if (settings.read_timeout) set(MYSQL_OPT_READ_TIMEOUT, &*settings.read_timeout);
  if (settings.write_timeout) set(MYSQL_OPT_WRITE_TIMEOUT, &*settings.write_timeout);

  const std::string host = config.host.empty() ? "localhost" : config.host;
  unsigned int protocol = MYSQL_PROTOCOL_DEFAULT;
  if (!settings.unix_socket.empty()) {
    protocol = MYSQL_PROTOCOL_SOCKET;
  } else if (host == "localhost" && config.port) {
    protocol = MYSQL_PROTOCOL_TCP;  // "localhost" would otherwise mean the socket
  }
  if (protocol != MYSQL_PROTOCOL_DEFAULT) set(MYSQL_OPT_PROTOCOL, &protocol);

  for (const TlsFile& f : settings.tls_files) set(f.option, f.value.c_str());
  const my_bool on = 1;
  if (settings.ssl_mode == "required" || settings.ssl_mode == "verify_ca" ||
      settings.ssl_mode == "verify_identity") {
    set(MYSQL_OPT_SSL_ENFORCE, &on);
  }
  if (settings.ssl_mode == "verify_ca" || settings.ssl_mode == "verify_identity") {
    set(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }

  const unsigned int port = config.port ? static_cast<unsigned int>(*config.port) : 3306;
  if (!mysql_real_connect(
          db, host.c_str(), config.username.empty() ? nullptr : config.username.c_str(),
          config.password.c_str(), config.database.empty() ? nullptr : config.database.c_str(),
          port, settings.unix_socket.empty() ? nullptr : settings.unix_socket.c_str(), 0)) {
    const unsigned int code = mysql_errno(db);
    const std::string state = mysql_sqlstate(db);
    std::string text =
        fmt::format("cannot connect to {}: {} (SQLSTATE {}, error {}){}", config.describe(),
                    one_line(mysql_error(db)), state, code, connect_hint(code));
    throw ConnectionError("mysql: " + redact(std::move(text), {config.password}), state, code);
  }
  // libmariadb only refuses a server without TLS when it also verifies the certificate; with
  // plain "required" it would quietly continue unencrypted.
  if (!settings.ssl_mode.empty() && settings.ssl_mode != "disabled" && !mysql_get_ssl_cipher(db)) {
    throw ConnectionError(
        fmt::format("mysql: cannot connect to {}: extra_params.ssl_mode is {} but the server "
                    "does not offer TLS",
                    config.describe(), settings.ssl_mode),
        "08001", CR_SSL_CONNECTION_ERROR);
  }
  // Storage times are UTC: TIMESTAMP conversion and CURRENT_TIMESTAMP agree (the dialect's
  // session setup, shared with MariaDB through ODBC).
  for (const std::string& sql : mysql_dialect().session_setup()) execute(sql);
  if (options.read_only) execute("SET SESSION TRANSACTION READ ONLY");
}

MysqlConnection::~MysqlConnection() = default;

const Dialect& MysqlConnection::dialect() const { return mysql_dialect(); }

Result MysqlConnection::query(std::string_view sql, std::span<const Value> params) {
  StmtPtr stmt = prepare_stmt(db_.get(), sql);
  return run(stmt.get(), params, true);
}

void MysqlConnection::execute(std::string_view sql, std::span<const Value> params) {
  if (!params.empty()) {
    StmtPtr stmt = prepare_stmt(db_.get(), sql);
    run(stmt.get(), params, false);
    return;
  }
  MYSQL* db = db_.get();
  if (mysql_real_query(db, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    throw_db_error(db, "running a statement");
  }
  if (mysql_field_count(db) > 0) {  // a statement that returned rows: discard them
    ResultPtr rows(mysql_store_result(db));
    if (!rows) throw_db_error(db, "reading the result");
  }
}

std::unique_ptr<Statement> MysqlConnection::prepare(std::string_view sql) {
  return std::make_unique<MysqlStatement>(prepare_stmt(db_.get(), sql));
}

std::unique_ptr<RowCursor> MysqlConnection::stream(std::string_view sql,
                                                   std::span<const Value> params) {
  StmtPtr stmt = prepare_stmt(db_.get(), sql);
  MYSQL_STMT* raw = stmt.get();
  const unsigned long expected = mysql_stmt_param_count(raw);
  if (expected != params.size()) {
    throw QueryError(
        fmt::format("mysql: statement expects {} parameters, {} given", expected, params.size()));
  }
  ParamBinding binding(params);
  if (!params.empty() && mysql_stmt_bind_param(raw, binding.binds()) != 0) {
    throw_stmt_error(raw, "binding parameters");
  }
  if (mysql_stmt_execute(raw) != 0) throw_stmt_error(raw, "running a statement");
  ResultPtr meta(mysql_stmt_result_metadata(raw));
  if (!meta) {
    if (mysql_stmt_errno(raw) != 0) throw_stmt_error(raw, "reading result metadata");
    throw QueryError("mysql: the statement to stream returned no rows");
  }
  return std::make_unique<StreamCursor>(std::move(stmt), std::move(meta));
}

std::uint64_t MysqlConnection::server_thread_id() const { return mysql_thread_id(db_.get()); }

void MysqlConnection::begin() { execute("START TRANSACTION"); }
void MysqlConnection::commit() { execute("COMMIT"); }
void MysqlConnection::rollback() { execute("ROLLBACK"); }

}  // namespace baselinr::db
