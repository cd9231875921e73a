// Hand-built runs with known metric values, for storage and drift tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"

namespace baselinr::testing {

struct FixtureColumn {
  std::string name;
  std::string type;
  std::vector<std::pair<std::string, MetricValue>> metrics;
};

inline ProfilingResult make_run(const std::string& dataset, int minutes_after_epoch,
                                std::vector<FixtureColumn> columns, const std::string& run_id) {
  ProfilingResult r;
  r.run_id = run_id;
  r.dataset_name = dataset;
  r.profiled_at = std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 56)) +
                  std::chrono::minutes(minutes_after_epoch);
  for (auto& c : columns) {
    ColumnProfile cp;
    cp.name = c.name;
    cp.type = c.type;
    cp.type_class = TypeClass::kNumeric;
    cp.metrics = std::move(c.metrics);
    r.columns.push_back(std::move(cp));
  }
  r.row_count = 100;
  return r;
}

}  // namespace baselinr::testing
