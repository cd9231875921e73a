// DriftDetector: compares a stored run of a dataset with its baseline and reports what changed,
// each finding with the reason it is one.
//
// What is compared:
//   - table level: row_count (volume), freshness_seconds and last_change_seconds;
//   - per column: count, null_percent, distinct_percent, mean, stddev, min, max, and the
//     distribution summaries (quantiles, top_values) through statistical tests (ks_test, psi,
//     chi_square, jensen_shannon, z_score, entropy, top_k);
//   - the schema: column_added, column_removed, type_changed.
// How: the baseline comes from drift_detection.baselines (last_run, moving_average,
// prior_period, stable_window, auto) or a pinned run; each scalar metric is graded by the
// configured strategy unit (absolute_threshold: percent change, percentage points for percent
// metrics, staleness for freshness; standard_deviation: z-score over history) and, once the
// metric has enough history, must also fall outside its usual range (robust bands with trend
// and weekday seasonality) to be a finding. Noise control: volume is one table-level finding,
// unique growing keys are not alerted for growing, type-specific thresholds, per-table and
// per-column overrides and an ignore list.
//
// Events are made from a report by drift_events(): one DataDriftDetected per reported finding
// and one SchemaChangeDetected per schema change, with `details` and name-based ids.
//
// Thread-safety: use one detector from one thread at a time; reports are values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"

namespace baselinr {

class EventBus;

// One statistical test on a column's distribution summaries.
struct TestResult {
  std::string test;       // ks_test, psi, chi_square, jensen_shannon, z_score, entropy, top_k
  std::string statistic;  // "D", "PSI", "Cramer's V", "JS distance", ...
  double value = 0;
  double threshold = 0;           // the finding level (after sensitivity)
  std::optional<double> p_value;  // ks_test, chi_square
  std::optional<double> alpha;    // ks_test, chi_square
  Severity severity = Severity::kNone;
  std::string detail;  // e.g. "new value 'x' at 10.0%"
};

struct MetricComparison {
  std::string column;  // empty for table-level metrics (row_count, freshness_seconds, ...)
  std::string metric;  // a metric name, or "distribution" for the statistical tests
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

  // Why this is (or is not) a finding.
  std::string strategy;   // the unit that graded it (absolute_threshold, ks_test, ...)
  std::string statistic;  // change_percent, change_points, stall_ratio, z_score, D, PSI, ...
  std::optional<double> statistic_value;
  std::optional<double> threshold;  // the threshold the statistic reached (or the lowest one)
  std::optional<double> p_value;
  std::string direction;  // up, down, changed
  std::vector<std::string> baseline_run_ids;
  std::string reason;  // one line
  // The usual range learned from history, when there was enough of it.
  std::optional<double> expected_value;
  std::optional<double> expected_low;
  std::optional<double> expected_high;
  std::string expected_method;    // e.g. "median ± 3·MAD, trend, weekday"
  std::vector<TestResult> tests;  // the statistical tests behind a "distribution" comparison
  // A change that is not reported, and why (within its usual range, key growth, ignored...).
  std::string suppressed;
  // Reported as part of another finding of the same column (its metric), e.g. a mean shift
  // folded into the column's distribution finding.
  std::string reported_in;

  bool table_level() const { return column.empty(); }
  // A finding of its own: drifted, and not folded into another one.
  bool reported() const { return drift_detected && reported_in.empty(); }
};

struct SchemaChange {
  std::string change_type;  // column_added | column_removed | type_changed
  std::string column;
  std::optional<std::string> old_type;
  std::optional<std::string> new_type;
};

struct DriftSummary {
  int compared = 0;
  int drifted = 0;  // reported findings
  int low = 0;
  int medium = 0;
  int high = 0;
  int schema_changes = 0;
};

struct DriftReport {
  std::string dataset;
  std::string schema;
  RunRecord baseline;  // the run the schema is compared with (the newest baseline run)
  RunRecord current;
  DriftStrategy strategy = DriftStrategy::kAbsoluteThreshold;
  BaselineStrategy baseline_strategy = BaselineStrategy::kLastRun;
  bool pinned = false;  // the baseline is a run pinned with `baselinr baseline set`
  std::vector<MetricComparison> metrics;
  std::vector<SchemaChange> schema_changes;
  std::vector<std::string> warnings;
  DriftSummary summary;

  // True when a finding is high severity or the schema changed (--fail-on-drift).
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
  std::string baseline_run;  // empty: the configured baseline (pinned run, else the strategy)
  std::string current_run;   // empty: the latest run
};

class DriftDetector {
 public:
  // `config` holds the global drift settings and the per-table settings (profiling.tables).
  // With a bus, detect() emits drift_events() of its report (until the outbox delivers them).
  DriftDetector(const Config& config, const RunStore& store, EventBus* bus = nullptr);
  // Global settings only (no per-table or per-column overrides).
  DriftDetector(const DriftConfig& config, const RunStore& store, EventBus* bus = nullptr);
  ~DriftDetector();
  DriftDetector(const DriftDetector&) = delete;
  DriftDetector& operator=(const DriftDetector&) = delete;

  // Throws NothingToCompareError when the dataset has one stored run (and no --baseline),
  // UsageError when the runs cannot be found (no run, unknown run id, runs of different
  // datasets).
  DriftReport detect(const DriftRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The events of a report: one DataDriftDetected per reported finding (worst first) and one
// SchemaChangeDetected per schema change, each with `details` (schema, direction, strategy,
// statistic, statistic_value, threshold, baseline_run_ids, current_run_id, reason) and a
// name-based event id, so the same finding on the same runs is the same event.
std::vector<Event> drift_events(const DriftReport& report);

// Metrics compared by drift detection, in report order (per column).
const std::vector<std::string>& drift_metric_names();
// Table-level metrics, stored with an empty column name and no column type.
const std::vector<std::string>& table_metric_names();

}  // namespace baselinr
