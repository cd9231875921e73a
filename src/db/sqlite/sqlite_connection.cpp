#include "db/sqlite/sqlite_connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>
#include <vector>

#include "baselinr/error.hpp"
#include "common/distinct.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/dialect/sqlite_dialect.hpp"

namespace baselinr::db {
namespace {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view what) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = ext & 0xff;
  if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && db) {
    // "database is locked" alone names neither the file nor what to do.
    const char* file = sqlite3_db_filename(db, "main");
    msg = fmt::format(
        "database '{}' is locked: another process is using it and did not finish within the busy "
        "timeout (extra_params.timeout, default 30 s); wait for it to finish and run again, or "
        "raise the timeout",
        file && *file ? file : ":memory:");
  }
  std::string text = fmt::format("sqlite: {}: {}", what, msg);
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw ConnectionError(text, {}, ext);
  }
  throw QueryError(text, {}, ext);
}

void bind_all(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw QueryError(
        fmt::format("sqlite: statement expects {} parameters, {} given", expected, params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_bind_int(stmt, idx, v ? 1 : 0);
          } else {
            return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT,
                                       SQLITE_UTF8);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) throw_error(db, rc, "binding a parameter");
  }
}

Value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      int n = sqlite3_column_bytes(stmt, i);
      return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
    }
    default:
      return std::monostate{};
  }
}

StmtPtr prepare_stmt(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) throw_error(db, rc, "preparing a statement");
  return stmt;
}

Result run(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params, bool want_rows) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  bind_all(db, stmt, params);
  Result result;
  int ncols = sqlite3_column_count(stmt);
  if (want_rows) {
    for (int i = 0; i < ncols; ++i) result.columns.emplace_back(sqlite3_column_name(stmt, i));
  }
  while (true) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      sqlite3_reset(stmt);
      throw_error(db, rc, "running a statement");
    }
    if (!want_rows) continue;
    std::vector<Value> row;
    row.reserve(static_cast<std::size_t>(ncols));
    for (int i = 0; i < ncols; ++i) row.push_back(column_value(stmt, i));
    result.rows.push_back(std::move(row));
  }
  sqlite3_reset(stmt);
  return result;
}

// Streams rows straight from sqlite3_step: cells are views into SQLite's own buffers.
class SqliteCursor final : public RowCursor {
 public:
  SqliteCursor(sqlite3* db, StmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {
    columns_ = sqlite3_column_count(stmt_.get());
  }
  bool next() override {
    if (done_) return false;
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc != SQLITE_DONE) throw_error(db_, rc, "reading rows");
    return false;
  }
  int column_count() const override { return columns_; }
  CellView cell(int i) const override {
    sqlite3_stmt* s = stmt_.get();
    CellView c;
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_INTEGER:
        c.kind = CellView::Kind::kInt;
        c.i = sqlite3_column_int64(s, i);
        break;
      case SQLITE_FLOAT:
        c.kind = CellView::Kind::kReal;
        c.d = sqlite3_column_double(s, i);
        break;
      case SQLITE_TEXT: {
        c.kind = CellView::Kind::kText;
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        c.bytes = std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
        break;
      }
      case SQLITE_BLOB: {
        c.kind = CellView::Kind::kBlob;
        const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
        int n = sqlite3_column_bytes(s, i);
        c.bytes = p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view();
        break;
      }
      default:
        break;
    }
    return c;
  }

 private:
  sqlite3* db_;
  StmtPtr stmt_;
  int columns_ = 0;
  bool done_ = false;
};

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, StmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {}
  void execute(std::span<const Value> params) override { run(db_, stmt_.get(), params, false); }

 private:
  sqlite3* db_;
  StmtPtr stmt_;
};

// ---- aggregate functions registered on every connection --------------------------------

void add_value(Moments& m, sqlite3_value* v) {
  switch (sqlite3_value_numeric_type(v)) {
    case SQLITE_INTEGER:
      m.add_int(sqlite3_value_int64(v));
      break;
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      if (!std::isnan(d)) m.add_double(d);
      break;
    }
    default:  // NULL, and text or blobs that do not look like numbers
      break;
  }
}

// SQLite's aggregate memory is zeroed but only 8-byte aligned; Moments holds 16-byte aligned
// members, so over-allocate and align by hand. `create` false: null if no row was seen.
template <class T>
T* aggregate_state(sqlite3_context* ctx, bool create) {
  void* raw = sqlite3_aggregate_context(ctx, create ? static_cast<int>(sizeof(T) + alignof(T)) : 0);
  if (!raw) return nullptr;
  auto addr = reinterpret_cast<std::uintptr_t>(raw);
  addr = (addr + alignof(T) - 1) & ~(static_cast<std::uintptr_t>(alignof(T)) - 1);
  return reinterpret_cast<T*>(addr);
}

void moments_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  auto* m = aggregate_state<Moments>(ctx, true);
  if (!m) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  add_value(*m, argv[0]);
}

