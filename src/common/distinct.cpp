#include "common/distinct.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace baselinr {
namespace {

__extension__ using Wide = unsigned __int128;  // GCC and Clang; for the high half of a product

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) {
  // 64-bit FNV-1a over 8-byte words, finished with a strong mixer.
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h = std::rotl(h, 29);
  }
  std::uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail ^ (static_cast<std::uint64_t>(s.size()) << 56)) * 0x100000001b3ULL;
  return mix64(h);
}

// The key of a number: an integer (kInt) or a double's bits (kReal).
DistinctKey number_key(DistinctKey::Kind kind, std::uint64_t bits) {
  DistinctKey k;
  k.kind = kind;
  k.bits = bits;
  k.hash = mix64(bits ^
                 (kind == DistinctKey::Kind::kInt ? 0x1111111111111111ULL : 0x2222222222222222ULL));
  return k;
}

}  // namespace

DistinctKey DistinctKey::from_int(std::int64_t v) {
  return number_key(Kind::kInt, static_cast<std::uint64_t>(v));
}

DistinctKey DistinctKey::from_real(double v) {
  DistinctKey k;
  if (v == 0) {
    k = from_int(0);  // -0.0 == 0.0 == 0
  } else if (std::isfinite(v) && std::trunc(v) == v && v >= -9.2233720368547758e18 &&
             v < 9.2233720368547758e18) {
    k = from_int(static_cast<std::int64_t>(v));
  } else {
    k = number_key(Kind::kReal, std::bit_cast<std::uint64_t>(v));
  }
  k.real = true;
  return k;
}

DistinctKey DistinctKey::from_bytes(Kind kind, std::string_view bytes) {
  DistinctKey k;
  k.kind = kind;
  k.bytes = bytes;
  k.hash = hash_bytes(bytes, static_cast<std::uint64_t>(kind));
  return k;
}

// A slot is 16 bytes: `tag` is the hash with its low 3 bits replaced by the kind (so 0 means
// empty), `payload` the value bits, or the address of the bytes in the arena (see Arena).
namespace {

// A zeroed array of slots. Large arrays come straight from mmap: the kernel hands out zero pages
// lazily (no second memset), and they are marked for transparent huge pages, since a set is
// probed at random and with 4 KiB pages nearly every probe of a big set would also miss the TLB.
template <class T>
class ZeroedArray {
 public:
  explicit ZeroedArray(std::size_t n = 0) : n_(n) {
    if (n == 0) return;
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= kLarge) {
      // Mapped 2 MiB-aligned (huge pages need it) and written in by the kernel up front: faulting
      // pages in by the first probe would map the shared zero page for reading, then copy it on
      // the first write, with a TLB flush on every core each time.
      map_bytes_ = bytes + kHuge;
      void* p =
          mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      base_ = p;
      const auto at = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
      data_ = reinterpret_cast<T*>(at);
      madvise(data_, bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
      madvise(data_, bytes, MADV_POPULATE_WRITE);  // Linux 5.14+; older kernels fault lazily
#endif
    } else {
      data_ = static_cast<T*>(std::calloc(n, sizeof(T)));
      if (!data_) throw std::bad_alloc();
    }
  }
  ~ZeroedArray() { release(); }
  ZeroedArray(ZeroedArray&& o) noexcept { *this = std::move(o); }
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      n_ = std::exchange(o.n_, 0);
      base_ = std::exchange(o.base_, nullptr);
      map_bytes_ = std::exchange(o.map_bytes_, 0);
    }
    return *this;
  }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;

  std::size_t size() const { return n_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + n_; }

 private:
  static constexpr std::size_t kLarge = std::size_t{1} << 20;
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  void release() {
    if (!data_) return;
    if (base_) {
      munmap(base_, map_bytes_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    base_ = nullptr;
  }
  T* data_ = nullptr;
  std::size_t n_ = 0;
  void* base_ = nullptr;  // the mapping, when mapped
  std::size_t map_bytes_ = 0;
};

}  // namespace

// Text and blob bytes of a set, each preceded by its length: a uint32, or 0xFFFFFFFF and then a
// uint64; in a counted set, by its count (a uint64) before that, on the cache line its bytes are
// compared on. Blocks are never moved or copied (a growing vector would copy every byte at each
// doubling and touch twice the memory), so a slot keeps the address of its bytes (of the length).
class Arena {
 public:
  explicit Arena(bool counted) : count_bytes_(counted ? 8 : 0) {}

