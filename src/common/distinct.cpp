#include "common/distinct.hpp"

#include <sys/mman.h>

#include <algorithm>
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

}  // namespace

DistinctKey DistinctKey::from_int(std::int64_t v) {
  DistinctKey k;
  k.kind = Kind::kInt;
  k.bits = static_cast<std::uint64_t>(v);
  k.hash = mix64(k.bits ^ 0x1111111111111111ULL);
  return k;
}

DistinctKey DistinctKey::from_real(double v) {
  DistinctKey k;
  if (v == 0) {
    k = from_int(0);  // -0.0 == 0.0 == 0
  } else if (std::isfinite(v) && std::trunc(v) == v && v >= -9.2233720368547758e18 &&
             v < 9.2233720368547758e18) {
    k = from_int(static_cast<std::int64_t>(v));
  } else {
    k.kind = Kind::kReal;
    k.bits = std::bit_cast<std::uint64_t>(v);
    k.hash = mix64(k.bits ^ 0x2222222222222222ULL);
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
// uint64. Blocks are never moved or copied (a growing vector would copy every byte at each
// doubling and touch twice the memory), so a slot keeps the address of its bytes.
class Arena {
 public:
  const char* store(std::string_view b) {
    const bool long_bytes = b.size() >= kLong;
    const std::size_t need = (long_bytes ? 12 : 4) + b.size();
    if (need > left_) {
      const std::size_t size = std::max(need, kBlock);
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
      next_ = blocks_.back().get();
      left_ = size;
    }
    char* at = next_;
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
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

struct ExactDistinct::Impl {
  struct Slot {
    std::uint64_t tag = 0;
    std::uint64_t payload = 0;
  };
  // Slots must be all-zero bytes to be empty: ZeroedArray never runs constructors.
  static_assert(std::is_trivially_copyable_v<Slot>);
  using Slots = ZeroedArray<Slot>;

  // Counts, when counted: one per slot, the count in the low 63 bits, kReal set when any of
  // the additions was a real.
  static constexpr std::uint64_t kReal = std::uint64_t{1} << 63;
  using Counts = ZeroedArray<std::uint64_t>;

  explicit Impl(bool with_counts) : counted(with_counts), counts(with_counts ? 1024 : 0) {}

  Slots slots = Slots(1024);
  std::size_t used = 0;
  std::uint8_t kinds = 0;     // 1 << kind of every kind of value held
  bool exact_doubles = true;  // no integer beyond 2^53 in magnitude, no NaN
  Arena arena;
  bool counted = false;
  Counts counts;

  static std::uint64_t tag_of(const DistinctKey& k) {
    return (k.hash & ~std::uint64_t{7}) | static_cast<std::uint64_t>(k.kind);
  }
  static bool numeric(std::uint64_t tag) {
    const auto kind = static_cast<DistinctKey::Kind>(tag & 7);
    return kind == DistinctKey::Kind::kInt || kind == DistinctKey::Kind::kReal;
  }
  // The home slot of a tag among n: the high bits of tag * n, so that the table can have any
  // size (sized for what it will hold, not rounded up to a power of two).
  static std::size_t home(std::uint64_t tag, std::size_t n) {
    return static_cast<std::size_t>((static_cast<Wide>(tag) * n) >> 64);
  }

  static std::string_view bytes_of(std::uint64_t payload) {
    return Arena::bytes_at(reinterpret_cast<const char*>(static_cast<std::uintptr_t>(payload)));
  }
  std::uint64_t store(std::string_view b) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(arena.store(b)));
  }

  void rehash(std::size_t n) {
    Slots old = std::move(slots);
    Counts old_counts = std::move(counts);
    slots = Slots(n);
    if (counted) counts = Counts(n);
    for (std::size_t j = 0; j < old.size(); ++j) {
      const Slot& s = old[j];
      if (!s.tag) continue;
      std::size_t i = home(s.tag, n);
      while (slots[i].tag) i = i + 1 == n ? 0 : i + 1;
      slots[i] = s;
      if (counted) counts[i] = old_counts[j];
    }
  }

  // Keeps the load factor at most 0.7 once `more` keys are added: doubling while the set grows
  // key by key, straight to the needed size when told how many are coming.
  void reserve_for(std::size_t more) {
    const std::size_t want = used + more;
    if (want * 10 <= slots.size() * 7) return;
    rehash(std::max(slots.size() * 2, want * 10 / 7 + 1));
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

  // Inserts a key whose tag is `tag` (`count` times, for counts); capacity must already be
  // reserved.
  void insert(std::uint64_t tag, const DistinctKey& k, std::uint64_t count = 1) {
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
      } else if (k.kind == DistinctKey::Kind::kReal) {
        exact_doubles = exact_doubles && !std::isnan(std::bit_cast<double>(k.bits));
      }
    }
    if (counted) counts[i] = (counts[i] + count) | (k.real ? kReal : 0);
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
};

ExactDistinct::ExactDistinct(bool counted) : impl_(std::make_unique<Impl>(counted)) {}
ExactDistinct::~ExactDistinct() = default;
ExactDistinct::ExactDistinct(ExactDistinct&&) noexcept = default;
ExactDistinct& ExactDistinct::operator=(ExactDistinct&&) noexcept = default;

void ExactDistinct::add(const DistinctKey& key) {
  impl_->reserve_for(1);
  impl_->insert(Impl::tag_of(key), key);
}

void ExactDistinct::add_batch(const DistinctKey* keys, std::size_t count) {
  impl_->reserve_for(count);
  const std::size_t n = impl_->slots.size();
  const auto* slots = impl_->slots.data();
  // Prefetch a fixed distance ahead: enough misses in flight, and each line still in L1 when
  // its insert comes.
  constexpr std::size_t kAhead = 16;
  const std::uint64_t* counts = impl_->counted ? impl_->counts.data() : nullptr;
  auto prefetch = [&](const DistinctKey& k) {
    const std::size_t at = Impl::home(Impl::tag_of(k), n);
    __builtin_prefetch(&slots[at], 1);
    if (counts) __builtin_prefetch(&counts[at], 1);
  };
  for (std::size_t i = 0; i < std::min(count, kAhead); ++i) prefetch(keys[i]);
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) prefetch(keys[i + kAhead]);
    impl_->insert(Impl::tag_of(keys[i]), keys[i]);
  }
}

