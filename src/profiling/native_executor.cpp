#include "profiling/native_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>

#include "baselinr/error.hpp"
#include "common/distinct.hpp"
#include "common/log.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::profiling {
namespace {

using db::CellView;

// SQLite's order for MIN/MAX: numbers (compared by value) < text < blob (compared by bytes).
int kind_rank(CellView::Kind k) {
  switch (k) {
    case CellView::Kind::kInt:
    case CellView::Kind::kReal:
      return 1;
    case CellView::Kind::kText:
      return 2;
    case CellView::Kind::kBlob:
      return 3;
    case CellView::Kind::kNull:
      break;
  }
  return 0;
}

int compare(const CellView& a, const db::Value& b) {
  int rb = 0;
  if (std::holds_alternative<std::int64_t>(b) || std::holds_alternative<double>(b)) rb = 1;
  if (std::holds_alternative<std::string>(b)) rb = 2;  // blobs are kept as text too; see below
  const int ra = kind_rank(a.kind) == 3 ? 2 : kind_rank(a.kind);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 1) {
    if (a.kind == CellView::Kind::kInt && std::holds_alternative<std::int64_t>(b)) {
      const std::int64_t y = std::get<std::int64_t>(b);
      return a.i < y ? -1 : (a.i > y ? 1 : 0);
    }
    // long double holds every int64 exactly, so mixed comparisons are exact.
    const long double x = a.kind == CellView::Kind::kInt ? static_cast<long double>(a.i) : a.d;
    const long double y = std::holds_alternative<std::int64_t>(b)
                              ? static_cast<long double>(std::get<std::int64_t>(b))
                              : std::get<double>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const std::string& y = std::get<std::string>(b);
  int c = a.bytes.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

db::Value to_value(const CellView& c) {
  switch (c.kind) {
    case CellView::Kind::kInt:
      return c.i;
    case CellView::Kind::kReal:
      return c.d;
    case CellView::Kind::kText:
    case CellView::Kind::kBlob:
      return std::string(c.bytes);
    case CellView::Kind::kNull:
      break;
  }
  return std::monostate{};
}

// A number for mean, stddev and histograms, as sqlite3_value_numeric_type() sees the cell:
// integers, reals (NaN excluded: SQLite stores it as NULL), and text that reads as a number.
struct Numeric {
  bool ok = false;
  bool is_int = false;
  std::int64_t i = 0;
  double d = 0;
};

Numeric numeric(const CellView& c) {
  Numeric n;
  if (c.kind == CellView::Kind::kInt) {
    n.ok = n.is_int = true;
    n.i = c.i;
    n.d = static_cast<double>(c.i);
  } else if (c.kind == CellView::Kind::kReal) {
    n.ok = !std::isnan(c.d);
    n.d = c.d;
  } else if (c.kind == CellView::Kind::kText) {
    if (auto i = parse_int(c.bytes)) {
      n.ok = n.is_int = true;
      n.i = *i;
      n.d = static_cast<double>(*i);
    } else if (auto d = parse_double(c.bytes); d && !std::isnan(*d)) {
      n.ok = true;
      n.d = *d;
    }
  }
  return n;
}

// SQLite's LENGTH() of a text value: the characters before the first NUL, where a character is
// a byte below 0xC0, or a byte from 0xC0 up with the continuation bytes (0x80-0xBF) after it.
std::int64_t sqlite_text_length(std::string_view bytes) {
  std::int64_t n = 0;
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] != '\0') {
    const auto c = static_cast<unsigned char>(bytes[i++]);
    ++n;
    if (c >= 0xC0) {
      while (i < bytes.size() && (static_cast<unsigned char>(bytes[i]) & 0xC0) == 0x80) ++i;
    }
  }
  return n;
}

