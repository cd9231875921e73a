#include "drift/baseline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "common/text.hpp"
#include "drift/stats.hpp"
#include "drift/units.hpp"

namespace baselinr::drift {
namespace {

constexpr double kDay = 86400.0;

double record_time(const RunRecord& r) {
  auto tp = parse_time(r.profiled_at);
  return tp ? std::chrono::duration<double>(tp->time_since_epoch()).count() : 0.0;
}

}  // namespace

BaselineSelector::BaselineSelector(RunCache& cache, std::shared_ptr<const RunData> current,
                                   std::vector<RunRecord> previous, const BaselineConfig& config)
    : cache_(cache), current_(std::move(current)), previous_(std::move(previous)), config_(config) {
  for (const auto& r : previous_) previous_times_.push_back(record_time(r));
}

void BaselineSelector::fix(std::shared_ptr<const RunData> run, std::string method) {
  fixed_ = std::move(run);
  fixed_method_ = std::move(method);
}

std::shared_ptr<const RunData> BaselineSelector::at(std::size_t i) {
  if (i >= previous_.size()) return nullptr;
  return cache_.get(previous_[i]);
}

std::vector<std::shared_ptr<const RunData>> BaselineSelector::history(std::size_t limit) {
  std::vector<std::shared_ptr<const RunData>> out;
  for (std::size_t i = 0; i < previous_.size() && i < limit; ++i) out.push_back(at(i));
  return out;
}

std::optional<std::size_t> BaselineSelector::prior_period_index(int days) {
  const double target = current_->time - days * kDay;
  const double tolerance = days == 1 ? 0.5 * kDay : days == 7 ? 3.5 * kDay : 15 * kDay;
  std::optional<std::size_t> best;
  double best_gap = 0;
  for (std::size_t i = 0; i < previous_times_.size(); ++i) {
    const double gap = std::fabs(previous_times_[i] - target);
    if (gap > tolerance) continue;
    if (days == 7 && weekday_utc(previous_times_[i]) != weekday_utc(current_->time)) continue;
    if (!best || gap < best_gap) {
      best = i;
      best_gap = gap;
    }
  }
  return best;
}

std::shared_ptr<const RunData> BaselineSelector::reference(BaselineStrategy strategy) {
  if (fixed_) return fixed_;
  if (strategy == BaselineStrategy::kPriorPeriod) {
    if (auto i = prior_period_index(config_.prior_period)) return at(*i);
  }
  return at(0);
}

ScalarBaseline BaselineSelector::single(const std::shared_ptr<const RunData>& run,
                                        const std::string& column, const std::string& metric,
                                        std::string method, std::string label) {
  ScalarBaseline b;
  b.method = std::move(method);
  b.label = std::move(label);
  if (!run) return b;
  b.value = run->number(column, metric);
  b.time = run->time;
  b.run_ids = {run->run.run_id};
  return b;
}

ScalarBaseline BaselineSelector::averaged(const std::vector<std::shared_ptr<const RunData>>& runs,
                                          const std::string& column, const std::string& metric,
                                          std::string method, std::string label) {
  ScalarBaseline b;
  b.method = std::move(method);
  std::vector<double> values, times;
  for (const auto& r : runs) {
    auto v = r->number(column, metric);
    if (!v || !std::isfinite(*v)) continue;
    values.push_back(*v);
    times.push_back(r->time);
    b.run_ids.push_back(r->run.run_id);
  }
  if (values.empty()) return b;
  b.value = mean(values);
  b.time = mean(times);
  b.label = fmt::format("{} of {} runs", label, values.size());
  return b;
}

ScalarBaseline BaselineSelector::scalar(const std::string& column, const std::string& metric,
                                        BaselineStrategy strategy, double low_change) {
  if (fixed_) {
    return single(fixed_, column, metric, fixed_method_,
                  fixed_method_ == "pinned" ? "pinned baseline" : "baseline run");
  }
  auto last = [&](std::string note) {
    ScalarBaseline b = single(at(0), column, metric, "last_run", "last run");
    b.note = std::move(note);
    return b;
  };
  switch (strategy) {
    case BaselineStrategy::kLastRun:
      return last("");
    case BaselineStrategy::kMovingAverage: {
      ScalarBaseline b = averaged(history(static_cast<std::size_t>(config_.moving_average)), column,
                                  metric, "moving_average", "moving average");
      if (b.run_ids.size() < 2) {
        return last(fmt::format("moving_average needs 2 runs with {}; used the last run", metric));
      }
      return b;
    }
    case BaselineStrategy::kPriorPeriod: {
      if (auto i = prior_period_index(config_.prior_period)) {
        return single(at(*i), column, metric, "prior_period",
                      fmt::format("run {} day(s) earlier", config_.prior_period));
      }
      return last(fmt::format("no run {} day(s) before this one{}; used the last run",
                              config_.prior_period,
                              config_.prior_period == 7 ? " on the same weekday" : ""));
    }
    case BaselineStrategy::kStableWindow: {
      const auto w = static_cast<std::size_t>(config_.stable_window);
      std::vector<std::shared_ptr<const RunData>> runs;
      std::vector<double> values;
      for (const auto& r : history(30)) {
        auto v = r->number(column, metric);
        if (!v || !std::isfinite(*v)) continue;
        runs.push_back(r);
        values.push_back(*v);
      }
      if (values.size() < w) {
        return last(
            fmt::format("stable_window needs {} runs with {}; used the last run", w, metric));
      }
      const bool points = metric_kind(metric) == MetricKind::kPoints;
      std::vector<double> change;  // between run i and the one before it
      for (std::size_t i = 0; i + 1 < values.size(); ++i) {
        const double d = values[i] - values[i + 1];
        change.push_back(points               ? std::fabs(d)
                         : values[i + 1] != 0 ? std::fabs(d / values[i + 1]) * 100
                         : d == 0             ? 0.0
                                              : INFINITY);
      }
      std::optional<std::size_t> start;
      std::size_t best = 0;
      double best_mean = INFINITY;
      for (std::size_t s = 0; s + w <= values.size(); ++s) {
        double worst = 0, sum = 0;
        for (std::size_t i = s; i + 1 < s + w; ++i) {
          worst = std::max(worst, change[i]);
          sum += change[i];
        }
        if (!start && worst < low_change) start = s;
        if (sum < best_mean) {
          best_mean = sum;
          best = s;
        }
      }
      const std::size_t s = start.value_or(best);
      std::vector<std::shared_ptr<const RunData>> window(runs.begin() + static_cast<long>(s),
                                                         runs.begin() + static_cast<long>(s + w));
      ScalarBaseline b = averaged(window, column, metric, "stable_window", "stable window");
      if (!start) b.note = "no window without changes; used the steadiest one";
      return b;
    }
    case BaselineStrategy::kAuto: {
      if (previous_.size() < static_cast<std::size_t>(config_.min_runs)) {
        return last(
            fmt::format("auto: {} previous run(s), fewer than min_runs {}; used the last "
                        "run",
                        previous_.size(), config_.min_runs));
      }
      std::vector<double> values, times;
      for (const auto& r : history(30)) {
        auto v = r->number(column, metric);
        if (!v || !std::isfinite(*v)) continue;
        values.push_back(*v);
        times.push_back(r->time);
      }
      if (values.size() < 2) return last("");
      // Weekly pattern: weekday medians explain much of the spread, over two weeks or more.
      if (times.front() - times.back() >= 13 * kDay) {
        std::array<std::vector<double>, 7> by_day;
        for (std::size_t i = 0; i < values.size(); ++i)
          by_day[weekday_utc(times[i])].push_back(values[i]);
        if (by_day[weekday_utc(current_->time)].size() >= 2) {
          std::vector<double> adjusted;
          for (std::size_t i = 0; i < values.size(); ++i) {
            adjusted.push_back(values[i] - median(by_day[weekday_utc(times[i])]));
          }
          const double before = mad(values);
          if (before > 0 && mad(adjusted) < 0.7 * before) {
            if (auto i = prior_period_index(7)) {
              return single(at(*i), column, metric, "auto: prior_period", "same weekday last week");
            }
          }
        }
      }
      const double m = mean(values);
      if (m != 0 && sample_stddev(values) / std::fabs(m) > 0.1) {
        ScalarBaseline b = averaged(history(static_cast<std::size_t>(config_.moving_average)),
                                    column, metric, "auto: moving_average", "moving average");
        if (b.run_ids.size() >= 2) return b;
      }
      ScalarBaseline b = last("");
      b.method = "auto: last_run";
      return b;
    }
  }
  return last("");
}

DistributionBaseline BaselineSelector::distribution(const std::string& column,
                                                    BaselineStrategy strategy) {
  std::vector<std::shared_ptr<const RunData>> runs;
  if (fixed_) {
    runs = {fixed_};
  } else if (strategy == BaselineStrategy::kMovingAverage ||
             strategy == BaselineStrategy::kStableWindow) {
    runs = history(static_cast<std::size_t>(strategy == BaselineStrategy::kMovingAverage
                                                ? config_.moving_average
                                                : config_.stable_window));
  } else if (strategy == BaselineStrategy::kPriorPeriod) {
    auto i = prior_period_index(config_.prior_period);
    if (auto r = at(i.value_or(0))) runs = {r};
  } else if (auto r = at(0)) {
    runs = {r};
  }
  return pooled(column, runs);
}

DistributionBaseline BaselineSelector::usual(const std::string& column, double since,
                                             std::size_t limit) {
  std::vector<std::shared_ptr<const RunData>> runs;
  for (const auto& r : history(limit)) {
    if (r->time < since) break;
    runs.push_back(r);
  }
  return pooled(column, runs);
}

DistributionBaseline BaselineSelector::pooled(
    const std::string& column, const std::vector<std::shared_ptr<const RunData>>& runs) {
  DistributionBaseline d;
  std::vector<QuantileSummary> qs;
  std::vector<TopValues> tops;
  std::vector<double> means, variances;
  for (const auto& r : runs) {
    bool used = false;
    if (auto q = r->quantiles(column)) {
      qs.push_back(std::move(*q));
      used = true;
    }
    if (auto t = r->top_values(column)) {
      tops.push_back(std::move(*t));
      used = true;
    }
    auto m = r->number(column, "mean");
    auto s = r->number(column, "stddev");
    if (m && s && std::isfinite(*m) && std::isfinite(*s)) {
      means.push_back(*m);
      variances.push_back(*s * *s);
      used = true;
    }
    if (used) d.run_ids.push_back(r->run.run_id);
  }
  if (!qs.empty()) d.quantiles = pool(qs);
  if (!tops.empty()) d.top_values = pool(tops);
  if (!means.empty()) {
    d.mean = mean(means);
    d.stddev = std::sqrt(mean(variances));
  }
  return d;
}

}  // namespace baselinr::drift
