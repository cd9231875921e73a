// Profiles one table on one connection: introspect, one scalar query, at most one histogram
// query, assemble the ProfilingResult. The unit of work the Profiler schedules.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"

namespace baselinr::profiling {

struct TableTarget {
  const TableConfig* config = nullptr;
  std::size_t index = 0;  // position in profiling.tables, for messages
  db::TableRef ref;
};

// The schema the configured tables that name none resolve to: the source's `schema`, else the
// connection's default (MySQL/MariaDB: its database; PostgreSQL: current_schema(), asked once);
// empty where the engine has no schemas (SQLite) or no table needs it.
std::string default_schema(db::Connection& connection, const Config& config);

// Table `index` of the configuration, its schema resolved: the table's own, else the source's
// `schema`, else `default_schema` (from default_schema()). Runs are stored under that schema, so
// every command names the table the same way.
TableTarget make_target(const Config& config, std::size_t index,
                        const std::string& default_schema = {});

// Column specs (type class, metrics) for the table's columns.
std::vector<ColumnSpec> column_specs(const db::Dialect& dialect,
                                     const std::vector<db::ColumnInfo>& columns,
                                     const ProfilingConfig& profiling);

// Throws QueryError when the table does not exist (or has no visible columns).
std::vector<db::ColumnInfo> require_columns(db::Connection& connection, const Config& config,
                                            const TableTarget& target);

struct Scope;

// The query builder for the table's scope (partition filter, sampling, cap), splitting the
// metrics over statements of at most `item_limit` select-list entries (0: no limit).
QueryBuilder make_builder(const db::Dialect& dialect, const Config& config,
                          const TableTarget& target, std::vector<ColumnSpec> specs,
                          const Scope& scope, std::size_t item_limit = 0);

// How many scans the table's scalar statement may run at once (QueryBuilder::split_scans):
// profiling.parallel_scans, capped by what the engine would run in parallel for this table
// (db::Connection::concurrent_scans; in auto mode, exactly that). Always 1 when the scope is not
// a plain row filter: a row cap or a per-stratum numbering would be evaluated once per scan.
int scan_capacity(db::Connection& connection, const Config& config, const TableTarget& target,
                  const Scope& scope);

struct ExecutionOptions {
  Executor executor = Executor::kAuto;
  const ConnectionFactory* factory = nullptr;  // more connections for the native executor
  int threads = 1;                             // native executor threads for this table
  // The sampling seed, for runs that must read the same sample (tests); random when unset.
  std::optional<std::int64_t> seed;
};

ProfilingResult profile_table(db::Connection& connection, const Config& config,
                              const TableTarget& target, const std::string& run_id,
                              const ExecutionOptions& exec = {});

}  // namespace baselinr::profiling
