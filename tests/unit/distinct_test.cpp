#include "common/distinct.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <iterator>
#include <limits>
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

// Where numbers move from the hash table to sorted runs: never, from the first, and midway
// (the generators below add about 5,000 distinct numbers per 10,000 keys).
const std::size_t kRunsFroms[] = {std::size_t{1} << 40, 0, 1000, 4000};
// For tests of two sets: each of never, from the first, midway.
const std::size_t kPairRunsFroms[] = {std::size_t{1} << 40, 0, 4000};

TEST(ExactDistinct, CountsLikeAnOrderedSet) {
  for (const std::size_t runs_from : kRunsFroms) {
    std::mt19937_64 rng(42);
    Generated g = generate(rng, 50000, 20000);
    ExactDistinct set(false, runs_from);
    // In batches, as the engine adds them, so that a switch to runs can come midway.
    for (std::size_t i = 0; i < g.keys.size(); i += 2048) {
      set.add_batch(g.keys.data() + i, std::min<std::size_t>(2048, g.keys.size() - i));
    }
    EXPECT_EQ(set.size(), static_cast<std::int64_t>(g.reference.size())) << runs_from;
    // Adding everything again changes nothing.
    for (const auto& k : g.keys) set.add(k);
    EXPECT_EQ(set.size(), static_cast<std::int64_t>(g.reference.size())) << runs_from;
  }
}

// Numbers at the edges of their orders: the radix sort and the runs keep every value apart
// (negative integers, int64 limits, -0.0 as 0, one NaN, infinities, 2^53 + 1), and a set that
// holds integers beyond 2^53 or a NaN says its numbers are not all exact doubles.
TEST(ExactDistinct, RunsKeepEdgeNumbersApart) {
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<DistinctKey> keys;
  std::set<std::pair<int, std::uint64_t>> reference;
  auto add = [&](const DistinctKey& k) {
    keys.push_back(k);
    reference.insert({static_cast<int>(k.kind), k.bits});
  };
  for (std::int64_t v = -70000; v < 70000; v += 3) add(DistinctKey::from_int(v));
  for (std::int64_t v : {kMin, kMin + 1, kMax, kMax - 1, std::int64_t{0}}) {
    add(DistinctKey::from_int(v));
  }
  for (double d : {-0.0, 0.0, 0.5, -0.5, 1e300, -1e300, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN(), 9007199254740993.0, 3.0}) {
    add(DistinctKey::from_real(d));
  }
  for (const std::size_t runs_from : kRunsFroms) {
    ExactDistinct set(true, runs_from);
    for (int round = 0; round < 2; ++round) {
      for (std::size_t i = 0; i < keys.size(); i += 2048) {
        set.add_batch(keys.data() + i, std::min<std::size_t>(2048, keys.size() - i));
      }
    }
    EXPECT_EQ(set.size(), static_cast<std::int64_t>(reference.size())) << runs_from;
    EXPECT_FALSE(set.exact_doubles()) << runs_from;
    std::map<std::pair<int, std::uint64_t>, std::int64_t> counts;
    set.for_each_entry([&](const ExactDistinct::Entry& e) {
      counts[{static_cast<int>(e.key.kind), e.key.bits}] += e.count;
    });
    ASSERT_EQ(counts.size(), reference.size()) << runs_from;
    // Every key was added twice; 0 three times per round (from_int(0), -0.0, 0.0), 3 once more.
    EXPECT_EQ((counts[{static_cast<int>(DistinctKey::Kind::kInt), 0}]), 6) << runs_from;
    EXPECT_EQ((counts[{static_cast<int>(DistinctKey::Kind::kInt), 3}]), 2) << runs_from;
  }
  ExactDistinct small(false, 0);
  for (std::int64_t v = -1000; v < 1000; ++v) small.add(DistinctKey::from_int(v));
  small.add(DistinctKey::from_real(0.25));
  EXPECT_TRUE(small.exact_doubles());
  EXPECT_EQ(small.size(), 2001);
}

