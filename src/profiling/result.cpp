// Value types of the profiling API: text and JSON forms.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baselinr/profiler.hpp"
#include "common/text.hpp"

namespace baselinr {

std::optional<std::string> metric_text(const MetricValue& value) {
  if (std::holds_alternative<std::monostate>(value)) return std::nullopt;
  if (auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&value)) return format_double(*d);
  return std::get<std::string>(value);
}

const MetricValue* ColumnProfile::metric(std::string_view metric_name) const {
  for (const auto& entry : metrics) {
    if (entry.first == metric_name) return &entry.second;
  }
  return nullptr;
}

namespace {

nlohmann::ordered_json metric_json(const std::string& name, const MetricValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return nullptr;
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) return *d;
    return format_double(*d);  // "inf", "-inf", "nan": JSON has no such numbers
  }
  const std::string& s = std::get<std::string>(v);
  if (name == "histogram" || name == "quantiles" || name == "top_values") {
    auto parsed = nlohmann::ordered_json::parse(s, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
  }
  return s;
}

}  // namespace

namespace {

nlohmann::ordered_json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string ProfiledScope::to_json() const {
  nlohmann::ordered_json j;
  j["partition_strategy"] = partition_strategy;
  j["partition_key"] = text_or_null(partition_key);
  j["partition_key_source"] = text_or_null(partition_key_source);
  j["partition_values"] = partition_values;
  j["sampling_method"] = text_or_null(sampling_method);
  j["sampling_mechanism"] = text_or_null(sampling_mechanism);
  j["sampling_fraction"] =
      sampling_fraction ? nlohmann::ordered_json(*sampling_fraction) : nlohmann::ordered_json();
  j["max_rows"] = max_rows ? nlohmann::ordered_json(*max_rows) : nlohmann::ordered_json();
  j["rows_profiled"] = rows_profiled;
  return j.dump();
}

ProfiledScope ProfiledScope::from_json(std::string_view json) {
  ProfiledScope s;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return s;
  if (auto v = string_member(j, "partition_strategy"); !v.empty()) s.partition_strategy = v;
  s.partition_key = string_member(j, "partition_key");
  s.partition_key_source = string_member(j, "partition_key_source");
  if (auto it = j.find("partition_values"); it != j.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) s.partition_values.push_back(v.get<std::string>());
    }
  }
  s.sampling_method = string_member(j, "sampling_method");
  s.sampling_mechanism = string_member(j, "sampling_mechanism");
  if (auto it = j.find("sampling_fraction"); it != j.end() && it->is_number()) {
    s.sampling_fraction = it->get<double>();
  }
  if (auto it = j.find("max_rows"); it != j.end() && it->is_number_integer()) {
    s.max_rows = it->get<std::int64_t>();
  }
  if (auto it = j.find("rows_profiled"); it != j.end() && it->is_number_integer()) {
    s.rows_profiled = it->get<std::int64_t>();
  }
  return s;
}

bool ProfiledScope::comparable_with(const ProfiledScope& o) const {
  return partition_strategy == o.partition_strategy && partition_key == o.partition_key &&
         sampling_method == o.sampling_method && sampling_fraction == o.sampling_fraction &&
         max_rows == o.max_rows;
}

std::string ProfiledScope::describe() const {
  std::string out = partition_strategy == "all"
                        ? "all rows"
                        : fmt::format("partition {} on {}", partition_strategy, partition_key);
  if (!sampling_method.empty()) {
    out += fmt::format("; {} sample {:g}%", sampling_method, sampling_fraction.value_or(1) * 100);
    if (max_rows) out += fmt::format(", at most {} rows", *max_rows);
  }
  return out;
}

std::string ProfilingResult::to_json() const {
  nlohmann::ordered_json j;
  j["run_id"] = run_id;
  j["dataset_name"] = dataset_name;
  j["schema_name"] =
      schema_name.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(schema_name);
  j["profiled_at"] = format_iso_time(profiled_at);
  j["row_count"] = row_count;
  j["column_count"] = columns.size();
  j["duration_seconds"] = duration_seconds;
  j["scope"] = nlohmann::ordered_json::parse(scope.to_json());
  nlohmann::ordered_json cols = nlohmann::ordered_json::array();
  for (const auto& c : columns) {
    nlohmann::ordered_json cj;
    cj["column_name"] = c.name;
    cj["column_type"] = c.type;
    cj["type_class"] = std::string(to_string(c.type_class));
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    for (const auto& [name, value] : c.metrics) metrics[name] = metric_json(name, value);
    cj["metrics"] = std::move(metrics);
    cols.push_back(std::move(cj));
  }
  j["columns"] = std::move(cols);
  nlohmann::ordered_json table = nlohmann::ordered_json::object();
  for (const auto& [name, value] : table_metrics) table[name] = metric_json(name, value);
  j["table_metrics"] = std::move(table);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace baselinr
