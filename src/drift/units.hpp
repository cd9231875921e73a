// Strategy units: each compares one metric's current value (or one column's distribution
// summary) with its baseline or history and returns a judgement, or nothing when it cannot
// compare these values. A new strategy or test is one new unit behind this interface.
//
//   scalar:       non_finite, absolute_threshold, standard_deviation
//   distribution: ks_test, psi, chi_square, jensen_shannon, z_score, entropy, top_k
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "drift/summaries.hpp"

namespace baselinr::drift {

// How a scalar metric's change is measured.
enum class MetricKind {
  kRelative,  // percent change (count, row_count, mean, stddev, min, max)
  kPoints,    // percentage points (null_percent, distinct_percent)
  kStall,     // how much older the newest data got, as a share of the time between the runs
};
MetricKind metric_kind(std::string_view metric);

struct Judgement {
  Severity severity = Severity::kNone;
  std::string strategy;
  std::string statistic;
  std::optional<double> value;
  std::optional<double> threshold;
  std::optional<double> p_value;
  std::optional<double> alpha;
  std::string direction;  // up, down, changed
  std::string reason;     // one line
  std::string note;       // why it could not be graded, if so
  std::string detail;     // tests: the categories behind the change
  std::optional<double> change_percent;
  // standard_deviation
  std::optional<double> z_score;
  std::optional<double> history_mean;
  std::optional<double> history_stddev;
  int history_size = 0;
};

struct UnitInput {
  std::string column;  // empty for table-level metrics
  std::string metric;
  MetricKind kind = MetricKind::kRelative;
  std::optional<double> baseline;
  std::optional<double> current;
  double baseline_time = 0;  // seconds since 1970
  double current_time = 0;
  std::string baseline_label = "baseline";  // "baseline", "expected", "moving average"...
  // standard_deviation: the metric over previous runs, newest first.
  std::vector<double> history;
  int min_history = 3;
  Thresholds thresholds;  // in the metric's unit (percent, points, share of time, |z|)
  // Baseline 0 of mean/min/max: the change is graded in the column's standard deviations.
  std::optional<double> spread;
  Thresholds spread_thresholds{1, 2, 3};
  // Distribution tests.
  const QuantileSummary* base_quantiles = nullptr;
  const QuantileSummary* cur_quantiles = nullptr;
  const TopValues* base_top = nullptr;
  const TopValues* cur_top = nullptr;
  std::optional<double> base_mean;
  std::optional<double> base_stddev;
  std::optional<double> cur_mean;
  const StatisticalConfig* statistical = nullptr;
};

class Unit {
 public:
  virtual ~Unit() = default;
  virtual std::string_view name() const = 0;
  virtual std::optional<Judgement> compare(const UnitInput& in) const = 0;
};

// The unit of a strategy or test name; nullptr for an unknown name.
std::unique_ptr<Unit> make_unit(std::string_view name);
std::unique_ptr<Unit> make_scalar_unit(std::string_view name);  // scalar units only

// Severity of `magnitude` against low / medium / high (each inclusive).
Severity grade(double magnitude, const Thresholds& t);
// "12.5", "1.23e+06", "inf": short text for reasons.
std::string short_number(double value);

}  // namespace baselinr::drift
