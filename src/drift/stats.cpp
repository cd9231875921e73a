#include "drift/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace baselinr::drift {

int weekday_utc(double seconds) {
  const auto days = static_cast<long long>(std::floor(seconds / 86400.0));
  return static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
}

double median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

double quantile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const double h = p * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

double mad(const std::vector<double>& values) {
  const double m = median(values);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double v : values) dev.push_back(std::fabs(v - m));
  return median(std::move(dev));
}

double mean(const std::vector<double>& values) {
  long double sum = 0;
  for (double v : values) sum += v;
  return static_cast<double>(sum / static_cast<long double>(values.size()));
}

double sample_stddev(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double m = mean(values);
  long double ss = 0;
  for (double v : values) ss += (v - m) * (v - m);
  return static_cast<double>(std::sqrt(ss / static_cast<long double>(values.size() - 1)));
}

std::optional<Line> theil_sen(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> slopes;
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  if (slopes.empty()) return std::nullopt;
  Line line;
  line.slope = median(std::move(slopes));
  line.intercept = median(y) - line.slope * median(x);
  return line;
}

double kolmogorov_survival(double lambda) {
  if (!(lambda > 0)) return 1.0;
  if (lambda < 1.18) {
    // The Jacobi-theta form converges fast for small lambda.
    const double pi = std::numbers::pi;
    double sum = 0;
    for (int j = 1; j <= 20; ++j) {
      const double k = 2.0 * j - 1.0;
      sum += std::exp(-k * k * pi * pi / (8.0 * lambda * lambda));
    }
    return std::clamp(1.0 - std::sqrt(2.0 * pi) / lambda * sum, 0.0, 1.0);
  }
  double sum = 0;
  for (int j = 1; j <= 100; ++j) {
    const double term = std::exp(-2.0 * j * j * lambda * lambda);
    sum += (j % 2 == 1 ? term : -term);
    if (term < 1e-300) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

double gamma_q(double a, double x) {
  if (!(x > 0)) return 1.0;
  const double log_prefix = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {
    // P(a, x) by its series, Q = 1 - P.
    double term = 1.0 / a;
    double sum = term;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-16) break;
    }
    return std::clamp(1.0 - sum * std::exp(log_prefix), 0.0, 1.0);
  }
  // Q(a, x) by its continued fraction (modified Lentz).
  const double tiny = 1e-300;
  double b = x + 1.0 - a;
  double c = 1.0 / tiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < 1e-16) break;
  }
  return std::clamp(std::exp(log_prefix) * h, 0.0, 1.0);
}

double chi_square_survival(double x, double dof) { return gamma_q(dof / 2.0, x / 2.0); }

namespace {

// Interpolates the CDF between point i (value <= x) and the next point (value > x).
double interpolate(const QuantileCurve& q, std::size_t i, double x) {
  const QuantilePoint& a = q[i];
  const QuantilePoint& b = q[i + 1];
  return a.p + (b.p - a.p) * (x - a.value) / (b.value - a.value);
}

}  // namespace

double cdf_at(const QuantileCurve& q, double x) {
  if (q.empty() || x < q.front().value) return 0.0;
  if (x >= q.back().value) return 1.0;
  // The last point with value <= x; the one after it is strictly greater.
  auto it = std::upper_bound(q.begin(), q.end(), x,
                             [](double v, const QuantilePoint& pt) { return v < pt.value; });
  const auto i = static_cast<std::size_t>(it - q.begin()) - 1;
  return interpolate(q, i, x);
}

double cdf_before(const QuantileCurve& q, double x) {
  if (q.empty() || x <= q.front().value) return 0.0;
  if (x > q.back().value) return 1.0;
  // The last point with value < x; the one after it is >= x.
  auto it = std::lower_bound(q.begin(), q.end(), x,
                             [](const QuantilePoint& pt, double v) { return pt.value < v; });
  const auto i = static_cast<std::size_t>(it - q.begin()) - 1;
  const QuantilePoint& a = q[i];
  const QuantilePoint& b = q[i + 1];
  if (b.value == x) return b.p;
  return a.p + (b.p - a.p) * (x - a.value) / (b.value - a.value);
}