std::int64_t ExactDistinct::union_size(const std::vector<const ExactDistinct*>& sets) {
  // |S0 ∪ ... ∪ Sn| = |S0| + the keys of each later set found in none of the sets before it.
  // Only reads: nothing is allocated or rehashed, unlike inserting every set into one.
  std::int64_t total = 0;
  constexpr std::size_t kBatch = 64;
  DistinctKey batch[kBatch];
  for (std::size_t t = 0; t < sets.size(); ++t) {
    const Impl& cur = *sets[t]->impl_;
    if (t == 0) {
      total += static_cast<std::int64_t>(cur.used);
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
      if (!s.tag) continue;
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
  if (count > impl_->used) impl_->reserve_for(count - impl_->used);
}

std::int64_t ExactDistinct::size() const { return static_cast<std::int64_t>(impl_->used); }

bool ExactDistinct::counted() const { return impl_->counted; }

bool ExactDistinct::holds(DistinctKey::Kind kind) const {
  return (impl_->kinds & (1u << static_cast<unsigned>(kind))) != 0;
}

bool ExactDistinct::exact_doubles() const { return impl_->exact_doubles; }

void ExactDistinct::merge_counts(const ExactDistinct& other) {
  const Impl& o = *other.impl_;
  // At most every value of `other` is new: room for them all at once, no growth in the loop.
  impl_->reserve_for(o.used);
  for (std::size_t j = 0; j < o.slots.size(); ++j) {
    if (!o.slots[j].tag) continue;
    DistinctKey k = o.key_of(o.slots[j]);
    const std::uint64_t c = o.counted ? o.counts[j] : 1;
    k.real = (c & Impl::kReal) != 0;
    // The key's bytes live in `other`'s arena; insert() copies them into this one.
    impl_->insert(o.slots[j].tag, k, c & ~Impl::kReal);
  }
}

std::int64_t ExactDistinct::absorb_counts(ExactDistinct& other) {
  Impl& into = *impl_;
  Impl& o = *other.impl_;
  if (!into.counted || !o.counted) return 0;
  const std::size_t n = into.slots.size();
  std::int64_t moved = 0;
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
      const std::uint64_t a = into.counts[i], b = o.counts[j];
      into.counts[i] = ((a | b) & Impl::kReal) | ((a & ~Impl::kReal) + (b & ~Impl::kReal));
      o.counts[j] = 0;
      ++moved;
    }
  };
  std::size_t pending = 0;
  for (std::size_t j = 0; j < o.slots.size(); ++j) {
    if (!o.slots[j].tag || (o.counts[j] & ~Impl::kReal) == 0) continue;
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
  // Text and blob bytes are read from the arena in the slots' (random) order: prefetched a few
  // slots ahead, so the misses overlap.
  constexpr std::size_t kAhead = 8;
  const bool bytes = (s.kinds & ((1u << static_cast<unsigned>(DistinctKey::Kind::kText)) |
                                 (1u << static_cast<unsigned>(DistinctKey::Kind::kBlob)))) != 0;
  const std::size_t n = s.slots.size();
  std::size_t filled = 0;
  std::size_t j = slot;
  for (; j < n && filled < max; ++j) {
    if (bytes && j + kAhead < n) {
      const Impl::Slot& ahead = s.slots[j + kAhead];
      if (ahead.tag && !Impl::numeric(ahead.tag)) {
        __builtin_prefetch(
            reinterpret_cast<const char*>(static_cast<std::uintptr_t>(ahead.payload)));
      }
    }
    if (!s.slots[j].tag) continue;
    const std::uint64_t c = s.counted ? s.counts[j] : 1;
    if ((c & ~Impl::kReal) == 0) continue;  // absorbed by another set
    Entry& e = out[filled++];
    e.key = s.key_of(s.slots[j]);
    e.key.real = (c & Impl::kReal) != 0;
    e.count = static_cast<std::int64_t>(c & ~Impl::kReal);
  }
  slot = j;
  return filled;
}

std::vector<ExactDistinct::Entry> ExactDistinct::entries() const {
  std::vector<Entry> out;
  out.reserve(impl_->used);
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
