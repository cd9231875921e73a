// The configuration loader against hostile and first-day input: YAML alias bombs and deep
// nesting, merge keys as PyYAML reads them, unset variables, values the store cannot hold, and
// the original's own example configs.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"

namespace baselinr {
namespace {

const std::string kMinimal = R"(source: {type: sqlite, filepath: ./warehouse.db}
storage: {connection: {type: sqlite, filepath: ./baselinr.db}}
)";

Config parse(const std::string& text, std::map<std::string, std::string> env = {}) {
  LoadOptions o;
  o.environment = std::move(env);
  return parse_config(text, "cfg.yml", o);
}

std::string error_of(const std::string& text, std::map<std::string, std::string> env = {}) {
  try {
    parse(text, std::move(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// "Billion laughs": each level repeats the previous one nine times, so the last anchor stands
// for 9^9 (387 million) values in a few hundred bytes.
std::string alias_bomb() {
  std::string text = kMinimal + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  return text;
}

TEST(ConfigYaml, AliasBombIsRefusedFastWithSmallMemory) {
  const long before = peak_rss_kib();
  std::string err = error_of(alias_bomb());
  EXPECT_NE(err.find("expands to more than 100000 values"), std::string::npos) << err;
  EXPECT_NE(err.find("alias"), std::string::npos) << err;
  // Unbounded expansion needs many GiB; the bounded one a few MiB.
  EXPECT_LT(peak_rss_kib() - before, 256 * 1024) << "KiB more at peak";
}

TEST(ConfigYaml, DeepNestingIsRefused) {
  std::string deep = kMinimal + "hooks:\n  hooks:\n    - type: logging\n      params: ";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  std::string err = error_of(deep + "\n");
  EXPECT_NE(err.find("nests more than 64 levels"), std::string::npos) << err;
  // yaml-cpp's own limit (2000) is reported as invalid YAML, not a crash.
  std::string deeper = kMinimal + "x: ";
  for (int i = 0; i < 5000; ++i) deeper += "[";
  EXPECT_NE(error_of(deeper + "\n").find("cfg.yml"), std::string::npos);
}

TEST(ConfigYaml, MergeKeysWorkAsInPyYaml) {
  Config c = parse(kMinimal + R"(profiling:
  tables:
    - &base
      table: orders
      schema: sales
      sampling: {enabled: true, method: random, fraction: 0.5}
    - <<: *base
      table: returns
    - <<: [{schema: first, table: never}, {schema: second, partition: {key: d}}]
      table: refunds
hooks:
  hooks:
    - &hook {type: webhook, url: "https://example.com/a", timeout_seconds: 3}
    - {<<: *hook, url: "https://example.com/b"}
)");
  ASSERT_EQ(c.profiling.tables.size(), 3u);
  const TableConfig& returns = c.profiling.tables[1];
  EXPECT_EQ(returns.table, "returns");  // written keys win
  EXPECT_EQ(returns.schema, "sales");   // merged from the anchor
  ASSERT_TRUE(returns.sampling);
  EXPECT_DOUBLE_EQ(returns.sampling->fraction, 0.5);
  const TableConfig& refunds = c.profiling.tables[2];
  EXPECT_EQ(refunds.table, "refunds");
  EXPECT_EQ(refunds.schema, "first");  // the first mapping of the list wins
  ASSERT_TRUE(refunds.partition);
  EXPECT_EQ(refunds.partition->key, "d");
  ASSERT_EQ(c.hooks.hooks.size(), 2u);
  EXPECT_EQ(c.hooks.hooks[1].url, "https://example.com/b");
  EXPECT_DOUBLE_EQ(c.hooks.hooks[1].timeout_seconds, 3.0);

  // A merged key that is unknown is reported where the anchor wrote it.
  std::string err = error_of(kMinimal + R"(profiling:
  tables:
    - &base {table: a, sampling: {enabled: true, fraktion: 0.5}}
    - <<: *base
)");
  EXPECT_NE(err.find("cfg.yml:5:"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'fraction'"), std::string::npos) << err;
  // Only mappings merge.
  err = error_of(kMinimal + "profiling:\n  <<: [1, 2]\n");
  EXPECT_NE(err.find("a merge key takes a mapping or a list of mappings"), std::string::npos)
      << err;
  // A quoted "<<" is an ordinary (here unknown) key.
  err = error_of(kMinimal + "profiling:\n  '<<': {histogram_bins: 3}\n");
  EXPECT_NE(err.find("unknown key"), std::string::npos) << err;
}

TEST(ConfigVariables, AllMissingVariablesAreReportedAtOnce) {
  std::string err = error_of(R"(source:
  type: postgres
  database: ${DB_NAME}
  username: ${DB_USER}
  password: ${DB_PASSWORD}
storage: {connection: {type: sqlite, filepath: ./b.db}}
)",
                             {{"DB_USER", "analyst"}});
  EXPECT_NE(err.find("environment variables DB_NAME, DB_PASSWORD are not set"), std::string::npos)
      << err;
  EXPECT_NE(err.find("source.database at 3:13"), std::string::npos) << err;
  EXPECT_NE(err.find("source.password at 5:13"), std::string::npos) << err;
  EXPECT_EQ(err.find("DB_USER"), std::string::npos) << err;
}

TEST(ConfigVariables, DisabledHooksNeedNoVariables) {
  const std::string hooks = kMinimal + R"(hooks:
  hooks:
    - type: webhook
      enabled: false
      url: ${ALERT_URL}
      timeout_seconds: ${ALERT_TIMEOUT}
      headers: {Authorization: "Bearer ${ALERT_TOKEN}"}
    - type: sql
      enabled: ${SQL_HOOK_ON:-false}
      connection:
        type: postgres
        database: ${EVENTS_DB}
    - type: logging
)";
  Config c = parse(hooks);
  ASSERT_EQ(c.hooks.hooks.size(), 3u);
  EXPECT_FALSE(c.hooks.hooks[0].enabled);
  EXPECT_EQ(c.hooks.hooks[0].url, "");
  EXPECT_DOUBLE_EQ(c.hooks.hooks[0].timeout_seconds, 10.0);
  EXPECT_FALSE(c.hooks.hooks[1].enabled);
  // Enabled (here from the environment), a hook needs its variables again.
  std::string err = error_of(hooks, {{"SQL_HOOK_ON", "true"}});
  EXPECT_NE(err.find("EVENTS_DB"), std::string::npos) << err;
  EXPECT_EQ(err.find("ALERT_URL"), std::string::npos) << err;
  err = error_of(hooks, {{"BASELINR_HOOKS__HOOKS__0__ENABLED", "true"}});
  EXPECT_NE(err.find("ALERT_URL, ALERT_TIMEOUT, ALERT_TOKEN are not set"), std::string::npos)
      << err;
}

TEST(ConfigValidation, EmptyTableNameIsRefused) {
  std::string err = error_of(kMinimal + "profiling:\n  tables:\n    - table: ''\n");
  EXPECT_NE(err.find("profiling.tables[0].table: expected a table name, got empty text"),
            std::string::npos)
      << err;
}

TEST(ConfigValidation, WebhookUrlsMustBeHttpWithAHostAndAreNeverShown) {
  auto hook = [](const std::string& url) {
    return kMinimal + "hooks:\n  hooks:\n    - type: webhook\n      url: \"" + url + "\"\n";
  };
  for (const char* bad : {"not a url", "hooks.example.com/T0/secret-token", "https://"}) {
    std::string err = error_of(hook(bad));
    EXPECT_NE(err.find("hooks.hooks[0].url"), std::string::npos) << err;
    EXPECT_EQ(err.find("secret-token"), std::string::npos) << err;
  }
  std::string err = error_of(hook("ftp://files.example.com/secret-token"));
  EXPECT_NE(err.find("the URL's scheme is 'ftp'"), std::string::npos) << err;
  EXPECT_EQ(err.find("secret-token"), std::string::npos) << err;
  EXPECT_NO_THROW(parse(hook("https://hooks.slack.com/services/T0/B0/x")));
  EXPECT_NO_THROW(parse(hook("http://127.0.0.1:8080/hook?token=x")));
}

TEST(ConfigValidation, TextLongerThanTheStoreHoldsIsRefusedUpFront) {
  std::string err = error_of(kMinimal + "environment: " + std::string(51, 'e') + "\n");
  EXPECT_NE(err.find("environment: 51 characters long; the store keeps at most 50"),
            std::string::npos)
      << err;
  // Characters, not bytes: 50 two-byte characters fit.
  std::string accented;
  for (int i = 0; i < 50; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(parse(kMinimal + "environment: " + accented + "\n").environment, accented);
  err = error_of(kMinimal, {{"BASELINR_ENVIRONMENT", std::string(60, 'p')}});
  EXPECT_NE(err.find("BASELINR_ENVIRONMENT"), std::string::npos) << err;
  err = error_of(kMinimal + "profiling:\n  tables:\n    - table: " + std::string(256, 't') + "\n");
  EXPECT_NE(err.find("profiling.tables[0].table: 256 characters long"), std::string::npos) << err;
  err = error_of(kMinimal + "profiling:\n  tables:\n    - {table: t, schema: " +
                 std::string(300, 's') + "}\n");
  EXPECT_NE(err.find("profiling.tables[0].schema: 300 characters long"), std::string::npos) << err;
}

// Written with exactly the keys of the original's examples/config_sqlite.yml.
const char* kOriginalSqliteExample = R"(# Baselinr Configuration Example - SQLite
environment: development

source:
  type: sqlite
  database: example.db
  filepath: ./example.db

storage:
  connection:
    type: sqlite
    database: example.db
    filepath: ./example.db
  results_table: baselinr_results
  runs_table: baselinr_runs
  create_tables: true

profiling:
  tables:
    - table: sample_table
      sample_ratio: 1.0

  default_sample_ratio: 1.0
  max_distinct_values: 1000
  compute_histograms: true
  histogram_bins: 10
)";

// Written with exactly the keys of the original's examples/config_advanced.yml.
const char* kOriginalAdvancedExample = R"(environment: development
source:
  type: postgres
  host: localhost
  port: 5433
  database: baselinr
  username: baselinr
  password: baselinr
  schema: public
storage:
  connection:
    type: postgres
    host: localhost
    port: 5433
    database: baselinr
    username: baselinr
    password: baselinr
    schema: public
  results_table: baselinr_results
  runs_table: baselinr_runs
  create_tables: true
profiling:
  tables:
    - table: customers
      schema: public
    - table: orders
      schema: public
      partition:
        key: order_date
        strategy: latest
        metadata_fallback: true
    - table: events
      schema: analytics
      partition:
        key: event_date
        strategy: recent_n
        recent_n: 7  # Last 7 days
        metadata_fallback: true
    - table: large_table
      schema: public
      sampling:
        enabled: true
        method: random
        fraction: 0.05  # 5% sample
        max_rows: 1000000  # Cap at 1M rows
    - table: clickstream
      schema: analytics
      partition:
        key: date
        strategy: latest
      sampling:
        enabled: true
        method: stratified
        fraction: 0.01  # 1% sample
        max_rows: 500000
  max_distinct_values: 1000
  compute_histograms: true
  histogram_bins: 10
  metrics:
    - count
    - null_count
    - null_percent
    - distinct_count
    - distinct_percent
    - min
    - max
    - mean
    - stddev
    - histogram
drift_detection:
  strategy: absolute_threshold
  absolute_threshold:
    low_threshold: 5.0
    medium_threshold: 15.0
    high_threshold: 30.0
)";

TEST(OriginalExamples, SqliteExampleLoadsWithWarningsSayingWhatItsKeysDo) {
  Config c = parse(kOriginalSqliteExample);
  ASSERT_EQ(c.profiling.tables.size(), 1u);
  EXPECT_FALSE(c.profiling.tables[0].sampling) << "sample_ratio does not sample";
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("cfg.yml:21:21: profiling.tables[0].sample_ratio: ignored"),
            std::string::npos)
      << c.warnings[0];
  EXPECT_NE(c.warnings[1].find("profiling.default_sample_ratio: accepted for compatibility and "
                               "has no effect"),
            std::string::npos)
      << c.warnings[1];
  // Still strict around them.
  EXPECT_NE(error_of(kMinimal + "profiling:\n  tables:\n    - {table: t, sample_ration: 1}\n")
                .find("did you mean 'sample_ratio'"),
            std::string::npos);
  EXPECT_NE(error_of(kMinimal + "profiling:\n  tables:\n    - {table: t, sample_ratio: 2}\n")
                .find("expected a number > 0.0 and <= 1.0"),
            std::string::npos);
}

TEST(OriginalExamples, AdvancedExampleSamplesStratifiedWithoutAColumnAtRandom) {
  Config c = parse(kOriginalAdvancedExample);
  ASSERT_EQ(c.profiling.tables.size(), 5u);
  const SamplingConfig& s = *c.profiling.tables[4].sampling;
  EXPECT_EQ(s.method, SamplingMethod::kRandom);
  EXPECT_DOUBLE_EQ(s.fraction, 0.01);
  EXPECT_EQ(s.max_rows, 500000);
  EXPECT_EQ(s.note, "stratified without stratify_by: sampled at random");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("profiling.tables[4].sampling: method stratified without "
                               "stratify_by: the rows are sampled at random instead"),
            std::string::npos)
      << c.warnings[0];
  // With its column, stratified stays stratified and says nothing.
  Config with = parse(kMinimal +
                      "profiling:\n  tables:\n    - table: t\n      sampling: {enabled: true, "
                      "method: stratified, stratify_by: region}\n");
  EXPECT_EQ(with.profiling.tables[0].sampling->method, SamplingMethod::kStratified);
  EXPECT_TRUE(with.warnings.empty());
}

}  // namespace
}  // namespace baselinr