  const char* store(std::string_view b) {
    const bool long_bytes = b.size() >= kLong;
    const std::size_t need = count_bytes_ + (long_bytes ? 12 : 4) + b.size();
    if (need > left_) {
      const std::size_t size = std::max(need, kBlock);
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
      next_ = blocks_.back().get();
      left_ = size;
    }
    if (count_bytes_) std::memset(next_, 0, count_bytes_);
    char* at = next_ + count_bytes_;
    const auto short_length = static_cast<std::uint32_t>(long_bytes ? kLong : b.size());
    std::memcpy(at, &short_length, 4);
    std::size_t header = 4;
    if (long_bytes) {
      const std::uint64_t length = b.size();
      std::memcpy(at + 4, &length, 8);
      header = 12;
    }
    if (!b.empty()) std::memcpy(at + header, b.data(), b.size());
    next_ += need;
    left_ -= need;
    return at;
  }

  // The count of the bytes stored at `at` (counted sets).
  static std::uint64_t count_at(const char* at) {
    std::uint64_t c;
    std::memcpy(&c, at - 8, 8);
    return c;
  }
  static void set_count_at(const char* at, std::uint64_t c) {
    std::memcpy(const_cast<char*>(at) - 8, &c, 8);
  }

  static std::string_view bytes_at(const char* at) {
    std::uint32_t short_length;
    std::memcpy(&short_length, at, 4);
    if (short_length != kLong) return {at + 4, short_length};
    std::uint64_t length;
    std::memcpy(&length, at + 4, 8);
    return {at + 12, static_cast<std::size_t>(length)};
  }

 private:
  static constexpr std::uint32_t kLong = 0xFFFFFFFFu;
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::size_t count_bytes_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

// Sorts 64-bit words: least significant byte first, one counting pass per byte, skipping the
// bytes every word shares (the high bytes of small integers). About ten sequential passes
// instead of a comparison sort's twenty random ones for a million words.
void radix_sort(std::vector<std::uint64_t>& v) {
  const std::size_t n = v.size();
  if (n < 64) {
    std::sort(v.begin(), v.end());
    return;
  }
  thread_local std::vector<std::uint64_t> spare;
  if (spare.size() < n) spare.resize(n);
  std::array<std::array<std::size_t, 256>, 8> counts{};
  for (const std::uint64_t x : v) {
    for (unsigned b = 0; b < 8; ++b) ++counts[b][(x >> (8 * b)) & 0xFF];
  }
  std::uint64_t* from = v.data();
  std::uint64_t* to = spare.data();
  for (unsigned b = 0; b < 8; ++b) {
    auto& c = counts[b];
    if (c[(from[0] >> (8 * b)) & 0xFF] == n) continue;  // one value of this byte: in order
    std::size_t sum = 0;
    for (auto& slot : c) sum += std::exchange(slot, sum);
    for (std::size_t i = 0; i < n; ++i) to[c[(from[i] >> (8 * b)) & 0xFF]++] = from[i];
    std::swap(from, to);
  }
  if (from != v.data()) std::memcpy(v.data(), from, n * sizeof(std::uint64_t));
}

// The numbers of one kind (integers, or reals other than integers) of a set that holds many:
// a run of (value bits, count) sorted by the bits, and the additions not yet sorted into it. An
// addition is an append; every so often the appended bits are radix-sorted, counted and merged
// into the run in place. Sequential passes instead of a hash table's random probes, which miss
// the caches on every addition once a table outgrows them; 16 bytes per distinct value instead
// of a table's 34 at its load factor.
class NumberRun {
 public:
  using Item = ExactDistinct::NumberItem;  // count: kReal when any addition was a real
  static constexpr std::uint64_t kReal = ExactDistinct::kRealBit;

  explicit NumberRun(DistinctKey::Kind kind) : kind_(kind) {}

  void add(std::uint64_t bits, bool real) {
    (real ? reals_ : plain_).push_back(bits);
    // Sorted in chunks of at least 64K additions, and of a quarter of the run once it is
    // larger: each merge rewrites the run, so a run of n values has been rewritten about 5n
    // values' worth. (Half-run chunks rewrite 3n, but were slower in PostgreSQL's 10M bench:
    // their radix passes run over twice the memory.)
    if (plain_.size() + reals_.size() >=
        std::max<std::size_t>(std::size_t{1} << 16, run_.size() / 4)) {
      flush();
    }
  }

