// Stored runs as drift detection reads them: each column's type and metrics, the table-level
// metrics, and the run's time; loaded once per run and shared (RunCache).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/storage.hpp"
#include "drift/summaries.hpp"

namespace baselinr::drift {

struct ColumnData {
  std::string type;
  std::map<std::string, std::optional<std::string>> metrics;
};

struct RunData {
  RunRecord run;
  double time = 0;                 // profiled_at, seconds since 1970-01-01 UTC
  std::vector<std::string> order;  // columns in stored order
  std::map<std::string, ColumnData> columns;
  std::map<std::string, std::optional<std::string>> table;  // table-level metrics

  bool has_column(const std::string& column) const { return columns.count(column) > 0; }
  // The metric's text; nullopt when absent or NULL. `column` empty: a table-level metric
  // (row_count falls back to the runs table's row_count, which every run has).
  std::optional<std::string> text(const std::string& column, const std::string& metric) const;
  // The metric as a number (inf and nan included); nullopt when absent, NULL or not a number.
  std::optional<double> number(const std::string& column, const std::string& metric) const;
  // Temporal columns' quantiles come back as ages (newest value minus the value), ascending.
  std::optional<QuantileSummary> quantiles(const std::string& column) const;
  std::optional<TopValues> top_values(const std::string& column) const;
};

class RunCache {
 public:
  explicit RunCache(const RunStore& store) : store_(store) {}
  std::shared_ptr<const RunData> get(const RunRecord& run);

 private:
  const RunStore& store_;
  std::map<std::string, std::shared_ptr<const RunData>> cache_;
};

}  // namespace baselinr::drift
