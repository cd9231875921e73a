// The drift statistics checked against values computed independently by numpy and scipy
// (Debian's python3-scipy) from the same generated data: KS D and p-value, PSI, chi-square
// p-value and Cramer's V, Jensen-Shannon distance, entropy, MAD bands with a Theil-Sen trend,
// and the Kolmogorov, chi-square and incomplete-gamma distributions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "drift/anomaly.hpp"
#include "drift/stats.hpp"
#include "support/testing.hpp"

namespace baselinr::drift {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-scipy

// Nearest-rank quantile points (PostgreSQL's percentile_disc) on the contract's grid.
QuantileCurve nearest_rank(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  QuantileCurve q;
  for (double p : {0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
    const auto n = static_cast<double>(values.size());
    const auto rank = p == 0 ? 1.0 : std::ceil(p * n);
    q.push_back({p, values[static_cast<std::size_t>(rank) - 1]});
  }
  return q;
}

nlohmann::json curve_json(const QuantileCurve& q) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& pt : q) j.push_back({pt.p, pt.value});
  return j;
}

std::vector<double> normal(std::mt19937_64& rng, int n, double mu, double sigma) {
  std::normal_distribution<double> d(mu, sigma);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

// Runs the reference script on `cases`; one result per case.
nlohmann::json reference(const nlohmann::json& cases) {
  testing::TempDir dir;
  const auto input = dir.write("cases.json", cases.dump());
  auto r = testing::run_program(
      kPython,
      {std::string(BASELINR_SOURCE_DIR) + "/tests/fixtures/drift_reference.py", input.string()});
  EXPECT_EQ(r.exit_code, 0) << "the reference needs Debian's python3-scipy "
                               "(scripts/install-deps.sh --test): "
                            << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(DriftStats, KolmogorovSmirnovFromQuantilesMatchesAnIndependentComputation) {
  std::mt19937_64 rng(7);
  const auto a = normal(rng, 2000, 0, 1);
  const auto same = normal(rng, 1500, 0, 1);
  const auto shifted = normal(rng, 1500, 0.5, 1);
  std::vector<double> ints_a, ints_b;  // discrete values: ties and jumps in the curves
  std::uniform_int_distribution<int> five(1, 5);
  for (int i = 0; i < 800; ++i) ints_a.push_back(five(rng));
  for (int i = 0; i < 900; ++i) ints_b.push_back(std::min(5, five(rng) + (i % 4 == 0)));
  struct Case {
    const std::vector<double>* x;
    const std::vector<double>* y;
  };
  const std::vector<Case> cases = {{&a, &same}, {&a, &shifted}, {&ints_a, &ints_b}};
  nlohmann::json in = nlohmann::json::array();
  for (const auto& c : cases) {
    in.push_back({{"kind", "ks"},
                  {"a", curve_json(nearest_rank(*c.x))},
                  {"n_a", c.x->size()},
                  {"b", curve_json(nearest_rank(*c.y))},
                  {"n_b", c.y->size()},
                  {"raw_a", *c.x},
                  {"raw_b", *c.y}});
  }
  const auto ref = reference(in);
  ASSERT_EQ(ref.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    KsResult r = ks_from_quantiles(nearest_rank(*cases[i].x), cases[i].x->size(),
                                   nearest_rank(*cases[i].y), cases[i].y->size());
    EXPECT_NEAR(r.d, ref[i]["d"].get<double>(), 1e-12) << i;
    EXPECT_NEAR(r.p_value, ref[i]["p"].get<double>(), 1e-9) << i;
    // From 11 quantile points D is approximate: within the widest gap of the grid (0.25) of
    // the exact two-sample D scipy computes from every value.
    EXPECT_NEAR(r.d, ref[i]["exact_d"].get<double>(), 0.25) << i;
  }
  // Same distribution: small D, no significance; a half-sigma shift: clearly both.
  EXPECT_LT(ks_from_quantiles(nearest_rank(a), 2000, nearest_rank(same), 1500).d, 0.06);
  KsResult shift = ks_from_quantiles(nearest_rank(a), 2000, nearest_rank(shifted), 1500);
  EXPECT_GT(shift.d, 0.15);
  EXPECT_LT(shift.p_value, 1e-9);
}

TEST(DriftStats, PsiMatchesAnIndependentComputation) {
  std::mt19937_64 rng(11);
  const auto base = nearest_rank(normal(rng, 3000, 10, 2));
  const auto cur = nearest_rank(normal(rng, 3000, 10.6, 2.4));
  const std::vector<double> cb = {500, 300, 150, 50}, cc = {350, 300, 150, 50, 150};
  nlohmann::json in = nlohmann::json::array();
  for (int buckets : {10, 4}) {
    in.push_back({{"kind", "psi"},
                  {"baseline", curve_json(base)},
                  {"current", curve_json(cur)},
                  {"buckets", buckets}});
  }
  // Categories: a new one at 15% (0 in the baseline: the floor applies).
  in.push_back(
      {{"kind", "psi"}, {"baseline_counts", {500, 300, 150, 50, 0}}, {"current_counts", cc}});
  const auto ref = reference(in);
  for (int i = 0; i < 2; ++i) {
    BucketShares s = quantile_buckets(base, cur, i == 0 ? 10 : 4);
    const auto rb = ref[i]["baseline"].get<std::vector<double>>();
    ASSERT_EQ(s.baseline.size(), rb.size());
    for (std::size_t k = 0; k < rb.size(); ++k) EXPECT_NEAR(s.baseline[k], rb[k], 1e-12);
    EXPECT_NEAR(psi(s.baseline, s.current), ref[i]["psi"].get<double>(), 1e-12);
  }
  std::vector<double> b = {0.5, 0.3, 0.15, 0.05, 0.0};
  std::vector<double> c;
  for (double v : cc) c.push_back(v / 1000);
  EXPECT_NEAR(psi(b, c), ref[2]["psi"].get<double>(), 1e-12);
  EXPECT_GT(psi(b, c), 0.2);  // a new category at 15%: a major shift
}

TEST(DriftStats, ChiSquareJensenShannonAndEntropyMatchScipy) {
  const std::vector<std::vector<double>> a = {{500, 300, 200}, {480, 310, 205, 5}, {90, 10}};
  const std::vector<std::vector<double>> b = {{450, 300, 250}, {300, 290, 200, 210}, {60, 40}};
  nlohmann::json in = nlohmann::json::array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    in.push_back({{"kind", "chi_square"}, {"a", a[i]}, {"b", b[i]}});
    in.push_back({{"kind", "js"}, {"p", a[i]}, {"q", b[i]}});
  }
  const auto ref = reference(in);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ChiSquareResult r = chi_square(a[i], b[i]);
    const auto& cr = ref[2 * i];
    EXPECT_NEAR(r.statistic, cr["chi2"].get<double>(), 1e-9) << i;
    EXPECT_EQ(r.dof, cr["dof"].get<int>()) << i;
    EXPECT_NEAR(r.p_value, cr["p"].get<double>(), 1e-12 + 1e-9 * cr["p"].get<double>()) << i;
    EXPECT_NEAR(r.cramers_v, cr["v"].get<double>(), 1e-12) << i;
    const auto& jr = ref[2 * i + 1];
    EXPECT_NEAR(jensen_shannon_distance(a[i], b[i]), jr["distance"].get<double>(), 1e-12) << i;
    EXPECT_NEAR(entropy_bits(a[i]), jr["entropy_p"].get<double>(), 1e-12) << i;
  }
}

