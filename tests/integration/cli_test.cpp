// The baselinr binary end to end: commands, exit codes, JSON purity, dry runs, the demo.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;
using testing::TempDir;

class CliTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path config;

  void SetUp() override {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE customers (id INTEGER, age INTEGER, email TEXT)");
    c->execute("CREATE TABLE orders (id INTEGER, amount REAL)");
    for (int i = 1; i <= 100; ++i) {
      c->execute(
          fmt::format("INSERT INTO customers VALUES ({}, {}, 'c{}@x.io')", i, 20 + i % 30, i));
      c->execute(fmt::format("INSERT INTO orders VALUES ({}, {}.25)", i, i % 17));
    }
    write_config({"customers", "orders"});
  }

  void write_config(const std::vector<std::string>& tables, const std::string& extra = "") {
    config = dir.write("baselinr.yml", testing::sqlite_pipeline_yaml(
                                           dir / "src.db", dir / "store.db", tables,
                                           extra + fmt::format(R"(hooks:
  hooks:
    - type: logging
    - type: sql
      table_name: baselinr_events
      connection: {{type: sqlite, filepath: '{}'}}
)",
                                                               (dir / "store.db").string())));
  }

  void change_data() {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("UPDATE customers SET age = age * 2, email = NULL WHERE id % 2 = 0");
    c->execute("ALTER TABLE orders ADD COLUMN note TEXT");
  }
};

