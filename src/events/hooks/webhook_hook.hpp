// type: webhook: one HTTP POST per event (libcurl). format json posts the event JSON; format
// slack posts a Slack incoming-webhook message. Any answer outside 2xx, a connection failure or
// a timeout is a failed delivery. The URL and headers are secrets: never logged, never in errors.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "baselinr/hook.hpp"

namespace baselinr::hooks {

class WebhookHook final : public Hook {
 public:
  WebhookHook(std::string url, std::string format, std::map<std::string, std::string> headers,
              double timeout_seconds);
  ~WebhookHook() override;
  void handle_event(const Event& event) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The request body for `format` ("json" or "slack").
std::string webhook_body(const Event& event, const std::string& format);
// A Slack incoming-webhook message: `text` always set, and blocks showing table, column,
// metric, baseline -> current, change and severity.
std::string slack_message(const Event& event);

}  // namespace baselinr::hooks
