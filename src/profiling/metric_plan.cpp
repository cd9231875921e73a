#include "profiling/metric_plan.hpp"

#include <algorithm>

namespace baselinr::profiling {

bool metric_applies(const std::string& metric, TypeClass type_class) {
  if (metric == "count" || metric == "null_count" || metric == "null_percent" ||
      metric == "distinct_count" || metric == "distinct_percent") {
    return true;
  }
  if (metric == "min" || metric == "max") {
    return type_class == TypeClass::kNumeric || type_class == TypeClass::kTemporal;
  }
  if (metric == "mean" || metric == "stddev" || metric == "histogram") {
    return type_class == TypeClass::kNumeric;
  }
  if (metric == "min_length" || metric == "max_length" || metric == "avg_length") {
    return type_class == TypeClass::kString;
  }
  if (metric == "quantiles") {
    return type_class == TypeClass::kNumeric || type_class == TypeClass::kTemporal;
  }
  // Every class: string and boolean columns always get it, others when their distinct count is
  // at most profiling.max_distinct_values (decided once it is known).
  if (metric == "top_values") return true;
  return false;
}

std::vector<std::string> metrics_for(TypeClass type_class, const std::vector<std::string>& enabled,
                                     bool compute_histograms) {
  std::vector<std::string> out;
  for (const auto& m : all_metric_names()) {
    if (m == "histogram" && !compute_histograms) continue;
    if (std::find(enabled.begin(), enabled.end(), m) == enabled.end()) continue;
    if (metric_applies(m, type_class)) out.push_back(m);
  }
  return out;
}

}  // namespace baselinr::profiling
