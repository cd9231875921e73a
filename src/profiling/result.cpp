// Value types of the profiling API: text and JSON forms.
#include <nlohmann/json.hpp>

#include "baselinr/profiler.hpp"
#include "common/text.hpp"

namespace baselinr {

std::string_view to_string(TypeClass type_class) {
  switch (type_class) {
    case TypeClass::kNumeric:
      return "numeric";
    case TypeClass::kString:
      return "string";
    case TypeClass::kTemporal:
      return "temporal";
    case TypeClass::kBoolean:
      return "boolean";
    case TypeClass::kOther:
      return "other";
  }
  return "other";
}

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
  if (name == "histogram") {
    auto parsed = nlohmann::ordered_json::parse(s, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
  }
  return s;
}

}  // namespace

std::string ProfiledScope::to_json() const {
  nlohmann::ordered_json j;
  j["partition_strategy"] = partition_strategy;
  j["partition_key"] = partition_key.empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(partition_key);
  j["partition_values"] = partition_values;
  j["sampling_method"] = sampling_method.empty() ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(sampling_method);
  j["sampling_fraction"] =
      sampling_fraction ? nlohmann::ordered_json(*sampling_fraction) : nlohmann::ordered_json();
  j["max_rows"] = max_rows ? nlohmann::ordered_json(*max_rows) : nlohmann::ordered_json();
  return j.dump();
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
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace baselinr