  // Adds each item's count (and flag) to its value; `items` in any order, one per value.
  void add_items(std::vector<Item> items) {
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.bits < b.bits; });
    merge(items);
  }

  // Room for `n` values without moving the run as it grows (address space only: pages are
  // touched as values arrive).
  void reserve(std::size_t n) { run_.reserve(n); }

  // The run with every addition in it.
  std::span<Item> items() {
    flush();
    return run_;
  }
  std::size_t size() {
    flush();
    return run_.size();
  }
  // Whether every value is exactly a double: integers within 2^53 in magnitude, no NaN.
  bool exact_doubles() {
    flush();
    return exact_;
  }
  static std::uint64_t combined(std::uint64_t a, std::uint64_t b) {
    return ((a | b) & kReal) + (a & ~kReal) + (b & ~kReal);
  }

 private:
  void flush() {
    if (plain_.empty() && reals_.empty()) return;
    radix_sort(plain_);
    radix_sort(reals_);
    thread_local std::vector<Item> chunk;
    chunk.clear();
    std::size_t i = 0, j = 0;
    while (i < plain_.size() || j < reals_.size()) {
      const std::uint64_t bits = j == reals_.size() || (i < plain_.size() && plain_[i] <= reals_[j])
                                     ? plain_[i]
                                     : reals_[j];
      std::uint64_t count = 0;
      for (; i < plain_.size() && plain_[i] == bits; ++i) ++count;
      const std::size_t first_real = j;
      for (; j < reals_.size() && reals_[j] == bits; ++j) ++count;
      chunk.push_back({bits, count | (j > first_real ? kReal : 0)});
    }
    plain_.clear();
    reals_.clear();
    merge(chunk);
  }

  // Merges `chunk` (sorted by bits, one item per value) into the run, in place: from the back,
  // into the room added at its end, then the merged part moved down over the room left by the
  // values both held.
  void merge(const std::vector<Item>& chunk) {
    for (const Item& it : chunk) {
      if (kind_ == DistinctKey::Kind::kInt) {
        const auto v = static_cast<std::int64_t>(it.bits);
        constexpr std::int64_t kExact = std::int64_t{1} << 53;
        exact_ = exact_ && v >= -kExact && v <= kExact;
      } else {
        exact_ = exact_ && !std::isnan(std::bit_cast<double>(it.bits));
      }
    }
    const std::size_t m = run_.size(), c = chunk.size();
    if (c == 0) return;
    run_.resize(m + c);
    std::ptrdiff_t i = static_cast<std::ptrdiff_t>(m) - 1;
    std::ptrdiff_t j = static_cast<std::ptrdiff_t>(c) - 1;
    std::ptrdiff_t k = static_cast<std::ptrdiff_t>(m + c) - 1;
    while (j >= 0) {
      const Item& b = chunk[static_cast<std::size_t>(j)];
      if (i >= 0 && run_[static_cast<std::size_t>(i)].bits > b.bits) {
        run_[static_cast<std::size_t>(k--)] = run_[static_cast<std::size_t>(i--)];
      } else if (i >= 0 && run_[static_cast<std::size_t>(i)].bits == b.bits) {
        const Item a = run_[static_cast<std::size_t>(i--)];
        run_[static_cast<std::size_t>(k--)] = {a.bits, combined(a.count, b.count)};
        --j;
      } else {
        run_[static_cast<std::size_t>(k--)] = b;
        --j;
      }
    }
    // [0, i] is in place; the merged values are (k, m + c); (i, k] is the room of shared values.
    const std::size_t room = static_cast<std::size_t>(k - i);
    if (room > 0) {
      std::memmove(run_.data() + (i + 1), run_.data() + (k + 1),
                   (m + c - static_cast<std::size_t>(k + 1)) * sizeof(Item));
      run_.resize(m + c - room);
    }
  }

  // Leaves the items a resize() adds uninitialised: merge() writes each of them.
  template <class T>
  struct Uninitialised : std::allocator<T> {
    template <class U>
    struct rebind {
      using other = Uninitialised<U>;
    };
    Uninitialised() = default;
    template <class U>
    explicit Uninitialised(const Uninitialised<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept {
      ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  };

  DistinctKey::Kind kind_;
  std::vector<std::uint64_t> plain_, reals_;  // additions not yet in the run (bits)
  std::vector<Item, Uninitialised<Item>> run_;
  bool exact_ = true;
};

struct ExactDistinct::Impl {
  struct Slot {
    std::uint64_t tag = 0;
    std::uint64_t payload = 0;
  };
  // Slots must be all-zero bytes to be empty: ZeroedArray never runs constructors.
  static_assert(std::is_trivially_copyable_v<Slot>);
  using Slots = ZeroedArray<Slot>;

  // Counts, when counted: the count in the low 63 bits, kReal set when any of the additions was
  // a real. Text and blobs keep theirs in the arena, before their bytes; numbers in `counts`,
  // one per slot, made when the table takes its first number.
  static constexpr std::uint64_t kReal = NumberRun::kReal;
  using Counts = ZeroedArray<std::uint64_t>;
  using Item = NumberRun::Item;

  Impl(bool with_counts, std::size_t numbers_from)
      : arena(with_counts), counted(with_counts), runs_from(numbers_from) {}

  Slots slots = Slots(1024);
  std::size_t used = 0;
  std::uint8_t kinds = 0;     // 1 << kind of every kind of value held
  bool exact_doubles = true;  // of the table's numbers: no integer beyond 2^53, no NaN
  Arena arena;
  bool counted = false;
  Counts counts;
  // Numbers go to the table until it holds `runs_from` of them, then to sorted runs (NumberRun),
  // theirs moved there too: the table then holds text and blobs only. Mutable: the runs sort
  // their pending additions in when read.
  std::size_t runs_from;
  bool runs = false;
  std::size_t table_numbers = 0;  // numbers in the table
  mutable NumberRun ints{DistinctKey::Kind::kInt};
  mutable NumberRun reals{DistinctKey::Kind::kReal};

  static std::uint64_t tag_of(const DistinctKey& k) {
    return (k.hash & ~std::uint64_t{7}) | static_cast<std::uint64_t>(k.kind);
  }
  static bool numeric(std::uint64_t tag) {
    const auto kind = static_cast<DistinctKey::Kind>(tag & 7);
    return kind == DistinctKey::Kind::kInt || kind == DistinctKey::Kind::kReal;
  }
  static bool numeric(const DistinctKey& k) {
    return k.kind == DistinctKey::Kind::kInt || k.kind == DistinctKey::Kind::kReal;
  }
  NumberRun& run_of(DistinctKey::Kind kind) const {
    return kind == DistinctKey::Kind::kInt ? ints : reals;
  }
  // The home slot of a tag among n: the high bits of tag * n, so that the table can have any
  // size (sized for what it will hold, not rounded up to a power of two).
  static std::size_t home(std::uint64_t tag, std::size_t n) {
    return static_cast<std::size_t>((static_cast<Wide>(tag) * n) >> 64);
  }

  static const char* address(std::uint64_t payload) {
    return reinterpret_cast<const char*>(static_cast<std::uintptr_t>(payload));
  }
  static std::string_view bytes_of(std::uint64_t payload) {
    return Arena::bytes_at(address(payload));
  }
  // The count of slot j (1 in a set without counts), and setting it.
  std::uint64_t count_of(std::size_t j) const {
    if (!counted) return 1;
    return numeric(slots[j].tag) ? counts[j] : Arena::count_at(address(slots[j].payload));
  }
  void set_count(std::size_t j, std::uint64_t c) {
    if (numeric(slots[j].tag)) {
      counts[j] = c;
    } else {
      Arena::set_count_at(address(slots[j].payload), c);
    }
  }
  std::uint64_t store(std::string_view b) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(arena.store(b)));
  }

  // A table of n slots holding the slots of `old` that `keep` accepts (with their counts).
  template <class Keep>
  void rehash(std::size_t n, const Keep& keep) {
    Slots old = std::move(slots);
    Counts old_counts = std::move(counts);
    slots = Slots(n);
    const bool with_counts = old_counts.size() > 0;
    if (with_counts) counts = Counts(n);
    for (std::size_t j = 0; j < old.size(); ++j) {
      const Slot& s = old[j];
      if (!s.tag) continue;
      const std::uint64_t count = !counted         ? 1
                                  : numeric(s.tag) ? old_counts[j]
                                                   : Arena::count_at(address(s.payload));
      if (!keep(s, count)) continue;
      std::size_t i = home(s.tag, n);
      while (slots[i].tag) i = i + 1 == n ? 0 : i + 1;
      slots[i] = s;
      if (with_counts) counts[i] = old_counts[j];
    }
  }

  // Keeps the load factor at most 0.7 once `more` keys are added: doubling while the set grows
  // key by key, straight to the needed size when told how many are coming.
  void reserve_for(std::size_t more) {
    const std::size_t want = used + more;
    if (want * 10 <= slots.size() * 7) return;
    rehash(std::max(slots.size() * 2, want * 10 / 7 + 1),
           [](const Slot&, std::uint64_t) { return true; });
  }

  // From now on numbers go to the runs, with those of the table.
  void switch_to_runs() {
    if (runs) return;
    runs = true;
    if (table_numbers == 0) return;
    std::vector<Item> int_items, real_items;
    const std::size_t keep = used - table_numbers;
    rehash(std::max<std::size_t>(1024, keep * 10 / 7 + 1), [&](const Slot& s, std::uint64_t c) {
      if (!numeric(s.tag)) return true;
      auto& items = static_cast<DistinctKey::Kind>(s.tag & 7) == DistinctKey::Kind::kInt
                        ? int_items
                        : real_items;
      items.push_back({s.payload, c});
      return false;
    });
    used = keep;
    table_numbers = 0;
    counts = Counts();  // the table holds no number any more
    ints.add_items(std::move(int_items));
    reals.add_items(std::move(real_items));
  }
  void maybe_switch() {
    if (table_numbers >= runs_from) switch_to_runs();
  }

  // The slot that holds the key whose tag is `tag`, or the empty slot where it would go.
  std::size_t probe(std::uint64_t tag, const DistinctKey& k) const {
    const std::size_t n = slots.size();
    std::size_t i = home(tag, n);
    const bool by_value = numeric(tag);
    while (slots[i].tag) {
      if (slots[i].tag == tag) {
        if (by_value) {
          if (slots[i].payload == k.bits) break;
        } else {
          const std::string_view held = bytes_of(slots[i].payload);
          if (held.size() == k.bytes.size() && compare_bytes(held, k.bytes) == 0) break;
        }
      }
      i = i + 1 == n ? 0 : i + 1;
    }
    return i;
  }

  // Inserts a key whose tag is `tag` into the table (`count` times, for counts); capacity must
  // already be reserved.
  void insert(std::uint64_t tag, const DistinctKey& k, std::uint64_t count = 1) {
    if (counted && counts.size() == 0 && numeric(tag)) counts = Counts(slots.size());
    const std::size_t i = probe(tag, k);
    if (!slots[i].tag) {
      slots[i].tag = tag;
      slots[i].payload = numeric(tag) ? k.bits : store(k.bytes);
      ++used;
      kinds |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(k.kind));
      if (k.kind == DistinctKey::Kind::kInt) {
        const auto v = static_cast<std::int64_t>(k.bits);
        constexpr std::int64_t kExact = std::int64_t{1} << 53;
        exact_doubles = exact_doubles && v >= -kExact && v <= kExact;
        ++table_numbers;
      } else if (k.kind == DistinctKey::Kind::kReal) {
        exact_doubles = exact_doubles && !std::isnan(std::bit_cast<double>(k.bits));
        ++table_numbers;
      }
    }
    if (counted) set_count(i, (count_of(i) + count) | (k.real ? kReal : 0));
  }

  bool contains(std::uint64_t tag, const DistinctKey& k) const {
    return slots[probe(tag, k)].tag != 0;
  }

  // The key a filled slot holds (tag_of() of it gives back the slot's tag).
  DistinctKey key_of(const Slot& s) const {
    DistinctKey k;
    k.kind = static_cast<DistinctKey::Kind>(s.tag & 7);
    k.hash = s.tag;  // tag_of() of this key is the tag itself
    if (numeric(s.tag)) {
      k.bits = s.payload;
    } else {
      k.bytes = bytes_of(s.payload);
    }
    return k;
  }

  // The numbers of the table (before the switch) as run items, one kind.
  std::vector<Item> table_items(DistinctKey::Kind kind) const {
    std::vector<Item> out;
    if (table_numbers == 0) return out;
    for (std::size_t j = 0; j < slots.size(); ++j) {
      const Slot& s = slots[j];
      if (s.tag && (s.tag & 7) == static_cast<std::uint64_t>(kind)) {
        out.push_back({s.payload, count_of(j)});
      }
    }
    return out;
  }

  std::size_t size() const { return used + (runs ? ints.size() + reals.size() : 0); }
};

