// Anomaly bands over a scalar metric's history: the usual range of the next value, from
// robust bands (median ± k·MAD, IQR fences, EWMA control limits, Shewhart control limits)
// around a Theil-Sen trend with weekday effects, so steady growth and weekly patterns are
// expected while a break from them is not.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"

namespace baselinr::drift {

struct SeriesPoint {
  double time = 0;  // seconds since 1970-01-01 UTC
  double value = 0;
};

// The configured methods and thresholds (storage.anomaly_*), plus what depends on the metric.
struct BandSettings {
  explicit BandSettings(const AnomalyConfig& config = {});
  std::vector<std::string> methods;
  double mad_threshold;
  double iqr_threshold;
  double ewma_deviation_threshold;
  double ewma_lambda;
  bool seasonality;
  int min_samples;
  bool trend = true;
  bool log_scale = false;  // counts: bands on log values (growth and seasons multiply)
  double floor = 0;        // smallest scale on the (transformed) values
};

struct MethodBand {
  std::string method;
  double low = 0;
  double high = 0;
  bool outside = false;
};

struct Band {
  double expected = 0;  // where the history says the value should be
  double low = 0;       // the primary band (median ± k·MAD when enabled)
  double high = 0;
  std::vector<MethodBand> methods;
  bool anomalous = false;  // outside the bands of more than half of the methods
  double robust_z = 0;     // (residual - median) / (1.4826 MAD)
  int history_size = 0;
  bool trend = false;
  double slope_per_day = 0;  // on the transformed scale (log: ~ relative growth per day)
  bool weekday = false;      // weekday effects applied
  bool log_scale = false;
  int flagged() const;
  // "median ± 3·MAD of 28 runs, trend +1.0%/day, weekday effects"
  std::string describe() const;
};

// Nothing when fewer than min_samples points (or a non-positive value on log scale).
std::optional<Band> anomaly_band(const std::vector<SeriesPoint>& history,
                                 const SeriesPoint& current, const BandSettings& settings);

}  // namespace baselinr::drift
