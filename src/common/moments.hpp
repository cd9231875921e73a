// Moments: streaming, mergeable mean and sample standard deviation.
//
// Integers are summed exactly in 128 bits, so the mean of int64 values never overflows and is
// correctly rounded. Deviations use Welford's update in long double on values shifted by the
// first one seen (no cancellation when the mean is large against the spread); two states merge
// with Chan et al.'s formula, so per-thread states can be combined. Infinities are counted
// apart and give IEEE results at the end (mean +/-inf or NaN, stddev NaN). NaN inputs are the
// caller's to skip.
//
// An all-zero object is a valid empty state (SQLite hands out zeroed aggregate memory).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace baselinr {

__extension__ typedef __int128 Int128;

struct Moments {
  std::int64_t n = 0;  // finite values
  std::int64_t pos_inf = 0;
  std::int64_t neg_inf = 0;
  bool has_shift = false;
  bool has_real = false;  // a non-integer was seen: the exact integer sum is not usable
  bool shift_is_int = false;
  std::int64_t shift_int = 0;
  long double shift = 0;
  long double mean_rel = 0;  // mean of (x - shift)
  long double m2 = 0;
  Int128 int_sum = 0;

  void add_int(std::int64_t v) {
    int_sum += v;
    if (!has_shift) {
      has_shift = true;
      shift_is_int = true;
      shift_int = v;
      shift = static_cast<long double>(v);
    }
    // With an integer shift, v - shift is exact in 128 bits and fits a long double mantissa.
    long double d = shift_is_int ? static_cast<long double>(static_cast<Int128>(v) - shift_int)
                                 : static_cast<long double>(v) - shift;
    update(d);
  }

  void add_double(double v) {
    if (std::isinf(v)) {
      (v > 0 ? pos_inf : neg_inf)++;
      return;
    }
    has_real = true;
    if (!has_shift) {
      has_shift = true;
      shift = v;
    }
    update(static_cast<long double>(v) - shift);
  }

  void merge(const Moments& o) {
    pos_inf += o.pos_inf;
    neg_inf += o.neg_inf;
    if (o.n == 0) {
      has_real = has_real || o.has_real;
      return;
    }
    if (n == 0) {
      std::int64_t pi = pos_inf, ni = neg_inf;
      *this = o;
      pos_inf = pi;
      neg_inf = ni;
      return;
    }
    const long double na = static_cast<long double>(n), nb = static_cast<long double>(o.n);
    const long double total = na + nb;
    const long double delta = (o.shift - shift) + (o.mean_rel - mean_rel);
    mean_rel += delta * nb / total;
    m2 += o.m2 + delta * delta * na * nb / total;
    n += o.n;
    int_sum += o.int_sum;
    has_real = has_real || o.has_real;
  }

  std::int64_t count() const { return n + pos_inf + neg_inf; }

  std::optional<double> mean() const {
    if (pos_inf && neg_inf) return std::numeric_limits<double>::quiet_NaN();
    if (pos_inf) return std::numeric_limits<double>::infinity();
    if (neg_inf) return -std::numeric_limits<double>::infinity();
    if (n == 0) return std::nullopt;
    if (!has_real) {
      return static_cast<double>(static_cast<long double>(int_sum) / static_cast<long double>(n));
    }
    return static_cast<double>(shift + mean_rel);
  }

  // Sample standard deviation; nullopt with fewer than two values.
  std::optional<double> stddev() const {
    if (count() < 2) return std::nullopt;
    if (pos_inf || neg_inf) return std::numeric_limits<double>::quiet_NaN();
    long double var = m2 / static_cast<long double>(n - 1);
    if (var < 0) var = 0;
    return static_cast<double>(std::sqrt(var));
  }

 private:
  void update(long double d) {
    ++n;
    long double delta = d - mean_rel;
    mean_rel += delta / static_cast<long double>(n);
    m2 += delta * (d - mean_rel);
  }
};

// The histogram bin of x over [min, min + range] with `bins` bins: floor((x - min) / range *
// bins) clamped to [0, bins - 1]. Every engine evaluates exactly this, in doubles.
inline int histogram_bin(double x, double min, double range, int bins) {
  double b = std::floor((x - min) / range * bins);
  if (!(b >= 0)) return 0;
  if (b >= bins - 1) return bins - 1;
  return static_cast<int>(b);
}

}  // namespace baselinr