// True when SQLite gives a column of this declared type TEXT affinity: it then stores every
// number as text, so each value is text or a blob and LENGTH() can be computed here.
bool text_affinity(std::string_view declared) {
  std::string t(declared);
  for (auto& ch : t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (t.find("INT") != std::string::npos) return false;
  return t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
         t.find("TEXT") != std::string::npos;
}

// The per-column state of one thread.
struct ColumnState {
  const ColumnSpec* spec = nullptr;
  bool want_non_null = false, want_distinct = false, want_min = false, want_max = false,
       want_moments = false, want_lengths = false;
  // The finite numeric values, kept for the histograms when they fit the buffer budget, so that
  // the histograms need no second read.
  bool want_hist_values = false;
  std::vector<double> hist_values;
  int length_column = -1;    // index of the LENGTH(col) column in the scan, if any
  bool length_here = false;  // lengths computed from the cell (TEXT affinity), not by SQLite
  std::int64_t non_null = 0;
  ExactDistinct exact;
  std::optional<std::int64_t> exact_union;  // the size of the union of every thread's `exact`
  ApproxDistinct approx;
  bool approximate = false;
  db::Value min, max;
  Moments moments;
  // Distinct keys of the current batch of rows, inserted column by column (one set hot at a
  // time instead of every column's set per row); text bytes are copied into `scratch`.
  static constexpr std::size_t kNoBytes = static_cast<std::size_t>(-1);
  bool flushed = false;
  std::int64_t expected_rows = 0;  // rows this thread is likely to read
  std::vector<DistinctKey> pending;
  std::vector<std::size_t> pending_offset;
  std::string scratch;
  std::int64_t min_len = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_len = std::numeric_limits<std::int64_t>::min();
  long double len_sum = 0;
  std::int64_t len_n = 0;

  void add(const CellView& c, const db::RowCursor& cur) {
    if (c.kind == CellView::Kind::kNull) return;
    ++non_null;
    if (want_distinct) {
      DistinctKey key;
      switch (c.kind) {
        case CellView::Kind::kInt:
          key = DistinctKey::from_int(c.i);
          break;
        case CellView::Kind::kReal:
          key = DistinctKey::from_real(c.d);
          break;
        case CellView::Kind::kText:
          key = DistinctKey::from_bytes(DistinctKey::Kind::kText, c.bytes);
          break;
        default:
          key = DistinctKey::from_bytes(DistinctKey::Kind::kBlob, c.bytes);
          break;
      }
      if (approximate) {
        approx.add(key.hash);
      } else {
        // Batched: the cell's bytes live until the cursor moves, so keep a copy until flush().
        if (!key.bytes.empty()) {
          pending_offset.push_back(scratch.size());
          scratch.append(key.bytes);
        } else {
          pending_offset.push_back(kNoBytes);
        }
        pending.push_back(key);
      }
    }
    if (want_min && (std::holds_alternative<std::monostate>(min) || compare(c, min) < 0)) {
      min = to_value(c);
    }
    if (want_max && (std::holds_alternative<std::monostate>(max) || compare(c, max) > 0)) {
      max = to_value(c);
    }
    if (want_moments || want_hist_values) {
      Numeric n = numeric(c);
      if (n.ok) {
        if (want_moments) {
          if (n.is_int) {
            moments.add_int(n.i);
          } else {
            moments.add_double(n.d);
          }
        }
        if (want_hist_values && std::isfinite(n.d)) hist_values.push_back(n.d);
      }
    }
    if (length_here || length_column >= 0) {
      std::optional<std::int64_t> len;
      if (length_here && c.kind == CellView::Kind::kText) {
        len = sqlite_text_length(c.bytes);
      } else if (length_here && c.kind == CellView::Kind::kBlob) {
        len = static_cast<std::int64_t>(c.bytes.size());
      } else if (length_column >= 0) {
        CellView l = cur.cell(length_column);
        if (l.kind == CellView::Kind::kInt) len = l.i;
      }
      if (len) {
        min_len = std::min(min_len, *len);
        max_len = std::max(max_len, *len);
        len_sum += *len;
        ++len_n;
      }
    }
  }

  void flush() {
    if (pending.empty()) return;
    const bool first = !flushed;
    flushed = true;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      if (pending_offset[k] != kNoBytes) {
        pending[k].bytes =
            std::string_view(scratch).substr(pending_offset[k], pending[k].bytes.size());
      }
    }
    exact.add_batch(pending.data(), pending.size());
    // A first batch of nothing but new values announces a high-cardinality column: size its set
    // for every row this thread will read, instead of doubling it a dozen times.
    if (first && pending.size() >= 1024 &&
        exact.size() == static_cast<std::int64_t>(pending.size())) {
      exact.reserve(static_cast<std::size_t>(expected_rows));
    }
    pending.clear();
    pending_offset.clear();
    scratch.clear();
  }

  void merge(ColumnState& o) {
    non_null += o.non_null;
    if (want_distinct) {
      // Exact sets are not merged here: see exact_union.
      if (approximate) approx.merge(o.approx);
    }
    auto better = [](const db::Value& cand, const db::Value& cur, bool smaller) {
      if (std::holds_alternative<std::monostate>(cand)) return false;
      if (std::holds_alternative<std::monostate>(cur)) return true;
      CellView c;
      if (auto* i = std::get_if<std::int64_t>(&cand)) {
        c.kind = CellView::Kind::kInt;
        c.i = *i;
      } else if (auto* d = std::get_if<double>(&cand)) {
        c.kind = CellView::Kind::kReal;
        c.d = *d;
      } else {
        c.kind = CellView::Kind::kText;
        c.bytes = std::get<std::string>(cand);
      }
      int r = compare(c, cur);
      return smaller ? r < 0 : r > 0;
    };
    if (want_min && better(o.min, min, true)) min = o.min;
    if (want_max && better(o.max, max, false)) max = o.max;
    moments.merge(o.moments);
    min_len = std::min(min_len, o.min_len);
    max_len = std::max(max_len, o.max_len);
    len_sum += o.len_sum;
    len_n += o.len_n;
  }

  ColumnAggregates result() const {
    ColumnAggregates a;
    a.non_null = non_null;
    if (want_distinct)
      a.distinct = approximate ? approx.estimate() : exact_union.value_or(exact.size());
    a.min = min;
    a.max = max;
    if (spec->wants("mean")) a.mean = moments.mean();
    if (spec->wants("stddev")) a.stddev = moments.stddev();
    if (len_n > 0) {
      a.min_length = min_len;
      a.max_length = max_len;
      a.avg_length = static_cast<double>(len_sum / len_n);
    }
    return a;
  }
};

