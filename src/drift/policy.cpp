#include "drift/policy.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <regex>

#include "common/text.hpp"

namespace baselinr::drift {

std::string type_category(std::string_view column_type) {
  std::string t = to_lower(column_type);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  if (auto paren = t.find('('); paren != std::string::npos) {
    t = t.substr(0, paren);
    while (!t.empty() && t.back() == ' ') t.pop_back();
  }
  if (t.empty()) return "unknown";
  // The same word lists, in the same order, as the original's type normalizer (which also
  // matches on substrings: "interval" counts as numeric there too).
  static const char* numeric[] = {"integer", "int",     "bigint",     "smallint",        "tinyint",
                                  "numeric", "decimal", "float",      "double",          "real",
                                  "number",  "money",   "smallmoney", "double precision"};
  static const char* categorical[] = {"varchar", "char",  "text", "string",    "nvarchar",
                                      "nchar",   "ntext", "enum", "character", "character varying"};
  static const char* temporal[] = {
      "timestamp",     "datetime",       "date",          "time",          "datetime2",
      "smalldatetime", "datetimeoffset", "timestamp_ntz", "timestamp_ltz", "timestamp_tz"};
  static const char* boolean[] = {"boolean", "bool", "bit"};
  auto any = [&](const auto& words) {
    for (const char* w : words) {
      if (t.find(w) != std::string::npos) return true;
    }
    return false;
  };
  if (any(numeric)) return "numeric";
  if (any(categorical)) return "categorical";
  if (any(temporal)) return "timestamp";
  if (any(boolean)) return "boolean";
  return "unknown";
}

bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return true;
  return fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

namespace {

bool column_matches(const ColumnDriftSettings& s, const std::string& column) {
  if (!s.regex) return glob_match(s.name, column);
  try {
    return std::regex_match(column, std::regex(s.name));
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace

ColumnPolicy::ColumnPolicy(const DriftConfig& config, const TableConfig* table,
                           const std::string& dataset, const std::string& column,
                           const std::string& column_type)
    : config_(config), dataset_(dataset), column_(column) {
  category_ = column.empty() ? std::string() : type_category(column_type);
  if (table && !column.empty()) {
    for (const auto& s : table->columns) {
      if (s.name == column) {
        settings_ = &s;
        break;
      }
    }
    if (!settings_) {
      for (const auto& s : table->columns) {
        if (column_matches(s, column)) {
          settings_ = &s;
          break;
        }
      }
    }
  }
  if (settings_ && settings_->drift_enabled) enabled_ = *settings_->drift_enabled;
}

std::string ColumnPolicy::strategy() const {
  if (settings_ && settings_->strategy) return std::string(to_string(*settings_->strategy));
  return std::string(to_string(config_.strategy));
}

BaselineStrategy ColumnPolicy::baseline_strategy() const {
  if (settings_ && settings_->baseline_strategy) return *settings_->baseline_strategy;
  return config_.baselines.strategy;
}

Thresholds ColumnPolicy::thresholds(const std::string& metric) const {
  if (settings_) {
    if (auto it = settings_->metric_thresholds.find(metric);
        it != settings_->metric_thresholds.end()) {
      return it->second;
    }
  }
  const MetricKind kind = metric_kind(metric);
  if (strategy() == "standard_deviation") {
    if (settings_ && settings_->thresholds) return *settings_->thresholds;
    return config_.standard_deviation;
  }
  if (kind == MetricKind::kStall) return config_.freshness;
  if (settings_ && settings_->thresholds) return *settings_->thresholds;
  if (config_.enable_type_specific_thresholds && !category_.empty()) {
    auto type = config_.type_specific_thresholds.find(category_);
    if (type != config_.type_specific_thresholds.end()) {
      if (auto m = type->second.find(metric); m != type->second.end()) return m->second;
      // A type's default is for percent changes, not percentage points.
      if (kind == MetricKind::kRelative) {
        if (auto d = type->second.find("default"); d != type->second.end()) return d->second;
      }
    }
  }
  return kind == MetricKind::kPoints ? config_.percent_points : config_.absolute_threshold;
}

std::string ColumnPolicy::ignored(const std::string& metric) const {
  if (settings_ && std::find(settings_->ignore_metrics.begin(), settings_->ignore_metrics.end(),
                             metric) != settings_->ignore_metrics.end()) {
    return fmt::format("ignored for this column (columns[{}].drift.ignore_metrics)",
                       settings_->name);
  }
  for (const auto& rule : config_.ignore) {
    if (glob_match(rule.table, dataset_) && glob_match(rule.column, column_) &&
        glob_match(rule.metric, metric)) {
      return "ignored by drift_detection.ignore";
    }
  }
  if (config_.enable_type_specific_thresholds) {
    static const std::vector<std::string> shape = {"mean", "stddev", "min", "max"};
    if ((category_ == "categorical" || category_ == "boolean") &&
        std::find(shape.begin(), shape.end(), metric) != shape.end()) {
      return fmt::format("not compared for {} columns (type_specific_thresholds)", category_);
    }
  }
  if (metric == "count" && !column_.empty() && !config_.alert_column_count) {
    return "volume is reported once, as the table's row_count (alert_column_count: false)";
  }
  return {};
}

bool ColumnPolicy::anomaly_enabled() const {
  if (settings_ && settings_->anomaly_enabled) return *settings_->anomaly_enabled;
  return config_.anomaly.enabled;
}

BandSettings ColumnPolicy::band_settings(const std::string& metric) const {
  BandSettings b(config_.anomaly);
  if (settings_) {
    if (settings_->anomaly_methods) b.methods = *settings_->anomaly_methods;
    const auto& t = settings_->anomaly_thresholds;
    if (auto it = t.find("mad_threshold"); it != t.end()) b.mad_threshold = it->second;
    if (auto it = t.find("iqr_threshold"); it != t.end()) b.iqr_threshold = it->second;
    if (auto it = t.find("ewma_deviation_threshold"); it != t.end()) {
      b.ewma_deviation_threshold = it->second;
    }
  }
  const MetricKind kind = metric_kind(metric);
  // Staleness that creeps up is no trend to accept; counts grow and vary by multiplication.
  b.trend = kind != MetricKind::kStall;
  b.log_scale = metric == "row_count" || metric == "count";
  return b;
}

TableSettings table_settings(const Config* config, const DriftConfig& global,
                             const std::string& dataset, const std::string& schema) {
  TableSettings t{&global, nullptr};
  if (!config) return t;
  for (const auto& tc : config->profiling.tables) {
    const std::string tc_schema = tc.schema.empty() ? config->source.schema : tc.schema;
    if (tc.table != dataset) continue;
    if (!schema.empty() && !tc_schema.empty() && tc_schema != schema) continue;
    t.table = &tc;
    if (tc.drift) t.drift = tc.drift.get();
    break;
  }
  return t;
}

}  // namespace baselinr::drift