double quantile_at(const QuantileCurve& q, double p) {
  if (p <= q.front().p) return q.front().value;
  if (p >= q.back().p) return q.back().value;
  auto it = std::upper_bound(q.begin(), q.end(), p,
                             [](double v, const QuantilePoint& pt) { return v < pt.p; });
  const auto i = static_cast<std::size_t>(it - q.begin()) - 1;
  const QuantilePoint& a = q[i];
  const QuantilePoint& b = q[i + 1];
  if (b.p == a.p) return a.value;
  return a.value + (b.value - a.value) * (p - a.p) / (b.p - a.p);
}

KsResult ks_from_quantiles(const QuantileCurve& a, double n_a, const QuantileCurve& b, double n_b) {
  KsResult r;
  for (const QuantileCurve* curve : {&a, &b}) {
    for (const auto& pt : *curve) {
      r.d = std::max(r.d, std::fabs(cdf_at(a, pt.value) - cdf_at(b, pt.value)));
      r.d = std::max(r.d, std::fabs(cdf_before(a, pt.value) - cdf_before(b, pt.value)));
    }
  }
  const double n_e = n_a * n_b / (n_a + n_b);
  r.p_value = kolmogorov_survival(std::sqrt(n_e) * r.d);
  return r;
}

BucketShares quantile_buckets(const QuantileCurve& baseline, const QuantileCurve& current,
                              int buckets) {
  BucketShares s;
  double prev_b = 0, prev_c = 0;
  for (int i = 1; i <= buckets; ++i) {
    double fb = 1.0, fc = 1.0;
    if (i < buckets) {
      const double edge = quantile_at(baseline, static_cast<double>(i) / buckets);
      fb = cdf_at(baseline, edge);
      fc = cdf_at(current, edge);
    }
    s.baseline.push_back(std::max(0.0, fb - prev_b));
    s.current.push_back(std::max(0.0, fc - prev_c));
    prev_b = std::max(prev_b, fb);
    prev_c = std::max(prev_c, fc);
  }
  return s;
}

double psi(const std::vector<double>& baseline, const std::vector<double>& current, double floor) {
  double sum = 0;
  for (std::size_t i = 0; i < baseline.size(); ++i) {
    const double b = std::max(baseline[i], floor);
    const double c = std::max(current[i], floor);
    sum += (c - b) * std::log(c / b);
  }
  return sum;
}

ChiSquareResult chi_square(const std::vector<double>& a, const std::vector<double>& b) {
  ChiSquareResult r;
  double na = 0, nb = 0;
  for (double v : a) na += v;
  for (double v : b) nb += v;
  const double n = na + nb;
  if (a.size() < 2 || na <= 0 || nb <= 0) return r;
  for (std::size_t j = 0; j < a.size(); ++j) {
    const double col = a[j] + b[j];
    if (col <= 0) continue;
    const double ea = na * col / n;
    const double eb = nb * col / n;
    r.statistic += (a[j] - ea) * (a[j] - ea) / ea + (b[j] - eb) * (b[j] - eb) / eb;
    ++r.dof;
  }
  r.dof -= 1;
  if (r.dof < 1) {
    r.dof = 0;
    r.statistic = 0;
    return r;
  }
  r.p_value = chi_square_survival(r.statistic, r.dof);
  r.cramers_v = std::sqrt(r.statistic / n);
  return r;
}

namespace {

std::vector<double> normalised(const std::vector<double>& w) {
  double total = 0;
  for (double v : w) total += v;
  std::vector<double> out;
  out.reserve(w.size());
  for (double v : w) out.push_back(total > 0 ? v / total : 0.0);
  return out;
}

}  // namespace

double jensen_shannon_distance(const std::vector<double>& p, const std::vector<double>& q) {
  const auto pn = normalised(p);
  const auto qn = normalised(q);
  double div = 0;
  for (std::size_t i = 0; i < pn.size(); ++i) {
    const double m = (pn[i] + qn[i]) / 2;
    if (pn[i] > 0) div += 0.5 * pn[i] * std::log2(pn[i] / m);
    if (qn[i] > 0) div += 0.5 * qn[i] * std::log2(qn[i] / m);
  }
  return std::sqrt(std::max(0.0, div));
}

double entropy_bits(const std::vector<double>& weights) {
  double h = 0;
  for (double v : normalised(weights)) {
    if (v > 0) h -= v * std::log2(v);
  }
  return h;
}

}  // namespace baselinr::drift
