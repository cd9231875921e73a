// Which metrics apply to which column: type class x the configured metric list.
#pragma once

#include <string>
#include <vector>

#include "baselinr/profiler.hpp"

namespace baselinr::profiling {

// True when `metric` is defined for columns of `type_class` (SPEC section 5).
bool metric_applies(const std::string& metric, TypeClass type_class);

// The configured metrics that apply to the class, in canonical report order.
std::vector<std::string> metrics_for(TypeClass type_class, const std::vector<std::string>& enabled,
                                     bool compute_histograms);

}  // namespace baselinr::profiling
