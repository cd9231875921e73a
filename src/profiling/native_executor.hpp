// The native executor: for engines that run in this process (SQLite), reading the rows once and
// computing every scalar metric here, split across threads by rowid ranges, is faster than the
// engine's own aggregates (SQLite has no hash aggregation: each COUNT(DISTINCT) builds a B-tree).
//
// Pass 1 reads each column once for all scalar metrics. With exact distinct counts it also keeps
// the finite values of the columns that want histograms when they fit in kHistogramBufferBytes
// (1M rows of 16 such columns do); otherwise (and always with approximate distinct counts, whose
// memory must not grow with the rows) pass 2 reads those columns once more to bin them. Each thread
// has its own read-only connection and its own states, merged at the end: counts add, Moments merge
// (Chan et al.), exact distinct sets union, HyperLogLog registers take the maximum. Partition
// filters and random sampling are the same WHERE predicates the SQL path uses, so both paths
// profile the same rows; tables without rowid, views, and scopes that are not row-local
// (stratified, topk, max_rows) are left to the SQL path. The results equal the SQL path's (a test
// checks every metric).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

struct NativeResult {
  std::int64_t count = 0;
  std::vector<ColumnAggregates> aggregates;
};

class NativeExecutor {
 public:
  // `factory` opens extra connections for threads beyond the first; `threads` >= 1.
  NativeExecutor(db::Connection& connection, const ConnectionFactory* factory, int threads);

  // True when this table and scope can be read natively on this connection.
  bool applicable(const Scope& scope) const;

  // Pass 1. nullopt when the table turns out not to have rowids (a view, WITHOUT ROWID): the
  // caller then uses the SQL path.
  std::optional<NativeResult> scalar_pass(const TableTarget& target,
                                          const std::vector<ColumnSpec>& columns,
                                          const Scope& scope, DistinctMode distinct);

  // Pass 2: bin counts per request, over the same rows as pass 1.
  std::vector<std::vector<std::int64_t>> histogram_pass(
      const TableTarget& target, const std::vector<ColumnSpec>& columns, const Scope& scope,
      const std::vector<HistogramRequest>& requests, int bins);

 private:
  struct Range {
    std::int64_t lo;
    std::int64_t hi;  // exclusive
  };
  static constexpr std::size_t kHistogramBufferBytes = std::size_t{128} << 20;
  std::vector<Range> ranges_;
  // Per column (empty when not kept), per thread: the values pass 1 kept for the histograms.
  std::vector<std::vector<std::vector<double>>> hist_values_;
  db::Connection& connection_;
  const ConnectionFactory* factory_;
  int threads_;
};

}  // namespace baselinr::profiling
