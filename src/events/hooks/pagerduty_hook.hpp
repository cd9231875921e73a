// type: pagerduty: PagerDuty Events API v2. A drift finding, a schema change or a failed profile
// is a `trigger`; a DataDriftResolved is a `resolve` with the same dedup_key, so the incident
// closes itself. dedup_by: finding (default) keys each finding on its identity (the same alert is
// updated while the finding persists); dedup_by: table keys every finding of a table to one alert,
// resolved when a drift run leaves no open finding on the table. Other events are not sent. The
// routing key is a secret: never logged, never in errors or stored events.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class HttpClient;

struct PagerDutyOptions {
  std::string url = "https://events.pagerduty.com/v2/enqueue";
  std::string routing_key;
  std::string dedup_by = "finding";  // finding | table
  std::string environment = "development";
  double timeout_seconds = 10;
};

class PagerDutyHook final : public Destination {
 public:
  explicit PagerDutyHook(PagerDutyOptions options);
  ~PagerDutyHook() override;
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;

 private:
  PagerDutyOptions options_;
  std::unique_ptr<HttpClient> http_;
};

// The Events API v2 body for `event`; nullopt when the event neither opens nor closes an
// incident (lifecycle events; a resolution under dedup_by: table while findings stay open).
std::optional<std::string> pagerduty_body(const Event& event, const PagerDutyOptions& options);
std::string pagerduty_dedup_key(const Event& event, const std::string& dedup_by);

}  // namespace baselinr::hooks