// Runs `work(connection, range)` over every range with up to `threads` threads, each with its
// own connection (the first thread uses `first`). Rethrows the first failure.
template <class Work>
void parallel_ranges(db::Connection& first, const ConnectionFactory* factory, int threads,
                     std::size_t ranges, Work work) {
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto run = [&](int t, db::Connection& conn) {
    try {
      for (std::size_t r = next++; r < ranges; r = next++) work(t, conn, r);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = ranges;
    }
  };
  const int n = factory ? std::max(1, std::min<int>(threads, static_cast<int>(ranges))) : 1;
  std::vector<std::unique_ptr<db::Connection>> extra;
  for (int t = 1; t < n; ++t) extra.push_back((*factory)());
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < n; ++t) {
      pool.emplace_back([&, t] { run(t, *extra[static_cast<std::size_t>(t - 1)]); });
    }
    run(0, first);
  }
  if (error) std::rethrow_exception(error);
}

// Runs `work(i)` for i in [0, count) on up to `threads` threads (the caller's included).
template <class Work>
void parallel_for(int threads, std::size_t count, Work work) {
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < count; i = next++) work(i);
  };
  std::vector<std::jthread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run);
  run();
}

// SELECT `select` FROM `table` WHERE the scope's row filters AND rowid in [lo, hi): the statement
// each thread runs once per range, with the range bound as its last two parameters.
struct RangeQuery {
  db::BoundSql bound;
  std::unique_ptr<db::RowCursor> open(db::Connection& conn, std::int64_t lo,
                                      std::int64_t hi) const {
    std::vector<db::Value> p = bound.params;
    p[p.size() - 2] = lo;
    p[p.size() - 1] = hi;
    return conn.cursor(bound.sql, p);
  }
};

RangeQuery range_query(const db::Dialect& d, const std::vector<std::string>& select,
                       const std::string& table, const std::vector<ColumnSpec>& columns,
                       const Scope& scope) {
  db::ParamList params(d);
  std::vector<std::string> where = row_filters(d, columns, scope, params);
  const std::string rowid = d.rowid_column();
  where.push_back(rowid + " >= " + params.add(std::int64_t{0}));
  where.push_back(rowid + " < " + params.add(std::int64_t{0}));
  return {params.bind(
      fmt::format("SELECT {} FROM {} WHERE {}", join(select, ", "), table, join(where, " AND ")))};
}

}  // namespace

NativeExecutor::NativeExecutor(db::Connection& connection, const ConnectionFactory* factory,
                               int threads)
    : connection_(connection), factory_(factory), threads_(std::max(1, threads)) {}

bool NativeExecutor::applicable(const Scope& scope) const {
  const db::Dialect& d = connection_.dialect();
  return !d.rowid_column().empty() && row_local(d, scope);
}

