#include "profiling/sqlite_row_source.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <random>
#include <thread>

#include "baselinr/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::profiling {
namespace {

__extension__ using Wide = unsigned __int128;  // GCC and Clang

constexpr std::int64_t kMinRowid = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxRowid = std::numeric_limits<std::int64_t>::max();

// Rowids are int64 and span up to 2^64 - 1: differences and offsets are taken in uint64.
std::uint64_t distance(std::int64_t lo, std::int64_t hi) {
  return static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
}
std::int64_t advance(std::int64_t lo, std::uint64_t by) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + by);
}

bool busy(const QueryError& e) { return (e.code() & 0xff) == SQLITE_BUSY; }

std::int64_t data_version(db::Connection& c, const std::string& schema) {
  const db::Result r =
      c.query(fmt::format("PRAGMA {}.data_version", c.dialect().quote_identifier(schema)));
  return r.rows.empty() ? 0 : db::as_int(r.rows[0][0]).value_or(0);
}

// Reads `connection`'s busy timeout in milliseconds.
std::int64_t busy_timeout(db::Connection& c) {
  const db::Result r = c.query("PRAGMA busy_timeout");
  return r.rows.empty() ? 0 : db::as_int(r.rows[0][0]).value_or(0);
}

void set_busy_timeout(db::Connection& c, std::int64_t ms) {
  c.query(fmt::format("PRAGMA busy_timeout = {}", ms));
}

// Starts a read transaction on `schema` now: the snapshot is taken at the first read.
void begin_read(db::Connection& c, const std::string& schema) {
  c.execute("BEGIN");
  data_version(c, schema);
}

void end_read(db::Connection& c) {
  try {
    c.execute("ROLLBACK");
  } catch (const Error&) {
    // No transaction was open (BEGIN failed): nothing to end.
  }
}

}  // namespace

std::unique_ptr<SqliteRowSource> SqliteRowSource::open(db::Connection& connection,
                                                       const ConnectionFactory* factory,
                                                       int threads, const TableTarget& target,
                                                       const std::vector<ColumnSpec>& columns,
                                                       const Scope& scope) {
  const db::Dialect& d = connection.dialect();
  // Which object the name resolves to: SQLite looks in temp, then main, then attached databases.
  const db::Result objects = connection.query("SELECT schema, type, wr FROM pragma_table_list(?)",
                                              std::vector<db::Value>{target.ref.name});
  const std::vector<db::Value>* found = nullptr;
  int best = std::numeric_limits<int>::max();
  for (const auto& row : objects.rows) {
    const std::string schema = to_lower(db::as_text(row[0]).value_or(""));
    int rank = 2;
    if (!target.ref.schema.empty()) {
      if (schema != to_lower(target.ref.schema)) continue;
    } else if (schema == "temp") {
      rank = 0;
    } else if (schema == "main") {
      rank = 1;
    }
    if (rank < best) {
      best = rank;
      found = &row;
    }
  }
  if (!found) return nullptr;
  const std::string type = db::as_text((*found)[1]).value_or("");
  if (type != "table" && type != "shadow" && type != "view" && type != "virtual") return nullptr;

  std::unique_ptr<SqliteRowSource> src(new SqliteRowSource());
  src->columns_ = &columns;
  src->scope_ = &scope;
  src->schema_ = db::as_text((*found)[0]).value_or("main");
  src->table_ = d.table_sql(target.ref);
  // A table with rowids is split by them, under a name of the rowid that no column takes (a
  // column named rowid, even in another case, hides the rowid under that name). Virtual tables
  // may not seek by rowid: one stream, as views and WITHOUT ROWID tables.
  if ((type == "table" || type == "shadow") && db::as_int((*found)[2]).value_or(1) == 0) {
    const db::Result names =
        connection.query("SELECT name FROM pragma_table_xinfo(?, ?)",
                         std::vector<db::Value>{target.ref.name, src->schema_});
    for (const char* candidate : {"_rowid_", "rowid", "oid"}) {
      const bool taken = std::any_of(names.rows.begin(), names.rows.end(), [&](const auto& r) {
        return to_lower(db::as_text(r[0]).value_or("")) == candidate;
      });
      if (!taken) {
        src->rowid_ = candidate;
        break;
      }
    }
  }
  src->start_readers(connection, factory, src->rowid_.empty() ? 1 : threads);
  try {
    src->plan_ranges(src->threads());
  } catch (...) {
    src->end_readers();
    throw;
  }
  return src;
}

