// DriftDetector: compares two stored runs of a dataset and reports what changed.
//
// Metrics compared per column: count, null_percent, distinct_percent, mean, stddev, min, max
// (numeric values only). Strategies: absolute_threshold (percent change against thresholds) and
// standard_deviation (z-score of the current value against the same metric over the dataset's
// previous runs). Schema changes: column_added, column_removed, type_changed. With an EventBus,
// emits one DataDriftDetected per drifted metric and one SchemaChangeDetected per change.
//
// Thread-safety: use one detector from one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"

namespace baselinr {

class EventBus;

struct MetricComparison {
  std::string column;
  std::string metric;
  std::optional<double> baseline_value;
  std::optional<double> current_value;
  std::optional<double> change_percent;  // null when the baseline is 0 or a value is missing
  std::optional<double> change_absolute;
  std::optional<double> z_score;         // standard_deviation strategy only
  std::optional<double> history_mean;    // standard_deviation strategy only
  std::optional<double> history_stddev;  // standard_deviation strategy only
  int history_size = 0;
  bool drift_detected = false;
  Severity severity = Severity::kNone;
  std::string note;  // why no drift could be computed, if so
};

struct SchemaChange {
  std::string change_type;  // column_added | column_removed | type_changed
  std::string column;
  std::optional<std::string> old_type;
  std::optional<std::string> new_type;
};

struct DriftSummary {
  int compared = 0;
  int drifted = 0;
  int low = 0;
  int medium = 0;
  int high = 0;
  int schema_changes = 0;
};

struct DriftReport {
  std::string dataset;
  std::string schema;
  RunRecord baseline;
  RunRecord current;
  DriftStrategy strategy = DriftStrategy::kAbsoluteThreshold;
  std::vector<MetricComparison> metrics;
  std::vector<SchemaChange> schema_changes;
  std::vector<std::string> warnings;
  DriftSummary summary;

  // True when a metric drifted at high severity or the schema changed (--fail-on-drift).
  bool has_blocking_findings() const;
  std::string to_text() const;
  std::string to_json() const;
};

// The table has a single stored run and no baseline was named: nothing to compare yet. A
// table's first day is not a usage error: commands report it and exit 0 (the CLI maps it so).
class NothingToCompareError : public Error {
 public:
  NothingToCompareError(const std::string& message, std::string dataset, std::string run_id)
      : Error(message), dataset_(std::move(dataset)), run_id_(std::move(run_id)) {}
  const std::string& dataset() const { return dataset_; }
  const std::string& run_id() const { return run_id_; }  // the one stored run

 private:
  std::string dataset_;
  std::string run_id_;
};

struct DriftRequest {
  std::string dataset;
  std::string schema;        // empty: any schema
  std::string baseline_run;  // empty: the run before the current one
  std::string current_run;   // empty: the latest run
};

class DriftDetector {
 public:
  DriftDetector(const DriftConfig& config, const RunStore& store, EventBus* bus = nullptr);

  // Throws NothingToCompareError when the dataset has one stored run (and no --baseline),
  // UsageError when the runs cannot be found (no run, unknown run id, runs of different
  // datasets).
  DriftReport detect(const DriftRequest& request);

 private:
  const DriftConfig& config_;
  const RunStore& store_;
  EventBus* bus_;
};

// Metrics compared by drift detection, in report order.
const std::vector<std::string>& drift_metric_names();

}  // namespace baselinr