ExactDistinct::ExactDistinct(bool counted, std::size_t runs_from)
    : impl_(std::make_unique<Impl>(counted, runs_from)) {}
ExactDistinct::~ExactDistinct() = default;
ExactDistinct::ExactDistinct(ExactDistinct&&) noexcept = default;
ExactDistinct& ExactDistinct::operator=(ExactDistinct&&) noexcept = default;

void ExactDistinct::add(const DistinctKey& key) { add_batch(&key, 1); }

void ExactDistinct::add_batch(const DistinctKey* keys, std::size_t count) {
  Impl& s = *impl_;
  // With runs, numbers are appended to them, and the table takes the rest.
  thread_local std::vector<std::uint32_t> to_table;
  std::size_t table_count = count;
  if (s.runs) {
    to_table.clear();
    for (std::size_t i = 0; i < count; ++i) {
      const DistinctKey& k = keys[i];
      if (Impl::numeric(k)) {
        s.kinds |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(k.kind));
        s.run_of(k.kind).add(k.bits, k.real);
      } else {
        to_table.push_back(static_cast<std::uint32_t>(i));
      }
    }
    table_count = to_table.size();
    if (table_count == 0) return;
  }
  const auto key = [&](std::size_t i) -> const DistinctKey& {
    return s.runs ? keys[to_table[i]] : keys[i];
  };
  s.reserve_for(table_count);
  const std::size_t n = s.slots.size();
  const auto* slots = s.slots.data();
  // Prefetch a fixed distance ahead: enough misses in flight, and each line still in L1 when
  // its insert comes.
  constexpr std::size_t kAhead = 16;
  const std::uint64_t* counts = s.counts.size() > 0 ? s.counts.data() : nullptr;
  auto prefetch = [&](const DistinctKey& k) {
    const std::size_t at = Impl::home(Impl::tag_of(k), n);
    __builtin_prefetch(&slots[at], 1);
    if (counts) __builtin_prefetch(&counts[at], 1);
  };
  for (std::size_t i = 0; i < std::min(table_count, kAhead); ++i) prefetch(key(i));
  for (std::size_t i = 0; i < table_count; ++i) {
    if (i + kAhead < table_count) prefetch(key(i + kAhead));
    s.insert(Impl::tag_of(key(i)), key(i));
  }
  s.maybe_switch();
}