TEST(DriftStats, DistributionFunctionsMatchScipy) {
  const std::vector<double> lambdas = {0.05, 0.3, 0.6, 1.0, 1.17, 1.19, 1.5, 2.5, 4.0};
  const std::vector<std::pair<double, double>> chi2 = {{0.5, 1},  {3.84, 1},   {12.0, 4},
                                                       {50.0, 3}, {200.0, 10}, {7.0, 7}};
  const std::vector<std::pair<double, double>> gamma = {{0.5, 0.2}, {2.0, 5.0}, {10.0, 3.0}};
  nlohmann::json in = nlohmann::json::array();
  in.push_back({{"kind", "distributions"}, {"lambdas", lambdas}, {"chi2", chi2}, {"gamma", gamma}});
  const auto ref = reference(in)[0];
  for (std::size_t i = 0; i < lambdas.size(); ++i) {
    EXPECT_NEAR(kolmogorov_survival(lambdas[i]), ref["kolmogorov"][i].get<double>(), 1e-12)
        << lambdas[i];
  }
  for (std::size_t i = 0; i < chi2.size(); ++i) {
    const double want = ref["chi2_sf"][i].get<double>();
    EXPECT_NEAR(chi_square_survival(chi2[i].first, chi2[i].second), want, 1e-14 + 1e-10 * want);
  }
  for (std::size_t i = 0; i < gamma.size(); ++i) {
    EXPECT_NEAR(gamma_q(gamma[i].first, gamma[i].second), ref["gammaincc"][i].get<double>(), 1e-12);
  }
}

