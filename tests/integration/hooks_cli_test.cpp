// Hooks configured from YAML: the filter matrix, `baselinr hooks test`, and failure summaries.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/event_bus.hpp"
#include "support/http_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

std::string sql_hook(const std::filesystem::path& db, const std::string& table,
                     const std::string& filters) {
  return fmt::format(
      "    - type: sql\n      name: {0}\n      table_name: {0}\n      connection: {{type: sqlite, "
      "filepath: '{1}'}}\n{2}",
      table, db.string(), filters);
}

TEST(HookFilters, MatrixDeliversExactlyTheExpectedEventsToEachHook) {
  TempDir dir;
  const auto db = dir / "events.db";
  std::string yaml =
      testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {}) + "hooks:\n  hooks:\n" +
      sql_hook(db, "all_events", "") +
      sql_hook(db, "drift_high",
               "      event_types: [DataDriftDetected]\n      min_severity: high\n") +
      sql_hook(db, "facts", "      tables: ['fact_*']\n") +
      sql_hook(db, "dim_schema_or_failure",
               "      event_types: [SchemaChangeDetected, ProfilingFailed]\n"
               "      tables: ['dim_?']\n") +
      sql_hook(db, "medium_up", "      min_severity: medium\n");
  LoadOptions o;
  Config cfg = parse_config(yaml, "m.yml", o);
  auto bus = create_event_bus(cfg.hooks);

  std::vector<Event> events;
  for (const char* table : {"fact_a", "dim_b", "other"}) {
    for (Severity s : {Severity::kLow, Severity::kMedium, Severity::kHigh}) {
      events.emplace_back(DataDriftDetected{table, "c", "mean", 1, 2, 100, s});
    }
    events.emplace_back(SchemaChangeDetected{table, "column_added", "c", std::nullopt, "INT"});
    events.emplace_back(ProfilingFailed{table, "r", "boom"});
    events.emplace_back(ProfilingStarted{table, "r"});
  }
  for (const auto& e : events) bus->emit(e);

  // The expected deliveries, stated independently of the implementation.
  auto expect = [&](auto keep) {
    std::set<std::string> ids;
    for (const auto& e : events) {
      if (keep(e)) ids.insert(e.event_id());
    }
    return ids;
  };
  auto is_drift = [](const Event& e) { return e.event_type() == "DataDriftDetected"; };
  std::map<std::string, std::set<std::string>> expected = {
      {"all_events", expect([](const Event&) { return true; })},
      {"drift_high",
       expect([&](const Event& e) { return is_drift(e) && e.severity() == Severity::kHigh; })},
      {"facts", expect([](const Event& e) { return e.table() == "fact_a"; })},
      {"dim_schema_or_failure", expect([](const Event& e) {
         return e.table() == "dim_b" &&
                (e.event_type() == "SchemaChangeDetected" || e.event_type() == "ProfilingFailed");
       })},
      {"medium_up",
       expect([&](const Event& e) { return !is_drift(e) || e.severity() >= Severity::kMedium; })}};
  for (const auto& [table, ids] : expected) {
    auto rows = testing::query_sqlite(db, "SELECT event_id FROM \"" + table + "\"");
    std::set<std::string> got;
    for (const auto& r : rows.rows) got.insert(std::get<std::string>(r[0]));
    EXPECT_EQ(got, ids) << table;
  }
  EXPECT_EQ(expected["all_events"].size(), 18u);
  EXPECT_EQ(expected["drift_high"].size(), 3u);
  EXPECT_EQ(expected["dim_schema_or_failure"].size(), 2u);
}

TEST(HooksTestCommand, ReportsEachHookAndExitsFourWhenOneFails) {
  TempDir dir;
  testing::HttpServer ok_server, failing_server;
  failing_server.set_status(500);
  std::string hooks =
      fmt::format(R"(hooks:
  hooks:
    - type: logging
    - type: sql
      table_name: baselinr_events
      connection: {{type: sqlite, filepath: '{0}'}}
    - type: webhook
      name: slack
      url: '{1}'
      format: slack
    - type: webhook
      name: broken-endpoint
      url: '{2}'
    - type: command
      command: [/bin/sh, -c, "echo nope >&2; exit 2"]
    - type: command
      enabled: false
      command: [/bin/false]
)",
                  (dir / "ev.db").string(), ok_server.url(), failing_server.url("/secret-path"));
  auto config = dir.write(
      "h.yml", testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {}) + hooks);
  auto r = testing::run_cli({"hooks", "test", "--config", config.string(), "--output", "json"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["hooks"].size(), 6u);
  std::vector<std::string> status;
  for (const auto& h : j["hooks"]) status.push_back(h["status"]);
  EXPECT_EQ(status, (std::vector<std::string>{"delivered", "delivered", "delivered", "failed",
                                              "failed", "disabled"}));
  EXPECT_EQ(j["hooks"][3]["hook"], "broken-endpoint");
  EXPECT_EQ(j["hooks"][3]["error"], "webhook hook: the server answered HTTP 500");
  EXPECT_NE(j["hooks"][4]["error"].get<std::string>().find("exited with status 2: nope"),
            std::string::npos);
  EXPECT_EQ(j["failed"], 2);
  EXPECT_EQ(r.out.find("secret-path"), std::string::npos);
  // The synthetic event really arrived.
  ASSERT_EQ(ok_server.requests().size(), 1u);
  EXPECT_NE(ok_server.requests()[0].body.find("baselinr_hooks_test"), std::string::npos);
  auto rows = testing::query_sqlite(dir / "ev.db", "SELECT event_id FROM baselinr_events");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(rows.rows[0][0]), j["event_id"]);

  r = testing::run_cli({"hooks", "test", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("2 of 6 hook(s) failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos);

  auto good =
      dir.write("g.yml", testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {}) +
                             "hooks:\n  hooks:\n    - type: logging\n");
  r = testing::run_cli({"hooks", "test", "--config", good.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(HooksTestCommand, ProfileSummarisesHookFailuresOnStderr) {
  TempDir dir;
  testing::HttpServer failing;
  failing.set_status(503);
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE t (x INTEGER)");
  }
  auto config = dir.write(
      "p.yml", testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"t"},
                                             fmt::format("hooks:\n  hooks:\n    - type: webhook\n"
                                                         "      name: pager\n      url: '{}'\n",
                                                         failing.url())));
  auto r = testing::run_cli({"profile", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 0) << "hook failures never fail the run";
  EXPECT_NE(r.err.find("hook pager: 0 delivered, 2 pending (next attempt "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("last error: webhook hook: the server answered HTTP 503"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace baselinr
