#include "baselinr/config.hpp"

#include <gtest/gtest.h>

#include "baselinr/error.hpp"

namespace baselinr {
namespace {

const char* kMinimal = R"(source:
  type: sqlite
  filepath: ./warehouse.db
storage:
  connection:
    type: sqlite
    filepath: ./baselinr.db
)";

Config parse(const std::string& text, std::map<std::string, std::string> env = {}) {
  LoadOptions o;
  o.environment = std::move(env);
  return parse_config(text, "cfg.yml", o);
}

// Returns the ConfigError message (fails the test when parsing succeeds).
std::string error_of(const std::string& text, std::map<std::string, std::string> env = {}) {
  try {
    parse(text, std::move(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

TEST(Config, MinimalConfigGetsDocumentedDefaults) {
  Config c = parse(kMinimal);
  EXPECT_EQ(c.environment, "development");
  EXPECT_EQ(c.source.type, DatabaseType::kSqlite);
  EXPECT_EQ(c.source.filepath, "./warehouse.db");
  EXPECT_EQ(c.storage.results_table, "baselinr_results");
  EXPECT_EQ(c.storage.runs_table, "baselinr_runs");
  EXPECT_EQ(c.storage.events_table, "baselinr_events");
  EXPECT_TRUE(c.storage.create_tables);
  EXPECT_TRUE(c.profiling.tables.empty());
  EXPECT_EQ(c.profiling.histogram_bins, 10);
  EXPECT_TRUE(c.profiling.compute_histograms);
  EXPECT_EQ(c.profiling.max_distinct_values, 1000);
  EXPECT_EQ(c.profiling.parallel_scans, 0) << "auto";
  EXPECT_EQ(c.profiling.metrics, all_metric_names());
  EXPECT_EQ(c.drift_detection.strategy, DriftStrategy::kAbsoluteThreshold);
  EXPECT_DOUBLE_EQ(c.drift_detection.absolute_threshold.low, 5.0);
  EXPECT_DOUBLE_EQ(c.drift_detection.absolute_threshold.medium, 15.0);
  EXPECT_DOUBLE_EQ(c.drift_detection.absolute_threshold.high, 30.0);
  EXPECT_DOUBLE_EQ(c.drift_detection.standard_deviation.high, 3.0);
  EXPECT_TRUE(c.hooks.enabled);
  EXPECT_TRUE(c.hooks.hooks.empty());
}

TEST(Config, SpecExampleLoadsWithEveryKey) {
  const char* text = R"(environment: production
source:
  type: postgres
  host: localhost
  port: 5432
  database: analytics
  username: ${DB_USER}
  password: ${DB_PASSWORD}
  schema: public
  extra_params: {sslmode: require}
storage:
  connection: { type: sqlite, filepath: ./baselinr.db }
  results_table: baselinr_results
  runs_table: baselinr_runs
  create_tables: true
profiling:
  tables:
    - table: customers
      schema: public
      partition:  { key: event_date, strategy: latest, recent_n: 7, metadata_fallback: true }
      sampling:   { enabled: true, method: random, fraction: 0.05, max_rows: 1000000 }
  max_distinct_values: 1000
  compute_histograms: true
  histogram_bins: 10
  metrics: [count, null_count, null_percent, distinct_count, distinct_percent,
            min, max, mean, stddev, histogram, min_length, max_length, avg_length]
drift_detection:
  strategy: absolute_threshold
  absolute_threshold: { low_threshold: 5.0, medium_threshold: 15.0, high_threshold: 30.0 }
  standard_deviation: { low_threshold: 1.0, medium_threshold: 2.0, high_threshold: 3.0 }
hooks:
  enabled: true
  hooks:
    - type: logging
      log_level: INFO
    - type: sql
      table_name: baselinr_events
      connection: { type: postgres, host: localhost, database: monitoring, username: u, password: p }
)";
  Config c = parse(text, {{"DB_USER", "analyst"}, {"DB_PASSWORD", "s3cret"}});
  EXPECT_EQ(c.environment, "production");
  EXPECT_EQ(c.source.type, DatabaseType::kPostgres);
  EXPECT_EQ(c.source.port, 5432);
  EXPECT_EQ(c.source.username, "analyst");
  EXPECT_EQ(c.source.password, "s3cret");
  EXPECT_EQ(c.source.extra_params.at("sslmode"), "require");
  ASSERT_EQ(c.profiling.tables.size(), 1u);
  const TableConfig& t = c.profiling.tables[0];
  EXPECT_EQ(t.table, "customers");
  EXPECT_EQ(t.schema, "public");
  ASSERT_TRUE(t.partition);
  EXPECT_EQ(t.partition->key, "event_date");
  EXPECT_EQ(t.partition->strategy, PartitionStrategy::kLatest);
  EXPECT_EQ(t.partition->recent_n, 7);
  ASSERT_TRUE(t.sampling);
  EXPECT_TRUE(t.sampling->enabled);
  EXPECT_DOUBLE_EQ(t.sampling->fraction, 0.05);
  EXPECT_EQ(t.sampling->max_rows, 1000000);
  ASSERT_EQ(c.hooks.hooks.size(), 2u);
  EXPECT_EQ(c.hooks.hooks[0].type, HookType::kLogging);
  EXPECT_EQ(c.hooks.hooks[1].type, HookType::kSql);
  ASSERT_TRUE(c.hooks.hooks[1].connection);
  EXPECT_EQ(c.hooks.hooks[1].connection->database, "monitoring");
  // describe() never shows the password.
  EXPECT_EQ(c.source.describe(), "postgres://analyst@localhost:5432/analytics");
}

TEST(Config, JsonFilesLoadToo) {
  const char* text = R"({
	"source": {"type": "sqlite", "filepath": "w.db"},
	"storage": {"connection": {"type": "sqlite", "filepath": "b.db"}},
	"profiling": {"tables": [{"table": "t1"}, {"table": "t2", "schema": "main"}],
	              "histogram_bins": 4}
})";
  Config c = parse(text);
  ASSERT_EQ(c.profiling.tables.size(), 2u);
  EXPECT_EQ(c.profiling.tables[1].schema, "main");
  EXPECT_EQ(c.profiling.histogram_bins, 4);
}

TEST(Config, SqliteAcceptsDatabaseButUsesFilepath) {
  Config c = parse(R"(source: {type: sqlite, database: analytics, filepath: ./w.db}
storage: {connection: {type: sqlite, filepath: ./b.db}}
)");
  EXPECT_EQ(c.source.filepath, "./w.db");
  EXPECT_EQ(c.source.database, "analytics");
  std::string err = error_of(R"(source: {type: sqlite, database: analytics}
storage: {connection: {type: sqlite, filepath: ./b.db}}
)");
  EXPECT_NE(err.find("source.filepath"), std::string::npos) << err;
  EXPECT_NE(err.find("cfg.yml:1:"), std::string::npos) << err;
}

TEST(Config, SubstitutesVariablesAndDefaults) {
  Config c = parse(R"(source:
  type: sqlite
  filepath: ${DATA_DIR}/w.db
storage:
  connection: {type: sqlite, filepath: "${STORE:-/tmp/store.db}"}
environment: ${ENV_NAME:-test}
)",
                   {{"DATA_DIR", "/srv/data"}});
  EXPECT_EQ(c.source.filepath, "/srv/data/w.db");
  EXPECT_EQ(c.storage.connection.filepath, "/tmp/store.db");
  EXPECT_EQ(c.environment, "test");
}

TEST(Config, UnsetVariableWithoutDefaultNamesItAndTheLine) {
  std::string err = error_of(R"(source:
  type: sqlite
  filepath: ./w.db
  password: ${DB_PASSWORD}
storage: {connection: {type: sqlite, filepath: ./b.db}}
)");
  EXPECT_NE(err.find("DB_PASSWORD"), std::string::npos) << err;
  EXPECT_NE(err.find("cfg.yml:4:13"), std::string::npos) << err;
  EXPECT_NE(err.find("source.password"), std::string::npos) << err;
}

TEST(Config, EnvironmentOverridesAreTypedBySchema) {
  Config c = parse(kMinimal, {{"BASELINR_SOURCE__PASSWORD", "0123"},
                              {"BASELINR_ENVIRONMENT", "production"},
                              {"BASELINR_PROFILING__HISTOGRAM_BINS", "20"},
                              {"BASELINR_STORAGE__CREATE_TABLES", "false"},
                              {"BASELINR_HOME", "/opt/baselinr"}});
  EXPECT_EQ(c.source.password, "0123");  // stays text, leading zero kept
  EXPECT_EQ(c.environment, "production");
  EXPECT_EQ(c.profiling.histogram_bins, 20);
  EXPECT_FALSE(c.storage.create_tables);
}

TEST(Config, BadOverrideNamesTheVariable) {
  std::string err = error_of(kMinimal, {{"BASELINR_PROFILING__HISTOGRAM_BINS", "lots"}});
  EXPECT_NE(err.find("BASELINR_PROFILING__HISTOGRAM_BINS"), std::string::npos) << err;
  EXPECT_NE(err.find("expected an integer"), std::string::npos) << err;
  err = error_of(kMinimal, {{"BASELINR_SOURCE__PASWORD", "x"}});
  EXPECT_NE(err.find("did you mean 'password'"), std::string::npos) << err;
}

TEST(Config, UnknownKeySuggestsTheNearestOne) {
  std::string err = error_of(R"(source:
  type: sqlite
  filepath: ./w.db
  pasword: x
storage: {connection: {type: sqlite, filepath: ./b.db}}
)");
  EXPECT_NE(err.find("cfg.yml:4:3"), std::string::npos) << err;
  EXPECT_NE(err.find("source.pasword"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'password'"), std::string::npos) << err;
}

TEST(Config, WrongTypesAndRangesAreReportedWithPosition) {
  std::string base = std::string(kMinimal);
  std::string err = error_of(base + "profiling:\n  histogram_bins: ten\n");
  EXPECT_NE(err.find("cfg.yml:9:19"), std::string::npos) << err;
  EXPECT_NE(err.find("profiling.histogram_bins"), std::string::npos) << err;
  EXPECT_NE(err.find("expected an integer"), std::string::npos) << err;

  err = error_of(
      base +
      "profiling:\n  tables:\n    - table: t\n      sampling: {enabled: true, fraction: 1.5}\n");
  EXPECT_NE(err.find("profiling.tables[0].sampling.fraction"), std::string::npos) << err;
  EXPECT_NE(err.find("<= 1"), std::string::npos) << err;

  err = error_of(R"(source: {type: postgres, database: d, port: 70000}
storage: {connection: {type: sqlite, filepath: b.db}})");
  EXPECT_NE(err.find("source.port"), std::string::npos) << err;
  EXPECT_NE(err.find("65535"), std::string::npos) << err;

  err = error_of(base + "hooks:\n  enabled: maybe\n");
  EXPECT_NE(err.find("expected true or false"), std::string::npos) << err;
}

TEST(Config, ParallelScansIsAutoOrACount) {
  const std::string base = std::string(kMinimal) + "profiling:\n  parallel_scans: ";
  EXPECT_EQ(parse(base + "auto\n").profiling.parallel_scans, 0);
  EXPECT_EQ(parse(base + "AUTO\n").profiling.parallel_scans, 0);
  EXPECT_EQ(parse(base + "1\n").profiling.parallel_scans, 1);
  EXPECT_EQ(parse(base + "4\n").profiling.parallel_scans, 4);
  EXPECT_EQ(parse(kMinimal, {{"BASELINR_PROFILING__PARALLEL_SCANS", "2"}}).profiling.parallel_scans,
            2);
  for (const char* bad : {"0", "65", "many", "[2]"}) {
    std::string err = error_of(base + bad + "\n");
    EXPECT_NE(err.find("cfg.yml:9:19"), std::string::npos) << err;
    EXPECT_NE(err.find("profiling.parallel_scans: expected auto or an integer from 1 to 64"),
              std::string::npos)
        << err;
  }
}

TEST(Config, ExecutorIsAutoPushdownOrNativeGloballyAndPerTable) {
  EXPECT_EQ(parse(kMinimal).profiling.executor, Executor::kAuto);
  const std::string base = std::string(kMinimal) + "profiling:\n  executor: ";
  EXPECT_EQ(parse(base + "pushdown\n").profiling.executor, Executor::kSql);
  EXPECT_EQ(parse(base + "native\n").profiling.executor, Executor::kNative);
  const Config c = parse(base +
                         "native\n  tables:\n    - table: a\n    - table: b\n"
                         "      executor: pushdown\n");
  EXPECT_EQ(c.profiling.executor, Executor::kNative);
  EXPECT_FALSE(c.profiling.tables.at(0).executor.has_value());
  EXPECT_EQ(c.profiling.tables.at(1).executor, Executor::kSql);
  const std::string err = error_of(base + "sql\n");
  EXPECT_NE(err.find("profiling.executor"), std::string::npos) << err;
  EXPECT_NE(err.find("pushdown"), std::string::npos) << err;
}

TEST(Config, TransferBudgetIsASizeGloballyAndPerTable) {
  EXPECT_EQ(parse(kMinimal).profiling.transfer_budget, std::int64_t{4} << 30);
  const std::string base = std::string(kMinimal) + "profiling:\n  transfer_budget: ";
  EXPECT_EQ(parse(base + "2GB\n").profiling.transfer_budget, 2000000000);
  EXPECT_EQ(parse(base + "512 MiB\n").profiling.transfer_budget, 512 * 1048576);
  EXPECT_EQ(parse(base + "1.5kb\n").profiling.transfer_budget, 1500);
  EXPECT_EQ(parse(base + "123456\n").profiling.transfer_budget, 123456);
  EXPECT_EQ(parse(base + "0\n").profiling.transfer_budget, 0);
  EXPECT_EQ(parse(base + "1TiB\n").profiling.transfer_budget, std::int64_t{1} << 40);
  const Config c = parse(base +
                         "1GB\n  tables:\n    - table: a\n    - table: b\n"
                         "      transfer_budget: 10 GB\n");
  EXPECT_EQ(c.profiling.transfer_budget, 1000000000);
  EXPECT_FALSE(c.profiling.tables.at(0).transfer_budget.has_value());
  EXPECT_EQ(c.profiling.tables.at(1).transfer_budget, 10000000000);
  for (const char* bad : {"-1GB", "2 parsecs", "GB", "[1]", "1e30"}) {
    const std::string err = error_of(base + bad + "\n");
    EXPECT_NE(err.find("profiling.transfer_budget: expected a size in bytes"), std::string::npos)
        << bad << ": " << err;
  }
}

TEST(Config, ChoicesSuggestTheIntendedValue) {
  std::string err = error_of(std::string(kMinimal) + "hooks:\n  hooks:\n    - type: loging\n");
  EXPECT_NE(err.find("hooks.hooks[0].type"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'logging'"), std::string::npos) << err;
  err = error_of(std::string(kMinimal) + "profiling:\n  metrics: [count, stdev]\n");
  EXPECT_NE(err.find("profiling.metrics[1]"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'stddev'"), std::string::npos) << err;
}

TEST(Config, RequiredFieldsAndCrossFieldRules) {
  EXPECT_NE(error_of("storage: {connection: {type: sqlite, filepath: b.db}}\n").find("source"),
            std::string::npos);
  std::string err = error_of(R"(source: {filepath: w.db}
storage: {connection: {type: sqlite, filepath: b.db}})");
  EXPECT_NE(err.find("source.type"), std::string::npos) << err;
  err = error_of(
      std::string(kMinimal) +
      "profiling:\n  tables:\n    - table: t\n      partition: {key: d, strategy: recent_n}\n");
  EXPECT_NE(err.find("recent_n"), std::string::npos) << err;
  err =
      error_of(std::string(kMinimal) +
               "drift_detection:\n  absolute_threshold: {low_threshold: 50, high_threshold: 10}\n");
  EXPECT_NE(err.find("low <= medium <= high"), std::string::npos) << err;
  err = error_of(std::string(kMinimal) + "hooks:\n  hooks:\n    - type: sql\n");
  EXPECT_NE(err.find("hooks.hooks[0].connection"), std::string::npos) << err;
}

TEST(Config, DuplicateKeysAndInvalidYaml) {
  std::string err = error_of("source: {type: sqlite, filepath: a}\nsource: {type: sqlite}\n");
  EXPECT_NE(err.find("duplicate key"), std::string::npos) << err;
  EXPECT_NE(err.find("cfg.yml:2:1"), std::string::npos) << err;
  err = error_of("source: [1, 2\nstorage: x\n");
  EXPECT_NE(err.find("invalid YAML"), std::string::npos) << err;
  EXPECT_NE(err.find("cfg.yml:2:"), std::string::npos) << err;
  err = error_of("");
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
}

TEST(Config, HookFiltersAndParams) {
  Config c = parse(std::string(kMinimal) + R"(hooks:
  hooks:
    - type: custom
      module: ./libmyhook.so
      class_name: MyHook
      params: {webhook_url: "https://x", retries: 3, verbose: true}
      event_types: [DataDriftDetected]
      min_severity: high
      tables: ["fact_*"]
)");
  const HookConfig& h = c.hooks.hooks.at(0);
  EXPECT_EQ(h.params_json, R"({"webhook_url":"https://x","retries":3,"verbose":true})");
  EXPECT_EQ(h.event_types, std::vector<std::string>{"DataDriftDetected"});
  EXPECT_EQ(h.min_severity, "high");
  EXPECT_EQ(h.tables, std::vector<std::string>{"fact_*"});
  std::string err =
      error_of(std::string(kMinimal) +
               "hooks:\n  hooks:\n    - type: logging\n      event_types: [DriftDetected]\n");
  EXPECT_NE(err.find("did you mean 'DataDriftDetected'"), std::string::npos) << err;
}

TEST(Config, MissingFileIsAClearError) {
  try {
    load_config("/nonexistent/baselinr.yml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
  }
}

}  // namespace
}  // namespace baselinr

namespace baselinr {
namespace {

// The shipped examples must stay valid: docs that match the code.
TEST(Config, EveryShippedExampleLoads) {
  LoadOptions o;
  for (const char* var :
       {"PG_PASSWORD", "MYSQL_PASSWORD", "DB_USER", "DB_PASSWORD", "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD", "SLACK_WEBHOOK_URL", "ALERT_TOKEN",
        "TEAMS_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "WEBHOOK_URL", "CLOUDEVENTS_URL",
        "WEBHOOK_SECRET"}) {
    o.environment[var] = "x";
  }
  for (const char* var :
       {"SLACK_WEBHOOK_URL", "TEAMS_WEBHOOK_URL", "WEBHOOK_URL", "CLOUDEVENTS_URL"}) {
    o.environment[var] = "https://hooks.example.com/services/T0/B0/x";
  }
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(BASELINR_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".yml" && entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(load_config(entry.path(), o)) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 1);
}

}  // namespace
}  // namespace baselinr

namespace baselinr {
namespace {

TEST(ConfigErrorText, FormatsItsOwnPlaceAndKeyPath) {
  ConfigError full({"c.yml", 3, 7}, "profiling.tables[0].table", "expected a table name");
  EXPECT_STREQ(full.what(), "c.yml:3:7: profiling.tables[0].table: expected a table name");
  EXPECT_EQ(full.detail(), "expected a table name");
  EXPECT_EQ(full.key_path(), "profiling.tables[0].table");
  EXPECT_EQ(full.location().line, 3);
  EXPECT_STREQ(ConfigError({"c.yml", 0, 0}, "", "config file not found").what(),
               "c.yml: config file not found");
  EXPECT_STREQ(ConfigError({}, "source.type", "unknown").what(), "source.type: unknown");
  EXPECT_STREQ(ConfigError("no place").what(), "no place");
  // The loader's own errors carry the parts separately too.
  try {
    parse(std::string(kMinimal) + "profiling:\n  histogram_bins: lots\n");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key_path(), "profiling.histogram_bins");
    EXPECT_EQ(e.location().line, 9);
    EXPECT_EQ(e.location().column, 19);
    EXPECT_EQ(std::string(e.what()), "cfg.yml:9:19: profiling.histogram_bins: " + e.detail());
  }
}

// Each enum's names come from one table: every name parses to a value that prints as that
// name, and the error for a wrong one lists exactly the names the parser accepts.
TEST(ConfigNames, EveryEnumNameParsesAndPrintsTheSame) {
  for (const char* type : {"logging", "sql", "snowflake", "webhook", "command", "custom"}) {
    std::string extra;
    if (std::string(type) == "sql") extra = "\n      connection: {type: sqlite, filepath: e.db}";
    if (std::string(type) == "snowflake") {
      extra = "\n      connection: {type: snowflake, account: a, database: d}";
    }
    if (std::string(type) == "webhook") extra = "\n      url: https://example.com/h";
    if (std::string(type) == "command") extra = "\n      command: [true]";
    if (std::string(type) == "custom") extra = "\n      module: ./x.so\n      class_name: X";
    Config c =
        parse(std::string(kMinimal) + "hooks:\n  hooks:\n    - type: " + type + extra + "\n");
    EXPECT_EQ(to_string(c.hooks.hooks.at(0).type), type);
  }
  for (const char* s : {"all", "latest", "recent_n", "sample", "specific_values"}) {
    Config c =
        parse(std::string(kMinimal) +
              "profiling:\n  tables:\n    - table: t\n      partition: {key: d, strategy: " + s +
              ", recent_n: 2, values: [x]}\n");
    EXPECT_EQ(to_string(c.profiling.tables.at(0).partition->strategy), s);
  }
  for (const char* m : {"random", "stratified", "topk"}) {
    Config c = parse(std::string(kMinimal) +
                     "profiling:\n  tables:\n    - table: t\n      sampling: {method: " + m +
                     ", stratify_by: c, order_by: c}\n");
    EXPECT_EQ(to_string(c.profiling.tables.at(0).sampling->method), m);
  }
  for (const char* d : {"exact", "approximate"}) {
    Config c = parse(std::string(kMinimal) + "profiling:\n  distinct: " + d + "\n");
    EXPECT_EQ(to_string(c.profiling.distinct), d);
  }
  for (const char* s : {"absolute_threshold", "standard_deviation"}) {
    Config c = parse(std::string(kMinimal) + "drift_detection:\n  strategy: " + s + "\n");
    EXPECT_EQ(to_string(c.drift_detection.strategy), s);
  }
  EXPECT_NE(error_of(std::string(kMinimal) + "hooks:\n  hooks:\n    - type: pager\n")
                .find("expected one of logging, sql, snowflake, webhook, command, custom"),
            std::string::npos);
}

}  // namespace
}  // namespace baselinr