std::optional<NativeResult> NativeExecutor::scalar_pass(const TableTarget& target,
                                                        const std::vector<ColumnSpec>& columns,
                                                        const Scope& scope, DistinctMode distinct) {
  const db::Dialect& d = connection_.dialect();
  const std::string rowid = d.rowid_column();
  const std::string table = d.table_sql(target.ref);
  std::int64_t lo = 0, hi = -1;
  try {
    db::Result b =
        // Two subqueries: SQLite answers a lone MIN or MAX of the rowid from the b-tree's ends,
        // but MIN and MAX in one select list scan the whole table.
        connection_.query(fmt::format(
            "SELECT (SELECT MIN({0}) FROM {1}), (SELECT MAX({0}) FROM {1})", rowid, table));
    if (b.rows.size() == 1 && !db::is_null(b.rows[0][0])) {
      lo = db::as_int(b.rows[0][0]).value_or(0);
      hi = db::as_int(b.rows[0][1]).value_or(-1);
    }
  } catch (const QueryError&) {
    return std::nullopt;  // a view or a WITHOUT ROWID table: no rowid to split on
  }

  // Ranges of equal rowid width; several per thread so that uneven ranges even out.
  ranges_.clear();
  if (hi >= lo) {
    const long double span = static_cast<long double>(hi) - lo + 1;
    const std::int64_t pieces = std::max<std::int64_t>(
        1, std::min<std::int64_t>(threads_ * 4, static_cast<std::int64_t>(span / 4096) + 1));
    const long double width = span / pieces;
    std::int64_t start = lo;
    for (std::int64_t p = 1; p <= pieces; ++p) {
      std::int64_t end = p == pieces ? hi + 1 : lo + static_cast<std::int64_t>(width * p);
      if (end > start) ranges_.push_back({start, end});
      start = end;
    }
  }

  // The scan: every column, and LENGTH() of the string columns that want lengths and may hold
  // numbers (those of TEXT affinity hold only text and blobs, measured here).
  std::vector<std::string> select;
  for (const auto& c : columns) select.push_back(d.quote_identifier(c.name));
  std::vector<int> length_index(columns.size(), -1);
  std::vector<bool> length_here(columns.size(), false);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const ColumnSpec& c = columns[i];
    if (!(c.wants("min_length") || c.wants("max_length") || c.wants("avg_length"))) continue;
    if (text_affinity(c.type)) {
      length_here[i] = true;
    } else {
      length_index[i] = static_cast<int>(select.size());
      select.push_back(d.char_length(d.quote_identifier(c.name)));
    }
  }
  if (select.empty()) select.push_back("1");
  const RangeQuery scan = range_query(d, select, table, columns, scope);

  // Histogram values are kept from this pass when all of them fit the budget; not with
  // approximate distinct counts, whose memory stays the same whatever the number of rows.
  std::size_t hist_columns = 0;
  for (const auto& c : columns) hist_columns += c.wants("histogram") ? 1 : 0;
  const auto table_rows = static_cast<std::size_t>(std::max<std::int64_t>(0, hi - lo + 1));
  const bool buffer_hist = distinct == DistinctMode::kExact && hist_columns > 0 &&
                           table_rows * hist_columns * sizeof(double) <= kHistogramBufferBytes;
  auto fresh_states = [&] {
    std::vector<ColumnState> states(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const ColumnSpec& c = columns[i];
      ColumnState& s = states[i];
      s.spec = &c;
      s.want_non_null = true;
      s.want_distinct = c.wants("distinct_count") || c.wants("distinct_percent");
      s.approximate = distinct == DistinctMode::kApproximate;
      s.want_min = c.wants("min") || c.wants("histogram");
      s.want_max = c.wants("max") || c.wants("histogram");
      s.want_moments = c.wants("mean") || c.wants("stddev");
      s.length_column = length_index[i];
      s.length_here = length_here[i];
      s.expected_rows = (hi - lo + 1) / threads_ + 1;
      s.want_hist_values = buffer_hist && c.wants("histogram");
      if (s.want_hist_values) s.hist_values.reserve(static_cast<std::size_t>(s.expected_rows));
    }
    return states;
  };
  std::vector<std::vector<ColumnState>> per_thread;
  for (int t = 0; t < threads_; ++t) per_thread.push_back(fresh_states());
  std::vector<std::int64_t> rows(static_cast<std::size_t>(threads_), 0);

  const auto started = std::chrono::steady_clock::now();
  parallel_ranges(connection_, factory_, threads_, ranges_.size(),
                  [&](int t, db::Connection& conn, std::size_t r) {
                    auto cur = scan.open(conn, ranges_[r].lo, ranges_[r].hi);
                    auto& states = per_thread[static_cast<std::size_t>(t)];
                    std::int64_t n = 0;
                    constexpr std::int64_t kBatch = 2048;
                    while (cur->next()) {
                      ++n;
                      for (std::size_t i = 0; i < states.size(); ++i) {
                        states[i].add(cur->cell(static_cast<int>(i)), *cur);
                      }
                      if (n % kBatch == 0) {
                        for (auto& st : states) st.flush();
                      }
                    }
                    for (auto& st : states) st.flush();
                    rows[static_cast<std::size_t>(t)] += n;
                  });

  const auto scanned = std::chrono::steady_clock::now();
  // Merge column by column, the columns spread over the threads.
  if (per_thread.size() > 1) {
    parallel_for(threads_, columns.size(), [&](std::size_t i) {
      ColumnState& into = per_thread[0][i];
      if (into.want_distinct && !into.approximate) {
        std::vector<const ExactDistinct*> sets;
        for (const auto& states : per_thread) sets.push_back(&states[i].exact);
        into.exact_union = ExactDistinct::union_size(sets);
      }
      for (std::size_t t = 1; t < per_thread.size(); ++t) into.merge(per_thread[t][i]);
    });
  }
  const auto merged = std::chrono::steady_clock::now();
  log().debug("native scan of {}: {} ranges on {} threads, read {:.3f}s, merge {:.3f}s",
              target.ref.display(), ranges_.size(), threads_,
              std::chrono::duration<double>(scanned - started).count(),
              std::chrono::duration<double>(merged - scanned).count());
  hist_values_.clear();
  if (buffer_hist) {
    hist_values_.resize(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!per_thread[0][i].want_hist_values) continue;
      for (auto& states : per_thread) hist_values_[i].push_back(std::move(states[i].hist_values));
    }
  }
  NativeResult out;
  for (auto n : rows) out.count += n;
  for (const auto& s : per_thread[0]) out.aggregates.push_back(s.result());
  return out;
}