void result_optional(sqlite3_context* ctx, std::optional<double> v) {
  if (v && std::isnan(*v)) {
    // SQLite turns a NaN result into NULL; "nan" as text keeps "undefined" distinct from
    // "no values" (and matches engines that return NaN).
    sqlite3_result_text(ctx, "nan", 3, SQLITE_STATIC);
  } else if (v) {
    sqlite3_result_double(ctx, *v);
  } else {
    sqlite3_result_null(ctx);
  }
}

void mean_final(sqlite3_context* ctx) {
  auto* m = aggregate_state<Moments>(ctx, false);
  result_optional(ctx, m ? m->mean() : std::nullopt);
}

void stddev_final(sqlite3_context* ctx) {
  auto* m = aggregate_state<Moments>(ctx, false);
  result_optional(ctx, m ? m->stddev() : std::nullopt);
}

struct HistogramState {
  std::vector<std::int64_t>* counts;  // owned; freed in histogram_final
};

void histogram_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  auto* st = aggregate_state<HistogramState>(ctx, true);
  if (!st) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int bins = sqlite3_value_int(argv[3]);
  if (bins < 1) {
    sqlite3_result_error(ctx, "baselinr_histogram: bins must be positive", -1);
    return;
  }
  if (!st->counts) {
    st->counts = new (std::nothrow) std::vector<std::int64_t>();
    if (!st->counts) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    st->counts->assign(static_cast<std::size_t>(bins), 0);
  }
  int type = sqlite3_value_numeric_type(argv[0]);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) return;
  double x = sqlite3_value_double(argv[0]);
  if (!std::isfinite(x)) return;
  double min = sqlite3_value_double(argv[1]);
  double range = sqlite3_value_double(argv[2]);
  (*st->counts)[static_cast<std::size_t>(histogram_bin(x, min, range, bins))]++;
}

void histogram_final(sqlite3_context* ctx) {
  auto* st = aggregate_state<HistogramState>(ctx, false);
  std::string text;
  if (st && st->counts) {
    for (std::size_t i = 0; i < st->counts->size(); ++i) {
      if (i) text.push_back(',');
      text += std::to_string((*st->counts)[i]);
    }
    delete st->counts;
    st->counts = nullptr;
  }
  sqlite3_result_text(ctx, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// baselinr_approx_distinct(x): a HyperLogLog estimate of COUNT(DISTINCT x), fixed memory.
struct ApproxState {
  ApproxDistinct* sketch;  // owned; freed in approx_final
};

void approx_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  auto* st = aggregate_state<ApproxState>(ctx, true);
  if (!st) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (!st->sketch) {
    st->sketch = new (std::nothrow) ApproxDistinct();
    if (!st->sketch) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  sqlite3_value* v = argv[0];
  DistinctKey key;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      key = DistinctKey::from_int(sqlite3_value_int64(v));
      break;
    case SQLITE_FLOAT:
      key = DistinctKey::from_real(sqlite3_value_double(v));
      break;
    case SQLITE_TEXT:
      key = DistinctKey::from_bytes(
          DistinctKey::Kind::kText,
          std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                           static_cast<std::size_t>(sqlite3_value_bytes(v))));
      break;
    case SQLITE_BLOB: {
      const void* p = sqlite3_value_blob(v);
      key = DistinctKey::from_bytes(
          DistinctKey::Kind::kBlob,
          std::string_view(static_cast<const char*>(p),
                           p ? static_cast<std::size_t>(sqlite3_value_bytes(v)) : 0));
      break;
    }
    default:
      return;  // NULL
  }
  st->sketch->add(key.hash);
}

void approx_final(sqlite3_context* ctx) {
  auto* st = aggregate_state<ApproxState>(ctx, false);
  std::int64_t estimate = 0;
  if (st && st->sketch) {
    estimate = st->sketch->estimate();
    delete st->sketch;
    st->sketch = nullptr;
  }
  sqlite3_result_int64(ctx, estimate);
}

// baselinr_uniform(seed, v1, v2, ...): a number in [0, 1) from a seeded 64-bit hash of the
// values (type and bytes), the same for the same row and seed in every query.
void uniform_func(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  std::uint64_t h =
      0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(sqlite3_value_int64(argv[0]));
  auto mix = [&h](const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  };
  for (int i = 1; i < argc; ++i) {
    const unsigned char tag = static_cast<unsigned char>(sqlite3_value_type(argv[i]));
    mix(&tag, 1);
    switch (tag) {
      case SQLITE_INTEGER: {
        sqlite3_int64 v = sqlite3_value_int64(argv[i]);
        mix(&v, sizeof v);
        break;
      }
      case SQLITE_FLOAT: {
        double v = sqlite3_value_double(argv[i]);
        mix(&v, sizeof v);
        break;
      }
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void* data = sqlite3_value_blob(argv[i]);
        int n = sqlite3_value_bytes(argv[i]);
        if (data && n > 0) mix(data, static_cast<std::size_t>(n));
        break;
      }
      default:
        break;
    }
  }
  // splitmix64 finaliser: every input bit affects every output bit.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  sqlite3_result_double(ctx, static_cast<double>(h >> 11) * 0x1.0p-53);
}

