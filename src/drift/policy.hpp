// Noise control: which settings apply to a table, a column and a metric (per-table `drift:`,
// per-column `columns[]`, type-specific thresholds, the ignore list), and what is reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "baselinr/config.hpp"
#include "drift/anomaly.hpp"
#include "drift/units.hpp"

namespace baselinr::drift {

// The original's type categories: numeric, categorical, timestamp, boolean, unknown (by the
// stored column type's name, as its normalize_column_type reads it).
std::string type_category(std::string_view column_type);

// fnmatch-style glob (*, ?, [...]); an empty pattern matches anything.
bool glob_match(std::string_view pattern, std::string_view text);

class ColumnPolicy {
 public:
  // `column` empty: table-level metrics.
  ColumnPolicy(const DriftConfig& config, const TableConfig* table, const std::string& dataset,
               const std::string& column, const std::string& column_type);

  bool enabled() const { return enabled_; }
  const std::string& category() const { return category_; }
  const DriftConfig& config() const { return config_; }
  // absolute_threshold, standard_deviation or statistical.
  std::string strategy() const;
  BaselineStrategy baseline_strategy() const;
  // Thresholds of `metric` in its unit (percent, points, share of time, |z|).
  Thresholds thresholds(const std::string& metric) const;
  // Why `metric` is never reported here (ignore list, ignore_metrics, type), or empty.
  std::string ignored(const std::string& metric) const;
  bool anomaly_enabled() const;
  BandSettings band_settings(const std::string& metric) const;

 private:
  const DriftConfig& config_;
  const ColumnDriftSettings* settings_ = nullptr;
  std::string dataset_;
  std::string column_;
  std::string category_;
  bool enabled_ = true;
};

// The table's settings: its `drift:` if configured, else the global ones; and its TableConfig
// (nullptr when the dataset is not among profiling.tables).
struct TableSettings {
  const DriftConfig* drift = nullptr;
  const TableConfig* table = nullptr;
};
TableSettings table_settings(const Config* config, const DriftConfig& global,
                             const std::string& dataset, const std::string& schema);

}  // namespace baselinr::drift
