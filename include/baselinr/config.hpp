// The validated configuration of a baselinr run, and the loader that builds it.
//
// load_config() reads a YAML (or JSON) file with the same keys as the Python original,
// substitutes ${VAR} and ${VAR:-default} from the environment in every scalar, applies
// BASELINR_SECTION__KEY environment overrides, and validates everything before any connection
// is made. Problems are reported as ConfigError with file, line, column, key path, what was
// expected and a "did you mean" for misspelt keys. After success the Config is complete: every
// optional key holds its documented default.
//
// Secrets (passwords, webhook URLs and headers, plugin params) are kept in the Config because
// connectors need them; ConnectionConfig::describe() and the loader's messages never show them.
//
// Thread-safety: Config is a value type; the loader has no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/error.hpp"

namespace baselinr {

enum class DatabaseType { kSqlite, kPostgres, kMysql, kSnowflake, kOdbc };
std::string_view to_string(DatabaseType type);

struct ConnectionConfig {
  DatabaseType type = DatabaseType::kSqlite;
  std::string host;         // postgres, mysql (default localhost)
  std::optional<int> port;  // postgres 5432, mysql 3306 when unset
  std::string database;     // postgres, mysql, snowflake; accepted and unused for sqlite
  std::string username;
  std::string password;                             // secret
  std::string schema;                               // default schema for tables that name none
  std::string account;                              // snowflake
  std::string warehouse;                            // snowflake
  std::string role;                                 // snowflake
  std::string filepath;                             // sqlite
  std::map<std::string, std::string> extra_params;  // passed to the driver
  SourceLocation location;                          // where this connection was configured