std::int64_t ExactDistinct::union_size(const std::vector<const ExactDistinct*>& sets) {
  std::int64_t total = 0;
  // Numbers, wherever each set holds them (table or runs): gathered, sorted, each counted once.
  for (const auto kind : {DistinctKey::Kind::kInt, DistinctKey::Kind::kReal}) {
    std::vector<std::uint64_t> bits;
    for (const ExactDistinct* set : sets) {
      const Impl& s = *set->impl_;
      for (const Impl::Item& it : s.table_items(kind)) bits.push_back(it.bits);
      if (s.runs) {
        for (const Impl::Item& it : s.run_of(kind).items()) bits.push_back(it.bits);
      }
    }
    radix_sort(bits);
    for (std::size_t i = 0; i < bits.size(); ++i) {
      if (i == 0 || bits[i] != bits[i - 1]) ++total;
    }
  }
  // Text and blobs: |S0| + the values of each later set found in none of the sets before it.
  // Only reads: nothing is allocated or rehashed, unlike inserting every set into one.
  constexpr std::size_t kBatch = 64;
  DistinctKey batch[kBatch];
  for (std::size_t t = 0; t < sets.size(); ++t) {
    const Impl& cur = *sets[t]->impl_;
    if (t == 0) {
      total += static_cast<std::int64_t>(cur.used - cur.table_numbers);
      continue;
    }
    auto count_new = [&](std::size_t n) {
      for (std::size_t u = 0; u < t; ++u) {
        const Impl& earlier = *sets[u]->impl_;
        const std::size_t n_earlier = earlier.slots.size();
        for (std::size_t j = 0; j < n; ++j) {
          __builtin_prefetch(&earlier.slots[Impl::home(batch[j].hash, n_earlier)]);
        }
      }
      for (std::size_t j = 0; j < n; ++j) {
        bool seen = false;
        for (std::size_t u = 0; u < t && !seen; ++u) {
          seen = sets[u]->impl_->contains(batch[j].hash, batch[j]);
        }
        if (!seen) ++total;
      }
    };
    std::size_t n = 0;
    for (const auto& s : cur.slots) {
      if (!s.tag || Impl::numeric(s.tag)) continue;
      batch[n++] = cur.key_of(s);
      if (n == kBatch) {
        count_new(n);
        n = 0;
      }
    }
    count_new(n);
  }
  return total;
}

