#include "events/hooks/webhook_hook.hpp"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "events/hooks/chat_message.hpp"
#include "events/hooks/http.hpp"

namespace baselinr::hooks {

std::string cloudevent_type(std::string_view event_type) {
  std::string out = "io.baselinr.";
  for (std::size_t i = 0; i < event_type.size(); ++i) {
    const char c = event_type[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string cloudevent(const Event& event, const std::string& source) {
  nlohmann::ordered_json j;
  j["specversion"] = "1.0";
  j["id"] = event.event_id();
  j["source"] = source;
  j["type"] = cloudevent_type(event.event_type());
  j["time"] = event.timestamp_iso();
  j["datacontenttype"] = "application/json";
  if (!event.table().empty()) j["subject"] = event.table();
  j["data"] = nlohmann::ordered_json::parse(event.to_json());
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhookHook::WebhookHook(WebhookOptions options)
    : Destination(options.timeout_seconds),
      options_(std::move(options)),
      http_(std::make_unique<HttpClient>()) {}

WebhookHook::~WebhookHook() = default;

std::string WebhookHook::body(const std::vector<Event>& events) const {
  const std::string& f = options_.format;
  if (f == "slack") {
    std::string msg = slack_message(events, options_.max_findings);
    if (options_.channel.empty() && options_.username.empty()) return msg;
    auto j = nlohmann::ordered_json::parse(msg);
    if (!options_.channel.empty()) j["channel"] = options_.channel;
    if (!options_.username.empty()) j["username"] = options_.username;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (f == "teams") return teams_message(events, options_.max_findings);
  if (f == "cloudevents") return cloudevent(events.at(0), options_.source);
  return events.at(0).to_json();
}

void WebhookHook::deliver(const std::vector<Event>& events, const Deadline& deadline) {
  if (events.empty()) return;
  // One event per request unless this format summarises several.
  if (events.size() > 1 && !options_.group_findings) {
    for (const auto& e : events) deliver({e}, deadline);
    return;
  }
  const std::string payload = body(events);
  std::vector<std::string> headers;
  bool has_content_type = false;
  for (const auto& [k, v] : options_.headers) {
    if (to_lower(k) == "content-type") has_content_type = true;
    headers.push_back(k + ": " + v);
  }
  if (!has_content_type) {
    headers.push_back(options_.format == "cloudevents"
                          ? "Content-Type: application/cloudevents+json; charset=utf-8"
                          : "Content-Type: application/json");
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (auto& h : standard_webhook_headers(message_id(events), now, payload, options_.secret)) {
    headers.push_back(std::move(h));
  }
  http_->post(options_.url, headers, payload, deadline, "webhook hook");
}

}  // namespace baselinr::hooks
