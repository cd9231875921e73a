// Distinct-value counting: an exact set and a HyperLogLog estimate, both mergeable.
//
// Values are normalised as SQLite's COUNT(DISTINCT) compares them: integers and reals by
// numeric value (1 and 1.0 are one value, -0.0 is 0), text by its bytes, blobs by theirs, and
// the three kinds never equal each other.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace baselinr {

// A normalised value: its kind, a 64-bit hash, and its identity (the number, or the bytes).
struct DistinctKey {
  enum class Kind : std::uint8_t { kInt = 1, kReal = 2, kText = 3, kBlob = 4 };
  Kind kind = Kind::kInt;
  std::uint64_t hash = 0;
  std::uint64_t bits = 0;  // the integer, or the double's bits
  std::string_view bytes;  // text or blob
  // Not part of the identity: the value was a real (1.0 is the integer 1 with this set). A set
  // with counts remembers it per value, so the value can be shown as it was stored.
  bool real = false;

  static DistinctKey from_int(std::int64_t v);
  static DistinctKey from_real(double v);  // integral values become from_int
  static DistinctKey from_bytes(Kind kind, std::string_view bytes);
};

// Exact distinct counting: an open-addressing set of 16-byte slots at a load factor of at most
// 0.7; text and blobs are copied into an arena with a 4-byte length. Memory grows with the number
// of distinct values (23 to 32 bytes, plus the bytes of each), never with the number of rows.
// A set made `counted` also keeps how many times each value was added (8 bytes more per slot),
// for exact quantiles and most frequent values.
class ExactDistinct {
 public:
  // One value of a counted set: its key (bytes valid while the set lives), how many times it
  // was added, and whether any of them was a real.
  struct Entry {
    DistinctKey key;
    std::int64_t count = 0;
  };

  explicit ExactDistinct(bool counted = false);
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
  // Makes room for `count` distinct values without growing step by step.
  void reserve(std::size_t count);
  std::int64_t size() const;

  bool counted() const;
  // Adds every value of `other` (both counted) with its count: this set becomes the union.
  void merge_counts(const ExactDistinct& other);
  // Every value with its count (counted sets; key.real set when any addition was a real), in
  // no particular order.
  std::vector<Entry> entries() const;

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
