// Event::from_json: the inverse of to_json(), used on the plugin side of the ABI.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/events.hpp"
#include "common/text.hpp"

namespace baselinr {
namespace {

std::string text(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) throw Error(fmt::format("event JSON: '{}' must be a string", key));
  return it->get<std::string>();
}

std::optional<std::string> opt_text(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return text(j, key);
}

std::optional<double> opt_number(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw Error(fmt::format("event JSON: '{}' must be a number", key));
  return it->get<double>();
}

// The fields of `f` other than `standard` (and the envelope's own members), as scalar details.
Fields details_of(const nlohmann::ordered_json& f,
                  std::initializer_list<std::string_view> standard) {
  static constexpr std::string_view kEnvelope[] = {"event_id", "event_type", "timestamp",
                                                   "metadata", "test"};
  Fields out;
  for (auto it = f.begin(); it != f.end(); ++it) {
    const std::string& key = it.key();
    if (std::find(standard.begin(), standard.end(), key) != standard.end()) continue;
    if (std::find(std::begin(kEnvelope), std::end(kEnvelope), key) != std::end(kEnvelope)) continue;
    const nlohmann::ordered_json& v = it.value();
    if (v.is_null()) {
      out.emplace_back(key, std::monostate{});
    } else if (v.is_number_integer()) {
      out.emplace_back(key, v.get<std::int64_t>());
    } else if (v.is_number()) {
      out.emplace_back(key, v.get<double>());
    } else if (v.is_string()) {
      out.emplace_back(key, v.get<std::string>());
    } else {
      out.emplace_back(key, v.dump());
    }
  }
  return out;
}

}  // namespace

Event Event::from_json(std::string_view json) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error("event JSON: not a JSON object");
  // Fields live at the top level; older producers may only fill "metadata".
  const nlohmann::ordered_json& f =
      j.contains("table") || !j.contains("metadata") ? j : j["metadata"];
  const std::string type = text(j, "event_type");
  EventPayload payload;
  if (type == "DataDriftDetected") {
    Severity sev = parse_severity(text(f, "drift_severity")).value_or(Severity::kNone);
    payload =
        DataDriftDetected{text(f, "table"),
                          text(f, "column"),
                          text(f, "metric"),
                          opt_number(f, "baseline_value"),
                          opt_number(f, "current_value"),
                          opt_number(f, "change_percent"),
                          sev,
                          details_of(f, {"table", "column", "metric", "baseline_value",
                                         "current_value", "change_percent", "drift_severity"})};
  } else if (type == "SchemaChangeDetected") {
    payload = SchemaChangeDetected{
        text(f, "table"),
        text(f, "change_type"),
        text(f, "column"),
        opt_text(f, "old_type"),
        opt_text(f, "new_type"),
        details_of(f, {"table", "change_type", "column", "old_type", "new_type"})};
  } else if (type == "ProfilingStarted") {
    payload = ProfilingStarted{text(f, "table"), text(f, "run_id")};
  } else if (type == "ProfilingCompleted") {
    payload =
        ProfilingCompleted{text(f, "table"), text(f, "run_id"),
                           static_cast<std::int64_t>(opt_number(f, "row_count").value_or(0)),
                           static_cast<std::int64_t>(opt_number(f, "column_count").value_or(0)),
                           opt_number(f, "duration_seconds").value_or(0)};
  } else if (type == "ProfilingFailed") {
    payload = ProfilingFailed{text(f, "table"), text(f, "run_id"), text(f, "error")};
  } else if (type == "DataDriftResolved") {
    Severity sev = parse_severity(text(f, "drift_severity")).value_or(Severity::kNone);
    payload = DataDriftResolved{text(f, "table"), text(f, "column"), text(f, "metric"), sev,
                                details_of(f, {"table", "column", "metric", "drift_severity"})};
  } else {
    throw Error(fmt::format("event JSON: unknown event_type '{}'", type));
  }
  auto ts = parse_time(text(j, "timestamp"));
  std::string id = text(j, "event_id");
  if (id.empty() || !ts) throw Error("event JSON: event_id and timestamp are required");
  auto test = j.find("test");
  return Event(std::move(payload), std::move(id), *ts,
               test != j.end() && test->is_boolean() && test->get<bool>());
}

}  // namespace baselinr
