// Units for distribution summaries: ks_test, psi, chi_square, jensen_shannon, z_score,
// entropy, top_k. Each test's finding level is its configured threshold (p-value tests also
// need an effect size: with a million rows almost any difference is "significant"), scaled
// by the sensitivity; severity rises with the effect.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "drift/stats.hpp"
#include "drift/units.hpp"

namespace baselinr::drift {
namespace {

// Effect thresholds x1.5 (low sensitivity), x0.5 (high); alpha / 5 (low), x2 (high).
double effect_factor(const StatisticalConfig& c) {
  switch (c.sensitivity) {
    case Sensitivity::kLow:
      return 1.5;
    case Sensitivity::kHigh:
      return 0.5;
    default:
      return 1.0;
  }
}

double alpha_of(const StatisticalConfig& c, double alpha) {
  switch (c.sensitivity) {
    case Sensitivity::kLow:
      return alpha / 5;
    case Sensitivity::kHigh:
      return std::min(0.5, alpha * 2);
    default:
      return alpha;
  }
}

// Low from t, medium from m * t, high from h * t.
Thresholds tiers(double t, double m, double h) { return {t, m * t, h * t}; }

double reached(Severity s, const Thresholds& t) {
  return s == Severity::kHigh ? t.high : s == Severity::kMedium ? t.medium : t.low;
}

std::string p_text(double p) {
  if (p < 1e-12) return "p < 1e-12";
  return fmt::format("p = {:.3g}", p);
}

std::string share(double part, double whole) {
  return fmt::format("{:.1f}%", whole > 0 ? part / whole * 100 : 0.0);
}

Judgement effect_judgement(std::string test, std::string statistic, double value,
                           const Thresholds& t) {
  Judgement j;
  j.strategy = std::move(test);
  j.statistic = std::move(statistic);
  j.value = value;
  j.severity = grade(value, t);
  j.threshold = reached(j.severity, t);
  j.direction = "changed";
  return j;
}

std::string level(const Judgement& j) {
  if (j.severity == Severity::kNone) {
    return fmt::format("below {}", short_number(*j.threshold));
  }
  return fmt::format("{} from {}", to_string(j.severity), short_number(*j.threshold));
}

// Identifier-like columns (most values distinct) have no categories to compare.
bool categorical(const UnitInput& in) {
  if (!in.base_top || !in.cur_top) return false;
  for (const TopValues* t : {in.base_top, in.cur_top}) {
    const double n = t->non_null();
    if (!(n > 0) || t->distinct_count > 0.5 * n) return false;
  }
  return true;
}

// The categories behind a change: values that appeared or vanished, else the largest shift.
std::string category_detail(const CategoryTable& t) {
  double nb = 0, nc = 0;
  for (double v : t.baseline) nb += v;
  for (double v : t.current) nc += v;
  auto label = [](const std::string& s) {
    return s.empty() ? std::string("(other)") : "'" + s + "'";
  };
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < t.labels.size(); ++i) {
    const auto& l = t.labels[i];
    if (std::find(t.appeared.begin(), t.appeared.end(), l) != t.appeared.end() &&
        parts.size() < 3) {
      parts.push_back(fmt::format("new value {} at {}", label(l), share(t.current[i], nc)));
    }
  }
  for (std::size_t i = 0; i < t.labels.size(); ++i) {
    const auto& l = t.labels[i];
    if (std::find(t.disappeared.begin(), t.disappeared.end(), l) != t.disappeared.end() &&
        parts.size() < 3) {
      parts.push_back(fmt::format("{} gone (was {})", label(l), share(t.baseline[i], nb)));
    }
  }
  if (parts.empty()) {
    std::size_t best = 0;
    double best_shift = -1;
    for (std::size_t i = 0; i < t.labels.size(); ++i) {
      const double shift =
          std::fabs((nc > 0 ? t.current[i] / nc : 0) - (nb > 0 ? t.baseline[i] / nb : 0));
      if (shift > best_shift) {
        best_shift = shift;
        best = i;
      }
    }
    if (!t.labels.empty()) {
      parts.push_back(fmt::format("{} {} -> {}", label(t.labels[best]), share(t.baseline[best], nb),
                                  share(t.current[best], nc)));
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

class KsUnit final : public Unit {
 public:
  std::string_view name() const override { return "ks_test"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!in.base_quantiles || !in.cur_quantiles) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    KsResult ks = ks_from_quantiles(in.base_quantiles->curve, in.base_quantiles->n,
                                    in.cur_quantiles->curve, in.cur_quantiles->n);
    const Thresholds t = tiers(c.ks_min_d * effect_factor(c), 1.5, 2.5);
    Judgement j = effect_judgement("ks_test", "D", ks.d, t);
    j.p_value = ks.p_value;
    j.alpha = alpha_of(c, c.ks_alpha);
    if (ks.p_value >= *j.alpha) j.severity = Severity::kNone;
    j.reason = fmt::format("KS D = {:.3f} ({}, alpha {}); {}", ks.d, p_text(ks.p_value),
                           short_number(*j.alpha), level(j));
    return j;
  }
};

class PsiUnit final : public Unit {
 public:
  std::string_view name() const override { return "psi"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    const StatisticalConfig& c = *in.statistical;
    std::vector<double> b, cur;
    std::string detail;
    if (in.base_quantiles && in.cur_quantiles) {
      BucketShares s =
          quantile_buckets(in.base_quantiles->curve, in.cur_quantiles->curve, c.psi_buckets);
      b = std::move(s.baseline);
      cur = std::move(s.current);
      detail = fmt::format("{} buckets at the baseline's quantiles", c.psi_buckets);
    } else if (categorical(in)) {
      CategoryTable t = category_table(*in.base_top, *in.cur_top);
      if (t.labels.size() < 2) return std::nullopt;
      double nb = 0, nc = 0;
      for (double v : t.baseline) nb += v;
      for (double v : t.current) nc += v;
      for (std::size_t i = 0; i < t.labels.size(); ++i) {
        b.push_back(t.baseline[i] / nb);
        cur.push_back(t.current[i] / nc);
      }
      detail = category_detail(t);
    } else {
      return std::nullopt;
    }
    const double value = psi(b, cur);
    const Thresholds t = tiers(c.psi_threshold * effect_factor(c), 1.5, 2.5);
    Judgement j = effect_judgement("psi", "PSI", value, t);
    j.detail = detail;
    j.reason = fmt::format("PSI = {:.3f} ({}); {}", value, detail, level(j));
    return j;
  }
};

// The category table with categories whose expected count is below 5 merged into "other".
CategoryTable merged_for_chi_square(CategoryTable t) {
  double nb = 0, nc = 0;
  for (double v : t.baseline) nb += v;
  for (double v : t.current) nc += v;
  const double n = nb + nc;
  CategoryTable out;
  double ob = 0, oc = 0;
  for (std::size_t i = 0; i < t.labels.size(); ++i) {
    const double col = t.baseline[i] + t.current[i];
    const bool rare = std::min(nb, nc) * col / n < 5;
    if (t.labels[i].empty() || rare) {
      ob += t.baseline[i];
      oc += t.current[i];
      continue;
    }
    out.labels.push_back(t.labels[i]);
    out.baseline.push_back(t.baseline[i]);
    out.current.push_back(t.current[i]);
  }
  if (ob + oc > 0) {
    if (std::min(nb, nc) * (ob + oc) / n < 5 && !out.labels.empty()) {
      // Still too small: fold "other" into the smallest category.
      std::size_t smallest = 0;
      for (std::size_t i = 1; i < out.labels.size(); ++i) {
        if (out.baseline[i] + out.current[i] < out.baseline[smallest] + out.current[smallest]) {
          smallest = i;
        }
      }
      out.baseline[smallest] += ob;
      out.current[smallest] += oc;
    } else {
      out.labels.emplace_back();
      out.baseline.push_back(ob);
      out.current.push_back(oc);
    }
  }
  out.appeared = std::move(t.appeared);
  out.disappeared = std::move(t.disappeared);
  return out;
}

class ChiSquareUnit final : public Unit {
 public:
  std::string_view name() const override { return "chi_square"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!categorical(in)) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    CategoryTable full = category_table(*in.base_top, *in.cur_top);
    CategoryTable t = merged_for_chi_square(full);
    if (t.labels.size() < 2) return std::nullopt;
    ChiSquareResult r = chi_square(t.baseline, t.current);
    if (r.dof < 1) return std::nullopt;
    const Thresholds tv = tiers(c.chi_min_cramers_v * effect_factor(c), 1.5, 2.5);
    Judgement j = effect_judgement("chi_square", "Cramer's V", r.cramers_v, tv);
    j.p_value = r.p_value;
    j.alpha = alpha_of(c, c.chi_alpha);
    if (r.p_value >= *j.alpha) j.severity = Severity::kNone;
    j.detail = category_detail(full);
    j.reason = fmt::format(
        "chi-square {:.1f} on {} dof ({}, alpha {}), Cramer's V = {:.3f} ({}); {}", r.statistic,
        r.dof, p_text(r.p_value), short_number(*j.alpha), r.cramers_v, j.detail, level(j));
    return j;
  }
};

class JensenShannonUnit final : public Unit {
 public:
  std::string_view name() const override { return "jensen_shannon"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!categorical(in)) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    CategoryTable t = category_table(*in.base_top, *in.cur_top);
    if (t.labels.size() < 2) return std::nullopt;
    const double d = jensen_shannon_distance(t.baseline, t.current);
    Judgement j = effect_judgement("jensen_shannon", "JS distance", d,
                                   tiers(c.js_threshold * effect_factor(c), 1.5, 2.5));
    j.detail = category_detail(t);
    j.reason = fmt::format("Jensen-Shannon distance {:.3f} ({}); {}", d, j.detail, level(j));
    return j;
  }
};

class EntropyUnit final : public Unit {
 public:
  std::string_view name() const override { return "entropy"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!categorical(in)) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    CategoryTable t = category_table(*in.base_top, *in.cur_top);
    if (t.labels.size() < 2) return std::nullopt;
    const double hb = entropy_bits(t.baseline);
    const double hc = entropy_bits(t.current);
    Judgement j = effect_judgement("entropy", "entropy change (bits)", std::fabs(hc - hb),
                                   tiers(c.entropy_threshold * effect_factor(c), 2, 3));
    j.reason = fmt::format("entropy {:.3f} -> {:.3f} bits; {}", hb, hc, level(j));
    return j;
  }
};

