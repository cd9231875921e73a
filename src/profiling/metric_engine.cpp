#include "profiling/metric_engine.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/distinct.hpp"
#include "common/moments.hpp"
#include "common/text.hpp"

namespace baselinr::profiling {
namespace {

using db::CellView;
using Kind = CellView::Kind;

// The engine's order for MIN and MAX (SQLite's, BINARY collation): numbers compared by value,
// then text, then blobs, both by their bytes.
int kind_rank(Kind k) {
  switch (k) {
    case Kind::kInt:
    case Kind::kReal:
      return 1;
    case Kind::kText:
      return 2;
    case Kind::kBlob:
      return 3;
    case Kind::kNull:
      break;
  }
  return 0;
}

int compare(const CellView& a, const CellView& b) {
  const int ra = kind_rank(a.kind), rb = kind_rank(b.kind);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 1) {
    if (a.kind == Kind::kInt && b.kind == Kind::kInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    // long double holds every int64 exactly, so mixed comparisons are exact.
    const long double x = a.kind == Kind::kInt ? static_cast<long double>(a.i) : a.d;
    const long double y = b.kind == Kind::kInt ? static_cast<long double>(b.i) : b.d;
    // NaN (never from SQLite, which stores it as NULL) comes after every number, as in
    // PostgreSQL.
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return compare_bytes(a.bytes, b.bytes);
}

// compare(), with the common cases inline: two integers, two text values.
inline int fast_compare(const CellView& a, const CellView& b) {
  if (a.kind == b.kind) {
    if (a.kind == Kind::kInt) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    if (a.kind == Kind::kText) return compare_bytes(a.bytes, b.bytes);
  }
  return compare(a, b);
}

// An owned copy of a cell: the running minimum or maximum.
struct Extreme {
  CellView cell;  // bytes point into `owned`
  std::string owned;

  bool empty() const { return cell.kind == Kind::kNull; }
  void set(const CellView& c) {
    cell = c;
    if (c.kind == Kind::kText || c.kind == Kind::kBlob) {
      owned.assign(c.bytes);
      cell.bytes = owned;
    }
  }
  Extreme() = default;
  Extreme(const Extreme& o) { set(o.cell); }
  Extreme& operator=(const Extreme& o) {
    if (this != &o) set(o.cell);
    return *this;
  }
  db::Value value() const {
    switch (cell.kind) {
      case Kind::kInt:
        return cell.i;
      case Kind::kReal:
        return cell.d;
      case Kind::kText:
      case Kind::kBlob:
        return owned;  // a blob comes back as its bytes, as the SQL path returns it
      case Kind::kNull:
        break;
    }
    return std::monostate{};
  }
};

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
  if (c.kind == Kind::kInt) {
    n.ok = n.is_int = true;
    n.i = c.i;
    n.d = static_cast<double>(c.i);
  } else if (c.kind == Kind::kReal) {
    n.ok = !std::isnan(c.d);
    n.d = c.d;
  } else if (c.kind == Kind::kText) {
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

// A distinct key's number as numeric() reads the cell it came from (text as SQLite reads it).
Numeric key_numeric(const DistinctKey& k) {
  CellView c;
  switch (k.kind) {
    case DistinctKey::Kind::kInt:
      c.kind = Kind::kInt;
      c.i = static_cast<std::int64_t>(k.bits);
      break;
    case DistinctKey::Kind::kReal:
      c.kind = Kind::kReal;
      c.d = std::bit_cast<double>(k.bits);
      break;
    case DistinctKey::Kind::kText:
      c.kind = Kind::kText;
      c.bytes = k.bytes;
      break;
    case DistinctKey::Kind::kBlob:
      return {};
  }
  return numeric(c);
}

// SQLite's LENGTH() of a text value: the characters before the first NUL, where a character is
// a byte below 0xC0, or a byte from 0xC0 up with the continuation bytes (0x80-0xBF) after it.
// Text from engines without NULs in strings is counted the same way (UTF-8 characters).
std::int64_t text_length(std::string_view bytes) {
  std::int64_t n = 0;
  std::size_t i = 0;
  // Eight bytes at a time while they are ASCII without a NUL (one character each); from the
  // first other word on, byte by byte.
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  while (i + 8 <= bytes.size()) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    const bool plain = ((w | ((w - kOnes) & ~w)) & kHighs) == 0;  // no high bit, no zero byte
    if (!plain) break;
    n += 8;
    i += 8;
  }
  while (i < bytes.size() && bytes[i] != '\0') {
    const auto c = static_cast<unsigned char>(bytes[i++]);
    ++n;
    if (c >= 0xC0) {
      while (i < bytes.size() && (static_cast<unsigned char>(bytes[i]) & 0xC0) == 0x80) ++i;
    }
  }
  return n;
}

// The engine's order (as compare()) on distinct keys, for the quantiles and the ties of the top
// values. A NaN (never from SQLite, which stores it as NULL) comes after every number, as in
// PostgreSQL.
int key_compare(const DistinctKey& a, const DistinctKey& b) {
  using K = DistinctKey::Kind;
  auto rank = [](K k) { return k == K::kInt || k == K::kReal ? 1 : (k == K::kText ? 2 : 3); };
  const int ra = rank(a.kind), rb = rank(b.kind);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 1) {
    if (a.kind == K::kInt && b.kind == K::kInt) {
      const auto x = static_cast<std::int64_t>(a.bits), y = static_cast<std::int64_t>(b.bits);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    auto number = [](const DistinctKey& k) {
      return k.kind == K::kInt ? static_cast<long double>(static_cast<std::int64_t>(k.bits))
                               : static_cast<long double>(std::bit_cast<double>(k.bits));
    };
    const long double x = number(a), y = number(b);
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return compare_bytes(a.bytes, b.bytes);
}

// A distinct key as a metric value: an integer (or the real it was stored as), a real, or the
// bytes of text or a blob (as min and max give them).
MetricValue key_value(const DistinctKey& k) {
  switch (k.kind) {
    case DistinctKey::Kind::kInt: {
      const auto i = static_cast<std::int64_t>(k.bits);
      if (k.real) return static_cast<double>(i);
      return i;
    }
    case DistinctKey::Kind::kReal:
      return std::bit_cast<double>(k.bits);
    case DistinctKey::Kind::kText:
    case DistinctKey::Kind::kBlob:
      break;
  }
  return std::string(k.bytes);
}

using Entry = ExactDistinct::Entry;

// The elements holding the nearest ranks ranks[lo..hi) (ascending, 1-based) of the counted values
// [first, last) (count_of(element) each), `before` values coming before them: the element whose
// values cover each rank in `less` order. Equivalent to sorting and accumulating the counts, but
// only the parts that hold a rank are ordered (nth_element around a middle element, then into
// the side of each rank): about 3 to 4 comparisons per element instead of a sort's 20 for a
// million of them.
template <class T, class Less, class CountOf>
void select_ranks(T* first, T* last, std::int64_t before, const std::int64_t* rank,
                  const std::int64_t* rank_end, const T** out, const Less& less,
                  const CountOf& count_of) {
  while (rank != rank_end && first != last) {
    if (last - first <= 32) {
      std::sort(first, last, less);
      for (T* e = first; e != last && rank != rank_end; ++e) {
        before += count_of(*e);
        while (rank != rank_end && *rank <= before) {
          *out++ = e;
          ++rank;
        }
      }
      break;
    }
    T* mid = first + (last - first) / 2;
    std::nth_element(first, mid, last, less);
    std::int64_t left = 0;
    for (T* e = first; e != mid; ++e) left += count_of(*e);
    const std::int64_t* split = rank;
    while (split != rank_end && *split <= before + left) ++split;
    select_ranks(first, mid, before, rank, split, out, less, count_of);
    out += split - rank;
    rank = split;
    while (rank != rank_end && *rank <= before + left + count_of(*mid)) {
      *out++ = mid;
      ++rank;
    }
    before += left + count_of(*mid);
    first = mid + 1;
  }
  // Ranks past the last value (never: every rank is at most the number of values) take the
  // largest element seen, as the cumulative scan of a sorted vector would.
  for (; rank != rank_end; ++rank) *out++ = last - 1;
}

// The elements of `values` (reordered) at the nearest ranks `ranks` (ascending); none when empty.
template <class T, class Less, class CountOf>
std::vector<const T*> at_ranks(std::vector<T>& values, const std::vector<std::int64_t>& ranks,
                               const Less& less, const CountOf& count_of) {
  if (values.empty()) return {};
  std::vector<const T*> at(ranks.size(), nullptr);
  select_ranks(values.data(), values.data() + values.size(), 0, ranks.data(),
               ranks.data() + ranks.size(), at.data(), less, count_of);
  return at;
}

// A number (the integer, or the double's bits) and its count, with in the count's top bits
// whether the key is a real, or an integer that was stored as a real.
struct RankNumber {
  std::uint64_t bits;
  std::uint64_t count;
};

// Text or blob bytes with their first 16 bytes as two big-endian words (zero-padded), which
// order most pairs without reading the bytes themselves (scattered over the sets' arenas: a
// cache miss each). Zero padding keeps the words' order the bytes' order wherever they differ.
struct RankBytes {
  std::uint64_t head[2];
  std::string_view bytes;
  std::int64_t count;

  static RankBytes of(std::string_view b, std::int64_t count) {
    RankBytes out{{0, 0}, b, count};
    unsigned char first[16] = {};
    if (!b.empty()) std::memcpy(first, b.data(), std::min<std::size_t>(b.size(), 16));
    for (int w = 0; w < 2; ++w) {
      std::uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v = (v << 8) | first[w * 8 + i];
      out.head[w] = v;
    }
    return out;
  }
};

// The arrays of a RankSelector, kept between the columns one thread summarises: each column's
// values would otherwise take fresh pages (zeroed by the kernel) for an array of the column's
// size.
struct RankScratch {
  std::vector<RankNumber> numbers;
  std::vector<RankBytes> bytes;
  std::vector<Entry> entries;
};

// The values at the nearest ranks of a column's counted values (each value in one of the column's
// sets, ExactDistinct::absorb_counts), in the engine's order (key_compare): add() every entry,
// then select(). The values are copied into compact arrays specialised to what the sets hold:
// 16 bytes per value when every value is an integer, or every value a number that a double holds
// exactly (integers within 2^53, no NaN), 40 when every value is text (or every value a blob),
// ordered by its bytes; other columns (mixed kinds, NaN, huge integers among reals) select whole
// entries with key_compare.
class RankSelector {
 public:
  RankSelector(const std::vector<const ExactDistinct*>& sets, RankScratch& scratch)
      : numbers_(scratch.numbers), bytes_(scratch.bytes), entries_(scratch.entries) {
    numbers_.clear();
    bytes_.clear();
    entries_.clear();
    using K = DistinctKey::Kind;
    auto only = [&](std::initializer_list<K> kinds) {
      for (const ExactDistinct* set : sets) {
        for (K k : {K::kInt, K::kReal, K::kText, K::kBlob}) {
          if (set->holds(k) && std::find(kinds.begin(), kinds.end(), k) == kinds.end()) {
            return false;
          }
        }
      }
      return true;
    };
    const bool exact = std::all_of(sets.begin(), sets.end(),
                                   [](const ExactDistinct* s) { return s->exact_doubles(); });
    std::size_t size = 0;
    for (const ExactDistinct* set : sets) size += static_cast<std::size_t>(set->size());
    if (only({K::kInt})) {
      mode_ = Mode::kInts;
    } else if (only({K::kInt, K::kReal}) && exact) {
      mode_ = Mode::kDoubles;
    } else if (only({K::kText}) || only({K::kBlob})) {
      mode_ = Mode::kBytes;
    } else {
      mode_ = Mode::kEntries;
    }
    if ((mode_ == Mode::kInts || mode_ == Mode::kDoubles) &&
        std::all_of(sets.begin(), sets.end(),
                    [](const ExactDistinct* s) { return s->numbers_in_runs(); })) {
      // Every number already sorted (by its bits) in the sets' runs: the ranks are read by
      // walking them in value order, nothing copied.
      for (const ExactDistinct* set : sets) {
        for (const auto kind : {K::kInt, K::kReal}) {
          const auto run = set->number_run(kind);
          if (!run.empty()) runs_.emplace_back(run, kind == K::kReal);
        }
      }
      sorted_ = true;
      return;
    }
    switch (mode_) {
      case Mode::kInts:
      case Mode::kDoubles:
        numbers_.reserve(size);
        break;
      case Mode::kBytes:
        bytes_.reserve(size);
        break;
      case Mode::kEntries:
        entries_.reserve(size);
        break;
    }
  }

  void add(const Entry& e) {
    if (sorted_) return;
    const auto count = static_cast<std::uint64_t>(e.count);
    switch (mode_) {
      case Mode::kInts:
        numbers_.push_back({e.key.bits, count | (e.key.real ? kWasReal : 0)});
        break;
      case Mode::kDoubles:
        if (e.key.kind == DistinctKey::Kind::kInt) {
          const double d = static_cast<double>(static_cast<std::int64_t>(e.key.bits));
          numbers_.push_back(
              {std::bit_cast<std::uint64_t>(d), count | (e.key.real ? kWasReal : 0)});
        } else {
          numbers_.push_back({e.key.bits, count | kIsReal});
        }
        break;
      case Mode::kBytes:
        bytes_.push_back(Bytes::of(e.key.bytes, e.count));
        break;
      case Mode::kEntries:
        entries_.push_back(e);
        break;
    }
  }

  // The values at the nearest ranks `ranks` (ascending, each at most the values added).
  std::vector<MetricValue> select(const std::vector<std::int64_t>& ranks) {
    if (sorted_) return select_sorted(ranks);
    std::vector<MetricValue> out;
    if (mode_ == Mode::kInts || mode_ == Mode::kDoubles) {
      const auto count_of = [](const Number& n) {
        return static_cast<std::int64_t>(n.count & kCount);
      };
      const std::vector<const Number*> at =
          mode_ == Mode::kInts
              ? at_ranks(
                    numbers_, ranks,
                    [](const Number& a, const Number& b) {
                      return static_cast<std::int64_t>(a.bits) < static_cast<std::int64_t>(b.bits);
                    },
                    count_of)
              : at_ranks(
                    numbers_, ranks,
                    [](const Number& a, const Number& b) {
                      return std::bit_cast<double>(a.bits) < std::bit_cast<double>(b.bits);
                    },
                    count_of);
      for (const Number* n : at) {
        if (n->count & kIsReal) {
          out.emplace_back(std::bit_cast<double>(n->bits));
          continue;
        }
        const std::int64_t i = mode_ == Mode::kInts
                                   ? static_cast<std::int64_t>(n->bits)
                                   : static_cast<std::int64_t>(std::bit_cast<double>(n->bits));
        if (n->count & kWasReal) {
          out.emplace_back(static_cast<double>(i));
        } else {
          out.emplace_back(i);
        }
      }
      return out;
    }
    if (mode_ == Mode::kBytes) {
      const auto less = [](const Bytes& x, const Bytes& y) {
        if (x.head[0] != y.head[0]) return x.head[0] < y.head[0];
        if (x.head[1] != y.head[1]) return x.head[1] < y.head[1];
        return compare_bytes(x.bytes, y.bytes) < 0;  // rare: the first 16 bytes are equal
      };
      const auto count_of = [](const Bytes& x) { return x.count; };
      for (const Bytes* b : at_ranks(bytes_, ranks, less, count_of)) {
        out.emplace_back(std::string(b->bytes));
      }
      return out;
    }
    const std::vector<const Entry*> at = at_ranks(
        entries_, ranks,
        [](const Entry& x, const Entry& y) { return key_compare(x.key, y.key) < 0; },
        [](const Entry& e) { return e.count; });
    for (const Entry* e : at) out.push_back(key_value(e->key));
    return out;
  }

 private:
  // A run of a set in value order: integers by their bits are the non-negative ones then the
  // negative ones, each ascending, so the negative part comes first; reals (no NaN in kDoubles
  // mode) are the non-negative ones ascending then the negative ones descending, so the negative
  // part comes first and backwards.
  struct RunInOrder {
    std::span<const ExactDistinct::NumberItem> items;
    bool real;
    std::size_t negatives;  // items from the first negative (bit 63 set) on
    std::size_t next = 0;   // position in value order
    RunInOrder(std::span<const ExactDistinct::NumberItem> run, bool is_real)
        : items(run), real(is_real) {
      const auto first_negative = std::partition_point(
          run.begin(), run.end(),
          [](const ExactDistinct::NumberItem& it) { return (it.bits >> 63) == 0; });
      negatives = static_cast<std::size_t>(run.end() - first_negative);
    }
    bool done() const { return next == items.size(); }
    const ExactDistinct::NumberItem& at() const {
      const std::size_t n = items.size(), p = n - negatives;
      if (next < negatives) return real ? items[n - 1 - next] : items[p + next];
      return items[next - negatives];
    }
    double as_double() const {
      const std::uint64_t b = at().bits;
      return real ? std::bit_cast<double>(b) : static_cast<double>(static_cast<std::int64_t>(b));
    }
  };

  // select() over the runs: a merge of the runs in value order, counting up to each rank.
  std::vector<MetricValue> select_sorted(const std::vector<std::int64_t>& ranks) {
    std::vector<MetricValue> out;
    auto rank = ranks.begin();
    std::int64_t before = 0;
    const bool ints = mode_ == Mode::kInts;
    for (;;) {
      RunInOrder* least = nullptr;
      for (RunInOrder& r : runs_) {
        if (r.done()) continue;
        if (!least || (ints ? static_cast<std::int64_t>(r.at().bits) <
                                  static_cast<std::int64_t>(least->at().bits)
                            : r.as_double() < least->as_double())) {
          least = &r;
        }
      }
      if (!least || rank == ranks.end()) break;
      const ExactDistinct::NumberItem& it = least->at();
      before += static_cast<std::int64_t>(it.count & ~ExactDistinct::kRealBit);
      while (rank != ranks.end() && *rank <= before) {
        if (least->real) {
          out.emplace_back(std::bit_cast<double>(it.bits));
        } else if (it.count & ExactDistinct::kRealBit) {
          out.emplace_back(static_cast<double>(static_cast<std::int64_t>(it.bits)));
        } else {
          out.emplace_back(static_cast<std::int64_t>(it.bits));
        }
        ++rank;
      }
      ++least->next;
    }
    // Ranks past the last value (never: every rank is at most the number of values) take the
    // largest, as select_ranks() does.
    while (rank != ranks.end() && !out.empty()) {
      out.push_back(out.back());
      ++rank;
    }
    return out;
  }

  enum class Mode { kInts, kDoubles, kBytes, kEntries };
  using Number = RankNumber;
  using Bytes = RankBytes;
  static constexpr std::uint64_t kIsReal = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kWasReal = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kCount = kWasReal - 1;
  Mode mode_ = Mode::kEntries;
  bool sorted_ = false;  // the numbers are read from the runs (runs_)
  std::vector<RunInOrder> runs_;
  std::vector<Number>& numbers_;
  std::vector<Bytes>& bytes_;
  std::vector<Entry>& entries_;
};

// The k most frequent values, ties in the engine's order, from one pass over the entries: a heap
// of the best k so far, the worst on top, that a value enters only when it beats that worst (most
// values are compared by their count only).
class TopSelector {
 public:
  explicit TopSelector(std::size_t k) : k_(k) { best_.reserve(k + 1); }

  void add(const Entry& e) {
    if (k_ == 0) return;
    if (best_.size() == k_) {
      if (e.count < best_.front().count || !better(e, best_.front())) return;
      std::pop_heap(best_.begin(), best_.end(), better);
      best_.back() = e;
    } else {
      best_.push_back(e);
    }
    std::push_heap(best_.begin(), best_.end(), better);
  }

  // Most frequent first (keys' bytes valid while the sets live).
  std::vector<Entry> take() {
    std::sort_heap(best_.begin(), best_.end(), better);
    return std::move(best_);
  }

 private:
  static bool better(const Entry& a, const Entry& b) {
    if (a.count != b.count) return a.count > b.count;
    return key_compare(a.key, b.key) < 0;
  }
  std::size_t k_;
  std::vector<Entry> best_;
};

DistinctKey distinct_key(const CellView& c) {
  switch (c.kind) {
    case Kind::kInt:
      return DistinctKey::from_int(c.i);
    case Kind::kReal:
      return DistinctKey::from_real(c.d);
    case Kind::kText:
      return DistinctKey::from_bytes(DistinctKey::Kind::kText, c.bytes);
    default:
      return DistinctKey::from_bytes(DistinctKey::Kind::kBlob, c.bytes);
  }
}

}  // namespace

// The state of one column on one thread.
struct MetricEngine::ColumnState {
  const ColumnSpec* spec = nullptr;
  const RowSource* source = nullptr;
  bool want_distinct = false, want_min = false, want_max = false, want_moments = false,
       want_lengths = false, approximate = false;
  // Exact mode: quantiles, top values and histograms from the distinct set with a count per
  // value (`counted`); the set is kept when any of these or the distinct count is wanted.
  bool want_quantiles = false, want_top = false, counted = false, want_set = false;
  std::optional<Quantiles> quantiles;
  std::optional<TopValues> top;
  // Histograms binned from the counted set (exact mode): each distinct value's number with
  // its count, once min and max are known, instead of a second read of the column.
  bool want_hist = false;
  std::int64_t non_null = 0;
  ExactDistinct exact;
  // After finish() on the first thread's state: another thread's counted set whose values with
  // a non-zero count are the rest of the column's values (ExactDistinct::absorb_counts).
  ExactDistinct* rest = nullptr;
  std::optional<std::int64_t> exact_union;  // the size of the union of every thread's `exact`
  ApproxDistinct approx;
  Extreme min, max;
  Moments moments;
  std::int64_t min_len = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_len = std::numeric_limits<std::int64_t>::min();
  long double len_sum = 0;
  std::int64_t len_n = 0;
  // Distinct keys of the current batch of rows, inserted column by column (one set hot at a
  // time instead of every column's set per row); text bytes are copied into `scratch`, since a
  // cell's bytes live only until the cursor moves.
  static constexpr std::size_t kNoBytes = static_cast<std::size_t>(-1);
  bool flushed = false;
  std::int64_t expected_rows = 0;  // rows this thread is likely to read
  std::vector<DistinctKey> pending;
  std::vector<std::size_t> pending_offset;
  std::string scratch;

  void add(const CellView& c) {
    if (c.kind == Kind::kNull) return;
    ++non_null;
    if (want_set) {
      const DistinctKey key = distinct_key(c);
      if (approximate) {
        approx.add(key.hash);
      } else {
        if (!key.bytes.empty()) {
          pending_offset.push_back(scratch.size());
          scratch.append(key.bytes);
        } else {
          pending_offset.push_back(kNoBytes);
        }
        pending.push_back(key);
      }
    }
    if (want_min && (min.empty() || fast_compare(c, min.cell) < 0)) min.set(c);
    if (want_max && (max.empty() || fast_compare(c, max.cell) > 0)) max.set(c);
    if (want_moments) {
      const Numeric n = numeric(c);
      if (n.ok) {
        if (n.is_int) {
          moments.add_int(n.i);
        } else {
          moments.add_double(n.d);
        }
      }
    }
    if (want_lengths) {
      std::int64_t len = 0;
      if (c.kind == Kind::kText) {
        len = text_length(c.bytes);
      } else if (c.kind == Kind::kBlob) {
        len = static_cast<std::int64_t>(c.bytes.size());
      } else {
        len = source->number_length(c);
      }
      min_len = std::min(min_len, len);
      max_len = std::max(max_len, len);
      len_sum += len;
      ++len_n;
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

  // Everything but the exact sets, which are not merged (see exact_union).
  void merge(ColumnState& o) {
    non_null += o.non_null;
    if (want_distinct && approximate) approx.merge(o.approx);
    if (want_min && !o.min.empty() && (min.empty() || compare(o.min.cell, min.cell) < 0)) {
      min = o.min;
    }
    if (want_max && !o.max.empty() && (max.empty() || compare(o.max.cell, max.cell) > 0)) {
      max = o.max;
    }
    moments.merge(o.moments);
    min_len = std::min(min_len, o.min_len);
    max_len = std::max(max_len, o.max_len);
    len_sum += o.len_sum;
    len_n += o.len_n;
  }

  // The quantiles and top values from the counted set (every thread's merged into this one and
  // `rest`), in one pass over their values.
  void summarize(int top_k, RankScratch& arrays) {
    if (!counted || non_null == 0) return;
    std::vector<const ExactDistinct*> sets = {&exact};
    if (rest) sets.push_back(rest);
    const std::int64_t distinct = exact_union.value_or(exact.size());
    if (distinct == 0 || (!want_quantiles && !want_top)) return;
    std::optional<RankSelector> ranks;
    if (want_quantiles) ranks.emplace(sets, arrays);
    TopSelector best(want_top ? std::min(static_cast<std::size_t>(std::max(0, top_k)),
                                         static_cast<std::size_t>(distinct))
                              : 0);
    for (const ExactDistinct* set : sets) {
      set->for_each_entry([&](const Entry& e) {
        if (ranks) ranks->add(e);
        best.add(e);
      });
    }
    if (want_quantiles) {
      Quantiles q;
      q.n = non_null;
      std::vector<std::int64_t> at;
      for (int percent : kQuantilePercents) at.push_back(nearest_rank(percent, q.n));
      q.values = ranks->select(at);
      quantiles = std::move(q);
    }
    if (want_top) {
      TopValues t;
      t.distinct_count = distinct;
      std::int64_t listed = 0;
      for (const Entry& e : best.take()) {
        t.values.emplace_back(key_value(e.key), e.count);
        listed += e.count;
      }
      t.other_count = non_null - listed;
      top = std::move(t);
    }
  }

  ColumnAggregates result() const {
    ColumnAggregates a;
    a.non_null = non_null;
    a.quantiles = quantiles;
    a.top_values = top;
    if (want_distinct) {
      std::int64_t d = approximate ? approx.estimate() : exact_union.value_or(0);
      // An estimate can exceed the values it estimates; there are never more distinct values
      // than non-null ones.
      a.distinct = std::min(d, non_null);
    }
    a.min = min.value();
    a.max = max.value();
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

struct MetricEngine::Partial {
  std::vector<ColumnState> columns;
  std::int64_t rows = 0;
};

MetricEngine::MetricEngine(const std::vector<ColumnSpec>& columns, const RowSource& source,
                           const EngineOptions& options)
    : columns_(columns), options_(options) {
  options_.threads = std::max(1, options_.threads);
  const std::int64_t per_thread_rows = options_.expected_rows / options_.threads + 1;
  for (int t = 0; t < options_.threads; ++t) {
    auto p = std::make_unique<Partial>();
    p->columns.resize(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const ColumnSpec& c = columns[i];
      ColumnState& s = p->columns[i];
      s.spec = &c;
      s.source = &source;
      s.want_distinct = c.wants("distinct_count") || c.wants("distinct_percent");
      s.approximate = options_.distinct == DistinctMode::kApproximate;
      // Quantiles, top values and the histograms' values come from sets that count each value,
      // so exact only: approximate mode's memory must not grow with the values (bounded sketches
      // are not implemented; quantiles and top values are then absent, and the histograms take
      // a second read).
      s.want_quantiles = !s.approximate && c.wants("quantiles");
      s.want_top = !s.approximate && c.wants("top_values") && options_.top_values > 0;
      s.want_hist = !s.approximate && c.wants("histogram");
      s.counted = s.want_quantiles || s.want_top || s.want_hist;
      s.want_set = s.want_distinct || s.counted;
      if (s.counted) s.exact = ExactDistinct(true);
      s.want_min = c.wants("min") || c.wants("histogram");
      s.want_max = c.wants("max") || c.wants("histogram");
      s.want_moments = c.wants("mean") || c.wants("stddev");
      s.want_lengths = c.wants("min_length") || c.wants("max_length") || c.wants("avg_length");
      s.expected_rows = per_thread_rows;
    }
    partials_.push_back(std::move(p));
  }
}

MetricEngine::~MetricEngine() = default;

std::vector<std::size_t> MetricEngine::scan_columns() const {
  std::vector<std::size_t> out(columns_.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

void MetricEngine::consume(int thread, db::RowCursor& cursor, const std::atomic<bool>* stop) {
  Partial& p = *partials_.at(static_cast<std::size_t>(thread));
  auto& states = p.columns;
  const int width = static_cast<int>(states.size());
  std::int64_t n = 0;
  constexpr std::int64_t kBatch = 2048;
  while (cursor.next()) {
    ++n;
    for (int i = 0; i < width; ++i) states[static_cast<std::size_t>(i)].add(cursor.cell(i));
    if (n % kBatch == 0) {
      for (auto& s : states) s.flush();
      if (stop && stop->load(std::memory_order_relaxed)) break;
    }
  }
  for (auto& s : states) s.flush();
  p.rows += n;
}

std::int64_t MetricEngine::finish(std::vector<ColumnAggregates>& out) {
  // Merge column by column, the columns spread over the threads. Counted sets: the first
  // thread's set takes the counts of the values it shares with the second (the larger of the
  // two is kept there), whose other values stay where they are (ExactDistinct::absorb_counts:
  // no table for the whole union is built); a third thread's and later are merged into the
  // second first. Other exact sets are only counted by lookups (union_size).
  auto& first = partials_[0]->columns;
  // The quantile arrays, one per column being summarised at a time, reused column after column.
  std::mutex scratch_mutex;
  std::vector<std::unique_ptr<RankScratch>> scratch_pool;
  const int merging = options_.finish_threads > 0 ? options_.finish_threads : options_.threads;
  parallel_for(merging, columns_.size(), [&](std::size_t i) {
    std::unique_ptr<RankScratch> scratch;
    {
      std::lock_guard lock(scratch_mutex);
      if (scratch_pool.empty()) {
        scratch = std::make_unique<RankScratch>();
      } else {
        scratch = std::move(scratch_pool.back());
        scratch_pool.pop_back();
      }
    }
    ColumnState& into = first[i];
    if (partials_.size() > 1) {
      if (into.counted) {
        ExactDistinct& second = partials_[1]->columns[i].exact;
        for (std::size_t t = 2; t < partials_.size(); ++t) {
          second.merge_counts(partials_[t]->columns[i].exact);
          partials_[t]->columns[i].exact = ExactDistinct();  // its memory back at once
        }
        // Lookups go from the smaller set into the larger.
        if (second.size() > into.exact.size()) std::swap(second, into.exact);
        const std::int64_t moved = into.exact.absorb_counts(second);
        into.exact_union = into.exact.size() + second.size() - moved;
        into.rest = &second;
      } else if (into.want_distinct && !into.approximate) {
        std::vector<const ExactDistinct*> sets;
        for (const auto& p : partials_) sets.push_back(&p->columns[i].exact);
        into.exact_union = ExactDistinct::union_size(sets);
      }
      for (std::size_t t = 1; t < partials_.size(); ++t) into.merge(partials_[t]->columns[i]);
    }
    if (!into.exact_union) into.exact_union = into.exact.size();  // one thread
    into.summarize(options_.top_values, *scratch);
    if (!into.want_hist) free_sets(i);  // nothing reads them any more
    std::lock_guard lock(scratch_mutex);
    scratch_pool.push_back(std::move(scratch));
  });
  std::int64_t rows = 0;
  for (const auto& p : partials_) rows += p->rows;
  out.clear();
  for (const auto& s : first) out.push_back(s.result());
  return rows;
}

void MetricEngine::free_sets(std::size_t column) {
  for (auto& p : partials_) {
    ColumnState& s = p->columns[column];
    s.exact = ExactDistinct();
    s.rest = nullptr;
  }
}

std::optional<std::vector<std::vector<std::int64_t>>> MetricEngine::counted_histograms(
    const std::vector<HistogramRequest>& requests, int bins) {
  using Counts = std::vector<std::vector<std::int64_t>>;
  auto& first = partials_[0]->columns;
  const bool counted = std::all_of(requests.begin(), requests.end(), [&](const auto& r) {
    return r.column < first.size() && first[r.column].want_hist;
  });
  if (!counted) return std::nullopt;
  Counts total(requests.size(), std::vector<std::int64_t>(static_cast<std::size_t>(bins), 0));
  parallel_for(
      options_.finish_threads > 0 ? options_.finish_threads : options_.threads, requests.size(),
      [&](std::size_t k) {
        const auto& req = requests[k];
        const ColumnState& s = first[req.column];
        auto& counts = total[k];
        // Each value binned once with its count: the bins of every row's value, as a second read
        // would count them.
        auto bin = [&](const ExactDistinct::Entry& e) {
          const Numeric n = key_numeric(e.key);
          if (!n.ok || !std::isfinite(n.d)) return;
          counts[static_cast<std::size_t>(histogram_bin(n.d, req.min, req.max - req.min, bins))] +=
              e.count;
        };
        s.exact.for_each_entry(bin);
        if (s.rest) s.rest->for_each_entry(bin);
      });
  for (const auto& r : requests) free_sets(r.column);
  return total;
}

HistogramBins::HistogramBins(const std::vector<HistogramRequest>& requests, int bins, int threads)
    : requests_(requests),
      bins_(bins),
      counts_(static_cast<std::size_t>(std::max(1, threads)),
              std::vector<std::vector<std::int64_t>>(
                  requests.size(), std::vector<std::int64_t>(static_cast<std::size_t>(bins), 0))) {}

std::vector<std::size_t> HistogramBins::scan_columns() const {
  std::vector<std::size_t> out;
  for (const auto& r : requests_) out.push_back(r.column);
  return out;
}

void HistogramBins::consume(int thread, db::RowCursor& cursor, const std::atomic<bool>* stop) {
  auto& counts = counts_.at(static_cast<std::size_t>(thread));
  constexpr std::int64_t kBatch = 2048;
  for (std::int64_t row = 1; cursor.next(); ++row) {
    if (row % kBatch == 0 && stop && stop->load(std::memory_order_relaxed)) break;
    for (std::size_t k = 0; k < requests_.size(); ++k) {
      const Numeric n = numeric(cursor.cell(static_cast<int>(k)));
      if (!n.ok || !std::isfinite(n.d)) continue;
      const auto& req = requests_[k];
      counts[k][static_cast<std::size_t>(histogram_bin(n.d, req.min, req.max - req.min, bins_))]++;
    }
  }
}

std::vector<std::vector<std::int64_t>> HistogramBins::finish() const {
  auto total = counts_[0];
  for (std::size_t t = 1; t < counts_.size(); ++t) {
    for (std::size_t k = 0; k < total.size(); ++k) {
      for (std::size_t b = 0; b < total[k].size(); ++b) total[k][b] += counts_[t][k][b];
    }
  }
  return total;
}

void parallel_for(int threads, std::size_t count, const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto run = [&] {
    try {
      for (std::size_t i = next++; i < count; i = next++) work(i);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = count;
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads && static_cast<std::size_t>(t) < count; ++t) pool.emplace_back(run);
    run();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace baselinr::profiling
