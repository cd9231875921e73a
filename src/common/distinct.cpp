#include "common/distinct.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace baselinr {
namespace {

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
  if (v == 0) return from_int(0);  // -0.0 == 0.0 == 0
  if (std::isfinite(v) && std::trunc(v) == v && v >= -9.2233720368547758e18 &&
      v < 9.2233720368547758e18) {
    return from_int(static_cast<std::int64_t>(v));
  }
  DistinctKey k;
  k.kind = Kind::kReal;
  k.bits = std::bit_cast<std::uint64_t>(v);
  k.hash = mix64(k.bits ^ 0x2222222222222222ULL);
  return k;
}

DistinctKey DistinctKey::from_bytes(Kind kind, std::string_view bytes) {
  DistinctKey k;
  k.kind = kind;
  k.bytes = bytes;
  k.hash = hash_bytes(bytes, static_cast<std::uint64_t>(kind));
  return k;
}

// Slots hold the hash, the kind and either the value bits or an arena offset and length.
struct ExactDistinct::Impl {
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t bits = 0;  // value bits, or arena offset
    std::uint32_t length = 0;
    std::uint8_t kind = 0;  // 0: empty
  };
  std::vector<Slot> slots = std::vector<Slot>(1024);
  std::size_t used = 0;
  std::vector<std::vector<char>> arena;  // chunks; offsets are (chunk << 32 | position)

  std::string_view bytes_of(const Slot& s) const {
    const auto& chunk = arena[s.bits >> 32];
    return {chunk.data() + (s.bits & 0xffffffffULL), s.length};
  }

  std::uint64_t store(std::string_view b) {
    constexpr std::size_t kChunk = 1 << 20;
    if (arena.empty() || arena.back().size() + b.size() > arena.back().capacity()) {
      arena.emplace_back();
      arena.back().reserve(std::max(kChunk, b.size()));
    }
    auto& chunk = arena.back();
    std::uint64_t offset = ((arena.size() - 1) << 32) | chunk.size();
    chunk.insert(chunk.end(), b.begin(), b.end());
    return offset;
  }

  bool equal(const Slot& s, const DistinctKey& k) const {
    if (s.hash != k.hash || s.kind != static_cast<std::uint8_t>(k.kind)) return false;
    if (k.kind == DistinctKey::Kind::kInt || k.kind == DistinctKey::Kind::kReal) {
      return s.bits == k.bits;
    }
    return s.length == k.bytes.size() && bytes_of(s) == k.bytes;
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots);
    slots.assign(old.size() * 2, Slot{});
    const std::size_t mask = slots.size() - 1;
    for (const Slot& s : old) {
      if (!s.kind) continue;
      std::size_t i = s.hash & mask;
      while (slots[i].kind) i = (i + 1) & mask;
      slots[i] = s;
    }
  }

  void add(const DistinctKey& k, std::string_view bytes) {
    if ((used + 1) * 10 > slots.size() * 7) grow();  // load factor 0.7
    const std::size_t mask = slots.size() - 1;
    std::size_t i = k.hash & mask;
    while (slots[i].kind) {
      if (equal(slots[i], k)) return;
      i = (i + 1) & mask;
    }
    Slot& s = slots[i];
    s.hash = k.hash;
    s.kind = static_cast<std::uint8_t>(k.kind);
    if (k.kind == DistinctKey::Kind::kInt || k.kind == DistinctKey::Kind::kReal) {
      s.bits = k.bits;
    } else {
      s.bits = store(bytes);
      s.length = static_cast<std::uint32_t>(bytes.size());
    }
    ++used;
  }
};

ExactDistinct::ExactDistinct() : impl_(std::make_unique<Impl>()) {}
ExactDistinct::~ExactDistinct() = default;
ExactDistinct::ExactDistinct(ExactDistinct&&) noexcept = default;
ExactDistinct& ExactDistinct::operator=(ExactDistinct&&) noexcept = default;

void ExactDistinct::add(const DistinctKey& key) { impl_->add(key, key.bytes); }

void ExactDistinct::merge(const ExactDistinct& other) {
  for (const auto& s : other.impl_->slots) {
    if (!s.kind) continue;
    DistinctKey k;
    k.kind = static_cast<DistinctKey::Kind>(s.kind);
    k.hash = s.hash;
    k.bits = s.bits;
    if (k.kind == DistinctKey::Kind::kText || k.kind == DistinctKey::Kind::kBlob) {
      k.bytes = other.impl_->bytes_of(s);
    }
    impl_->add(k, k.bytes);
  }
}

std::int64_t ExactDistinct::size() const { return static_cast<std::int64_t>(impl_->used); }

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