TEST(ExactDistinct, UnionSizeOfPerThreadSetsEqualsTheDistinctCountOfAllValues) {
  for (std::size_t threads : {1u, 2u, 3u, 8u}) {
    std::mt19937_64 rng(7 + threads);
    std::vector<Generated> parts;
    std::vector<ExactDistinct> sets;
    std::set<RefKey> all;
    for (std::size_t t = 0; t < threads; ++t) {
      // Sets whose numbers are in runs and sets whose numbers are in their tables, mixed.
      sets.emplace_back(false, kRunsFroms[t % std::size(kRunsFroms)]);
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
  // The same with numbers in runs, in one set or both.
  ExactDistinct ra(false, 0), rb(false, 0);
  for (std::int64_t i = 0; i < 1000; ++i) ra.add(DistinctKey::from_int(i));
  for (std::int64_t i = 500; i < 3000; ++i) rb.add(DistinctKey::from_int(i));
  EXPECT_EQ(ExactDistinct::union_size({&ra, &rb}), 3000);
  EXPECT_EQ(ExactDistinct::union_size({&a, &rb, &empty}), 3000);
  EXPECT_EQ(ExactDistinct::union_size({&empty, &ra}), 1000);
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

void absorb_counts_case(std::size_t into_from, std::size_t other_from);

// Each value of the generated keys with how many times it was added and whether any addition
// was a real.
std::map<RefKey, std::pair<std::int64_t, bool>> counted_reference(
    std::initializer_list<const Generated*> parts) {
  std::map<RefKey, std::pair<std::int64_t, bool>> reference;
  for (const Generated* g : parts) {
    for (std::size_t i = 0; i < g->keys.size(); ++i) {
      auto& [count, real] = reference[g->refs[i]];
      ++count;
      real = real || g->keys[i].real;
    }
  }
  return reference;
}

// Two counted sets of overlapping generated values (30,000 and 25,000 keys from a pool of
// 20,000), whose numbers move to runs from `into_from` and `other_from` numbers, and the
// reference counts of their union.
struct TwoCountedSets {
  ExactDistinct into, other;
  std::map<RefKey, std::pair<std::int64_t, bool>> reference;
  TwoCountedSets(std::uint64_t seed, std::size_t into_from, std::size_t other_from)
      : into(true, into_from), other(true, other_from) {
    std::mt19937_64 rng(seed);
    const Generated a = generate(rng, 30000, 20000);
    const Generated b = generate(rng, 25000, 20000);
    reference = counted_reference({&a, &b});
    into.add_batch(a.keys.data(), a.keys.size());
    other.add_batch(b.keys.data(), b.keys.size());
  }
};

// Two counted sets of overlapping values: after absorb_counts every value of the union is in
// exactly one of them, with the number of times it was added to either, flagged real when any
// addition was a real; the union's size is size() + other.size() - the values moved.
TEST(ExactDistinct, AbsorbCountsLeavesEachValueInOneSetWithItsTotalCount) {
  for (const std::size_t into_from : kPairRunsFroms) {
    for (const std::size_t other_from : kPairRunsFroms) {
      SCOPED_TRACE(testing::Message() << "runs from " << into_from << " and " << other_from);
      absorb_counts_case(into_from, other_from);
    }
  }
}

// merge_counts() of sets holding their numbers in runs, tables or both gives every value once
// with the number of times it was added to either set.
TEST(ExactDistinct, MergeCountsAddsTheCountsOfEveryValue) {
  for (const std::size_t into_from : kPairRunsFroms) {
    for (const std::size_t other_from : kPairRunsFroms) {
      TwoCountedSets sets(5, into_from, other_from);
      auto& [into, other, reference] = sets;
      into.merge_counts(other);
      std::map<RefKey, std::pair<std::int64_t, bool>> seen;
      into.for_each_entry([&](const ExactDistinct::Entry& e) {
        const RefKey r = ref_of(e.key);
        EXPECT_EQ(seen.count(r), 0u) << r.second << " listed twice";
        seen[r] = {e.count, e.key.real};
      });
      EXPECT_EQ(seen, reference) << into_from << " " << other_from;
      EXPECT_EQ(into.size(), static_cast<std::int64_t>(reference.size()));
    }
  }
}

void absorb_counts_case(std::size_t into_from, std::size_t other_from) {
  TwoCountedSets sets(11, into_from, other_from);
  auto& [into, other, reference] = sets;
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
