// The delivery keys of the configuration: hooks.delivery, per-hook delivery keys, the new
// destinations and the original's slack hook, with the errors for what is wrong.
#include <gtest/gtest.h>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "common/uuid.hpp"
#include "events/identity.hpp"

namespace baselinr {
namespace {

Config load_hooks(const std::string& hooks) {
  LoadOptions o;
  o.environment["PD_KEY"] = "k3y";
  return parse_config(
      "source: {type: sqlite, filepath: ./w.db}\nstorage: {connection: {type: sqlite, filepath: "
      "./b.db}}\nhooks:\n" +
          hooks,
      "cfg.yml", o);
}

std::string error_of(const std::string& hooks) {
  try {
    load_hooks(hooks);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DeliveryConfig, DefaultsAndDurations) {
  Config c = load_hooks("  hooks:\n    - type: logging\n");
  const DeliveryConfig& d = c.hooks.delivery;
  EXPECT_EQ(d.budget_seconds, 10);
  EXPECT_EQ(d.max_attempts, 10);
  EXPECT_EQ(d.max_age_seconds, 86400);
  EXPECT_EQ(d.breaker_threshold, 3);
  EXPECT_EQ(c.hooks.hooks[0].suppress_for_seconds, 86400);
  EXPECT_EQ(c.hooks.hooks[0].effective_group_by(), GroupBy::kFinding);

  c = load_hooks(
      "  delivery: {budget_seconds: 2.5, max_attempts: 4, max_age: 6h, backoff_base_seconds: "
      "0.5, backoff_max_seconds: 60, retry_after_max_seconds: 120, breaker_threshold: 5, "
      "lease_seconds: 30}\n  hooks:\n    - type: logging\n      suppress_for: 15m\n"
      "      max_attempts: 2\n      max_age: 1d\n    - type: logging\n      suppress_for: 90\n"
      "    - type: logging\n      suppress_for: 0\n");
  EXPECT_EQ(c.hooks.delivery.budget_seconds, 2.5);
  EXPECT_EQ(c.hooks.delivery.max_attempts, 4);
  EXPECT_EQ(c.hooks.delivery.max_age_seconds, 6 * 3600);
  EXPECT_EQ(c.hooks.delivery.backoff_base_seconds, 0.5);
  EXPECT_EQ(c.hooks.delivery.backoff_max_seconds, 60);
  EXPECT_EQ(c.hooks.delivery.retry_after_max_seconds, 120);
  EXPECT_EQ(c.hooks.delivery.breaker_threshold, 5);
  EXPECT_EQ(c.hooks.delivery.lease_seconds, 30);
  EXPECT_EQ(c.hooks.hooks[0].suppress_for_seconds, 900);
  EXPECT_EQ(c.hooks.hooks[0].max_attempts, 2);
  EXPECT_EQ(c.hooks.hooks[0].max_age_seconds, 86400);
  EXPECT_EQ(c.hooks.hooks[1].suppress_for_seconds, 90);
  EXPECT_EQ(c.hooks.hooks[2].suppress_for_seconds, 0);

  EXPECT_NE(error_of("  hooks:\n    - type: logging\n      suppress_for: soon\n")
                .find("cfg.yml:6:21: hooks.hooks[0].suppress_for: expected a duration such as "
                      "90, 30s, 15m, 6h or 1d, got 'soon'"),
            std::string::npos);
  EXPECT_NE(error_of("  delivery: {budget_seconds: -1}\n").find("hooks.delivery.budget_seconds"),
            std::string::npos);
  EXPECT_NE(error_of("  delivery: {retries: 3}\n").find("hooks.delivery.retries: unknown key"),
            std::string::npos);
}

TEST(DeliveryConfig, ChatDestinationsGroupByTableUnlessTheyAskPerFinding) {
  Config c = load_hooks(
      "  hooks:\n    - type: webhook\n      url: http://x/\n      format: slack\n"
      "    - type: webhook\n      url: http://x/\n      format: teams\n      group_by: finding\n"
      "    - type: webhook\n      url: http://x/\n      format: cloudevents\n"
      "    - type: email\n      smtp_url: smtp://m:25\n      from: a@b\n      to: c@d\n"
      "      max_findings: 5\n");
  EXPECT_EQ(c.hooks.hooks[0].effective_group_by(), GroupBy::kTable);
  EXPECT_EQ(c.hooks.hooks[1].effective_group_by(), GroupBy::kFinding);
  EXPECT_EQ(c.hooks.hooks[2].format, "cloudevents");
  EXPECT_EQ(c.hooks.hooks[2].effective_group_by(), GroupBy::kFinding);
  EXPECT_EQ(c.hooks.hooks[3].effective_group_by(), GroupBy::kTable);
  EXPECT_EQ(c.hooks.hooks[3].to, std::vector<std::string>{"c@d"});
  EXPECT_EQ(c.hooks.hooks[3].max_findings, 5);
  EXPECT_TRUE(c.hooks.hooks[3].starttls);
  EXPECT_NE(error_of("  hooks:\n    - type: webhook\n      url: http://x/\n      format: xml\n")
                .find("expected one of json, cloudevents, slack, teams; got 'xml'"),
            std::string::npos);
}

TEST(DeliveryConfig, TheOriginalsSlackHookLoads) {
  Config c = load_hooks(
      "  hooks:\n    - type: slack\n      webhook_url: https://hooks.slack.com/x\n"
      "      channel: '#data'\n      username: Baselinr\n      min_severity: medium\n"
      "      alert_on_schema_change: false\n      timeout: 5\n");
  const HookConfig& h = c.hooks.hooks[0];
  EXPECT_EQ(h.type, HookType::kSlack);
  EXPECT_EQ(h.url, "https://hooks.slack.com/x");
  EXPECT_EQ(h.format, "slack");
  EXPECT_EQ(h.channel, "#data");
  EXPECT_EQ(h.username, "Baselinr");
  EXPECT_EQ(h.timeout_seconds, 5);
  EXPECT_EQ(h.event_types, (std::vector<std::string>{"DataDriftDetected", "DataDriftResolved",
                                                     "ProfilingFailed"}));
  EXPECT_TRUE(h.is_chat());
  EXPECT_NE(error_of("  hooks:\n    - type: slack\n      channel: x\n").find("webhook_url"),
            std::string::npos);
  EXPECT_NE(error_of("  hooks:\n    - type: logging\n      alert_on_drift: true\n")
                .find("only a slack hook takes this switch"),
            std::string::npos);
}

TEST(DeliveryConfig, PagerDutyAndEmailNeedTheirKeys) {
  Config c = load_hooks("  hooks:\n    - type: pagerduty\n      routing_key: ${PD_KEY}\n");
  const HookConfig& pd = c.hooks.hooks[0];
  EXPECT_EQ(pd.routing_key, "k3y");
  EXPECT_EQ(pd.url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(pd.dedup_by, "finding");
  // Without event_types, PagerDuty takes what opens or closes an incident.
  HookFilter f = filter_for(pd);
  EXPECT_TRUE(f.accepts(Event(ProfilingFailed{"t", "r", "x"})));
  EXPECT_TRUE(f.accepts(Event(DataDriftResolved{"t", "c", "m", Severity::kLow, {}})));
  EXPECT_FALSE(f.accepts(Event(ProfilingCompleted{"t", "r", 1, 1, 0})));
  EXPECT_NE(error_of("  hooks:\n    - type: pagerduty\n").find("routing_key"), std::string::npos);
  EXPECT_NE(error_of("  hooks:\n    - type: email\n      smtp_url: http://m\n      from: a@b\n"
                     "      to: c@d\n")
                .find("expected smtp://host[:port] (STARTTLS) or smtps://host[:port] (TLS)"),
            std::string::npos);
  EXPECT_NE(error_of("  hooks:\n    - type: email\n      smtp_url: smtp://m\n      to: c@d\n")
                .find("hooks.hooks[0].from"),
            std::string::npos);
}

TEST(DeliveryConfig, AHookTakingDriftAlsoTakesItsResolutions) {
  HookFilter f;
  f.event_types = {"DataDriftDetected"};
  f.min_severity = Severity::kMedium;
  EXPECT_TRUE(f.accepts(Event(DataDriftResolved{"t", "c", "m", Severity::kHigh, {}})));
  EXPECT_FALSE(f.accepts(Event(DataDriftResolved{"t", "c", "m", Severity::kLow, {}})));
  f.event_types = {"SchemaChangeDetected"};
  EXPECT_FALSE(f.accepts(Event(DataDriftResolved{"t", "c", "m", Severity::kHigh, {}})));
}

// The ids of the Events contract, written out here independently of the implementation.
TEST(DeliveryConfig, FindingIdsFollowTheContract) {
  const Event up(DataDriftDetected{"orders",
                                   "amount",
                                   "mean",
                                   10.0,
                                   20.0,
                                   100.0,
                                   Severity::kHigh,
                                   {{"schema", std::string("public")},
                                    {"baseline_run_ids", std::string("b1,b2")},
                                    {"current_run_id", std::string("c1")}}});
  const DeliveryKeys k = delivery_keys(up);
  // A shape metric (mean here) has the column's shape identity, whatever its direction.
  EXPECT_EQ(k.finding_key, finding_key("public", "orders", "amount", "shape", ""));
  EXPECT_EQ(k.finding_key,
            drift_finding_key("public", "orders", "amount", "distribution", "changed"));
  EXPECT_EQ(drift_finding_key("public", "orders", "amount", "null_percent", "up"),
            finding_key("public", "orders", "amount", "null_percent", "up"));
  EXPECT_NE(drift_finding_key("public", "orders", "amount", "null_percent", "up"),
            drift_finding_key("public", "orders", "amount", "null_percent", "down"));
  EXPECT_EQ(k.group_key, drift_group_key("public", "orders", "b1,b2", "c1"));
  EXPECT_EQ(k.severity, 3);
  EXPECT_EQ(drift_event_id("public", "orders", "amount", "mean", "up", "b1,b2", "c1"),
            uuid_v5("drift|public|orders|amount|mean|up|b1,b2|c1"));
  EXPECT_EQ(schema_change_event_id("public", "orders", "c", "column_added", "b1", "c1"),
            uuid_v5("schema|public|orders|c|column_added|b1|c1"));
  // The direction comes from the detail, else from the sign of the change.
  DataDriftDetected down{"orders", "amount", "mean", 20.0, 10.0, -50.0, Severity::kHigh, {}};
  EXPECT_EQ(drift_direction(down), "down");
  down.details = {{"direction", std::string("changed")}};
  EXPECT_EQ(drift_direction(down), "changed");
}

}  // namespace
}  // namespace baselinr
