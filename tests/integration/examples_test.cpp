// The shipped examples are built by the project and run here, so they cannot rot.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "baselinr/config.hpp"
#include "support/http_server.hpp"
#include "support/smtp_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

TEST(Examples, TheFiveHookExamplesOfTheOriginal) {
  auto r = testing::run_program(BASELINR_EXAMPLE_HOOKS, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line :
       {"logging hook delivered 5 events",
        "collected 5 events: ProfilingStarted DataDriftDetected DataDriftDetected "
        "SchemaChangeDetected ProfilingCompleted",
        "ALERT high drift in customers.age (mean)\n  filtered out 4 events",
        "collector saw 5, alerts saw 2",
        "broken hook failed 5 times (last error: the pager is down); collector still got 5"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n---\n" << r.out;
  }
  EXPECT_NE(r.err.find("[ALERT] SchemaChangeDetected"), std::string::npos);
}

TEST(Examples, EmbeddingQuickstartProfilesAndDetectsDrift) {
  testing::TempDir dir;
  auto r = testing::run_program(BASELINR_QUICKSTART, {dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // high drift found
  EXPECT_NE(r.out.find("sales: 500 rows profiled"), std::string::npos) << r.out;
  // amount's mean, stddev and max tripled: one finding of the column (its distribution moved),
  // with the others in it.
  EXPECT_NE(r.out.find("high    amount.distribution"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("also mean +133.3%, stddev +"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("events seen by the hook: 5 (1 drift)"), std::string::npos) << r.out;
}

TEST(Examples, PluginExampleAlertsThroughAConfigFile) {
  testing::TempDir dir;
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE fact_sales (amount REAL)");
    c->execute("INSERT INTO fact_sales VALUES (1), (2), (3)");
  }
  const auto alerts = dir / "alerts.log";
  auto config =
      dir.write("p.yml", testing::sqlite_pipeline_yaml(
                             dir / "src.db", dir / "store.db", {"fact_sales"},
                             fmt::format("hooks:\n  hooks:\n    - type: custom\n      module: {}\n"
                                         "      class_name: SeverityAlertHook\n"
                                         "      params: {{path: '{}', min_severity: medium}}\n",
                                         BASELINR_EXAMPLE_PLUGIN, alerts.string())));
  ASSERT_EQ(testing::run_cli({"profile", "--config", config.string()}).exit_code, 0);
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("UPDATE fact_sales SET amount = amount * 10");
  }
  ASSERT_EQ(testing::run_cli({"profile", "--config", config.string()}).exit_code, 0);
  auto r = testing::run_cli({"drift", "--config", config.string(), "--dataset", "fact_sales"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(alerts);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("high drift: fact_sales.amount distribution"), std::string::npos)
      << ss.str();
  EXPECT_EQ(ss.str().find("Profiling"), std::string::npos) << "lifecycle events are not alerts";
}

// One example config per destination, each delivering `hooks test`'s event to a local stand-in
// of its service (the secrets and URLs come from the environment, as the examples say).
TEST(Examples, EachDestinationExampleDelivers) {
  testing::HttpServer slack, teams, pagerduty, webhook, cloudevents;
  testing::SmtpServer smtp;
  const std::map<std::string, std::string> env = {
      {"SLACK_WEBHOOK_URL", slack.url()},
      {"TEAMS_WEBHOOK_URL", teams.url()},
      {"PAGERDUTY_ROUTING_KEY", "example-routing-key"},
      {"PAGERDUTY_EVENTS_URL", pagerduty.url("/v2/enqueue")},
      {"SMTP_URL", smtp.url()},
      {"SMTP_STARTTLS", "false"},
      {"WEBHOOK_URL", webhook.url()},
      {"CLOUDEVENTS_URL", cloudevents.url()},
      {"WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}};
  auto run = [&](const std::string& name) {
    const std::string file = std::string(BASELINR_SOURCE_DIR) + "/examples/" + name;
    auto r = testing::run_cli({"hooks", "test", "--config", file, "--output", "json"}, env);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.out << r.err;
    return r;
  };
  run("config_slack.yml");
  ASSERT_EQ(slack.requests().size(), 1u);
  EXPECT_TRUE(nlohmann::json::parse(slack.requests()[0].body).contains("blocks"));
  run("config_teams.yml");
  ASSERT_EQ(teams.requests().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(teams.requests()[0].body)["attachments"][0]["content"]["type"],
            "AdaptiveCard");
  run("config_pagerduty.yml");
  ASSERT_EQ(pagerduty.requests().size(), 1u);
  auto pd = nlohmann::json::parse(pagerduty.requests()[0].body);
  EXPECT_EQ(pd["event_action"], "trigger");
  EXPECT_EQ(pd["routing_key"], "example-routing-key");
  run("config_email.yml");
  ASSERT_EQ(smtp.messages().size(), 1u);
  EXPECT_EQ(smtp.messages()[0].rcpt, std::vector<std::string>{"data-team@example.com"});
  run("config_webhook.yml");
  ASSERT_EQ(webhook.requests().size(), 1u);
  EXPECT_EQ(webhook.requests()[0].headers.count("webhook-signature"), 1u);
  EXPECT_EQ(webhook.requests()[0].headers["x-team"], "data-platform");
  ASSERT_EQ(cloudevents.requests().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(cloudevents.requests()[0].body)["source"],
            "baselinr://warehouse-prod");
}

// The "#   $ command" lines of a file's header comment, in order.
std::vector<std::string> header_commands(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line) && line.starts_with("#");) {
    if (line.starts_with("#   $ ")) out.push_back(line.substr(6));
  }
  return out;
}

// Every example config that needs no server runs as its header says: its "$" lines, in order,
// in one shell, from a copy of the repository (its examples/), with the built baselinr first
// on PATH and a local server as the webhook.
TEST(Examples, ServerlessConfigsRunAsTheirHeadersSay) {
  namespace fs = std::filesystem;
  testing::HttpServer webhook;
  LoadOptions vars;
  vars.environment["SLACK_WEBHOOK_URL"] = webhook.url();
  const fs::path examples = fs::path(BASELINR_SOURCE_DIR) / "examples";
  const std::string bin_dir = fs::path(BASELINR_CLI_PATH).parent_path().string();
  std::vector<std::string> ran;
  for (const auto& entry : fs::directory_iterator(examples)) {
    if (entry.path().extension() != ".yml") continue;
    // Delivered to local stand-ins of their services by EachDestinationExampleDelivers, with
    // the variables their headers name.
    static const std::set<std::string> kDestinations = {"config_slack.yml", "config_teams.yml",
                                                        "config_pagerduty.yml", "config_email.yml",
                                                        "config_webhook.yml"};
    if (kDestinations.count(entry.path().filename().string())) continue;
    Config config;
    try {
      config = load_config(entry.path(), vars);
    } catch (const ConfigError&) {
      continue;  // needs variables of a server (passwords...): covered by the config tests
    }
    bool serverless = config.source.type == DatabaseType::kSqlite &&
                      config.storage.connection.type == DatabaseType::kSqlite;
    for (const auto& h : config.hooks.hooks) {
      if (h.connection && h.connection->type != DatabaseType::kSqlite) serverless = false;
    }
    if (!serverless) continue;
    const std::vector<std::string> commands = header_commands(entry.path());
    ASSERT_FALSE(commands.empty()) << entry.path() << ": the header says how to run it";
    testing::TempDir root;
    fs::copy(examples, root / "examples", fs::copy_options::recursive);
    std::string script = "set -e; cd '" + root.path().string() + "'";
    for (const auto& c : commands) script += "\n" + c;
    auto r = testing::run_program(
        "/bin/sh", {"-c", script},
        {{"PATH", bin_dir + ":" + std::string(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin")},
         {"SLACK_WEBHOOK_URL", webhook.url()}});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << script << "\n" << r.out << r.err;
    ran.push_back(entry.path().filename().string());
  }
  std::sort(ran.begin(), ran.end());
  EXPECT_EQ(ran, (std::vector<std::string>{"config_hooks.yml", "config_sqlite.yml"}));
  EXPECT_FALSE(webhook.requests().empty()) << "config_hooks.yml's webhook got the test event";
}

}  // namespace
}  // namespace baselinr