class TopKUnit final : public Unit {
 public:
  std::string_view name() const override { return "top_k"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!categorical(in)) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    auto top = [&](const TopValues& t) {
      std::set<std::string> s;
      for (std::size_t i = 0; i < t.values.size() && static_cast<int>(i) < c.top_k; ++i) {
        s.insert(t.values[i].first);
      }
      return s;
    };
    const auto a = top(*in.base_top);
    const auto b = top(*in.cur_top);
    if (a.empty() || b.empty()) return std::nullopt;
    std::size_t common = 0;
    for (const auto& v : a) common += b.count(v);
    const double similarity =
        static_cast<double>(common) / static_cast<double>(std::max(a.size(), b.size()));
    const double t = std::clamp(1.0 - (1.0 - c.top_k_similarity) * effect_factor(c), 0.0, 1.0);
    Judgement j;
    j.strategy = "top_k";
    j.statistic = "top-k similarity";
    j.value = similarity;
    j.direction = "changed";
    j.severity = similarity < t * 0.4   ? Severity::kHigh
                 : similarity < t * 0.7 ? Severity::kMedium
                 : similarity < t       ? Severity::kLow
                                        : Severity::kNone;
    j.threshold = j.severity == Severity::kHigh     ? t * 0.4
                  : j.severity == Severity::kMedium ? t * 0.7
                                                    : t;
    j.reason =
        fmt::format("{} of the top {} values in common (similarity {:.2f}, finding below {})",
                    common, std::max(a.size(), b.size()), similarity, short_number(t));
    return j;
  }
};