std::vector<std::vector<std::int64_t>> NativeExecutor::histogram_pass(
    const TableTarget& target, const std::vector<ColumnSpec>& columns, const Scope& scope,
    const std::vector<HistogramRequest>& requests, int bins) {
  using Counts = std::vector<std::vector<std::int64_t>>;
  const bool buffered = std::all_of(requests.begin(), requests.end(), [&](const auto& r) {
    return r.column < hist_values_.size() && !hist_values_[r.column].empty();
  });
  if (buffered) {
    // Every value is at hand from pass 1: bin them, the columns spread over the threads.
    const auto binning = std::chrono::steady_clock::now();
    Counts total(requests.size(), std::vector<std::int64_t>(static_cast<std::size_t>(bins), 0));
    parallel_for(threads_, requests.size(), [&](std::size_t k) {
      const auto& req = requests[k];
      for (const auto& values : hist_values_[req.column]) {
        for (double v : values) {
          total[k][static_cast<std::size_t>(histogram_bin(v, req.min, req.max - req.min, bins))]++;
        }
      }
    });
    hist_values_.clear();
    log().debug("native histograms of {}: {} columns from the values kept by pass 1, {:.3f}s",
                target.ref.display(), requests.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - binning).count());
    return total;
  }
  hist_values_.clear();
  const db::Dialect& d = connection_.dialect();
  std::vector<std::string> select;
  for (const auto& r : requests) select.push_back(d.quote_identifier(columns[r.column].name));
  const RangeQuery scan = range_query(d, select, d.table_sql(target.ref), columns, scope);

  const auto started = std::chrono::steady_clock::now();
  std::vector<Counts> per_thread(
      static_cast<std::size_t>(threads_),
      Counts(requests.size(), std::vector<std::int64_t>(static_cast<std::size_t>(bins), 0)));
  parallel_ranges(connection_, factory_, threads_, ranges_.size(),
                  [&](int t, db::Connection& conn, std::size_t r) {
                    auto cur = scan.open(conn, ranges_[r].lo, ranges_[r].hi);
                    Counts& counts = per_thread[static_cast<std::size_t>(t)];
                    while (cur->next()) {
                      for (std::size_t k = 0; k < requests.size(); ++k) {
                        Numeric n = numeric(cur->cell(static_cast<int>(k)));
                        if (!n.ok || !std::isfinite(n.d)) continue;
                        const auto& req = requests[k];
                        counts[k][static_cast<std::size_t>(
                            histogram_bin(n.d, req.min, req.max - req.min, bins))]++;
                      }
                    }
                  });
  log().debug("native histograms of {}: {} columns, read {:.3f}s", target.ref.display(),
              requests.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  Counts total = per_thread[0];
  for (std::size_t t = 1; t < per_thread.size(); ++t) {
    for (std::size_t k = 0; k < total.size(); ++k) {
      for (std::size_t b = 0; b < total[k].size(); ++b) total[k][b] += per_thread[t][k][b];
    }
  }
  return total;
}

}  // namespace baselinr::profiling
