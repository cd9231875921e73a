// A dataset's stored runs with their metrics, oldest first: what the report's charts and
// `baselinr history` show.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "baselinr/storage.hpp"

namespace baselinr::report {

// One stored run and every result row it stored (column "" for table-level metrics).
struct RunSnapshot {
  RunRecord run;
  std::vector<MetricRecord> results;

  RunSnapshot() = default;
  RunSnapshot(RunRecord run, std::vector<MetricRecord> results);

  // The stored text of (column, metric): nullptr when the run has no such row, a pointer to
  // nullopt when the row holds NULL.
  const std::optional<std::string>* find(std::string_view column, std::string_view metric) const;
  // Columns in stored order with their types (table-level rows excluded).
  const std::vector<std::pair<std::string, std::string>>& columns() const { return columns_; }

 private:
  std::unordered_map<std::string, std::size_t> index_;  // "column\0metric" -> position in results
  std::vector<std::pair<std::string, std::string>> columns_;
};

// The newest `limit` runs (0: all) of `dataset` in exactly `schema` ("" for schema-less
// sources), oldest first, each with its results.
std::vector<RunSnapshot> load_history(const RunStore& store, const std::string& dataset,
                                      const std::string& schema, int limit);

// Metrics whose value is a JSON document (a distribution), not a scalar.
bool is_distribution_metric(std::string_view metric);

// The values of one series, aligned with `runs`: the metric of `column`, or for column "" the
// table-level metric; "row_count" at table level falls back to the run's own row count.
// Non-numeric and missing values are nullopt.
std::vector<std::optional<double>> series_values(const std::vector<RunSnapshot>& runs,
                                                 std::string_view column, std::string_view metric);
// The same as stored text ("" for missing, "NULL" for a stored NULL).
std::vector<std::string> series_texts(const std::vector<RunSnapshot>& runs, std::string_view column,
                                      std::string_view metric);

}  // namespace baselinr::report
