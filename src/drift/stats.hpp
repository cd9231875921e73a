// The statistics behind drift detection: robust location and scale, Theil-Sen lines, the
// Kolmogorov and chi-square distributions, and the two-sample comparisons made on stored
// distribution summaries (KS from quantiles, PSI, chi-square, Jensen-Shannon, entropy).
// Formulas and conventions: docs/DRIFT_DETECTION.md. Pure functions, no state.
#pragma once

#include <optional>
#include <vector>

namespace baselinr::drift {

// The weekday (Monday = 0) of a time in seconds since 1970-01-01 UTC.
int weekday_utc(double seconds);

double median(std::vector<double> values);  // values must not be empty
// Linear interpolation between order statistics (numpy's default, "type 7").
double quantile(std::vector<double> values, double p);
// Median absolute deviation from the median (unscaled; x 1.4826 estimates a normal sigma).
double mad(const std::vector<double>& values);
double mean(const std::vector<double>& values);
double sample_stddev(const std::vector<double>& values);  // 0 for fewer than two values

// Theil-Sen: slope = median of the pairwise slopes (pairs with equal x skipped), intercept =
// median(y) - slope * median(x) (as scipy.stats.theilslopes). Needs two distinct x.
struct Line {
  double slope = 0;
  double intercept = 0;
  double at(double x) const { return intercept + slope * x; }
};
std::optional<Line> theil_sen(const std::vector<double>& x, const std::vector<double>& y);

// Kolmogorov's limiting distribution: P(sqrt(n) D > lambda) = 2 sum (-1)^(j-1) e^(-2 j^2 l^2).
double kolmogorov_survival(double lambda);
// Regularized upper incomplete gamma Q(a, x); chi-square survival = Q(dof / 2, x / 2).
double gamma_q(double a, double x);
double chi_square_survival(double x, double dof);

// A quantile summary as points (p, value), p ascending from 0 to 1, values non-decreasing.
// Its distribution function is the piecewise-linear interpolation between the points (ties
// are jumps): below the minimum 0, at or above the maximum 1.
struct QuantilePoint {
  double p = 0;
  double value = 0;
};
using QuantileCurve = std::vector<QuantilePoint>;
double cdf_at(const QuantileCurve& q, double x);       // right-continuous
double cdf_before(const QuantileCurve& q, double x);   // left limit
double quantile_at(const QuantileCurve& q, double p);  // inverse, linear between points

// Two-sample Kolmogorov-Smirnov on quantile summaries: D = sup |F1 - F2| over the union of
// the points (both one-sided limits at each), p-value from Q_KS(sqrt(n1 n2 / (n1 + n2)) D).
struct KsResult {
  double d = 0;
  double p_value = 1;
};
KsResult ks_from_quantiles(const QuantileCurve& a, double n_a, const QuantileCurve& b, double n_b);

// Bucket shares of `current` in `buckets` buckets cut at the baseline's quantiles i / buckets.
struct BucketShares {
  std::vector<double> baseline;
  std::vector<double> current;
};
BucketShares quantile_buckets(const QuantileCurve& baseline, const QuantileCurve& current,
                              int buckets);
// PSI = sum (c - b) ln(c / b), each share floored at `floor` (shares as fractions of 1).
double psi(const std::vector<double>& baseline, const std::vector<double>& current,
           double floor = 1e-4);

// Pearson chi-square on the 2 x k table of counts (no continuity correction), dof = k - 1,
// with Cramer's V = sqrt(chi2 / n) (2 rows).
struct ChiSquareResult {
  double statistic = 0;
  int dof = 0;
  double p_value = 1;
  double cramers_v = 0;
};
ChiSquareResult chi_square(const std::vector<double>& a, const std::vector<double>& b);

// Jensen-Shannon distance (base 2, in [0, 1]) between two distributions given as weights
// (normalised here).
double jensen_shannon_distance(const std::vector<double>& p, const std::vector<double>& q);
// Shannon entropy in bits of the distribution given by weights.
double entropy_bits(const std::vector<double>& weights);

}  // namespace baselinr::drift