void ExactDistinct::reserve(std::size_t count) {
  Impl& s = *impl_;
  const std::size_t now = s.size();
  if (count <= now) return;
  constexpr unsigned kNumbers = (1u << static_cast<unsigned>(DistinctKey::Kind::kInt)) |
                                (1u << static_cast<unsigned>(DistinctKey::Kind::kReal));
  if (s.kinds != 0 && (s.kinds & ~kNumbers) == 0) {
    // Numbers only so far: as many as that go to runs, with room for them in the runs of the
    // kinds seen (a run that grows by doubling would copy itself and take fresh pages each time).
    if (count >= s.runs_from) {
      s.switch_to_runs();
      for (const auto kind : {DistinctKey::Kind::kInt, DistinctKey::Kind::kReal}) {
        if (s.kinds & (1u << static_cast<unsigned>(kind))) s.run_of(kind).reserve(count);
      }
    }
    return;
  }
  s.reserve_for(count - now);
}

std::int64_t ExactDistinct::size() const { return static_cast<std::int64_t>(impl_->size()); }

bool ExactDistinct::counted() const { return impl_->counted; }

bool ExactDistinct::numbers_in_runs() const { return impl_->runs; }

std::span<const ExactDistinct::NumberItem> ExactDistinct::number_run(DistinctKey::Kind kind) const {
  if (!impl_->runs) return {};
  return impl_->run_of(kind).items();
}