TEST(DriftStats, MadBandAroundATheilSenTrendMatchesScipy) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  const double day = 86400, start = 1.7e9;
  std::vector<SeriesPoint> history;
  nlohmann::json in = nlohmann::json::array();
  for (bool log : {false, true}) {
    history.clear();
    std::vector<double> times, values;
    for (int d = 0; d < 28; ++d) {
      const double v =
          log ? 1000 * std::pow(1.01, d) * (1 + 0.02 * noise(rng)) : 50 + 0.3 * d + noise(rng);
      history.push_back({start + d * day, v});
      times.push_back(start + d * day);
      values.push_back(v);
    }
    in.push_back({{"kind", "mad_band"},
                  {"times", times},
                  {"values", values},
                  {"current_time", start + 28 * day},
                  {"k", 3.0},
                  {"log", log}});
  }
  const auto ref = reference(in);
  rng.seed(3);
  for (int i = 0; i < 2; ++i) {
    const bool log = i == 1;
    history.clear();
    for (int d = 0; d < 28; ++d) {
      const double v =
          log ? 1000 * std::pow(1.01, d) * (1 + 0.02 * noise(rng)) : 50 + 0.3 * d + noise(rng);
      history.push_back({start + d * day, v});
    }
    BandSettings s;
    s.methods = {"mad"};
    s.seasonality = false;
    s.log_scale = log;
    auto band = anomaly_band(history, {start + 28 * day, 60.0}, s);
    ASSERT_TRUE(band);
    EXPECT_NEAR(band->low, ref[i]["low"].get<double>(), 1e-9 * std::fabs(band->low)) << i;
    EXPECT_NEAR(band->high, ref[i]["high"].get<double>(), 1e-9 * std::fabs(band->high)) << i;
    EXPECT_NEAR(band->expected, ref[i]["expected"].get<double>(), 1e-9 * band->expected) << i;
    EXPECT_NEAR(band->slope_per_day, ref[i]["slope"].get<double>(), 1e-12) << i;
  }
}

TEST(DriftStats, BandsFollowWeeklySeasonsAndGrowthButFlagABreak) {
  // Weekdays at 1000 rows, weekends at 600, growing 1% a day, 2% noise: the next weekday and
  // weekend values are expected; a 30% drop is not.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.02);
  const double day = 86400, start = 1.7e9 - std::fmod(1.7e9, day);
  auto volume = [&](int d, double factor) {
    const int weekday = static_cast<int>((static_cast<long long>((start + d * day) / day) + 3) % 7);
    return (weekday >= 5 ? 600.0 : 1000.0) * std::pow(1.01, d) * factor * (1 + noise(rng));
  };
  std::vector<SeriesPoint> history;
  for (int d = 0; d < 30; ++d) history.push_back({start + d * day, volume(d, 1)});
  BandSettings s;
  s.log_scale = true;
  s.floor = 1e-3;
  for (int d = 30; d < 37; ++d) {
    auto normal_day = anomaly_band(history, {start + d * day, volume(d, 1)}, s);
    ASSERT_TRUE(normal_day);
    EXPECT_TRUE(normal_day->weekday);
    EXPECT_FALSE(normal_day->anomalous) << "day " << d << " z " << normal_day->robust_z;
    auto drop = anomaly_band(history, {start + d * day, volume(d, 0.7)}, s);
    EXPECT_TRUE(drop->anomalous) << "day " << d;
    EXPECT_LT(drop->robust_z, -5);
  }
  // Too little history: no band.
  history.resize(4);
  EXPECT_FALSE(anomaly_band(history, {start + 4 * day, 1000}, s));
}

}  // namespace
}  // namespace baselinr::drift