TEST_F(CliTest, VersionHelpAndUsageErrors) {
  auto r = run_cli({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "baselinr 0.1.0\n");
  r = run_cli({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("0.1.0"), std::string::npos);
  r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"plan", "profile", "drift", "runs", "events", "demo", "Exit codes"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  }
  r = run_cli({"drift", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--fail-on-drift"), std::string::npos);
  r = run_cli({});
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli({"profile", "--config", config.string(), "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("baselinr: error:"), std::string::npos);
  r = run_cli({"drift", "--config", config.string()});  // --dataset is required
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--dataset"), std::string::npos) << r.err;
  r = run_cli({"runs", "--config", config.string(), "--output", "xml"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, ProfileThenDriftEndToEnd) {
  auto r = run_cli({"profile", "--config", config.string(), "--output", (dir / "p.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 of 2 table(s) profiled"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[ALERT] ProfilingStarted: {\"table\":\"customers\""), std::string::npos)
      << r.err;
  std::ifstream in(dir / "p.json");
  auto profiles = nlohmann::json::parse(in);
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[0]["dataset_name"], "customers");
  EXPECT_EQ(profiles[0]["row_count"], 100);
  EXPECT_EQ(profiles[0]["columns"][1]["metrics"]["max"], 49);
  EXPECT_TRUE(profiles[0]["columns"][1]["metrics"]["histogram"].is_array());

  r = run_cli({"drift", "--config", config.string(), "--dataset", "customers"});
  EXPECT_EQ(r.exit_code, 0) << "only one run yet: nothing to compare, not an error";
  EXPECT_NE(r.out.find("Nothing to compare yet"), std::string::npos) << r.out;

  change_data();
  ASSERT_EQ(run_cli({"profile", "--config", config.string()}).exit_code, 0);

  r = run_cli({"drift", "--config", config.string(), "--dataset", "customers"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Drift report for customers"), std::string::npos) << r.out;
  // Half the emails became NULL: distinct_percent halves (null_percent went from 0, where a
  // percent change is undefined, so it is compared but not graded).
  EXPECT_NE(r.out.find("distinct_percent"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[ALERT] DataDriftDetected"), std::string::npos);

  r = run_cli({"drift", "--config", config.string(), "--dataset", "customers", "--output", "json",
               "--fail-on-drift"});
  EXPECT_EQ(r.exit_code, 1) << r.err;          // findings, not a crash
  auto report = nlohmann::json::parse(r.out);  // stdout is JSON and nothing else
  EXPECT_EQ(report["dataset"], "customers");
  EXPECT_GT(report["summary"]["by_severity"]["high"].get<int>(), 0);
  for (const auto& m : report["metrics"]) {
    for (const char* k : {"column", "metric", "baseline_value", "current_value", "change_percent",
                          "change_absolute", "drift_detected", "severity"}) {
      EXPECT_TRUE(m.contains(k)) << k;
    }
  }

  r = run_cli({"drift", "--config", config.string(), "--dataset", "orders", "--fail-on-drift"});
  EXPECT_EQ(r.exit_code, 1) << "a schema change blocks too";
  EXPECT_NE(r.out.find("column_added    note"), std::string::npos) << r.out;

  r = run_cli({"runs", "--config", config.string(), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0);
  auto runs = nlohmann::json::parse(r.out);
  EXPECT_EQ(runs.size(), 4u);
  r = run_cli({"runs", "--config", config.string(), "--dataset", "orders", "--limit", "1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;  // header + 1 run

  r = run_cli({"events", "--config", config.string(), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto events = nlohmann::json::parse(r.out);
  int started = 0, drift = 0, schema = 0;
  for (const auto& e : events) {
    if (e["event_type"] == "ProfilingStarted") ++started;
    if (e["event_type"] == "DataDriftDetected") ++drift;
    if (e["event_type"] == "SchemaChangeDetected") ++schema;
    EXPECT_EQ(e["event_id"].get<std::string>().size(), 36u);
  }
  EXPECT_EQ(started, 4);
  EXPECT_GT(drift, 0);
  EXPECT_EQ(schema, 1);  // orders.note added, reported by the one drift run of orders
  r = run_cli({"events", "--config", config.string(), "--type", "SchemaChangeDetected"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("note"), std::string::npos) << r.out;
}

TEST_F(CliTest, DryRunWritesNothingAndOnlyLogs) {
  auto r = run_cli({"profile", "--config", config.string(), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dry run: nothing was written"), std::string::npos);
  EXPECT_NE(r.err.find("[ALERT] ProfilingCompleted"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "store.db")) << "neither storage nor the sql hook";
}

TEST_F(CliTest, TableSelectionAndAMissingTable) {
  auto r = run_cli({"profile", "--config", config.string(), "--table", "orders"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 of 1 table(s) profiled"), std::string::npos) << r.out;
  r = run_cli({"profile", "--config", config.string(), "--table", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--table nope: not in profiling.tables"), std::string::npos) << r.err;

  write_config({"customers", "ghost", "orders"});
  r = run_cli({"profile", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("2 of 3 table(s) profiled, 1 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("table 'ghost' does not exist"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[ALERT] ProfilingFailed"), std::string::npos);
  r = run_cli({"runs", "--config", config.string(), "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 3u);  // 1 before + the 2 good tables
}

TEST_F(CliTest, UnreachableSourceIsExitThree) {
  std::filesystem::remove(dir / "src.db");
  auto r = run_cli({"profile", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("does not exist; check source.filepath"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  dir.write("src.db", "this is not a database file, just text that is long enough........");
  r = run_cli({"plan", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not a database"), std::string::npos) << r.err;
}

TEST_F(CliTest, PlanReadsMetadataOnly) {
  auto r = run_cli({"plan", "--config", config.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("customers"), std::string::npos);
  EXPECT_NE(r.out.find("mean, stddev, histogram"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SELECT"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "store.db")) << "plan must not touch storage";
  r = run_cli({"plan", "--config", config.string(), "--verbose", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(r.out);
  ASSERT_EQ(plan["tables"].size(), 2u);
  // The default (auto) reads SQLite natively: plan shows that read, one SELECT of every column
  // without an aggregate, not the pushdown statements the run would not execute.
  EXPECT_EQ(plan["tables"][0]["executor"], "native");
  ASSERT_EQ(plan["tables"][0]["query_count"], 1);
  const std::string read = plan["tables"][0]["sql"][0].get<std::string>();
  EXPECT_EQ(read.rfind("SELECT \"id\", ", 0), 0u) << read;
  EXPECT_NE(read.find("\"customers\""), std::string::npos) << read;
  EXPECT_EQ(read.find("COUNT("), std::string::npos) << read;
  EXPECT_NE(plan["tables"][0]["notes"].dump().find(
                "one query of every column (--verbose shows it) streams every row once"),
            std::string::npos)
      << plan["tables"][0]["notes"].dump();
  r = run_cli({"plan", "--config", config.string(), "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("queries:   1 (one query of every column, streamed)"), std::string::npos)
      << r.out;

  // With executor: pushdown, the pushed-down statements: the scalar statement, the histograms,
  // and one statement per column (id, age, email) for its quantiles and top values.
  {
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const std::string entry = "    - table: 'customers'\n";
    ASSERT_NE(yaml.find(entry), std::string::npos) << yaml;
    yaml.replace(yaml.find(entry), entry.size(), entry + "      executor: pushdown\n");
    std::ofstream(config) << yaml;
  }
  r = run_cli({"plan", "--config", config.string(), "--verbose", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["tables"][0]["executor"], "pushdown");
  EXPECT_EQ(plan["tables"][0]["query_count"], 5);
  EXPECT_EQ(plan["tables"][0]["histogram_query_count"], 1);
  EXPECT_EQ(plan["tables"][0]["distribution_query_count"], 3);
  EXPECT_NE(plan["tables"][0]["sql"][0].get<std::string>().find("COUNT(*)"), std::string::npos);
  EXPECT_NE(
      plan["tables"][0]["sql"][4].get<std::string>().find("GROUP BY \"email\" COLLATE BINARY"),
      std::string::npos)
      << plan["tables"][0]["sql"][4];
  EXPECT_EQ(plan["tables"][0]["columns"][2]["type_class"], "string");
  write_config({"ghost"});
  r = run_cli({"plan", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 3) << "as profile would fail that table";
  EXPECT_NE(r.out.find("ERROR: table 'ghost' does not exist"), std::string::npos) << r.out;
}

TEST_F(CliTest, ApproximateDistinctAndSnowflakeHooksWithoutItsDriver) {
  // SQLite estimates distinct counts with HyperLogLog (100 distinct emails, 30 distinct ages).
  write_config({"customers"}, "  distinct: approximate\n");
  auto r =
      run_cli({"profile", "--config", config.string(), "--output", (dir / "approx.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir / "approx.json");
  auto profiles = nlohmann::json::parse(in);
  EXPECT_NEAR(profiles[0]["columns"][2]["metrics"]["distinct_count"].get<double>(), 100, 2);
  EXPECT_NEAR(profiles[0]["columns"][1]["metrics"]["distinct_count"].get<double>(), 30, 1);
  config = dir.write("hook.yml",
                     testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", {"orders"},
                                                   "hooks:\n  hooks:\n    - type: snowflake\n"
                                                   "      connection: {type: snowflake, account: "
                                                   "a1, database: d}\n"));
  // Snowflake hooks go through ODBC: without Snowflake's driver installed, delivery fails with a
  // clear error, counted and reported, and profiling goes on.
  r = run_cli({"profile", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("hook snowflake[0]: 0 delivered"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SnowflakeDSIIDriver"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("odbcinst"), std::string::npos) << r.err;
}

TEST_F(CliTest, EnvironmentOverridesReachTheRun) {
  auto r =
      run_cli({"profile", "--config", config.string()}, {{"BASELINR_ENVIRONMENT", "production"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"runs", "--config", config.string(), "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["environment"], "production");
}

TEST(Demo, RunsTheWholeProductOffline) {
  TempDir dir;
  auto r = run_cli({"demo", "--dir", (dir / "demo").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Drift report for customers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column_added    loyalty_tier"), std::string::npos) << r.out;
  // Quiet and explained: the email NULL jump, the volume and the real distribution changes,
  // each once with its reason; not one line per column and metric.
  EXPECT_NE(r.out.find("email.null_percent"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+55.44 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("row_count (table)"), std::string::npos) << r.out;
  const auto findings = r.out.find("Findings: ");
  ASSERT_NE(findings, std::string::npos);
  EXPECT_LE(std::stoi(r.out.substr(findings + 10)), 8) << r.out;
  EXPECT_EQ(r.out.find("id.max"), std::string::npos) << "a growing key is no finding";
  EXPECT_NE(r.err.find("[ALERT] ProfilingCompleted"), std::string::npos);
  EXPECT_NE(r.err.find("[ALERT] SchemaChangeDetected"), std::string::npos);
  const auto cfg = (dir / "demo" / "config.yml").string();
  auto runs = run_cli({"runs", "--config", cfg, "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 4u);
  // Idempotent: a second demo in the same place starts afresh.
  r = run_cli({"demo", "--dir", (dir / "demo").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  runs = run_cli({"runs", "--config", cfg, "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 4u);
}

}  // namespace
}  // namespace baselinr
