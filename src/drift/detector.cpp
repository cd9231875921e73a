#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "common/text.hpp"

namespace baselinr {
namespace {

struct ColumnMetrics {
  std::string type;
  std::map<std::string, std::optional<std::string>> metrics;
};
// Columns in the order the run stored them, with their metrics.
struct RunMetrics {
  std::vector<std::string> order;
  std::map<std::string, ColumnMetrics> columns;
};

RunMetrics load(const RunStore& store, const RunRecord& run) {
  RunMetrics out;
  for (auto& r : store.results(run)) {
    auto [it, inserted] = out.columns.try_emplace(r.column_name);
    if (inserted) out.order.push_back(r.column_name);
    it->second.type = r.column_type;
    it->second.metrics[r.metric_name] = r.metric_value;
  }
  return out;
}

std::optional<double> numeric(const RunMetrics& rm, const std::string& column,
                              const std::string& metric) {
  auto c = rm.columns.find(column);
  if (c == rm.columns.end()) return std::nullopt;
  auto m = c->second.metrics.find(metric);
  if (m == c->second.metrics.end() || !m->second) return std::nullopt;
  auto v = parse_double(*m->second);
  if (!v || std::isnan(*v)) return std::nullopt;
  return v;
}

Severity grade(double magnitude, const Thresholds& t) {
  if (!(magnitude > 0)) return Severity::kNone;
  if (magnitude >= t.high) return Severity::kHigh;
  if (magnitude >= t.medium) return Severity::kMedium;
  if (magnitude >= t.low) return Severity::kLow;
  return Severity::kNone;
}

}  // namespace

const std::vector<std::string>& drift_metric_names() {
  static const std::vector<std::string> names = {
      "count", "null_percent", "distinct_percent", "mean", "stddev", "min", "max"};
  return names;
}

bool DriftReport::has_blocking_findings() const {
  return summary.high > 0 || !schema_changes.empty();
}

DriftDetector::DriftDetector(const DriftConfig& config, const RunStore& store, EventBus* bus)
    : config_(config), store_(store), bus_(bus) {}

DriftReport DriftDetector::detect(const DriftRequest& request) {
  auto find = [&](const std::string& run_id, const char* flag) {
    auto run = store_.find_run(run_id);
    if (!run) {
      throw UsageError(fmt::format("{} {}: no such run in storage; list runs with `baselinr runs`",
                                   flag, run_id));
    }
    if (!request.dataset.empty() && run->dataset_name != request.dataset) {
      throw UsageError(fmt::format("{} {}: that run profiled '{}', not '{}'", flag, run_id,
                                   run->dataset_name, request.dataset));
    }
    return *run;
  };

  DriftReport report;
  if (!request.current_run.empty()) {
    report.current = find(request.current_run, "--current");
  } else {
    auto latest = store_.list_runs(
        {.dataset = request.dataset, .schema = request.schema, .status = "completed", .limit = 1});
    if (latest.empty()) {
      throw UsageError(fmt::format(
          "no stored runs of '{}'{}; run `baselinr profile` first (see `baselinr runs`)",
          request.dataset, request.schema.empty() ? "" : " in schema " + request.schema));
    }
    report.current = latest.front();
  }
  if (!request.baseline_run.empty()) {
    report.baseline = find(request.baseline_run, "--baseline");
  } else {
    auto before = store_.runs_before(report.current, 1);
    if (before.empty()) {
      throw NothingToCompareError(
          fmt::format("'{}' has one stored run ({}); drift compares it with the next run, so "
                      "profile it again later",
                      report.current.dataset_name, report.current.run_id),
          report.current.dataset_name, report.current.run_id);
    }
    report.baseline = before.front();
  }
  if (report.baseline.dataset_name != report.current.dataset_name) {
    throw UsageError(
        fmt::format("--baseline and --current profile different tables ('{}' and '{}')",
                    report.baseline.dataset_name, report.current.dataset_name));
  }
  if (report.baseline.run_id == report.current.run_id) {
    throw UsageError("--baseline and --current name the same run; pick two different runs");
  }
  report.dataset = report.current.dataset_name;
  report.schema = report.current.schema_name;
  report.strategy = config_.strategy;

  // Compare like with like: say so when the two runs read different kinds of subsets.
  if (!report.baseline.metadata.empty() && !report.current.metadata.empty()) {
    ProfiledScope b = ProfiledScope::from_json(report.baseline.metadata);
    ProfiledScope c = ProfiledScope::from_json(report.current.metadata);
    if (!b.comparable_with(c)) {
      report.warnings.push_back(fmt::format(
          "the runs profiled different subsets (baseline: {}; current: {}): part of any "
          "difference may come from that",
          b.describe(), c.describe()));
    }
  }

  const RunMetrics base = load(store_, report.baseline);
  const RunMetrics cur = load(store_, report.current);

  // Schema changes, in current column order then removed columns in baseline order.
  for (const auto& name : cur.order) {
    auto b = base.columns.find(name);
    const std::string& new_type = cur.columns.at(name).type;
    if (b == base.columns.end()) {
      report.schema_changes.push_back({"column_added", name, std::nullopt, new_type});
    } else if (to_lower(b->second.type) != to_lower(new_type)) {
      report.schema_changes.push_back({"type_changed", name, b->second.type, new_type});
    }
  }
  for (const auto& name : base.order) {
    if (!cur.columns.count(name)) {
      report.schema_changes.push_back(
          {"column_removed", name, base.columns.at(name).type, std::nullopt});
    }
  }

  // History for the standard_deviation strategy: previous runs of the dataset before current.
  std::vector<RunMetrics> history;
  if (config_.strategy == DriftStrategy::kStandardDeviation) {
    for (const auto& run : store_.runs_before(report.current, config_.window)) {
      history.push_back(load(store_, run));
    }
    if (static_cast<int>(history.size()) < config_.min_history) {
      report.warnings.push_back(fmt::format(
          "standard_deviation needs at least {} previous runs of '{}' (window {}); found {}. "
          "No statistical drift was computed; schema changes are still reported. Profile more "
          "runs or lower drift_detection.standard_deviation.min_history.",
          config_.min_history, report.dataset, config_.window, history.size()));
    }
  }

  for (const auto& column : cur.order) {
    if (!base.columns.count(column)) continue;
    for (const auto& metric : drift_metric_names()) {
      auto b = numeric(base, column, metric);
      auto c = numeric(cur, column, metric);
      if (!b || !c) continue;  // not computed in both runs, or not a number (dates)
      MetricComparison m;
      m.column = column;
      m.metric = metric;
      m.baseline_value = b;
      m.current_value = c;
      m.change_absolute = *c - *b;
      if (*b != 0 && std::isfinite(*b) && std::isfinite(*c)) {
        m.change_percent = (*c - *b) / std::fabs(*b) * 100.0;
      }
      if (config_.strategy == DriftStrategy::kAbsoluteThreshold) {
        if (m.change_percent) {
          m.severity = grade(std::fabs(*m.change_percent), config_.absolute_threshold);
        } else if (*b == 0 && *c != 0) {
          m.note = "baseline is 0: percent change undefined";
        }
      } else {
        std::vector<double> values;
        for (const auto& h : history) {
          if (auto v = numeric(h, column, metric); v && std::isfinite(*v)) values.push_back(*v);
        }
        m.history_size = static_cast<int>(values.size());
        if (m.history_size < config_.min_history) {
          m.note =
              fmt::format("history too short: {} of {} runs", m.history_size, config_.min_history);
        } else if (std::isfinite(*c)) {
          // Two-pass mean and sample standard deviation over the history.
          long double sum = 0;
          for (double v : values) sum += v;
          const long double mean = sum / values.size();
          long double ss = 0;
          for (double v : values) ss += (v - mean) * (v - mean);
          const double sd = static_cast<double>(std::sqrt(ss / (values.size() - 1)));
          m.history_mean = static_cast<double>(mean);
          m.history_stddev = sd;
          if (sd > 0) {
            m.z_score = (*c - static_cast<double>(mean)) / sd;
            m.severity = grade(std::fabs(*m.z_score), config_.standard_deviation);
          } else if (*c != static_cast<double>(mean)) {
            m.severity = Severity::kHigh;
            m.note =
                fmt::format("constant over the previous {} runs, now different", m.history_size);
          } else {
            m.z_score = 0.0;
          }
        }
      }
      m.drift_detected = m.severity != Severity::kNone;
      report.metrics.push_back(std::move(m));
    }
  }

  DriftSummary& s = report.summary;
  s.compared = static_cast<int>(report.metrics.size());
  s.schema_changes = static_cast<int>(report.schema_changes.size());
  for (const auto& m : report.metrics) {
    if (!m.drift_detected) continue;
    ++s.drifted;
    if (m.severity == Severity::kLow) ++s.low;
    if (m.severity == Severity::kMedium) ++s.medium;
    if (m.severity == Severity::kHigh) ++s.high;
  }

  if (bus_) {
    for (const auto& m : report.metrics) {
      if (!m.drift_detected) continue;
      bus_->emit(Event(DataDriftDetected{report.dataset, m.column, m.metric, m.baseline_value,
                                         m.current_value, m.change_percent, m.severity}));
    }
    for (const auto& c : report.schema_changes) {
      bus_->emit(Event(
          SchemaChangeDetected{report.dataset, c.change_type, c.column, c.old_type, c.new_type}));
    }
  }
  return report;
}

}  // namespace baselinr
