#include "drift/run_data.hpp"

#include <chrono>

#include "common/text.hpp"

namespace baselinr::drift {

std::optional<std::string> RunData::text(const std::string& column,
                                         const std::string& metric) const {
  if (column.empty()) {
    auto it = table.find(metric);
    if (it != table.end()) return it->second;
    if (metric == "row_count") return std::to_string(run.row_count);
    return std::nullopt;
  }
  auto c = columns.find(column);
  if (c == columns.end()) return std::nullopt;
  auto m = c->second.metrics.find(metric);
  if (m == c->second.metrics.end()) return std::nullopt;
  return m->second;
}

std::optional<double> RunData::number(const std::string& column, const std::string& metric) const {
  auto t = text(column, metric);
  if (!t) return std::nullopt;
  return parse_double(*t);
}

std::optional<QuantileSummary> RunData::quantiles(const std::string& column) const {
  auto t = text(column, "quantiles");
  if (!t) return std::nullopt;
  auto q = parse_quantiles(*t);
  if (!q || !q->temporal) return q;
  // Times compare as ages relative to the run's newest value: a daily partition's timestamps
  // move a day forward every run, their spread does not; how old the newest value is, is the
  // table's freshness (a stalled load is one freshness finding, not one per time column).
  const double newest = q->curve.empty() ? 0.0 : q->curve.back().value;
  QuantileCurve age;
  for (auto it = q->curve.rbegin(); it != q->curve.rend(); ++it) {
    age.push_back({1.0 - it->p, newest - it->value});
  }
  q->curve = std::move(age);
  return q;
}

std::optional<TopValues> RunData::top_values(const std::string& column) const {
  auto t = text(column, "top_values");
  if (!t) return std::nullopt;
  return parse_top_values(*t);
}

std::shared_ptr<const RunData> RunCache::get(const RunRecord& run) {
  auto it = cache_.find(run.run_id);
  if (it != cache_.end()) return it->second;
  auto data = std::make_shared<RunData>();
  data->run = run;
  if (auto tp = parse_time(run.profiled_at)) {
    data->time = std::chrono::duration<double>(tp->time_since_epoch()).count();
  }
  for (auto& r : store_.results(run)) {
    if (r.table_level) {
      data->table[r.metric_name] = std::move(r.metric_value);
      continue;
    }
    auto [c, inserted] = data->columns.try_emplace(r.column_name);
    if (inserted) data->order.push_back(r.column_name);
    c->second.type = r.column_type;
    c->second.metrics[r.metric_name] = std::move(r.metric_value);
  }
  cache_.emplace(run.run_id, data);
  return data;
}

}  // namespace baselinr::drift
