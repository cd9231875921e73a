// Distinct-value counting: an exact set and a HyperLogLog estimate, both mergeable.
//
// Values are normalised as SQLite's COUNT(DISTINCT) compares them: integers and reals by
// numeric value (1 and 1.0 are one value, -0.0 is 0), text by its bytes, blobs by theirs, and
// the three kinds never equal each other.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baselinr {

// The order of bytes as memcmp() gives it (unsigned bytes; a prefix first), without a call:
// 8 bytes at a time, as big-endian words. Text and blobs are ordered so everywhere in the engine.
inline int compare_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      if constexpr (std::endian::native == std::endian::little) {
        x = __builtin_bswap64(x);
        y = __builtin_bswap64(y);
      }
      return x < y ? -1 : 1;
    }
  }
  for (; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// A normalised value: its kind, a 64-bit hash, and its identity (the number, or the bytes).
struct DistinctKey {
  enum class Kind : std::uint8_t { kInt = 1, kReal = 2, kText = 3, kBlob = 4 };
  std::uint64_t hash = 0;
  std::uint64_t bits = 0;  // the integer, or the double's bits
  std::string_view bytes;  // text or blob
  Kind kind = Kind::kInt;
  // Not part of the identity: the value was a real (1.0 is the integer 1 with this set). A set
  // with counts remembers it per value, so the value can be shown as it was stored.
  bool real = false;

  static DistinctKey from_int(std::int64_t v);
  static DistinctKey from_real(double v);  // integral values become from_int
  static DistinctKey from_bytes(Kind kind, std::string_view bytes);
};

// Exact distinct counting: an open-addressing set of 16-byte slots at a load factor of at most
// 0.7; text and blobs are copied into an arena with a 4-byte length. Once the table holds
// `runs_from` numbers (or reserve() announces that many numbers), numbers move to sorted runs
// instead: per kind an array of (value, count) sorted by the value's bits, the additions
// appended and radix-sorted into it in chunks, since a table beyond the caches misses them on
// nearly every addition. Memory grows with the number of distinct values (16 bytes each in runs,
// 23 to 32 in the table, plus the bytes of each and the pending chunk of additions), never with
// the number of rows. A set made `counted` also keeps how many times each value was added
// (8 bytes more per table slot), for exact quantiles and most frequent values.
//
// Not thread-safe, not even for const calls (the runs sort their pending additions in when read).
class ExactDistinct {
 public:
  // A number of a run: the integer or the double's bits, and its count in the low 63 bits with
  // kRealBit set when any addition was a real (0 when absorbed by another set: absorb_counts).
  struct NumberItem {
    std::uint64_t bits;
    std::uint64_t count;
  };
  static constexpr std::uint64_t kRealBit = std::uint64_t{1} << 63;

  // One value of a counted set: its key (bytes valid while the set lives), how many times it
  // was added, and whether any of them was a real.
  struct Entry {
    DistinctKey key;
    std::int64_t count = 0;
  };

  // Numbers in the table before they move to runs: past it, a table outgrows the L2 cache.
  static constexpr std::size_t kRunsFrom = std::size_t{1} << 16;

  explicit ExactDistinct(bool counted = false, std::size_t runs_from = kRunsFrom);
  ~ExactDistinct();
  ExactDistinct(ExactDistinct&&) noexcept;
  ExactDistinct& operator=(ExactDistinct&&) noexcept;

  void add(const DistinctKey& key);
  // Adds many keys, prefetching their slots first: random accesses overlap instead of waiting
  // for each other, which is most of the cost on sets larger than the cache.
  void add_batch(const DistinctKey* keys, std::size_t count);
  // The number of distinct values in the union of `sets`, computed by lookups only (no set
  // grows), so per-thread sets are combined without a second copy of the largest.
  static std::int64_t union_size(const std::vector<const ExactDistinct*>& sets);
  // Makes room for `count` distinct values without growing step by step (numbers only so far, and
  // that many: they go to runs from now on).
  void reserve(std::size_t count);
  std::int64_t size() const;

  bool counted() const;
  // Whether any value of this kind was ever added (values whose count moved away included).
  bool holds(DistinctKey::Kind kind) const;
  // Whether every number ever added is exactly a double: no integer beyond 2^53 in magnitude,
  // no NaN (then numbers compare exactly as doubles).
  bool exact_doubles() const;
  // Whether every number of the set is in its runs (none in its table): number_run() lists them.
  bool numbers_in_runs() const;
  // The run of integers (kInt) or of reals (kReal), sorted by the bits as unsigned words: the
  // numbers of that kind when numbers_in_runs(). Valid until the set changes.
  std::span<const NumberItem> number_run(DistinctKey::Kind kind) const;
  // Adds every value of `other` (both counted) with its count: this set becomes the union.
  void merge_counts(const ExactDistinct& other);
  // Moves to this set the counts of the values of `other` (both counted) that this set holds,
  // leaving them at 0 in `other`, and returns how many values moved. Lookups only: neither set
  // grows (merge_counts() would rehash this set into a table for the whole union, the largest
  // allocation of a profile). Afterwards every value of the union is in exactly one of the two
  // sets with a non-zero count: this set's entries and `other`'s are the union's, and the
  // union has size() + other.size() - (the result) values.
  std::int64_t absorb_counts(ExactDistinct& other);
  // Every value with its count (counted sets; key.real set when any addition was a real), in
  // no particular order; values whose count moved away (absorb_counts) are left out. Keys'
  // bytes are valid while the set lives.
  std::vector<Entry> entries() const;
  // Appends entries() to `out` (reserve room first: at most size() of them).
  void append_entries(std::vector<Entry>& out) const;
  // Copies up to `max` of entries() to `out`, from slot `slot` on, and moves `slot` past them;
  // returns how many (0 at the end). Start with slot 0.
  std::size_t next_entries(std::size_t& slot, Entry* out, std::size_t max) const;
  // Calls f(entry) for each of entries(), a batch at a time (no copy of them all).
  template <class F>
  void for_each_entry(F&& f) const {
    constexpr std::size_t kBatch = 256;
    Entry batch[kBatch];
    std::size_t slot = 0;
    while (const std::size_t n = next_entries(slot, batch, kBatch)) {
      for (std::size_t i = 0; i < n; ++i) f(batch[i]);
    }
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HyperLogLog with 2^14 registers: fixed 16 KiB, standard error about 0.8%.
class ApproxDistinct {
 public:
  static constexpr int kPrecision = 14;
  void add(std::uint64_t hash);
  void merge(const ApproxDistinct& other);
  std::int64_t estimate() const;
  // Registers as bytes, for engines that keep the state as a blob.
  std::vector<std::uint8_t>& registers() { return registers_; }

 private:
  std::vector<std::uint8_t> registers_ = std::vector<std::uint8_t>(std::size_t{1} << kPrecision, 0);
};

}  // namespace baselinr