bool ExactDistinct::holds(DistinctKey::Kind kind) const {
  return (impl_->kinds & (1u << static_cast<unsigned>(kind))) != 0;
}

bool ExactDistinct::exact_doubles() const {
  const Impl& s = *impl_;
  return s.exact_doubles && (!s.runs || (s.ints.exact_doubles() && s.reals.exact_doubles()));
}

void ExactDistinct::merge_counts(const ExactDistinct& other) {
  Impl& into = *impl_;
  const Impl& o = *other.impl_;
  if (into.runs || o.runs) into.switch_to_runs();
  if (into.runs) {
    into.kinds |= o.kinds;
    for (const auto kind : {DistinctKey::Kind::kInt, DistinctKey::Kind::kReal}) {
      std::vector<Impl::Item> items = o.table_items(kind);
      if (o.runs) {
        const std::span<const Impl::Item> run = o.run_of(kind).items();
        items.insert(items.end(), run.begin(), run.end());
      }
      into.run_of(kind).add_items(std::move(items));
    }
  }
  // At most every value of `other`'s table is new: room for them all at once, no growth in the
  // loop.
  into.reserve_for(o.used);
  for (std::size_t j = 0; j < o.slots.size(); ++j) {
    if (!o.slots[j].tag || (into.runs && Impl::numeric(o.slots[j].tag))) continue;
    DistinctKey k = o.key_of(o.slots[j]);
    const std::uint64_t c = o.count_of(j);
    k.real = (c & Impl::kReal) != 0;
    // The key's bytes live in `other`'s arena; insert() copies them into this one.
    into.insert(o.slots[j].tag, k, c & ~Impl::kReal);
  }
  into.maybe_switch();
}

std::int64_t ExactDistinct::absorb_counts(ExactDistinct& other) {
  Impl& into = *impl_;
  Impl& o = *other.impl_;
  if (!into.counted || !o.counted) return 0;
  std::int64_t moved = 0;
  // Numbers in runs in both (a merge join of the sorted runs), or in the tables of both.
  if (into.runs || o.runs) {
    into.switch_to_runs();
    o.switch_to_runs();
    for (const auto kind : {DistinctKey::Kind::kInt, DistinctKey::Kind::kReal}) {
      const std::span<Impl::Item> a = into.run_of(kind).items();
      const std::span<Impl::Item> b = o.run_of(kind).items();
      for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
        if (a[i].bits < b[j].bits) {
          ++i;
        } else if (b[j].bits < a[i].bits) {
          ++j;
        } else {
          if ((b[j].count & ~Impl::kReal) != 0) {
            a[i].count = NumberRun::combined(a[i].count, b[j].count);
            b[j].count = 0;
            ++moved;
          }
          ++i;
          ++j;
        }
      }
    }
  }
  const std::size_t n = into.slots.size();
  // In batches whose home slots are prefetched first, as add_batch() does: the lookups of a
  // large set overlap their cache misses.
  constexpr std::size_t kBatch = 64;
  std::size_t batch[kBatch];
  auto absorb = [&](std::size_t count) {
    for (std::size_t k = 0; k < count; ++k) {
      __builtin_prefetch(&into.slots[Impl::home(o.slots[batch[k]].tag, n)]);
    }
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t j = batch[k];
      const std::uint64_t tag = o.slots[j].tag;
      const std::size_t i = into.probe(tag, o.key_of(o.slots[j]));
      if (!into.slots[i].tag) continue;
      into.set_count(i, NumberRun::combined(into.count_of(i), o.count_of(j)));
      o.set_count(j, 0);
      ++moved;
    }
  };
  std::size_t pending = 0;
  for (std::size_t j = 0; j < o.slots.size(); ++j) {
    if (!o.slots[j].tag || (o.count_of(j) & ~Impl::kReal) == 0) continue;
    batch[pending++] = j;
    if (pending == kBatch) {
      absorb(pending);
      pending = 0;
    }
  }
  absorb(pending);
  return moved;
}

