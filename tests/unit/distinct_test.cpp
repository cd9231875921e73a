#include "common/distinct.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace baselinr {
namespace {

// A value as the reference sees it: numbers by value (1 and 1.0 are one), text and blobs by
// their bytes, and a number never equals a string.
using RefKey = std::pair<int, std::string>;  // (0 number | 1 text | 2 blob, identity)

struct Generated {
  std::vector<DistinctKey> keys;
  std::vector<std::string> storage;  // owns the bytes the text keys point to
  std::set<RefKey> reference;
  std::vector<RefKey> refs;  // each key's reference value, in the order of `keys`
};

// Draws `n` values from a pool that mixes integers, reals (some integral), text and blobs, with
// repeats, so that sets of several threads overlap in part.
Generated generate(std::mt19937_64& rng, std::size_t n, std::int64_t pool) {
  Generated g;
  g.storage.reserve(n);
  std::uniform_int_distribution<std::int64_t> pick(0, pool - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t v = pick(rng);
    switch (v % 4) {
      case 0:
        g.keys.push_back(DistinctKey::from_int(v));
        g.refs.push_back({0, std::to_string(v)});
        break;
      case 1: {
        // Every other one is integral and equal to an integer of the pool (v - 1 is one): 5.0
        // and 5 are one value.
        const bool integral = (v / 4) % 2 == 0;
        const double d = integral ? static_cast<double>(v - 1) : static_cast<double>(v) + 0.5;
        g.keys.push_back(DistinctKey::from_real(d));
        g.refs.push_back({0, integral ? std::to_string(v - 1) : std::to_string(v) + ".5"});
        break;
      }
      case 2:
        g.storage.push_back("text-" + std::to_string(v));
        g.keys.push_back(DistinctKey::from_bytes(DistinctKey::Kind::kText, g.storage.back()));
        g.refs.push_back({1, g.storage.back()});
        break;
      default:
        // The same bytes as a text value of the pool: a blob never equals a text.
        g.storage.push_back("text-" + std::to_string(v - 1));
        g.keys.push_back(DistinctKey::from_bytes(DistinctKey::Kind::kBlob, g.storage.back()));
        g.refs.push_back({2, g.storage.back()});
        break;
    }
    g.reference.insert(g.refs.back());
  }
  return g;
}

TEST(ExactDistinct, CountsLikeAnOrderedSet) {
  std::mt19937_64 rng(42);
  Generated g = generate(rng, 50000, 20000);
  ExactDistinct set;
  set.add_batch(g.keys.data(), g.keys.size());
  EXPECT_EQ(set.size(), static_cast<std::int64_t>(g.reference.size()));
  // Adding everything again changes nothing.
  for (const auto& k : g.keys) set.add(k);
  EXPECT_EQ(set.size(), static_cast<std::int64_t>(g.reference.size()));
}

TEST(ExactDistinct, UnionSizeOfPerThreadSetsEqualsTheDistinctCountOfAllValues) {
  for (std::size_t threads : {1u, 2u, 3u, 8u}) {
    std::mt19937_64 rng(7 + threads);
    std::vector<Generated> parts;
    std::vector<ExactDistinct> sets(threads);
    std::set<RefKey> all;
    for (std::size_t t = 0; t < threads; ++t) {
      parts.push_back(generate(rng, 20000 + 1000 * t, 30000));
      sets[t].add_batch(parts[t].keys.data(), parts[t].keys.size());
      all.insert(parts[t].reference.begin(), parts[t].reference.end());
    }
    std::vector<const ExactDistinct*> pointers;
    for (const auto& s : sets) pointers.push_back(&s);
    EXPECT_EQ(ExactDistinct::union_size(pointers), static_cast<std::int64_t>(all.size()))
        << threads << " sets";
  }
}

TEST(ExactDistinct, UnionSizeHandlesEmptyAndDisjointSets) {
  ExactDistinct empty, a, b;
  for (std::int64_t i = 0; i < 1000; ++i) a.add(DistinctKey::from_int(i));
  for (std::int64_t i = 1000; i < 3000; ++i) b.add(DistinctKey::from_int(i));
  EXPECT_EQ(ExactDistinct::union_size({}), 0);
  EXPECT_EQ(ExactDistinct::union_size({&empty}), 0);
  EXPECT_EQ(ExactDistinct::union_size({&empty, &a}), 1000);
  EXPECT_EQ(ExactDistinct::union_size({&a, &b, &empty}), 3000);
  EXPECT_EQ(ExactDistinct::union_size({&a, &a, &b}), 3000);
}

// The reference value of a key the generator made (reals other than integers are v + 0.5).
RefKey ref_of(const DistinctKey& k) {
  switch (k.kind) {
    case DistinctKey::Kind::kInt:
      return {0, std::to_string(static_cast<std::int64_t>(k.bits))};
    case DistinctKey::Kind::kReal:
      return {
          0, std::to_string(static_cast<std::int64_t>(std::bit_cast<double>(k.bits) - 0.5)) + ".5"};
    case DistinctKey::Kind::kText:
      return {1, std::string(k.bytes)};
    case DistinctKey::Kind::kBlob:
      break;
  }
  return {2, std::string(k.bytes)};
}

// Two counted sets of overlapping values: after absorb_counts every value of the union is in
// exactly one of them, with the number of times it was added to either, flagged real when any
// addition was a real; the union's size is size() + other.size() - the values moved.
TEST(ExactDistinct, AbsorbCountsLeavesEachValueInOneSetWithItsTotalCount) {
  std::mt19937_64 rng(11);
  const Generated a = generate(rng, 30000, 20000);
  const Generated b = generate(rng, 25000, 20000);
  std::map<RefKey, std::pair<std::int64_t, bool>> reference;  // count, any addition a real
  for (const Generated* g : {&a, &b}) {
    for (std::size_t i = 0; i < g->keys.size(); ++i) {
      auto& [count, real] = reference[g->refs[i]];
      ++count;
      real = real || g->keys[i].real;
    }
  }
  ExactDistinct into(true), other(true);
  into.add_batch(a.keys.data(), a.keys.size());
  other.add_batch(b.keys.data(), b.keys.size());
  const std::int64_t moved = into.absorb_counts(other);
  EXPECT_GT(moved, 0);
  EXPECT_LT(moved, other.size());
  EXPECT_EQ(into.size() + other.size() - moved, static_cast<std::int64_t>(reference.size()));

  std::map<RefKey, std::pair<std::int64_t, bool>> seen;
  std::int64_t listed = 0;
  for (const ExactDistinct* set : {&into, &other}) {
    set->for_each_entry([&](const ExactDistinct::Entry& e) {
      const RefKey r = ref_of(e.key);
      EXPECT_EQ(seen.count(r), 0u) << r.second << " listed twice";
      seen[r] = {e.count, e.key.real};
      ++listed;
    });
  }
  EXPECT_EQ(listed, static_cast<std::int64_t>(reference.size()));
  EXPECT_EQ(seen, reference);
  // entries() lists the same values as for_each_entry().
  EXPECT_EQ(into.entries().size() + other.entries().size(), reference.size());
}

}  // namespace
}  // namespace baselinr