// The original's z_score test: the mean's shift in baseline standard deviations.
class ZScoreUnit final : public Unit {
 public:
  std::string_view name() const override { return "z_score"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!in.base_mean || !in.cur_mean || !in.base_stddev || !(*in.base_stddev > 0)) {
      return std::nullopt;
    }
    if (!std::isfinite(*in.base_mean) || !std::isfinite(*in.cur_mean)) return std::nullopt;
    const StatisticalConfig& c = *in.statistical;
    const double z = std::fabs(*in.cur_mean - *in.base_mean) / *in.base_stddev;
    Judgement j = effect_judgement("z_score", "mean shift (baseline sd)", z,
                                   tiers(c.z_threshold * effect_factor(c), 1.25, 1.5));
    j.reason = fmt::format("mean moved {:.2f} baseline standard deviations ({} -> {}); {}", z,
                           short_number(*in.base_mean), short_number(*in.cur_mean), level(j));
    return j;
  }
};

}  // namespace

std::unique_ptr<Unit> make_unit(std::string_view name) {
  if (auto u = make_scalar_unit(name)) return u;
  if (name == "ks_test") return std::make_unique<KsUnit>();
  if (name == "psi") return std::make_unique<PsiUnit>();
  if (name == "chi_square") return std::make_unique<ChiSquareUnit>();
  if (name == "jensen_shannon") return std::make_unique<JensenShannonUnit>();
  if (name == "entropy") return std::make_unique<EntropyUnit>();
  if (name == "top_k") return std::make_unique<TopKUnit>();
  if (name == "z_score") return std::make_unique<ZScoreUnit>();
  return nullptr;
}

}  // namespace baselinr::drift
