#include "common/distinct.hpp"

#include <gtest/gtest.h>

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
        g.reference.insert({0, std::to_string(v)});
        break;
      case 1: {
        // Every other one is integral and equal to an integer of the pool (v - 1 is one): 5.0
        // and 5 are one value.
        const bool integral = (v / 4) % 2 == 0;
        const double d = integral ? static_cast<double>(v - 1) : static_cast<double>(v) + 0.5;
        g.keys.push_back(DistinctKey::from_real(d));
        g.reference.insert({0, integral ? std::to_string(v - 1) : std::to_string(v) + ".5"});
        break;
      }
      case 2:
        g.storage.push_back("text-" + std::to_string(v));
        g.keys.push_back(DistinctKey::from_bytes(DistinctKey::Kind::kText, g.storage.back()));
        g.reference.insert({1, g.storage.back()});
        break;
      default:
        // The same bytes as a text value of the pool: a blob never equals a text.
        g.storage.push_back("text-" + std::to_string(v - 1));
        g.keys.push_back(DistinctKey::from_bytes(DistinctKey::Kind::kBlob, g.storage.back()));
        g.reference.insert({2, g.storage.back()});
        break;
    }
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

}  // namespace
}  // namespace baselinr
