#include "common/moments.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace baselinr {
namespace {

// Exact references: long double two-pass over the data.
struct Ref {
  double mean;
  double sd;
};
Ref reference(const std::vector<long double>& xs) {
  long double sum = 0;
  for (auto x : xs) sum += x;
  long double mean = sum / xs.size();
  long double ss = 0;
  for (auto x : xs) ss += (x - mean) * (x - mean);
  return {static_cast<double>(mean), static_cast<double>(std::sqrt(ss / (xs.size() - 1)))};
}

void expect_rel(double got, double want, double tol = 1e-9) {
  EXPECT_NEAR(got, want, std::fabs(want) * tol + 1e-300) << "got " << got << " want " << want;
}

TEST(Moments, LargeMeanSmallSpreadStaysAccurate) {
  Moments m;
  std::vector<long double> xs;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int i = 0; i < 100000; ++i) {
    double x = 1e9 + u(rng);
    m.add_double(x);
    xs.push_back(x);
  }
  Ref r = reference(xs);
  expect_rel(*m.mean(), r.mean);
  expect_rel(*m.stddev(), r.sd);
}

TEST(Moments, IntegersNearInt64LimitsNeverOverflow) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  Moments m;
  std::vector<long double> xs;
  for (std::int64_t v : {big, big - 1, big - 2, big - 5}) {
    m.add_int(v);
    xs.push_back(static_cast<long double>(v));
  }
  Ref r = reference(xs);
  expect_rel(*m.mean(), r.mean);
  expect_rel(*m.stddev(), r.sd);  // sqrt(14/3), invisible to a double-based sum
  EXPECT_NEAR(*m.stddev(), std::sqrt(14.0 / 3.0), 1e-12);

  Moments mixed;
  for (std::int64_t v : {big, small, std::int64_t{0}}) mixed.add_int(v);
  EXPECT_NEAR(*mixed.mean(), -1.0 / 3.0, 1e-12);  // exact 128-bit sum: (max + min) / 3
}

TEST(Moments, MergeEqualsSinglePass) {
  Moments whole, a, b, c;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(50, 12);
  for (int i = 0; i < 30000; ++i) {
    double x = n(rng);
    whole.add_double(x);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).add_double(x);
  }
  a.merge(b);
  a.merge(c);
  expect_rel(*a.mean(), *whole.mean(), 1e-12);
  expect_rel(*a.stddev(), *whole.stddev(), 1e-12);
  EXPECT_EQ(a.count(), whole.count());
}

TEST(Moments, EdgeCases) {
  Moments empty;
  EXPECT_FALSE(empty.mean());
  EXPECT_FALSE(empty.stddev());
  Moments one;
  one.add_int(5);
  EXPECT_EQ(*one.mean(), 5.0);
  EXPECT_FALSE(one.stddev());  // a sample stddev needs two values
  Moments same;
  for (int i = 0; i < 10; ++i) same.add_double(3.25);
  EXPECT_EQ(*same.stddev(), 0.0);
  Moments inf;
  inf.add_double(1.0);
  inf.add_double(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isinf(*inf.mean()) && *inf.mean() > 0);
  EXPECT_TRUE(std::isnan(*inf.stddev()));
  inf.add_double(-std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*inf.mean()));
}

TEST(Moments, HistogramBinFormula) {
  EXPECT_EQ(histogram_bin(0.0, 0.0, 10.0, 10), 0);
  EXPECT_EQ(histogram_bin(9.999, 0.0, 10.0, 10), 9);
  EXPECT_EQ(histogram_bin(10.0, 0.0, 10.0, 10), 9);  // the last bin includes max
  EXPECT_EQ(histogram_bin(5.0, 0.0, 10.0, 10), 5);
  EXPECT_EQ(histogram_bin(-1.0, 0.0, 10.0, 10), 0);
}

}  // namespace
}  // namespace baselinr
