// The native executor: reads the rows of a table once and computes every metric in this
// process, with one metric engine (metric_engine.hpp) fed by a row source (row_source.hpp).
// For SQLite, the engine running in process, this is faster than the engine's own aggregates
// (SQLite has no hash aggregation: each COUNT(DISTINCT) builds a B-tree), and it reads any table
// shape: tables with rowids split over threads by the rowids present, views, WITHOUT ROWID and
// virtual tables as one stream (sqlite_row_source.hpp).
//
// Pass 1 reads each column once for all scalar metrics and the distribution summaries
// (quantiles, top values: exact, from distinct sets that count each value). The histograms need
// min and max first: with exact distinct counts they are binned from the same counted sets (each
// distinct value once, with its count), so the rows are read once whatever the table's size; with
// approximate distinct counts (no counted sets: memory must not grow with the values) pass 2
// reads the histogram columns once more, from the same snapshot as pass 1. Partition filters and
// random sampling are the same WHERE predicates the SQL path uses; scopes that are not row-local
// (stratified, topk, max_rows) are left to the SQL path. The results equal the SQL path's (tests
// compare every metric on every table shape).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/metric_engine.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

// Which executor profiles a table, and why (for `plan`, logs and the run's `executor`).
struct ExecutorChoice {
  bool native = false;
  std::string reason;
};

// The rule of profiling.executor (docs/CONFIGURATION.md): pushdown when asked; the native
// executor when asked where it can read the table and scope exactly, else pushdown with the
// reason. With auto: SQLite native; PostgreSQL native where it can read the table exactly and the
// estimated transfer (PgRowSource::estimate_transfer) is at most `transfer_budget` bytes;
// MySQL/MariaDB over Connector/C likewise (MysqlRowSource::estimate_transfer); ODBC sources
// pushdown (a DSN can be any engine; native, when asked, reads PostgreSQL and MySQL/MariaDB
// through ODBC: OdbcRowSource); other engines pushdown. Catalog queries only (none on SQLite).
// Throws QueryError.
ExecutorChoice choose_executor(db::Connection& connection, const TableTarget& target,
                               const std::vector<ColumnSpec>& columns, const Scope& scope,
                               Executor requested,
                               std::int64_t transfer_budget = kDefaultTransferBudget);

// The transfer budget of a table: its own `transfer_budget:`, else profiling.transfer_budget.
std::int64_t transfer_budget(const Config& config, const TableTarget& target);

struct NativeResult {
  std::int64_t count = 0;
  std::vector<ColumnAggregates> aggregates;
};

class NativeExecutor {
 public:
  // `factory` opens extra connections for threads beyond the first; `threads` >= 1.
  NativeExecutor(db::Connection& connection, const ConnectionFactory* factory, int threads);
  ~NativeExecutor();

  // Pass 1: every metric but the histograms (quantiles and top values included, at most
  // `top_values` values). nullopt when the table is not one the native executor can read (the
  // caller then uses the SQL path). The read stays open (one snapshot) until histogram_pass()
  // or the executor's destruction.
  std::optional<NativeResult> scalar_pass(const TableTarget& target,
                                          const std::vector<ColumnSpec>& columns,
                                          const Scope& scope, DistinctMode distinct,
                                          int top_values);

  // Pass 2: bin counts per request, over the same rows of the same snapshot as pass 1.
  std::vector<std::vector<std::int64_t>> histogram_pass(
      const TableTarget& target, const std::vector<ColumnSpec>& columns, const Scope& scope,
      const std::vector<HistogramRequest>& requests, int bins);

  // The source of the last scalar_pass(), for tests and logs (null before).
  const RowSource* source() const { return source_.get(); }
  // Why the last scalar_pass() returned nullopt (empty when it did not).
  const std::string& declined() const { return declined_; }

 private:
  db::Connection& connection_;
  const ConnectionFactory* factory_;
  int threads_;
  std::unique_ptr<RowSource> source_;
  std::unique_ptr<MetricEngine> engine_;
  std::string declined_;
};

}  // namespace baselinr::profiling
