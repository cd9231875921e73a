// RunStore: the results store (runs, per-column metrics, events) in a SQL database.
//
// Tables (names from StorageConfig): runs, results, events, and baselinr_schema_version, created
// with their indexes when create_tables is true. store() writes a run and all its results in one
// transaction with prepared statements: either everything is visible afterwards or nothing is.
// Readers return newest first.
//
// Thread-safety: one RunStore owns one connection; use it from one thread at a time. store()
// is internally serialised so a profiler may call it from several worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/profiler.hpp"

namespace baselinr {

namespace db {
class Connection;
}

// The storage schema version this build writes. Older stores are migrated in place.
inline constexpr int kStorageSchemaVersion = 2;

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
  std::string column_name;
  std::string column_type;
  std::string metric_name;
  std::optional<std::string> metric_value;
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
};

class RunStore : public ResultSink {
 public:
  // Connects to config.connection; creates or migrates the tables when create_tables is set.
  RunStore(const StorageConfig& config, std::string environment);
  // Uses an existing connection (tests inject fault-injecting wrappers this way).
  RunStore(std::unique_ptr<db::Connection> connection, const StorageConfig& config,
           std::string environment);
  ~RunStore() override;
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Writes the run and its results in one transaction. Throws StorageError; on failure
  // nothing of this run is visible.
  void store(const ProfilingResult& result) override;

  std::vector<RunRecord> list_runs(const RunQuery& query) const;
  std::optional<RunRecord> find_run(const std::string& run_id) const;
  std::vector<MetricRecord> results(const RunRecord& run) const;
  // Completed runs of the dataset profiled strictly before `before` (newest first).
  std::vector<RunRecord> runs_before(const RunRecord& run, int limit) const;

  // Every (dataset, schema) with stored runs, by dataset then schema name.
  std::vector<DatasetRecord> list_datasets() const;

  std::vector<EventRecord> list_events(const EventQuery& query) const;

  int schema_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads events from any events table (e.g. the one a sql hook writes), newest first.
std::vector<EventRecord> read_events(const ConnectionConfig& connection, const std::string& table,
                                     const EventQuery& query);

// The events of a configuration, newest first: from the table of its first enabled sql hook,
// else from the store's events table (`store`, or config.storage opened when it is null). What
// `baselinr events` lists and the report shows.
std::vector<EventRecord> list_configured_events(const Config& config, const EventQuery& query,
                                                const RunStore* store = nullptr);

}  // namespace baselinr
