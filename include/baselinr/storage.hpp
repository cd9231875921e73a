// RunStore: the results store (runs, per-column metrics, events) in a SQL database.
//
// Tables (names from StorageConfig): runs, results, events, and baselinr_schema_version, created
// with their indexes when create_tables is true, plus the outbox tables (see
// docs/EVENTS_AND_HOOKS.md, "Delivery guarantees"). store() writes a run and all its results in
// one transaction with prepared statements: either everything is visible afterwards or nothing
// is. Readers return newest first. When the connection turns out to be broken (the server ended
// the session), every operation opens a new connection once and tries again before failing.
//
// Events: every event the store records goes to its events table and its outbox, with one
// delivery record per hook given to set_hooks() (pending, or filtered when the hook's filters
// refuse it), in the same transaction as the fact it reports: store_run() records a run's
// ProfilingCompleted with the run, record_drift() a drift run's findings with the resolutions of
// the findings it no longer sees. A dispatcher (baselinr/delivery.hpp) then delivers them.
//
// Thread-safety: one RunStore owns one connection; use it from one thread at a time. store()
// is internally serialised so a profiler may call it from several worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "baselinr/profiler.hpp"

namespace baselinr {

namespace db {
class Connection;
}

// The storage schema version this build writes. Older stores are migrated in place.
inline constexpr int kStorageSchemaVersion = 4;

struct RunRecord {
  std::string run_id;
  std::string dataset_name;
  std::string schema_name;
  std::string profiled_at;  // UTC, "YYYY-MM-DD HH:MM:SS.ffffff"
  std::string environment;
  std::string status;
  std::int64_t row_count = 0;
  std::int64_t column_count = 0;
  std::string metadata;  // JSON of the ProfiledScope (schema version 2); empty for older runs
};

struct MetricRecord {
  std::string column_name;  // empty for table-level metrics
  std::string column_type;
  std::string metric_name;
  std::optional<std::string> metric_value;
  // A table-level metric (row_count, freshness_seconds, ...): stored with an empty column name
  // and a NULL column type (column_name is NOT NULL in the original's schema).
  bool table_level = false;
};

// A run pinned as its table's drift baseline.
struct PinnedBaseline {
  std::string dataset_name;
  std::string schema_name;
  std::string run_id;
  std::string pinned_at;  // UTC, storage form
};

struct EventRecord {
  std::string event_id;
  std::string event_type;
  std::string table_name;
  std::string column_name;
  std::string metric_name;
  std::optional<double> baseline_value;
  std::optional<double> current_value;
  std::optional<double> change_percent;
  std::string drift_severity;
  std::string timestamp;
  std::string metadata;  // JSON object text
  std::string created_at;
};

// A dataset that has runs in the store.
struct DatasetRecord {
  std::string dataset_name;
  std::string schema_name;  // empty for schema-less sources
  std::int64_t runs = 0;
  std::string last_profiled_at;
};

// One delivery record: an event's status for one hook.
struct DeliveryRecord {
  std::string event_id;
  std::string hook;
  std::string status;  // pending | delivered | failed | filtered | suppressed
  int attempts = 0;
  std::string next_attempt_at;  // storage time (UTC)
  std::string last_error;       // never contains a secret
  std::string created_at;
  std::string delivered_at;  // empty until delivered
};

// One drift run of one table, as record_drift() needs it.
struct DriftRunRecord {
  std::string schema;  // empty for schema-less sources
  std::string table;
  std::string baseline_run_ids;  // comma-separated
  std::string current_run_id;
  std::string current_profiled_at;  // storage time of the current run
};

struct RunQuery {
  std::string dataset;  // empty: all
  std::string schema;   // empty: any
  std::string status;   // empty: any
  int limit = 0;        // 0: no limit
};

struct EventQuery {
  std::string event_type;  // empty: all
  std::string table;       // empty: all
  int limit = 0;
  // The synthetic events of `baselinr hooks test` (table baselinr_hooks_test) are left out
  // unless asked for.
  bool include_tests = false;
};

// Which stored events to send again (`baselinr hooks replay`).
struct ReplayRequest {
  std::string event_id;    // one event, or
  std::string since;       // every event recorded at or after this time (storage time text)
  std::string event_type;  // optionally only this type
  std::string hook;        // optionally only this hook (its name)
};

// How a RunStore opens its store.
enum class StoreAccess {
  // Writers (profile): create or migrate the tables when create_tables is set, otherwise check
  // that they exist (StorageError before any work when they do not).
  kWrite,
  // Commands that record into a store they expect (drift records its findings): an existing
  // store only (NoStoreError when there is none, nothing created), migrated as writers do.
  kExisting,
  // Readers (runs, events...): an existing store only, read as it is. Nothing is created or
  // migrated: no file, no table. Throws NoStoreError when there is no store yet.
  kReadOnly,
};

// There is no store yet where the configuration points (no SQLite file, no runs table).
class NoStoreError : public StorageError {
 public:
  using StorageError::StorageError;
};

class RunStore : public ResultSink {
 public:
  // Connects to config.connection and opens the store as `access` says.
  RunStore(const StorageConfig& config, std::string environment,
           StoreAccess access = StoreAccess::kWrite);
  // Uses an existing connection (tests inject fault-injecting wrappers this way).
  RunStore(std::unique_ptr<db::Connection> connection, const StorageConfig& config,
           std::string environment, StoreAccess access = StoreAccess::kWrite);
  ~RunStore() override;
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Events recorded from now on get a delivery record per enabled hook of `hooks`, named as
  // HookConfig::label() names them. Without this call, events are recorded with no deliveries.
  void set_hooks(const HooksConfig& hooks);
  // Called (from the recording thread) after events were committed: a dispatcher wakes up.
  void on_events_recorded(std::function<void()> listener);
  // False when the store has no outbox tables (create_tables: false on a store older than
  // schema version 3): events are then not recorded at all.
  bool has_outbox() const;