  // "postgres://analyst@db.example:5432/analytics", "sqlite:./warehouse.db": never a secret.
  std::string describe() const;
};

enum class PartitionStrategy { kAll, kLatest, kRecentN, kSample, kSpecificValues };
std::string_view to_string(PartitionStrategy strategy);

struct PartitionConfig {
  std::string key;  // empty: none configured
  PartitionStrategy strategy = PartitionStrategy::kAll;
  std::optional<std::int64_t> recent_n;     // required for recent_n
  std::vector<std::string> values;          // required for specific_values
  bool metadata_fallback = true;            // infer a key from column names/types
  std::optional<std::int64_t> sample_size;  // sample: number of key values (default 1)
};

enum class SamplingMethod { kRandom, kStratified, kTopK };
std::string_view to_string(SamplingMethod method);

struct SamplingConfig {
  bool enabled = false;
  SamplingMethod method = SamplingMethod::kRandom;
  double fraction = 0.01;                // in (0, 1]
  std::optional<std::int64_t> max_rows;  // cap on the sampled set
  std::string stratify_by;               // stratified: the stratum column
  std::string order_by;                  // topk: the column whose largest values are kept
  std::string native;                    // random: engine mechanism ("bernoulli", "system")
  // How the loader read a request it could not take as written (e.g. stratified without
  // stratify_by is sampled at random); shown by plan and recorded with each run. Usually empty.
  std::string note;
};

struct Thresholds {
  double low = 0;
  double medium = 0;
  double high = 0;
};

enum class DriftStrategy { kAbsoluteThreshold, kStandardDeviation, kStatistical };
std::string_view to_string(DriftStrategy strategy);

enum class Sensitivity { kLow, kMedium, kHigh };
std::string_view to_string(Sensitivity sensitivity);

enum class BaselineStrategy { kLastRun, kMovingAverage, kPriorPeriod, kStableWindow, kAuto };
std::string_view to_string(BaselineStrategy strategy);

// Per-column drift and anomaly settings (`profiling.tables[].columns[]`, the original's
// ColumnConfig): `name` is a column name or a pattern (wildcards * and ?, or a regex).
struct ColumnDriftSettings {
  std::string name;
  bool regex = false;                                   // pattern_type: regex (default wildcard)
  std::optional<bool> drift_enabled;                    // drift.enabled
  std::optional<DriftStrategy> strategy;                // drift.strategy
  std::optional<Thresholds> thresholds;                 // drift.thresholds {low, medium, high}
  std::map<std::string, Thresholds> metric_thresholds;  // drift.metrics.<metric> (baselinr)
  std::vector<std::string> ignore_metrics;              // drift.ignore_metrics (baselinr)
  std::optional<BaselineStrategy> baseline_strategy;    // drift.baselines.strategy
  std::optional<bool> anomaly_enabled;                  // anomaly.enabled
  std::optional<std::vector<std::string>> anomaly_methods;  // anomaly.methods
  std::map<std::string, double> anomaly_thresholds;         // anomaly.thresholds
  SourceLocation location;
};

struct DriftConfig;

// Which executor computes a table's metrics (profiling.executor, global and per table): kAuto
// chooses per table (docs/CONFIGURATION.md, "executor"); kSql pushes aggregate SQL down to the
// engine ("pushdown"); kNative reads the rows once and computes every metric in process, and
// falls back to pushdown (saying why) where it cannot read the table exactly.
enum class Executor { kAuto, kSql, kNative };
std::string_view to_string(Executor executor);

// The default profiling.transfer_budget: 4 GiB (docs/CONFIGURATION.md says why).
inline constexpr std::int64_t kDefaultTransferBudget = std::int64_t{4} << 30;

struct TableConfig {
  std::string table;
  std::string schema;  // empty: the source's default schema
  std::optional<PartitionConfig> partition;
  std::optional<SamplingConfig> sampling;
  // The timestamp column whose newest value gives the table's freshness; empty: inferred.
  std::string freshness_column;
  // `executor:` of this table; unset: profiling.executor.
  std::optional<Executor> executor;
  // `transfer_budget:` of this table (bytes); unset: profiling.transfer_budget.
  std::optional<std::int64_t> transfer_budget;
  std::vector<ColumnDriftSettings> columns;
  // `drift:` of this table: the global drift_detection with this table's keys laid over it.
  std::shared_ptr<const DriftConfig> drift;
  SourceLocation location;
};

enum class DistinctMode { kExact, kApproximate };
std::string_view to_string(DistinctMode mode);

// Every metric name baselinr knows, in report order.
const std::vector<std::string>& all_metric_names();

struct ProfilingConfig {
  std::vector<TableConfig> tables;
  int max_distinct_values = 1000;
  bool compute_histograms = true;
  int histogram_bins = 10;
  // How many most frequent values the top_values metric keeps; 0 disables it.
  int top_values = 10;
  std::vector<std::string> metrics = all_metric_names();
  double default_sample_ratio = 1.0;
  int max_workers = 0;  // 0: number of cores, at most the number of tables
  DistinctMode distinct = DistinctMode::kExact;
  // Scans one table's scalar statement may run at once where the engine runs UNION ALL branches
  // in parallel (PostgreSQL): 0 = auto (what the server's parallel-query settings give the
  // table), 1 = a single scan, N = at most N.
  int parallel_scans = 0;
  // profiling.executor (a table's `executor:` overrides it).
  Executor executor = Executor::kAuto;
  // profiling.transfer_budget, in bytes (a table's `transfer_budget:` overrides it): with
  // executor auto, a server table whose rows would move more than this to baselinr is pushed
  // down (docs/CONFIGURATION.md, "executor").
  std::int64_t transfer_budget = kDefaultTransferBudget;
};

// Lengths, in characters, of the store's VARCHAR columns that hold configured text (as in the
// original's schema): dataset_name and schema_name, and environment. The loader refuses longer
// values before any work.
inline constexpr int kStoredNameLength = 255;
inline constexpr int kStoredEnvironmentLength = 50;

struct StorageConfig {
  ConnectionConfig connection;
  std::string results_table = "baselinr_results";
  std::string runs_table = "baselinr_runs";
  std::string events_table = "baselinr_events";
  bool create_tables = true;
};

// drift_detection.statistical: tests on the stored distribution summaries (quantiles,
// top_values). Each test's finding level is its threshold (or alpha plus a minimum effect);
// `sensitivity` scales them (low: x1.5 and alpha / 5, high: x0.5 and alpha x 2).
struct StatisticalConfig {
  std::vector<std::string> tests = {"ks_test", "psi", "chi_square", "jensen_shannon"};
  Sensitivity sensitivity = Sensitivity::kMedium;
  double ks_alpha = 0.05;
  double ks_min_d = 0.1;  // effect size gate on the KS distance D
  int psi_buckets = 10;
  double psi_threshold = 0.2;
  double z_threshold = 2.0;  // z_score: |mean shift| in baseline standard deviations
  double chi_alpha = 0.05;
  double chi_min_cramers_v = 0.1;  // effect size gate on Cramer's V
  double js_threshold = 0.1;       // Jensen-Shannon distance (base 2)
  double entropy_threshold = 0.1;  // |entropy change| in bits
  int top_k = 10;
  double top_k_similarity = 0.7;  // top_k: finding below this share of common top values
};

// drift_detection.baselines: what a run is compared with.
struct BaselineConfig {
  BaselineStrategy strategy = BaselineStrategy::kLastRun;
  int moving_average = 7;  // runs
  int prior_period = 7;    // days: 1, 7 (same weekday) or 30
  int min_runs = 3;        // auto: fewer previous runs => last_run
  int stable_window = 5;   // runs (baselinr)
};

// Anomaly detection over each scalar metric's history. The original keeps these keys under
// `storage` (enable_anomaly_detection, anomaly_*, min_samples, learning_window_days,
// ewma_lambda); their meaning is the same, and detection is on unless disabled there.
struct AnomalyConfig {
  bool enabled = true;
  std::vector<std::string> methods = {"control_limits", "iqr", "mad", "ewma", "seasonality"};
  double iqr_threshold = 1.5;
  double mad_threshold = 3.0;
  double ewma_deviation_threshold = 2.0;
  double ewma_lambda = 0.2;
  bool seasonality_enabled = true;
  int min_samples = 5;            // previous runs needed for bands
  int learning_window_days = 30;  // history considered
};

// drift_detection.ignore[]: findings never reported (glob patterns; empty = any).
struct DriftIgnoreRule {
  std::string table;
  std::string column;
  std::string metric;
};

struct DriftConfig {
  DriftStrategy strategy = DriftStrategy::kAbsoluteThreshold;
  Thresholds absolute_threshold{5.0, 15.0, 30.0};  // percent change
  Thresholds standard_deviation{1.0, 2.0, 3.0};    // |z-score|
  int window = 10;      // standard_deviation: previous runs used as history
  int min_history = 3;  // standard_deviation: fewer previous runs => no z-score
  StatisticalConfig statistical;
  BaselineConfig baselines;
  // Percent metrics (null_percent, distinct_percent) change in percentage points.
  Thresholds percent_points{1.0, 5.0, 10.0};
  // Freshness and last change: the share of the time between the runs by which the newest
  // data got older (1 = nothing new arrived since the baseline run).
  Thresholds freshness{0.5, 0.75, 1.0};
  // type_specific_thresholds[type][metric or "default"] (numeric, categorical, timestamp,
  // boolean), applied to absolute_threshold when enable_type_specific_thresholds is true.
  bool enable_type_specific_thresholds = true;
  std::map<std::string, std::map<std::string, Thresholds>> type_specific_thresholds = {
      // numeric distinct_percent (points): a measurement's distinct share moves with the rows
      // (more rows, more repeats); baselinr's addition to the original's defaults.
      {"numeric",
       {{"mean", {10, 25, 50}},
        {"stddev", {3, 8, 15}},
        {"distinct_percent", {5, 10, 20}},
        {"default", {5, 15, 30}}}},
      {"categorical",
       {{"distinct_count", {2, 5, 10}},
        {"unique_ratio", {0.02, 0.05, 0.10}},
        {"default", {5, 15, 30}}}},
      {"timestamp", {{"default", {5, 15, 30}}}},
      {"boolean", {{"default", {2, 5, 10}}}}};
  bool alert_column_count = false;  // per-column `count` alerts (volume is row_count)
  bool ignore_key_growth = true;    // unique growing keys: max/mean/distribution not alerted
  std::vector<DriftIgnoreRule> ignore;
  AnomalyConfig anomaly;
};

enum class HookType {
  kLogging,
  kSql,
  kSnowflake,
  kWebhook,
  kCommand,
  kCustom,
  kSlack,      // the original's `type: slack`: a webhook in Slack format
  kPagerDuty,  // PagerDuty Events API v2
  kEmail,      // SMTP
};
std::string_view to_string(HookType type);

// How findings reach a destination: one message per table and drift run (chat destinations by
// default), or one per finding.
enum class GroupBy { kTable, kFinding };

struct HookConfig {
  HookType type = HookType::kLogging;
  bool enabled = true;
  std::string name;  // optional label used in reports; identifies the hook's deliveries
  // logging
  std::string log_level = "INFO";
  // sql, snowflake
  std::optional<ConnectionConfig> connection;
  std::string table_name = "baselinr_events";
  // webhook, slack, pagerduty (url, headers and secret are secrets)
  std::string url;
  std::string format = "json";  // json | cloudevents | slack | teams
  std::map<std::string, std::string> headers;
  std::string secret;             // Standard Webhooks signing secret: whsec_<base64> or any text
  std::string source;             // cloudevents `source`; default baselinr://<environment>
  std::string channel;            // slack: channel override (ignored by app-scoped webhooks)
  std::string username;           // slack: display name; email: SMTP login
  double timeout_seconds = 10.0;  // webhook, command, pagerduty, email
  // pagerduty
  std::string routing_key;           // secret
  std::string dedup_by = "finding";  // finding | table
  // email
  std::string smtp_url;  // smtp://host[:port] or smtps://host[:port]
  bool starttls = true;  // smtp://: require STARTTLS before anything is sent
  std::string password;  // secret
  std::string from;
  std::vector<std::string> to;
  std::string subject_prefix = "[baselinr]";
  // command
  std::vector<std::string> command;        // argv; no shell
  std::map<std::string, std::string> env;  // passed to the child explicitly
  // custom
  std::string module;  // path of a shared library
  std::string class_name;
  std::string params_json = "{}";  // `params:` as a JSON object (secret)
  // filters, applied when an event is recorded
  std::vector<std::string> event_types;
  std::string min_severity;         // empty: no severity filter
  std::vector<std::string> tables;  // glob patterns
  // delivery
  std::optional<GroupBy> group_by;        // unset: kTable for slack/teams/email, kFinding otherwise
  int max_findings = 10;                  // findings listed in one grouped message
  double suppress_for_seconds = 86400;    // a finding already sent is not re-sent within this
  std::optional<int> max_attempts;        // unset: hooks.delivery.max_attempts
  std::optional<double> max_age_seconds;  // unset: hooks.delivery.max_age
  SourceLocation location;

