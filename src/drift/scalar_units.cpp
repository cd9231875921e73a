// Units for scalar metrics: non_finite, absolute_threshold, standard_deviation.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/text.hpp"
#include "drift/stats.hpp"
#include "drift/units.hpp"

namespace baselinr::drift {

MetricKind metric_kind(std::string_view metric) {
  if (metric == "null_percent" || metric == "distinct_percent") return MetricKind::kPoints;
  if (metric == "freshness_seconds" || metric == "last_change_seconds") return MetricKind::kStall;
  return MetricKind::kRelative;
}

Severity grade(double magnitude, const Thresholds& t) {
  if (!(magnitude > 0)) return Severity::kNone;
  if (magnitude >= t.high) return Severity::kHigh;
  if (magnitude >= t.medium) return Severity::kMedium;
  if (magnitude >= t.low) return Severity::kLow;
  return Severity::kNone;
}

std::string short_number(double value) {
  if (!std::isfinite(value)) return format_double(value);
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{:.4g}", value);
}

namespace {

// The threshold a graded magnitude reached (or the low one when none was).
double reached(Severity s, const Thresholds& t) {
  switch (s) {
    case Severity::kHigh:
      return t.high;
    case Severity::kMedium:
      return t.medium;
    default:
      return t.low;
  }
}

std::string level_text(Severity s, const Thresholds& t, const std::string& unit) {
  if (s == Severity::kNone) {
    return fmt::format("below the low threshold {}{}", short_number(t.low), unit);
  }
  return fmt::format("{} from {}{}", to_string(s), short_number(reached(s, t)), unit);
}

constexpr double kMinStaleGrowth = 3600;

std::string duration_text(double seconds) {
  const double a = std::fabs(seconds);
  if (a >= 2 * 86400) return fmt::format("{:.1f} days", seconds / 86400);
  if (a >= 2 * 3600) return fmt::format("{:.1f} h", seconds / 3600);
  if (a >= 120) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.0f} s", seconds);
}

std::string metric_label(const UnitInput& in) {
  return in.column.empty() ? in.metric : in.column + "." + in.metric;
}

// A value becoming inf or NaN, or finite again, is a high-severity change.
class NonFiniteUnit final : public Unit {
 public:
  std::string_view name() const override { return "non_finite"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!in.baseline || !in.current) return std::nullopt;
    const double b = *in.baseline, c = *in.current;
    if (std::isfinite(b) && std::isfinite(c)) return std::nullopt;
    Judgement j;
    j.strategy = "non_finite";
    j.statistic = "finite";
    const bool same = (std::isnan(b) && std::isnan(c)) || b == c;
    if (same) {
      j.reason = fmt::format("{} is {} in both runs", in.metric, format_double(c));
      return j;
    }
    j.severity = Severity::kHigh;
    j.direction = std::isnan(c) || std::isnan(b) ? "changed" : (c > b ? "up" : "down");
    if (!std::isfinite(c)) {
      j.reason = fmt::format("{} became {} (was {})", in.metric, format_double(c), short_number(b));
    } else {
      j.reason = fmt::format("{} became finite again: {} (was {})", in.metric, short_number(c),
                             format_double(b));
    }
    return j;
  }
};

