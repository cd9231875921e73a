// What the HTML report shows, gathered from the store (read only): for each table its recent
// runs with their metrics, its findings (stored drift events, and the configured drift
// detection run on its latest run), its schema changes between consecutive runs, and whether
// its last profiling failed; plus the recent events.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/storage.hpp"
#include "report/history.hpp"

namespace baselinr::report {

struct Finding {
  std::string table;
  std::string schema;
  std::string column;    // empty: the table as a whole
  std::string metric;    // or the test that found it
  std::string severity;  // low | medium | high
  std::optional<double> baseline_value;
  std::optional<double> current_value;
  std::optional<double> change_percent;
  // Explanation, as the drift event's details give it (empty when unknown).
  std::string direction;
  std::string strategy;
  std::string statistic;
  std::string statistic_value;
  std::string threshold;
  std::string baseline_run_ids;
  std::string current_run_id;
  std::string reason;
  std::string detected_at;  // the event's timestamp, or when the report compared the runs
  bool from_event = false;  // a stored DataDriftDetected, else found while writing the report
  std::optional<std::size_t> run_index;  // the run in TableReport::runs it was found on
};

struct SchemaChangeEntry {
  std::size_t run_index = 0;  // the run where the change was first seen
  std::string change_type;    // column_added | column_removed | type_changed
  std::string column;
  std::string old_type;
  std::string new_type;
};

struct TableReport {
  std::string name;
  std::string schema;
  bool configured = false;             // listed in profiling.tables
  std::int64_t stored_runs = 0;        // all runs in the store (runs holds the newest N)
  std::vector<RunSnapshot> runs;       // oldest first
  std::optional<EventRecord> failure;  // a ProfilingFailed newer than the latest run
  std::vector<Finding> findings;       // on runs in the window, worst first
  std::vector<SchemaChangeEntry> schema_changes;
  std::string drift_note;  // why the latest run could not be compared, if so

  std::string display_name() const { return schema.empty() ? name : schema + "." + name; }
  const RunSnapshot* latest() const { return runs.empty() ? nullptr : &runs.back(); }
  // "failed", "ok", or "not profiled".
  std::string status() const;
  // Findings on the latest run (what is open now).
  std::vector<const Finding*> open_findings() const;
};

struct ReportOptions {
  std::vector<std::string> datasets;  // empty: every configured and stored table
  int runs = 30;                      // runs per table (0: all)
  int events = 50;                    // recent events listed
};

struct ReportData {
  std::string generated_at;  // storage form, UTC
  std::string environment;
  std::string source;   // ConnectionConfig::describe(): never a secret
  std::string storage;  // the same for the store
  std::string config_file;
  int runs_window = 30;
  std::vector<TableReport> tables;
  std::vector<EventRecord> events;  // newest first
  std::string events_error;         // why events could not be read, if so
};

// Throws UsageError when a requested dataset is neither configured nor stored; StorageError
// when the store cannot be read. Events that cannot be read are reported in events_error.
ReportData gather_report(const Config& config, const RunStore& store, const ReportOptions& options);

// Severity rank: high 3, medium 2, low 1, anything else 0.
int severity_rank(std::string_view severity);

}  // namespace baselinr::report
