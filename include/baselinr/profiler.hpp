// Profiler: computes column statistics of configured tables and reports them as runs.
//
// For each table the profiler asks the source's dialect for one aggregate query that computes
// every scalar metric of every column in a single scan, and at most one more query for all
// histograms. Each table becomes one ProfilingResult with a fresh run_id. Around each table it
// reports ProfilingStarted, then ProfilingCompleted (stored by the ResultSink together with the
// run, and emitted only after that) or ProfilingFailed (the error is reported and the remaining
// tables still run): each event goes to the sink's record_events()/store_run() and to the bus.
//
// Thread-safety: a Profiler may profile several tables concurrently on its own bounded pool of
// connections (profiling.max_workers); calling profile() itself from several threads at once is
// not supported.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "baselinr/type_class.hpp"

namespace baselinr {

namespace db {
class Connection;
}
class EventBus;

// A metric value as computed: null, integer, real, or text (min/max of text and dates,
// histogram JSON).
using MetricValue = std::variant<std::monostate, std::int64_t, double, std::string>;
// The text stored in the results table; nullopt for null. Reals use the shortest text that
// reads back to the same double ("12.5", "100.0", "inf", "nan").
std::optional<std::string> metric_text(const MetricValue& value);

struct ColumnProfile {
  std::string name;
  std::string type;  // the database's own type name
  TypeClass type_class = TypeClass::kOther;
  std::vector<std::pair<std::string, MetricValue>> metrics;

  const MetricValue* metric(std::string_view metric_name) const;
};

// What subset of the table was profiled (partition and sampling), recorded with the run.
struct ProfiledScope {
  std::string partition_strategy = "all";
  std::string partition_key;
  std::string partition_key_source;  // "configured", or why it was inferred
  std::vector<std::string> partition_values;
  std::string sampling_method;     // empty: no sampling
  std::string sampling_mechanism;  // how the engine selected the rows
  std::optional<double> sampling_fraction;
  std::optional<std::int64_t> max_rows;
  std::int64_t rows_profiled = 0;

  std::string to_json() const;
  // Parses to_json() output; a default scope for empty or unreadable text.
  static ProfiledScope from_json(std::string_view json);
  // Partition strategy and key, sampling method, fraction and cap are equal (the partition
  // values themselves may differ: a new day is a new latest partition).
  bool comparable_with(const ProfiledScope& other) const;
  // "all rows", "partition latest on event_date; random sample 5%, at most 1000 rows"
  std::string describe() const;
};

struct ProfilingResult {
  std::string run_id;
  std::string dataset_name;
  std::string schema_name;
  std::chrono::system_clock::time_point profiled_at;
  std::int64_t row_count = 0;
  std::vector<ColumnProfile> columns;
  // Table-level metrics (row_count, freshness_seconds, freshness_column, last_change_seconds),
  // stored as results rows with an empty column name and no column type.
  std::vector<std::pair<std::string, MetricValue>> table_metrics;
  ProfiledScope scope;
  double duration_seconds = 0;
  std::string executor;  // "sql" (pushed down) or "native" (read in process)

  std::string to_json() const;
};

// Where finished runs go before ProfilingCompleted is emitted (the results store, usually).
// store() throws to fail the run. A sink that keeps events (the store's outbox) records them
// with the run they report, in the same transaction.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void store(const ProfilingResult& result) = 0;
  // Stores the run with the events that report it (ProfilingCompleted). The default stores the
  // run and keeps no event.
  virtual void store_run(const ProfilingResult& result, const std::vector<Event>& /*events*/) {
    store(result);
  }
  // Records events that report no stored run (ProfilingStarted, ProfilingFailed). The default
  // keeps none. Throws to report that they could not be kept.
  virtual void record_events(const std::vector<Event>& /*events*/) {}
};

struct TableOutcome {
  std::string table;
  std::string schema;
  std::string run_id;
  std::optional<ProfilingResult> result;  // set on success
  std::string error;                      // set on failure
  bool ok() const { return result.has_value(); }
};

// Opens a new connection to the source. Called once per worker.
using ConnectionFactory = std::function<std::unique_ptr<db::Connection>()>;

// Called after each table finishes (from worker threads, one call at a time).
using ProgressCallback =
    std::function<void(const TableOutcome& outcome, std::size_t done, std::size_t total)>;
// Called when a worker starts a table (from worker threads, one call at a time with the above).
using TableStartedCallback =
    std::function<void(const std::string& table, const std::string& schema)>;

class Profiler {
 public:
  // Connects to config.source through the built-in connectors.
  explicit Profiler(const Config& config, EventBus* bus = nullptr, ResultSink* sink = nullptr);
  Profiler(const Config& config, ConnectionFactory factory, EventBus* bus = nullptr,
           ResultSink* sink = nullptr);
  ~Profiler();

  // Profiles the configured tables, or only those named in `only` (UsageError if a name is
  // not configured). One outcome per table, in configuration order. Throws ConnectionError if
  // the source cannot be reached at all; per-table failures are reported in the outcomes.
  std::vector<TableOutcome> profile(const std::vector<std::string>& only = {});

  void set_progress(ProgressCallback callback);
  void set_table_started(TableStartedCallback callback);
  // Overrides profiling.executor and every table's `executor:` (tests and comparisons).
  void set_executor(Executor executor) { executor_ = executor; }
  // The time each run is stamped with (profiled_at, and "now" for its freshness); the system
  // clock by default. Lets a caller record the runs of another day (backfills, history tests).
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  void set_clock(Clock clock) { clock_ = std::move(clock); }

 private:
  const Config& config_;
  ConnectionFactory factory_;
  EventBus* bus_;
  ResultSink* sink_;
  ProgressCallback progress_;
  TableStartedCallback started_;
  std::optional<Executor> executor_;  // set_executor(); unset: the configuration's
  Clock clock_;
};

// What `baselinr plan` shows: the work profile would do, from metadata only.
struct ColumnPlan {
  std::string name;
  std::string type;
  TypeClass type_class = TypeClass::kOther;
  std::vector<std::string> metrics;
};

struct TablePlan {
  std::string table;
  std::string schema;
  std::string error;  // e.g. the table does not exist
  std::vector<ColumnPlan> columns;
  std::string partition;  // human description
  std::string partition_key;
  std::string partition_key_source;           // "configured" or why it was inferred
  std::vector<std::string> partition_values;  // what a run would profile now
  std::string sampling;                       // human description
  std::vector<std::string> notes;
  std::vector<std::string> sql;  // the queries profile would run
  int scalar_scans = 1;          // concurrent scans of the scalar statement (parallel_scans)
  int histogram_queries = 0;     // of `sql`: the histogram statements
  int distribution_queries = 0;  // of `sql`: quantiles and top values, one per column
  std::string executor;          // "native" or "pushdown" (profiling.executor)
  std::string executor_reason;   // why
  bool native_read =
      false;  // `sql` is the native read's (PostgreSQL: its COPY; SQLite, MySQL: its SELECT)
};

struct Plan {
  std::string source;  // ConnectionConfig::describe()
  std::vector<TablePlan> tables;
  std::string to_text(bool verbose) const;
  std::string to_json(bool verbose) const;
};

Plan build_plan(const Config& config);
Plan build_plan(const Config& config, const ConnectionFactory& factory);

}  // namespace baselinr