void register_functions(sqlite3* db) {
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  int rc = sqlite3_create_function_v2(db, "baselinr_mean", 1, flags, nullptr, nullptr, moments_step,
                                      mean_final, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "baselinr_stddev", 1, flags, nullptr, nullptr, moments_step,
                                    stddev_final, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "baselinr_histogram", 4, flags, nullptr, nullptr,
                                    histogram_step, histogram_final, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "baselinr_uniform", -1, flags, nullptr, uniform_func,
                                    nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "baselinr_approx_distinct", 1, flags, nullptr, nullptr,
                                    approx_step, approx_final, nullptr);
  }
  if (rc != SQLITE_OK) throw_error(db, rc, "registering functions");
}

}  // namespace

void SqliteConnection::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

namespace {

int busy_timeout_of(const ConnectionConfig& config) {
  auto it = config.extra_params.find("timeout");
  if (it == config.extra_params.end()) return 30000;
  auto seconds = parse_double(it->second);
  if (!seconds || !(*seconds >= 0) || *seconds > 86400) {
    throw ConfigError(config.location, "extra_params.timeout",
                      fmt::format("sqlite: expected seconds from 0 to 86400 to wait for a locked "
                                  "database, got '{}'",
                                  it->second));
  }
  return static_cast<int>(*seconds * 1000.0);
}

// The first bytes of a database file say whether it is in WAL mode (file format 2).
bool is_wal_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[20] = {};
  if (!in.read(header, sizeof header)) return false;
  return header[18] == 2 && header[19] == 2;
}

bool directory_writable(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  return access(dir.c_str(), W_OK) == 0;
}

}  // namespace

SqliteConnection::SqliteConnection(const ConnectionConfig& config, ConnectOptions options)
    : SqliteConnection(config.filepath, options, busy_timeout_of(config)) {}

SqliteConnection::SqliteConnection(const std::string& path, ConnectOptions options,
                                   int busy_timeout_ms)
    : path_(path) {
  const bool memory = path == ":memory:" || path.empty();
  if (!memory && !options.create_if_missing) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw ConnectionError(
          fmt::format("sqlite: database file '{}' does not exist; check source.filepath", path));
    }
  }
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  }
  if (!memory && options.create_if_missing) {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(memory ? ":memory:" : path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw ConnectionError(fmt::format("sqlite: cannot open '{}': {}", path, msg), {}, rc);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  if (options.read_only && !memory) {
    // Sources are read through memory mapping (no copy from the OS page cache per page), in a
    // window of at most 256 MiB so that memory does not grow with the table.
    sqlite3_exec(raw, "PRAGMA mmap_size = 268435456", nullptr, nullptr, nullptr);
  }
  register_functions(raw);
  // Fail now, not at the first query, if the file is not a database.
  try {
    query("SELECT COUNT(*) FROM sqlite_schema");
  } catch (const DatabaseError& e) {
    // A WAL database can only be read by a user who may create its -shm file next to it;
    // SQLite then says "attempt to write a readonly database", which misleads.
    if (options.read_only && !memory && is_wal_file(path) && !directory_writable(path)) {
      throw ConnectionError(
          fmt::format("sqlite: cannot read '{}': the database is in WAL mode, and reading a WAL "
                      "database needs write access to its directory (for its -shm and -wal "
                      "files), which this user lacks; grant that access, or have the owner "
                      "switch it out of WAL mode (PRAGMA journal_mode=DELETE)",
                      path),
          {}, e.code());
    }
    throw;
  }
}

SqliteConnection::~SqliteConnection() = default;

const Dialect& SqliteConnection::dialect() const { return sqlite_dialect(); }

Result SqliteConnection::query(std::string_view sql, std::span<const Value> params) {
  StmtPtr stmt = prepare_stmt(db_.get(), sql);
  return run(db_.get(), stmt.get(), params, true);
}

void SqliteConnection::execute(std::string_view sql, std::span<const Value> params) {
  if (params.empty()) {
    // May hold several statements (DDL scripts).
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw QueryError(fmt::format("sqlite: {}", msg), {}, sqlite3_extended_errcode(db_.get()));
    }
    return;
  }
  StmtPtr stmt = prepare_stmt(db_.get(), sql);
  run(db_.get(), stmt.get(), params, false);
}

std::unique_ptr<RowCursor> SqliteConnection::cursor(std::string_view sql,
                                                    std::span<const Value> params) {
  StmtPtr stmt = prepare_stmt(db_.get(), sql);
  bind_all(db_.get(), stmt.get(), params);
  return std::make_unique<SqliteCursor>(db_.get(), std::move(stmt));
}

std::unique_ptr<Statement> SqliteConnection::prepare(std::string_view sql) {
  return std::make_unique<SqliteStatement>(db_.get(), prepare_stmt(db_.get(), sql));
}

std::size_t SqliteConnection::select_item_limit() {
  return static_cast<std::size_t>(std::max(1, sqlite3_limit(db_.get(), SQLITE_LIMIT_COLUMN, -1)));
}

void SqliteConnection::begin() { execute("BEGIN IMMEDIATE"); }
void SqliteConnection::commit() { execute("COMMIT"); }
void SqliteConnection::rollback() { execute("ROLLBACK"); }

}  // namespace baselinr::db
