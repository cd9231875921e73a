#include "events/hooks/pagerduty_hook.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "common/uuid.hpp"
#include "events/hooks/chat_message.hpp"
#include "events/hooks/http.hpp"
#include "events/identity.hpp"

namespace baselinr::hooks {
namespace {

const Fields* details_of(const Event& e) {
  if (const auto* d = e.get_if<DataDriftDetected>()) return &d->details;
  if (const auto* r = e.get_if<DataDriftResolved>()) return &r->details;
  if (const auto* s = e.get_if<SchemaChangeDetected>()) return &s->details;
  return nullptr;
}

std::string table_key(const Event& e) {
  const Fields* details = details_of(e);
  std::string schema = details ? detail_text(*details, "schema") : std::string();
  return "baselinr:table:" + uuid_v5("table|" + schema + "|" + e.table());
}

const char* pd_severity(const Event& e) {
  if (e.get_if<ProfilingFailed>()) return "error";
  if (e.get_if<SchemaChangeDetected>()) return "warning";
  switch (e.severity()) {
    case Severity::kHigh:
      return "critical";
    case Severity::kMedium:
      return "error";
    case Severity::kLow:
      return "warning";
    case Severity::kNone:
      break;
  }
  return "info";
}

}  // namespace

std::string pagerduty_dedup_key(const Event& event, const std::string& dedup_by) {
  if (event.get_if<ProfilingFailed>()) {
    return "baselinr:profiling:" + uuid_v5("profiling|" + event.table());
  }
  if (dedup_by == "table") return table_key(event);
  if (event.get_if<DataDriftDetected>() || event.get_if<DataDriftResolved>()) {
    return "baselinr:finding:" + delivery_keys(event).finding_key;
  }
  return "baselinr:event:" + event.event_id();
}

std::optional<std::string> pagerduty_body(const Event& event, const PagerDutyOptions& options) {
  nlohmann::ordered_json j;
  j["routing_key"] = options.routing_key;
  if (const auto* r = event.get_if<DataDriftResolved>()) {
    if (options.dedup_by == "table" && detail_text(r->details, "open_findings_in_table") != "0") {
      return std::nullopt;  // the table's alert stays open while any finding does
    }
    j["event_action"] = "resolve";
    j["dedup_key"] = pagerduty_dedup_key(event, options.dedup_by);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (!event.get_if<DataDriftDetected>() && !event.get_if<SchemaChangeDetected>() &&
      !event.get_if<ProfilingFailed>()) {
    return std::nullopt;
  }
  const ChatSummary s = summarise({event}, 1);
  std::string summary = s.title;
  if (!s.lines.empty()) summary += ": " + s.lines.front().text;
  j["event_action"] = "trigger";
  j["dedup_key"] = pagerduty_dedup_key(event, options.dedup_by);
  nlohmann::ordered_json payload;
  payload["summary"] = utf8_prefix(summary, 1024);
  const Fields* details = details_of(event);
  std::string schema = details ? detail_text(*details, "schema") : std::string();
  payload["source"] = fmt::format("baselinr/{}/{}", options.environment,
                                  schema.empty() ? event.table() : schema + "." + event.table());
  payload["severity"] = pd_severity(event);
  payload["timestamp"] = event.timestamp_iso();
  payload["component"] = event.table();
  payload["group"] = schema.empty() ? options.environment : schema;
  payload["class"] = std::string(event.event_type());
  payload["custom_details"] = nlohmann::ordered_json::parse(event.to_json());
  j["payload"] = std::move(payload);
  j["client"] = "baselinr";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PagerDutyHook::PagerDutyHook(PagerDutyOptions options)
    : Destination(options.timeout_seconds),
      options_(std::move(options)),
      http_(std::make_unique<HttpClient>()) {}

PagerDutyHook::~PagerDutyHook() = default;

void PagerDutyHook::deliver(const std::vector<Event>& events, const Deadline& deadline) {
  for (const auto& e : events) {
    auto body = pagerduty_body(e, options_);
    if (!body) continue;
    http_->post(options_.url, {"Content-Type: application/json"}, *body, deadline,
                "pagerduty hook");
  }
}

}  // namespace baselinr::hooks
