// The distribution summaries a run stores per column (the `quantiles` and `top_values`
// metrics, JSON text), read back for the statistical tests, and pooled over several runs for
// multi-run baselines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drift/stats.hpp"

namespace baselinr::drift {

// {"method", "interpolation", "rank_error", "n", "points": [{"p", "value"[, "epoch"]}]}:
// temporal columns compare by "epoch" (seconds).
struct QuantileSummary {
  QuantileCurve curve;
  double n = 0;  // non-null values summarised
  bool exact = true;
  double rank_error = 0;
  bool temporal = false;  // values are seconds since 1970
};
std::optional<QuantileSummary> parse_quantiles(std::string_view json);

// {"k", "exact", "values": [{"value", "count"}], "other_count", "null_count",
//  "distinct_count"}, most frequent first.
struct TopValues {
  std::vector<std::pair<std::string, double>> values;
  double other_count = 0;
  double null_count = 0;
  double distinct_count = 0;
  bool exact = true;
  double non_null() const;
  // Every distinct value is listed: a value not listed has count 0.
  bool complete() const { return other_count == 0 && exact; }
  std::optional<double> count_of(const std::string& value) const;
};
std::optional<TopValues> parse_top_values(std::string_view json);

// Several runs as one baseline: quantiles averaged point by point (Vincentization) over the
// points of the first summary, n summed; top values' counts summed (a value missing from a
// run's list counts as that run's "other").
QuantileSummary pool(const std::vector<QuantileSummary>& runs);
TopValues pool(const std::vector<TopValues>& runs);

// The categories two top-value summaries can be compared on: the values known in both (or
// known in one when the other is complete), plus "other" (everything else). Counts per
// category for each side; `labels` names them ("" for other).
struct CategoryTable {
  std::vector<std::string> labels;
  std::vector<double> baseline;
  std::vector<double> current;
  std::vector<std::string> appeared;     // values at > 0 now, absent before (complete baseline)
  std::vector<std::string> disappeared;  // values absent now (complete current), present before
};
CategoryTable category_table(const TopValues& baseline, const TopValues& current);

}  // namespace baselinr::drift