SqliteRowSource::~SqliteRowSource() { end_readers(); }

void SqliteRowSource::end_readers() {
  for (db::Connection* r : readers_) end_read(*r);
  readers_.clear();
}

void SqliteRowSource::start_readers(db::Connection& probe, const ConnectionFactory* factory,
                                    int threads) {
  if (!factory || threads <= 1) {
    readers_ = {&probe};
    begin_read(probe, schema_);
    return;
  }
  for (int t = 0; t < threads; ++t) {
    owned_.push_back((*factory)());
    readers_.push_back(owned_.back().get());
  }
  constexpr int kAttempts = 25;
  if (!share_snapshot(probe, kAttempts)) {
    // Commits kept coming between the readers' starts: read on one connection instead.
    log().debug("{}: no common snapshot for {} connections after {} tries; reading on one", table_,
                threads, kAttempts);
    readers_.resize(1);
    owned_.resize(1);
    begin_read(*readers_[0], schema_);
  }
}

bool SqliteRowSource::share_snapshot(db::Connection& probe, int attempts) {
  // Readers and probe start with a short busy timeout: a writer waiting to commit (rollback
  // mode) keeps new readers out while the first ones hold their locks, and waits for those; both
  // would wait for each other until a timeout. Backing off lets the writer commit, then retry.
  std::vector<db::Connection*> all = readers_;
  all.push_back(&probe);
  const std::int64_t timeout = busy_timeout(probe);
  struct Restore {
    const std::vector<db::Connection*>& connections;
    std::int64_t ms;
    ~Restore() {
      for (db::Connection* c : connections) {
        try {
          set_busy_timeout(*c, ms);
        } catch (const Error&) {  // the connection is unusable anyway
        }
      }
    }
  } restore{all, timeout};
  for (db::Connection* c : all) set_busy_timeout(*c, 20);
  std::minstd_rand jitter(static_cast<unsigned>(std::random_device{}()));
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      ++retries_;
      std::this_thread::sleep_for(std::chrono::microseconds(500 * attempt + jitter() % 1000));
    }
    bool shared = false;
    try {
      const std::int64_t before = data_version(probe, schema_);
      for (db::Connection* r : readers_) begin_read(*r, schema_);
      shared = data_version(probe, schema_) == before;
    } catch (const QueryError& e) {
      if (!busy(e)) {
        for (db::Connection* r : readers_) end_read(*r);
        throw;
      }
    }
    if (shared) return true;
    for (db::Connection* r : readers_) end_read(*r);
  }
  return false;
}