std::size_t ExactDistinct::next_entries(std::size_t& slot, Entry* out, std::size_t max) const {
  const Impl& s = *impl_;
  std::size_t filled = 0;
  // The runs' values first (slots [0, ints) and [ints, ints + reals)), then the table's.
  std::size_t numbers = 0;
  if (s.runs) {
    for (const auto kind : {DistinctKey::Kind::kInt, DistinctKey::Kind::kReal}) {
      const std::span<const Impl::Item> run = s.run_of(kind).items();
      for (; slot < numbers + run.size() && filled < max; ++slot) {
        const Impl::Item& it = run[slot - numbers];
        if ((it.count & ~Impl::kReal) == 0) continue;  // absorbed by another set
        Entry& e = out[filled++];
        e.key = number_key(kind, it.bits);
        e.key.real = (it.count & Impl::kReal) != 0;
        e.count = static_cast<std::int64_t>(it.count & ~Impl::kReal);
      }
      numbers += run.size();
    }
  }
  if (filled == max) return filled;
  // Text and blob bytes are read from the arena in the slots' (random) order: prefetched a few
  // slots ahead, so the misses overlap.
  constexpr std::size_t kAhead = 8;
  const bool bytes = (s.kinds & ((1u << static_cast<unsigned>(DistinctKey::Kind::kText)) |
                                 (1u << static_cast<unsigned>(DistinctKey::Kind::kBlob)))) != 0;
  const std::size_t n = s.slots.size();
  std::size_t j = slot - numbers;
  for (; j < n && filled < max; ++j) {
    if (bytes && j + kAhead < n) {
      const Impl::Slot& ahead = s.slots[j + kAhead];
      if (ahead.tag && !Impl::numeric(ahead.tag)) {
        __builtin_prefetch(
            reinterpret_cast<const char*>(static_cast<std::uintptr_t>(ahead.payload)));
      }
    }
    if (!s.slots[j].tag) continue;
    const std::uint64_t c = s.count_of(j);
    if ((c & ~Impl::kReal) == 0) continue;  // absorbed by another set
    Entry& e = out[filled++];
    e.key = s.key_of(s.slots[j]);
    e.key.real = (c & Impl::kReal) != 0;
    e.count = static_cast<std::int64_t>(c & ~Impl::kReal);
  }
  slot = j + numbers;
  return filled;
}

std::vector<ExactDistinct::Entry> ExactDistinct::entries() const {
  std::vector<Entry> out;
  out.reserve(impl_->size());
  append_entries(out);
  return out;
}

void ExactDistinct::append_entries(std::vector<Entry>& out) const {
  for_each_entry([&](const Entry& e) { out.push_back(e); });
}

void ApproxDistinct::add(std::uint64_t hash) {
  const std::uint64_t index = hash >> (64 - kPrecision);
  const std::uint64_t rest = (hash << kPrecision) | (std::uint64_t{1} << (kPrecision - 1));
  const auto rank = static_cast<std::uint8_t>(std::countl_zero(rest) + 1);
  if (rank > registers_[index]) registers_[index] = rank;
}

void ApproxDistinct::merge(const ApproxDistinct& other) {
  for (std::size_t i = 0; i < registers_.size(); ++i) {
    if (other.registers_[i] > registers_[i]) registers_[i] = other.registers_[i];
  }
}

std::int64_t ApproxDistinct::estimate() const {
  const double m = static_cast<double>(registers_.size());
  double sum = 0;
  int zeros = 0;
  for (std::uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);  // small range: linear counting
  return static_cast<std::int64_t>(std::llround(e));
}

}  // namespace baselinr
