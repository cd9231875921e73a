#include "report/history.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/text.hpp"

namespace baselinr::report {

namespace {

std::string key(std::string_view column, std::string_view metric) {
  std::string k;
  k.reserve(column.size() + metric.size() + 1);
  k.append(column).push_back('\0');
  k.append(metric);
  return k;
}

}  // namespace

RunSnapshot::RunSnapshot(RunRecord record, std::vector<MetricRecord> rows)
    : run(std::move(record)), results(std::move(rows)) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const MetricRecord& r = results[i];
    index_.try_emplace(key(r.column_name, r.metric_name), i);
    if (!r.column_name.empty() && seen.insert(r.column_name).second) {
      columns_.emplace_back(r.column_name, r.column_type);
    }
  }
}

const std::optional<std::string>* RunSnapshot::find(std::string_view column,
                                                    std::string_view metric) const {
  auto it = index_.find(key(column, metric));
  return it == index_.end() ? nullptr : &results[it->second].metric_value;
}

std::vector<RunSnapshot> load_history(const RunStore& store, const std::string& dataset,
                                      const std::string& schema, int limit) {
  // An empty schema asks the store for any schema: keep the runs of exactly this one, and read
  // them all if the limit was spent on runs of the same name in other schemas.
  auto read = [&](int n) {
    std::vector<RunRecord> runs =
        store.list_runs({.dataset = dataset, .schema = schema, .limit = n});
    const std::size_t before = runs.size();
    std::erase_if(runs, [&](const RunRecord& r) { return r.schema_name != schema; });
    return std::make_pair(runs, before);
  };
  auto [runs, read_count] = read(limit);
  if (limit > 0 && runs.size() < read_count && read_count == static_cast<std::size_t>(limit)) {
    runs = read(0).first;
    if (runs.size() > static_cast<std::size_t>(limit)) runs.resize(static_cast<std::size_t>(limit));
  }
  std::vector<RunSnapshot> out;
  out.reserve(runs.size());
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    std::vector<MetricRecord> results = store.results(*it);
    out.emplace_back(std::move(*it), std::move(results));
  }
  return out;
}

bool is_distribution_metric(std::string_view metric) {
  return metric == "histogram" || metric == "quantiles" || metric == "top_values";
}

std::vector<std::optional<double>> series_values(const std::vector<RunSnapshot>& runs,
                                                 std::string_view column, std::string_view metric) {
  std::vector<std::optional<double>> out;
  out.reserve(runs.size());
  for (const auto& s : runs) {
    const auto* v = s.find(column, metric);
    if (!v && column.empty() && metric == "row_count") {
      out.push_back(static_cast<double>(s.run.row_count));
      continue;
    }
    std::optional<double> d;
    if (v && *v) d = parse_double(**v);
    if (d && std::isnan(*d)) d.reset();
    out.push_back(d);
  }
  return out;
}

std::vector<std::string> series_texts(const std::vector<RunSnapshot>& runs, std::string_view column,
                                      std::string_view metric) {
  std::vector<std::string> out;
  out.reserve(runs.size());
  for (const auto& s : runs) {
    const auto* v = s.find(column, metric);
    if (!v && column.empty() && metric == "row_count") {
      out.push_back(std::to_string(s.run.row_count));
    } else if (!v) {
      out.emplace_back();
    } else {
      out.push_back(v->value_or("NULL"));
    }
  }
  return out;
}

}  // namespace baselinr::report