// The original's strategy: percent change against low / medium / high, with percent metrics in
// percentage points and freshness as a share of the time between the runs. Where the original
// gives no result (a baseline of 0), the change is still graded.
class AbsoluteThresholdUnit final : public Unit {
 public:
  std::string_view name() const override { return "absolute_threshold"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!in.baseline || !in.current) return std::nullopt;
    const double b = *in.baseline, c = *in.current;
    Judgement j;
    j.strategy = "absolute_threshold";
    const double delta = c - b;
    j.direction = delta > 0 ? "up" : (delta < 0 ? "down" : "");
    if (b != 0) j.change_percent = delta / std::fabs(b) * 100.0;
    switch (in.kind) {
      case MetricKind::kPoints: {
        j.statistic = "change_points";
        j.value = delta;
        j.severity = grade(std::fabs(delta), in.thresholds);
        j.threshold = reached(j.severity, in.thresholds);
        j.reason = fmt::format("{} {:+.2f} points ({}% -> {}% vs {}); {}", metric_label(in), delta,
                               short_number(b), short_number(c), in.baseline_label,
                               level_text(j.severity, in.thresholds, " points"));
        return j;
      }
      case MetricKind::kStall: {
        const double interval = in.current_time - in.baseline_time;
        if (!(interval > 0)) return std::nullopt;
        const double ratio = delta / interval;
        j.statistic = "stall_ratio";
        j.value = ratio;
        // Data getting older by less than an hour is no staleness worth a word.
        j.severity = delta >= kMinStaleGrowth ? grade(ratio, in.thresholds) : Severity::kNone;
        j.threshold = reached(j.severity, in.thresholds);
        j.reason = fmt::format(
            "newest data {} old (was {} at the {}): {:.0f}% of the {} between them brought "
            "nothing newer; {}",
            duration_text(c), duration_text(b), in.baseline_label,
            std::clamp(ratio, 0.0, 1.0) * 100, duration_text(interval),
            level_text(j.severity, in.thresholds, ""));
        return j;
      }
      case MetricKind::kRelative:
        break;
    }
    if (b != 0) {
      j.statistic = "change_percent";
      j.value = j.change_percent;
      j.severity = grade(std::fabs(*j.change_percent), in.thresholds);
      j.threshold = reached(j.severity, in.thresholds);
      j.reason = fmt::format("{} {:+.1f}% ({} -> {} vs {}); {}", metric_label(in),
                             *j.change_percent, short_number(b), short_number(c), in.baseline_label,
                             level_text(j.severity, in.thresholds, "%"));
      return j;
    }
    if (c == 0) {
      j.statistic = "change_percent";
      j.value = 0.0;
      j.reason = fmt::format("{} is 0 in both runs", metric_label(in));
      return j;
    }
    // Baseline 0: no percent change exists. Counts appearing and a constant column starting to
    // vary are high; mean/min/max moving off 0 are graded in the column's standard deviations.
    j.statistic = "change_absolute";
    j.value = delta;
    if (in.metric == "stddev" || in.metric == "count" || in.metric == "row_count" || !in.spread ||
        !(*in.spread > 0)) {
      j.severity = Severity::kHigh;
      j.reason = fmt::format("{} was 0, now {} (no percent change from 0; graded high)",
                             metric_label(in), short_number(c));
      return j;
    }
    const double sds = std::fabs(delta) / *in.spread;
    j.statistic = "change_in_stddevs";
    j.value = sds;
    j.severity = grade(sds, in.spread_thresholds);
    j.threshold = reached(j.severity, in.spread_thresholds);
    j.reason = fmt::format("{} was 0, now {}: {:.2f} standard deviations of the column; {}",
                           metric_label(in), short_number(c), sds,
                           level_text(j.severity, in.spread_thresholds, " sd"));
    return j;
  }
};

// A real z-score of the current value against the same metric over the previous runs.
class StandardDeviationUnit final : public Unit {
 public:
  std::string_view name() const override { return "standard_deviation"; }
  std::optional<Judgement> compare(const UnitInput& in) const override {
    if (!in.current) return std::nullopt;
    const double c = *in.current;
    Judgement j;
    j.strategy = "standard_deviation";
    j.statistic = "z_score";
    if (in.baseline && *in.baseline != 0 && std::isfinite(*in.baseline) && std::isfinite(c)) {
      j.change_percent = (c - *in.baseline) / std::fabs(*in.baseline) * 100.0;
    }
    std::vector<double> values;
    for (double v : in.history) {
      if (std::isfinite(v)) values.push_back(v);
    }
    j.history_size = static_cast<int>(values.size());
    if (j.history_size < in.min_history) {
      j.note = fmt::format("history too short: {} of {} runs", j.history_size, in.min_history);
      return j;
    }
    if (!std::isfinite(c)) return j;
    const double m = mean(values);
    const double sd = sample_stddev(values);
    j.history_mean = m;
    j.history_stddev = sd;
    j.direction = c > m ? "up" : (c < m ? "down" : "");
    if (sd > 0) {
      j.z_score = (c - m) / sd;
      j.value = j.z_score;
      j.severity = grade(std::fabs(*j.z_score), in.thresholds);
      j.threshold = reached(j.severity, in.thresholds);
      j.reason = fmt::format(
          "{} = {}: z = {:+.2f} against mean {} and stddev {} of the previous {} runs; {}",
          metric_label(in), short_number(c), *j.z_score, short_number(m), short_number(sd),
          j.history_size, level_text(j.severity, in.thresholds, ""));
    } else if (c != m) {
      j.severity = Severity::kHigh;
      j.note = fmt::format("constant over the previous {} runs, now different", j.history_size);
      j.reason = fmt::format("{} was {} in each of the previous {} runs, now {}", metric_label(in),
                             short_number(m), j.history_size, short_number(c));
    } else {
      j.z_score = 0.0;
      j.value = 0.0;
      j.reason =
          fmt::format("{} equals its constant history ({})", metric_label(in), short_number(c));
    }
    return j;
  }
};

}  // namespace

std::unique_ptr<Unit> make_scalar_unit(std::string_view name) {
  if (name == "non_finite") return std::make_unique<NonFiniteUnit>();
  if (name == "absolute_threshold" || name == "statistical") {
    return std::make_unique<AbsoluteThresholdUnit>();
  }
  if (name == "standard_deviation") return std::make_unique<StandardDeviationUnit>();
  return nullptr;
}

}  // namespace baselinr::drift
