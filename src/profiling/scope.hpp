// What subset of a table one profiling run reads: partition filter, then sampling, then the
// row cap, all pushed down into the FROM clause of the profiling queries.
//
// Partition values are selected inside each profiling statement, compared in the key's own
// type; one light query on the key column reads the same values beforehand (in the table's
// snapshot) so the run records exactly which values it profiled. Sampling is repeatable
// within the run (a seed chosen per run: TABLESAMPLE ... REPEATABLE or a seeded row hash), so
// the scalar query and the histogram query read the same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

struct Scope {
  db::TableRef table;
  PartitionStrategy strategy = PartitionStrategy::kAll;
  std::string key;         // the partition key column, empty for all rows
  std::string key_type;    // its native type
  std::string key_source;  // "configured" or why it was inferred
  std::int64_t recent_n = 1;
  std::int64_t sample_size = 1;
  // The partition values, as the engine prints them (specific_values: as configured). The
  // profiling statements select the same values themselves, in the key's own type.
  std::vector<db::Value> values;
  bool values_resolved = false;
  std::optional<SamplingConfig> sampling;  // set when sampling is enabled
  std::int64_t seed = 0;                   // in [0, 2^31 - 1]
  // Whether `random` sampling uses the engine's TABLESAMPLE on this relation (see
  // resolve_scope); unset: whenever the dialect has it.
  std::optional<bool> native_sampling;

  bool filters() const { return strategy != PartitionStrategy::kAll || sampling.has_value(); }
  ProfiledScope record(const db::Dialect& dialect) const;
  std::string partition_description() const;
  std::string sampling_description(const db::Dialect& dialect) const;
};

// Chooses the partition key (configured or inferred from column names and types) and the
// sampling, and validates them against the table's columns. Throws ConfigError when the
// configuration cannot apply to this table.
Scope plan_scope(const TableTarget& target, const std::vector<ColumnSpec>& columns);

// The inferred partition key among `columns` and why, if any (metadata_fallback).
std::optional<std::pair<std::string, std::string>> infer_partition_key(
    const std::vector<ColumnSpec>& columns);

// Runs the query that picks the partition values (latest, recent_n, sample); specific_values
// come from the configuration. At most one query, on the key column only.
void resolve_partition_values(db::Connection& connection, const TableTarget& target, Scope& scope);

// For random sampling: whether the engine's native sampling applies to this relation
// (PostgreSQL views and foreign tables take the row filter instead). One catalog query.
void resolve_sampling(db::Connection& connection, const TableTarget& target, Scope& scope);

// What the scope needs from the database before the profiling queries: resolve_sampling() and
// resolve_partition_values().
void resolve_scope(db::Connection& connection, const TableTarget& target, Scope& scope);

// True when `random` sampling of this scope uses the engine's native TABLESAMPLE.
bool native_sample(const db::Dialect& dialect, const Scope& scope);

// True when the scope is a per-row predicate (partition filter and/or a random filter): no
// stratified or topk numbering, no cap, no native table sampling. Such a scope can be split into
// ranges and read in parallel.
bool row_local(const db::Dialect& dialect, const Scope& scope);

// The WHERE conditions of a row-local scope (see row_local), with their values in `params`.
std::vector<std::string> row_filters(const db::Dialect& dialect,
                                     const std::vector<ColumnSpec>& columns, const Scope& scope,
                                     db::ParamList& params);

// A row source's SELECT (SQLite, MySQL/MariaDB): `columns` (indexes into `specs`; "1" when none)
// of `table` (quoted), the rows a row-local scope keeps, and `range` (a key range whose bounds
// are in `params` too). The statement to run, with its values bound.
db::BoundSql row_select(const db::Dialect& dialect, const std::vector<ColumnSpec>& specs,
                        const std::vector<std::size_t>& columns, const Scope& scope,
                        const std::string& table, db::ParamList& params,
                        const std::vector<std::string>& range = {});

// The FROM clause for the profiling queries: the table itself when the scope is all rows,
// else a derived table applying the partition filter, the sampling and the cap, in that order.
std::string scope_from(const db::Dialect& dialect, const TableTarget& target,
                       const std::vector<ColumnSpec>& columns, const Scope& scope,
                       db::ParamList& params);

}  // namespace baselinr::profiling
