// Alerts from drift runs, end to end with real processes and local receivers: the same finding on
// the same runs is one alert however often drift runs; a persisting finding is not re-sent at the
// same severity, and is when its severity rises; a cleared finding is resolved once (PagerDuty
// `resolve` with the trigger's dedup_key); chat destinations get one message per drift run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/http_server.hpp"
#include "support/smtp_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::HttpServer;
using testing::SmtpServer;
using testing::TempDir;

constexpr const char* kRoutingKey = "R0UT1NG-K3Y-never-shown";
// Chat hooks that take findings (and so their resolutions), not profiling lifecycle events.
constexpr const char* kFindingsOnly =
    "      event_types: [DataDriftDetected, SchemaChangeDetected]\n";

class DriftDeliveryTest : public ::testing::Test {
 protected:
  TempDir dir;
  HttpServer pagerduty, slack, teams;
  SmtpServer smtp;
  std::filesystem::path cfg;

  void SetUp() override {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE m (v REAL)");
    c->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT "
        "INTO m SELECT i FROM n");
    cfg = dir.write("c.yml",
                    testing::sqlite_pipeline_yaml(
                        dir / "src.db", dir / "store.db", {"m"},
                        fmt::format("drift_detection:\n  enable_type_specific_thresholds: false\n"
                                    "hooks:\n  delivery: {{backoff_base_seconds: 0.2}}\n  hooks:\n"
                                    "    - type: pagerduty\n      name: pd\n      url: '{}'\n"
                                    "      routing_key: ${{PD_ROUTING_KEY}}\n"
                                    "    - type: webhook\n      name: slack\n      format: slack\n"
                                    "      url: '{}'\n{}"
                                    "    - type: webhook\n      name: teams\n      format: teams\n"
                                    "      url: '{}'\n{}"
                                    "    - type: email\n      name: mail\n      smtp_url: '{}'\n"
                                    "      starttls: false\n      from: baselinr@example.com\n"
                                    "      to: [oncall@example.com, data@example.com]\n{}",
                                    pagerduty.url("/v2/enqueue"), slack.url(), kFindingsOnly,
                                    teams.url(), kFindingsOnly, smtp.url(), kFindingsOnly)));
  }

  testing::CliResult cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", cfg.string()});
    auto r = testing::run_cli(args, {{"PD_ROUTING_KEY", kRoutingKey}});
    EXPECT_EQ(r.out.find(kRoutingKey), std::string::npos);
    EXPECT_EQ(r.err.find(kRoutingKey), std::string::npos);
    return r;
  }
  void scale(double factor) {
    testing::open_sqlite(dir / "src.db")->execute(fmt::format("UPDATE m SET v = v * {}", factor));
  }
  void profile() { ASSERT_EQ(cli({"profile"}).exit_code, 0); }
  // Runs drift and returns the findings of its JSON report: "column.metric" -> severity (a
  // column's related changes are one finding: those reported in another are left out).
  std::map<std::string, std::string> drift() {
    auto r = cli({"drift", "--dataset", "m", "--output", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> found;
    auto j = nlohmann::json::parse(r.out.substr(0, r.out.rfind('}') + 1));
    for (const auto& m : j["metrics"]) {
      if (m["drift_detected"].get<bool>() && !m.contains("reported_in")) {
        found[m["column"].get<std::string>() + "." + m["metric"].get<std::string>()] =
            m["severity"];
      }
    }
    return found;
  }
  std::vector<nlohmann::json> pd_bodies() {
    std::vector<nlohmann::json> out;
    for (const auto& r : pagerduty.requests()) out.push_back(nlohmann::json::parse(r.body));
    return out;
  }
};

TEST_F(DriftDeliveryTest, OneAlertPerFindingSuppressionEscalationAndResolution) {
  profile();
  scale(1.2);  // mean, min, max and stddev up 20%: medium, one finding of the column
  profile();
  const auto first = drift();
  ASSERT_EQ(first.size(), 1u);
  for (const auto& [finding, severity] : first) EXPECT_EQ(severity, "medium") << finding;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(drift(), first);  // the same runs again

  // PagerDuty: one trigger per finding, each with its own dedup_key, the routing key in the body.
  auto pd = pd_bodies();
  ASSERT_EQ(pd.size(), first.size());
  std::set<std::string> keys;
  for (const auto& b : pd) {
    EXPECT_EQ(b["event_action"], "trigger");
    EXPECT_EQ(b["routing_key"], kRoutingKey);
    EXPECT_EQ(b["payload"]["severity"], "error");
    EXPECT_EQ(b["payload"]["custom_details"]["table"], "m");
    keys.insert(b["dedup_key"]);
  }
  EXPECT_EQ(keys.size(), first.size());
  // Chat: one message for the drift run, listing every finding.
  ASSERT_EQ(slack.requests().size(), 1u);
  auto msg = nlohmann::json::parse(slack.requests()[0].body);
  EXPECT_EQ(msg["text"].get<std::string>().rfind("MEDIUM drift in m: ", 0), 0u) << msg.dump();
  EXPECT_EQ(teams.requests().size(), 1u);
  ASSERT_EQ(smtp.messages().size(), 1u);
  EXPECT_EQ(smtp.messages()[0].rcpt,
            (std::vector<std::string>{"oncall@example.com", "data@example.com"}));

  // The finding persists at a higher severity: sent again.
  scale(2);
  profile();
  const auto second = drift();
  for (const auto& [finding, severity] : second) EXPECT_EQ(severity, "high") << finding;
  pd = pd_bodies();
  ASSERT_EQ(pd.size(), first.size() + second.size());
  for (std::size_t i = first.size(); i < pd.size(); ++i) {
    EXPECT_EQ(pd[i]["event_action"], "trigger");
    EXPECT_EQ(pd[i]["payload"]["severity"], "critical");
    EXPECT_TRUE(keys.count(pd[i]["dedup_key"])) << "the same alert, updated";
  }
  EXPECT_EQ(slack.requests().size(), 2u);

  // It persists at the same severity: suppressed everywhere.
  scale(2);
  profile();
  EXPECT_EQ(drift(), second);
  EXPECT_EQ(pd_bodies().size(), first.size() + second.size());
  EXPECT_EQ(slack.requests().size(), 2u);
  EXPECT_EQ(teams.requests().size(), 2u);
  EXPECT_EQ(smtp.messages().size(), 2u);
  auto suppressed = testing::query_sqlite(
      dir / "store.db",
      "SELECT COUNT(*) FROM baselinr_deliveries WHERE status = 'suppressed' AND hook_name = 'pd'");
  EXPECT_EQ(std::get<std::int64_t>(suppressed.rows[0][0]),
            static_cast<std::int64_t>(second.size()));

  // The drift is gone: one resolution per finding, with the trigger's dedup_key.
  profile();
  EXPECT_TRUE(drift().empty());
  EXPECT_TRUE(drift().empty());
  pd = pd_bodies();
  ASSERT_EQ(pd.size(), first.size() + second.size() + first.size());
  std::set<std::string> resolved;
  for (std::size_t i = first.size() + second.size(); i < pd.size(); ++i) {
    EXPECT_EQ(pd[i]["event_action"], "resolve");
    EXPECT_FALSE(pd[i].contains("payload"));
    resolved.insert(pd[i]["dedup_key"]);
  }
  EXPECT_EQ(resolved, keys);
  ASSERT_EQ(slack.requests().size(), 3u);
  auto last = nlohmann::json::parse(slack.requests()[2].body);
  EXPECT_EQ(last["text"].get<std::string>().rfind("Drift resolved in m", 0), 0u) << last.dump();
  EXPECT_EQ(teams.requests().size(), 3u);
  EXPECT_EQ(smtp.messages().size(), 3u);

  // `events` lists the findings and resolutions with their delivery status.
  auto ev = cli({"events", "--output", "json", "--type", "DataDriftResolved"});
  auto listed = nlohmann::json::parse(ev.out);
  ASSERT_EQ(listed.size(), first.size());
  for (const auto& e : listed) {
    for (const auto& d : e["deliveries"]) EXPECT_EQ(d["status"], "delivered") << e.dump();
  }
  // The routing key is nowhere in the store.
  std::ifstream store(dir / "store.db", std::ios::binary);
  std::stringstream bytes;
  bytes << store.rdbuf();
  EXPECT_EQ(bytes.str().find(kRoutingKey), std::string::npos);
}

TEST_F(DriftDeliveryTest, TheEmailSummarisesTheDriftRun) {
  profile();
  scale(1.5);
  profile();
  const auto found = drift();
  ASSERT_EQ(smtp.messages().size(), 1u);
  const auto m = smtp.messages()[0];
  EXPECT_EQ(m.from, "baselinr@example.com");
  const std::string& text = m.data;
  EXPECT_NE(text.find("From: baselinr@example.com\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("To: oncall@example.com, data@example.com\r\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: [baselinr] HIGH drift in m ("), std::string::npos) << text;
  EXPECT_NE(text.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(text.find("Message-ID: <"), std::string::npos);
  const std::string body = text.substr(text.find("\r\n\r\n") + 4);
  for (const auto& [finding, severity] : found) {
    const auto dot = finding.find('.');
    const std::string line = fmt::format("- {}  {} · {}: ", severity == "high" ? "HIGH" : "MEDIUM",
                                         finding.substr(0, dot), finding.substr(dot + 1));
    EXPECT_NE(body.find(line), std::string::npos) << line << "\n" << body;
  }
}

// PagerDuty with `dedup_by: table`: every finding of the table updates one alert, resolved once
// when the table's last finding clears. A chat hook with `group_by: finding` gets one message per
// finding (and per resolution) instead of one per drift run.
TEST_F(DriftDeliveryTest, PerTableIncidentsAndPerFindingChatMessages) {
  cfg = dir.write("c.yml",
                  testing::sqlite_pipeline_yaml(
                      dir / "src.db", dir / "store.db", {"m"},
                      fmt::format("hooks:\n  delivery: {{backoff_base_seconds: 0.2}}\n  hooks:\n"
                                  "    - type: pagerduty\n      name: pd\n      url: '{}'\n"
                                  "      routing_key: ${{PD_ROUTING_KEY}}\n      dedup_by: table\n"
                                  "    - type: webhook\n      name: slack\n      format: slack\n"
                                  "      url: '{}'\n      group_by: finding\n{}",
                                  pagerduty.url("/v2/enqueue"), slack.url(), kFindingsOnly)));
  profile();
  scale(1.2);  // the values' shape: one finding of the column
  testing::open_sqlite(dir / "src.db")->execute("UPDATE m SET v = NULL WHERE rowid % 10 = 0");
  profile();
  const auto first = drift();  // and its nulls: another
  ASSERT_GE(first.size(), 2u);
  auto pd = pd_bodies();
  ASSERT_EQ(pd.size(), first.size());
  const std::string key = pd[0]["dedup_key"];
  EXPECT_EQ(key.rfind("baselinr:table:", 0), 0u) << key;
  for (const auto& b : pd) {
    EXPECT_EQ(b["event_action"], "trigger");
    EXPECT_EQ(b["dedup_key"], key) << "one incident for the table";
  }
  ASSERT_EQ(slack.requests().size(), first.size()) << "one message per finding";
  std::set<std::string> bodies;
  for (const auto& r : slack.requests()) bodies.insert(r.body);
  EXPECT_EQ(bodies.size(), first.size());

  // The drift is gone: the table's incident is resolved once, when its last finding clears.
  profile();
  EXPECT_TRUE(drift().empty());
  pd = pd_bodies();
  ASSERT_EQ(pd.size(), first.size() + 1);
  EXPECT_EQ(pd.back()["event_action"], "resolve");
  EXPECT_EQ(pd.back()["dedup_key"], key);
  EXPECT_EQ(slack.requests().size(), 2 * first.size()) << "one resolution message per finding";
}

}  // namespace
}  // namespace baselinr