  // Writes the run and its results in one transaction. Throws StorageError; on failure
  // nothing of this run is visible.
  void store(const ProfilingResult& result) override;
  // The same, with the events that report the run (ProfilingCompleted) in the same transaction.
  void store_run(const ProfilingResult& result, const std::vector<Event>& events) override;
  // Records events in one transaction (ProfilingStarted, ProfilingFailed). An event whose id is
  // stored already is kept as it is. Throws StorageError.
  void record_events(const std::vector<Event>& events) override;
  // Records a drift run's events (DataDriftDetected, SchemaChangeDetected) in one transaction,
  // with a DataDriftResolved for each finding of the table that an earlier drift run reported and
  // this one no longer finds. Running it again on the same runs records nothing new (the events
  // have name-based ids). Returns what it recorded, resolutions included. Throws StorageError.
  std::vector<Event> record_drift(const DriftRunRecord& run, const std::vector<Event>& events);

  // Delivery records of these events (all hooks), ordered by event and hook.
  std::vector<DeliveryRecord> deliveries(const std::vector<std::string>& event_ids) const;
  // Puts the chosen events back in the queue of the chosen hooks of `hooks` (all by default):
  // pending, due now, sent even where they would be suppressed. Returns (hook, queued) pairs.
  // Throws UsageError when request.hook names no configured hook.
  std::vector<std::pair<std::string, int>> replay(const ReplayRequest& request,
                                                  const HooksConfig& hooks);

  std::vector<RunRecord> list_runs(const RunQuery& query) const;
  // The schemas `dataset` has runs under, sorted ("" for runs stored without a schema).
  std::vector<std::string> schemas_of(const std::string& dataset) const;
  std::optional<RunRecord> find_run(const std::string& run_id) const;
  std::vector<MetricRecord> results(const RunRecord& run) const;
  // Completed runs of the dataset profiled strictly before `run` (newest first), in its schema;
  // when it has none there, the runs stored without a schema (by a version that did not record
  // the resolved one).
  std::vector<RunRecord> runs_before(const RunRecord& run, int limit) const;

  // Every (dataset, schema) with stored runs, by dataset then schema name.
  std::vector<DatasetRecord> list_datasets() const;

  std::vector<EventRecord> list_events(const EventQuery& query) const;

  // Pins `run` as the baseline of its dataset (and schema), replacing any earlier pin.
  void pin_baseline(const RunRecord& run);
  std::optional<PinnedBaseline> pinned_baseline(const std::string& dataset,
                                                const std::string& schema) const;
  // Removes the pin; false when there was none.
  bool clear_baseline(const std::string& dataset, const std::string& schema);

  int schema_version() const;

 private:
  // One transaction: the run, its results and `events` (in the outbox, when the store has one).
  void write_run(const ProfilingResult& result, const std::vector<Event>& events);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads events from any events table (e.g. the one a sql hook writes), newest first.
std::vector<EventRecord> read_events(const ConnectionConfig& connection, const std::string& table,
                                     const EventQuery& query);

// The events of a configuration, newest first: from the store's events table (`store`, or
// config.storage opened read-only when it is null: NoStoreError, nothing created, when there is
// none), which records every event once the store has its outbox; on an older store without one,
// from the table of the first enabled sql hook. What `baselinr events` lists and the report
// shows.
std::vector<EventRecord> list_configured_events(const Config& config, const EventQuery& query,
                                                const RunStore* store = nullptr);

}  // namespace baselinr
