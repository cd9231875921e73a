// type: webhook (and the original's type: slack): one HTTP POST per message (libcurl).
//
// format json posts the event JSON; cloudevents a CloudEvents 1.0 structured-mode event
// (application/cloudevents+json) whose data is the event JSON; slack a Slack incoming-webhook
// message (Block Kit); teams a message with an Adaptive Card for a Teams Workflows webhook. Slack
// and Teams messages summarise a table's drift run in one message unless group_by: finding.
// Every request carries the Standard Webhooks headers webhook-id (the event id, or for a summary
// a name-based id of its events: the same on every retry), webhook-timestamp and, when a secret
// is configured, webhook-signature. The URL, headers and secret are secrets: never logged, never
// in errors.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class HttpClient;

struct WebhookOptions {
  std::string url;
  std::string format = "json";  // json | cloudevents | slack | teams
  std::map<std::string, std::string> headers;
  std::string secret;
  std::string source = "baselinr://development";  // cloudevents
  std::string channel;                            // slack
  std::string username;                           // slack
  double timeout_seconds = 10;
  bool group_findings = false;  // slack, teams: one message per drift run of a table
  int max_findings = 10;
};

class WebhookHook final : public Destination {
 public:
  explicit WebhookHook(WebhookOptions options);
  ~WebhookHook() override;
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;
  bool groups_findings() const override { return options_.group_findings; }

  // The request body for these events.
  std::string body(const std::vector<Event>& events) const;

 private:
  WebhookOptions options_;
  std::unique_ptr<HttpClient> http_;
};

// A CloudEvents 1.0 structured-mode event for `event` from `source`.
std::string cloudevent(const Event& event, const std::string& source);
// "io.baselinr.data_drift_detected" for DataDriftDetected.
std::string cloudevent_type(std::string_view event_type);

}  // namespace baselinr::hooks
