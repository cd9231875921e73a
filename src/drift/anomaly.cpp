#include "drift/anomaly.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "drift/stats.hpp"

namespace baselinr::drift {
namespace {

constexpr double kDay = 86400.0;
constexpr double kMadToSigma = 1.482602218505602;  // 1 / the normal quantile at 0.75

bool enabled(const BandSettings& s, const char* method) {
  return std::find(s.methods.begin(), s.methods.end(), method) != s.methods.end();
}

}  // namespace

BandSettings::BandSettings(const AnomalyConfig& c)
    : methods(c.methods),
      mad_threshold(c.mad_threshold),
      iqr_threshold(c.iqr_threshold),
      ewma_deviation_threshold(c.ewma_deviation_threshold),
      ewma_lambda(c.ewma_lambda),
      seasonality(c.seasonality_enabled),
      min_samples(c.min_samples) {}

int Band::flagged() const {
  int n = 0;
  for (const auto& m : methods) n += m.outside ? 1 : 0;
  return n;
}

std::string Band::describe() const {
  std::string out;
  for (const auto& m : methods) {
    if (!out.empty()) out += ", ";
    out += m.method;
  }
  out = fmt::format("{} over {} runs", out, history_size);
  if (trend && slope_per_day != 0) {
    out += log_scale ? fmt::format(", trend {:+.2f}%/day", std::expm1(slope_per_day) * 100)
                     : fmt::format(", trend {:+.4g}/day", slope_per_day);
  }
  if (weekday) out += ", weekday effects";
  return out;
}

std::optional<Band> anomaly_band(const std::vector<SeriesPoint>& history,
                                 const SeriesPoint& current, const BandSettings& s) {
  const int n = static_cast<int>(history.size());
  if (n < std::max(3, s.min_samples)) return std::nullopt;
  bool log_scale = s.log_scale && current.value > 0;
  for (const auto& p : history) log_scale = log_scale && p.value > 0;
  auto fwd = [&](double v) { return log_scale ? std::log(v) : v; };
  auto back = [&](double v) { return log_scale ? std::exp(v) : v; };

  // Oldest first; x in days relative to the current run (which sits at x = 0).
  std::vector<SeriesPoint> h = history;
  std::sort(h.begin(), h.end(),
            [](const SeriesPoint& a, const SeriesPoint& b) { return a.time < b.time; });
  std::vector<double> x, y;
  for (const auto& p : h) {
    x.push_back((p.time - current.time) / kDay);
    y.push_back(fwd(p.value));
  }

  Band band;
  band.history_size = n;
  band.log_scale = log_scale;
  Line line{0, median(y)};
  if (s.trend && n >= 5) {
    if (auto l = theil_sen(x, y)) {
      line = *l;
      band.trend = true;
      band.slope_per_day = line.slope;
    }
  }
  std::vector<double> r;
  for (std::size_t i = 0; i < y.size(); ++i) r.push_back(y[i] - line.at(x[i]));

  // Weekday effects: the median residual of each weekday, once the current weekday has at
  // least three runs, kept only when they explain a good part of the spread.
  double season = 0;
  if (s.seasonality && enabled(s, "seasonality")) {
    std::array<std::vector<double>, 7> by_day;
    for (std::size_t i = 0; i < h.size(); ++i) by_day[weekday_utc(h[i].time)].push_back(r[i]);
    const auto& today = by_day[weekday_utc(current.time)];
    if (today.size() >= 3) {
      std::array<double, 7> effect{};
      for (int d = 0; d < 7; ++d) {
        if (by_day[d].size() >= 3) effect[d] = median(by_day[d]);
      }
      std::vector<double> adjusted;
      for (std::size_t i = 0; i < h.size(); ++i)
        adjusted.push_back(r[i] - effect[weekday_utc(h[i].time)]);
      const double before = mad(r), after = mad(adjusted);
      if (after < 0.8 * before) {
        // Residuals around a median of four Mondays understate how far a new Monday falls
        // from it (the median follows the points it is taken from): each run's residual is
        // taken against the median of the other runs of its weekday, the error a new run has.
        for (std::size_t i = 0; i < h.size(); ++i) {
          const int d = weekday_utc(h[i].time);
          if (by_day[d].size() < 3) continue;
          std::vector<double> others;
          bool skipped = false;
          for (std::size_t j = 0; j < h.size(); ++j) {
            if (weekday_utc(h[j].time) != d) continue;
            if (j == i && !skipped) {
              skipped = true;
              continue;
            }
            others.push_back(r[j]);
          }
          adjusted[i] = r[i] - median(others);
        }
        r = std::move(adjusted);
        season = effect[weekday_utc(current.time)];
        band.weekday = true;
      }
    }
  }

  const double base = line.at(0) + season;
  const double center = median(r);
  double sigma = kMadToSigma * mad(r);
  const double q1 = quantile(r, 0.25), q3 = quantile(r, 0.75);
  if (!(sigma > 0)) sigma = (q3 - q1) / 1.349;
  sigma = std::max(sigma, s.floor) * std::sqrt(1.0 + 1.0 / n);
  const double y_cur = fwd(current.value);
  const double resid = y_cur - base;
  band.robust_z = sigma > 0 ? (resid - center) / sigma : 0.0;
  band.expected = back(base + center);

  auto add = [&](const char* method, double lo, double hi) {
    MethodBand m{method, back(base + lo), back(base + hi), resid < lo || resid > hi};
    band.methods.push_back(m);
  };
  if (enabled(s, "mad")) {
    add("mad", center - s.mad_threshold * sigma, center + s.mad_threshold * sigma);
  }
  if (enabled(s, "iqr")) {
    const double iqr = std::max(q3 - q1, 1.349 * s.floor);
    add("iqr", q1 - s.iqr_threshold * iqr, q3 + s.iqr_threshold * iqr);
  }
  if (enabled(s, "ewma")) {
    const double lambda = s.ewma_lambda;
    double z = center;
    for (double v : r) z = lambda * v + (1 - lambda) * z;
    const double steps = static_cast<double>(n + 1);
    const double width = s.ewma_deviation_threshold * sigma *
                         std::sqrt(lambda / (2 - lambda) * (1 - std::pow(1 - lambda, 2 * steps)));
    add("ewma", (center - width - (1 - lambda) * z) / lambda,
        (center + width - (1 - lambda) * z) / lambda);
  }
  if (enabled(s, "control_limits")) {
    const double m = mean(r);
    const double sd = std::max(sample_stddev(r), s.floor);
    add("control_limits", m - 3 * sd, m + 3 * sd);
  }
  if (band.methods.empty()) return std::nullopt;
  band.low = band.methods.front().low;
  band.high = band.methods.front().high;
  band.anomalous = 2 * band.flagged() > static_cast<int>(band.methods.size());
  return band;
}

}  // namespace baselinr::drift