  // "sql[1]" style label: name if set, else type and index.
  std::string label(std::size_t index) const;
  // Slack, Teams and email: destinations people read, which get one message per table and drift
  // run unless group_by says finding.
  bool is_chat() const;
  GroupBy effective_group_by() const;
};

// How the outbox is delivered (hooks.delivery).
struct DeliveryConfig {
  double budget_seconds = 10;       // what a command spends delivering after its work
  int max_attempts = 10;            // then a delivery fails for good
  double max_age_seconds = 86400;   // a delivery older than this fails for good
  double backoff_base_seconds = 1;  // retry k waits random(0, min(max, base * 2^(k-1)))
  double backoff_max_seconds = 300;
  double retry_after_max_seconds = 3600;  // a destination's Retry-After is capped at this
  int breaker_threshold = 3;   // consecutive failures after which a hook is paused for the run
  double lease_seconds = 300;  // a claimed delivery is another process's again after this
};

struct HooksConfig {
  bool enabled = true;  // master switch
  std::vector<HookConfig> hooks;
  DeliveryConfig delivery;
};

struct Config {
  std::string environment = "development";
  ConnectionConfig source;
  StorageConfig storage;
  ProfilingConfig profiling;
  DriftConfig drift_detection;
  HooksConfig hooks;
  std::string source_file;  // the file it was loaded from, for messages
  // Keys accepted for compatibility with the original but not read as written, one line each
  // ("file:line:col: key.path: what happens here"). The loader also logs them.
  std::vector<std::string> warnings;
};

// How the loader sees the process environment. Tests pass their own map.
struct LoadOptions {
  std::map<std::string, std::string> environment;
  static LoadOptions from_process();
};

// Loads and validates a configuration file (YAML or JSON). Throws ConfigError.
Config load_config(const std::filesystem::path& file);
Config load_config(const std::filesystem::path& file, const LoadOptions& options);

// Same, from text; `file_name` is used in messages.
Config parse_config(std::string_view text, std::string_view file_name, const LoadOptions& options);

}  // namespace baselinr
