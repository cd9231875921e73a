// Baselines: what a current run is compared with. A fixed run (--baseline, or pinned with
// `baselinr baseline set`), or per metric by strategy: last_run, moving_average (mean of the
// last N runs), prior_period (the run nearest to 1, 7 or 30 days earlier, the same weekday
// for 7), stable_window (the newest N consecutive runs without a change beyond the low
// threshold), auto (prior_period for weekly patterns, moving_average for noisy metrics, else
// last_run). Every baseline says which runs formed it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "drift/run_data.hpp"

namespace baselinr::drift {

struct ScalarBaseline {
  std::optional<double> value;
  double time = 0;  // when the baseline was observed (mean time of several runs)
  std::vector<std::string> run_ids;
  std::string method;  // last_run, moving_average, ..., pinned, explicit
  std::string label;   // for reasons: "baseline run", "moving average of 7 runs", ...
  std::string note;    // a fallback, e.g. "no run 7 days earlier; used the last run"
};

struct DistributionBaseline {
  std::optional<QuantileSummary> quantiles;
  std::optional<TopValues> top_values;
  std::optional<double> mean;
  std::optional<double> stddev;
  std::vector<std::string> run_ids;
};

class BaselineSelector {
 public:
  // `previous`: the dataset's completed runs before the current one, newest first.
  BaselineSelector(RunCache& cache, std::shared_ptr<const RunData> current,
                   std::vector<RunRecord> previous, const BaselineConfig& config);

  // A fixed baseline run (explicit or pinned) for every metric.
  void fix(std::shared_ptr<const RunData> run, std::string method);
  bool fixed() const { return fixed_ != nullptr; }

  // The run the schema is compared with (the fixed run, the prior-period run, else the last).
  std::shared_ptr<const RunData> reference(BaselineStrategy strategy);

  ScalarBaseline scalar(const std::string& column, const std::string& metric,
                        BaselineStrategy strategy, double low_change);
  DistributionBaseline distribution(const std::string& column, BaselineStrategy strategy);
  // The summaries of the previous runs since `since` (seconds since 1970), at most `limit`
  // runs, pooled: the column's usual distribution.
  DistributionBaseline usual(const std::string& column, double since, std::size_t limit);

  // Previous runs (newest first, at most `limit`) loaded.
  std::vector<std::shared_ptr<const RunData>> history(std::size_t limit);
  const std::vector<RunRecord>& previous() const { return previous_; }

 private:
  std::shared_ptr<const RunData> at(std::size_t i);
  DistributionBaseline pooled(const std::string& column,
                              const std::vector<std::shared_ptr<const RunData>>& runs);
  std::optional<std::size_t> prior_period_index(int days);
  ScalarBaseline single(const std::shared_ptr<const RunData>& run, const std::string& column,
                        const std::string& metric, std::string method, std::string label);
  ScalarBaseline averaged(const std::vector<std::shared_ptr<const RunData>>& runs,
                          const std::string& column, const std::string& metric, std::string method,
                          std::string label);

  RunCache& cache_;
  std::shared_ptr<const RunData> current_;
  std::vector<RunRecord> previous_;
  std::vector<double> previous_times_;
  BaselineConfig config_;
  std::shared_ptr<const RunData> fixed_;
  std::string fixed_method_;
};

}  // namespace baselinr::drift
