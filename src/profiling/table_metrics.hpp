// Table-level metrics of a run, for drift: row_count (volume), freshness (how old the newest
// value of a timestamp column is at profile time) and, where the engine records it, the time
// since the table last changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

// The timestamp column freshness is measured on: the configured freshness_column, else the
// first temporal column named like a load or event time (updated_at, modified_at, loaded_at,
// ingested_at, created_at, event_time, timestamp, ...), else the partition key when temporal,
// else the first timestamp column, else the first date column. Empty when there is none.
// Throws QueryError when a configured column is not a temporal column of the table.
std::string freshness_column(const ProfilingResult& result, const TableConfig* table);

// Appends row_count, freshness_seconds and freshness_column, and last_change_seconds (where
// the dialect can ask the engine) to result.table_metrics. The newest value comes from the
// run's own `max` when the run read every row, else from one MAX() over the whole table.
void add_table_metrics(db::Connection& connection, const TableTarget& target,
                       ProfilingResult& result);

}  // namespace baselinr::profiling