void SqliteRowSource::plan_ranges(int threads) {
  ranges_.clear();
  if (rowid_.empty()) {
    split_ = Split::kStream;
    expected_rows_ = 0;  // unknown: sets grow as they go
    return;
  }
  db::Connection& c = *readers_[0];
  const std::string& r = rowid_;
  const db::Result bounds = c.query(fmt::format(
      "SELECT (SELECT {0} FROM {1} ORDER BY {0} LIMIT 1), (SELECT {0} FROM {1} ORDER BY {0} DESC "
      "LIMIT 1)",
      r, table_));
  const auto lo = bounds.rows.empty() ? std::nullopt : db::as_int(bounds.rows[0][0]);
  const auto hi = bounds.rows.empty() ? std::nullopt : db::as_int(bounds.rows[0][1]);
  split_ = Split::kEqualWidth;
  if (!lo || !hi || *hi < *lo) {
    ranges_.push_back({kMinRowid, kMaxRowid});  // empty
    expected_rows_ = 0;
    return;
  }
  const std::uint64_t span = distance(*lo, *hi);  // rows - 1 if dense

  // Is the table dense? Probes of 16 rows over the span, each starting where its rowid should be.
  constexpr int kProbes = 32;
  constexpr int kProbeRows = 16;
  bool dense = true;
  std::int64_t rows = 0;
  if (span < std::uint64_t{1} << 16) {
    rows = db::as_int(c.query(fmt::format("SELECT COUNT(*) FROM {}", table_)).rows.at(0).at(0))
               .value_or(0);
    dense = static_cast<std::uint64_t>(rows) * 2 > span;
  } else {
    const std::string probe = fmt::format(
        "SELECT COUNT(*), MIN(r), MAX(r) FROM (SELECT {0} AS r FROM {1} WHERE {0} >= ? ORDER BY "
        "{0} LIMIT {2})",
        r, table_, kProbeRows);
    for (int j = 0; j < kProbes && dense; ++j) {
      const std::int64_t x =
          advance(*lo, static_cast<std::uint64_t>(static_cast<Wide>(span) * j / kProbes));
      const db::Result p = c.query(probe, std::vector<db::Value>{x});
      const auto n = db::as_int(p.rows.at(0).at(0)).value_or(0);
      const auto first = db::as_int(p.rows.at(0).at(1));
      const auto last = db::as_int(p.rows.at(0).at(2));
      dense = first && *first == x &&
              (n < kProbeRows || distance(*first, *last) <= 2 * (kProbeRows - 1));
    }
    if (dense) {
      rows = static_cast<std::int64_t>(std::min<std::uint64_t>(span, kMaxRowid - 1)) + 1;
    } else {
      rows = db::as_int(c.query(fmt::format("SELECT COUNT(*) FROM {}", table_)).rows.at(0).at(0))
                 .value_or(0);
    }
  }
  expected_rows_ = rows;

  // Several ranges per thread so that uneven ones even out; none much under 4096 rows.
  const std::int64_t pieces =
      threads <= 1 ? 1
                   : std::max<std::int64_t>(1, std::min<std::int64_t>(threads * 4, rows / 4096));
  std::vector<std::int64_t> cuts;  // the first rowid of each range after the first
  if (pieces > 1 && dense) {
    for (std::int64_t p = 1; p < pieces; ++p) {
      cuts.push_back(
          advance(*lo, static_cast<std::uint64_t>(static_cast<Wide>(span) * p / pieces)));
    }
  } else if (pieces > 1) {
    split_ = Split::kByRowCount;
    const std::string next =
        fmt::format("SELECT {0} FROM {1} WHERE {0} >= ? ORDER BY {0} LIMIT 1 OFFSET ?", r, table_);
    const std::int64_t step = rows / pieces;
    std::int64_t at = *lo;
    for (std::int64_t p = 1; p < pieces; ++p) {
      const db::Result b = c.query(next, std::vector<db::Value>{at, step});
      if (b.rows.empty()) break;
      at = db::as_int(b.rows[0][0]).value_or(at);
      cuts.push_back(at);
    }
  }
  std::int64_t start = kMinRowid;
  for (std::int64_t cut : cuts) {
    if (cut <= start) continue;
    ranges_.push_back({start, cut - 1});
    start = cut;
  }
  ranges_.push_back({start, kMaxRowid});
}

std::unique_ptr<db::RowCursor> SqliteRowSource::open(int thread, std::size_t part,
                                                     const std::vector<std::size_t>& columns) {
  db::Connection& c = *readers_.at(static_cast<std::size_t>(thread));
  db::ParamList params(c.dialect());  // binds values in the order of their placeholders
  const std::vector<std::string> range =
      ranges_.empty() ? std::vector<std::string>{} : range_of(part, params);
  const db::BoundSql bound =
      row_select(c.dialect(), *columns_, columns, *scope_, table_, params, range);
  return c.cursor(bound.sql, bound.params);
}

std::vector<std::string> SqliteRowSource::range_of(std::size_t part, db::ParamList& params) const {
  std::vector<std::string> out;
  const Range& range = ranges_.at(part);
  if (range.lo != kMinRowid) out.push_back(rowid_ + " >= " + params.add(range.lo));
  if (range.hi != kMaxRowid) out.push_back(rowid_ + " <= " + params.add(range.hi));
  return out;
}

std::int64_t SqliteRowSource::number_length(const db::CellView& cell) const {
  // LENGTH() of a number is the length of the text SQLite renders it as: an integer in
  // decimal, a real as printf("%!.15g") ("1.0e+20", "Inf").
  std::array<char, 64> buf{};
  if (cell.kind == db::CellView::Kind::kInt) {
    return static_cast<std::int64_t>(fmt::format_to_n(buf.data(), buf.size(), "{}", cell.i).size);
  }
  sqlite3_snprintf(static_cast<int>(buf.size()), buf.data(), "%!.15g", cell.d);
  return static_cast<std::int64_t>(std::char_traits<char>::length(buf.data()));
}

std::string SqliteRowSource::describe() const {
  const char* how = split_ == Split::kStream       ? "one stream"
                    : split_ == Split::kEqualWidth ? "rowid ranges of equal width"
                                                   : "rowid ranges of equal row counts";
  return fmt::format("{} part(s), {}, {} connection(s) on one snapshot ({} retries), ~{} rows",
                     parts(), how, readers_.size(), retries_, expected_rows_);
}

}  // namespace baselinr::profiling
