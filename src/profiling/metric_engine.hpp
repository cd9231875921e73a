// The metric engine: every metric of a table's columns computed in one pass over rows that a
// RowSource (row_source.hpp) hands out, whatever the source (SQLite in process, or server rows
// streamed to this process).
//
// Each thread that reads rows has its own partial state per column: the non-null count, the
// distinct values (an exact hash set, or HyperLogLog registers with `distinct: approximate`),
// min and max in the engine's order (numbers < text < blobs; numbers by value, text and blobs by
// their bytes: SQLite's order with the BINARY collation), mean and standard deviation (Moments)
// and string lengths. When quantiles, top_values or histograms are wanted (exact mode), the
// distinct set also counts each value. finish() merges the threads' states (counts add, Moments
// merge, exact sets are unioned by lookups, HyperLogLog registers take the maximum) into
// ColumnAggregates, and reads the exact quantiles (the values selected at each nearest rank) and
// the k most frequent values from the counted sets, in memory bounded by the distinct values.
//
// Histograms need min and max first. In exact mode, counted_histograms() bins each distinct
// value of the counted sets once, with its count: no second read, and no memory beyond the sets.
// With approximate distinct counts (no counted sets: memory must not grow with the values) the
// caller reads the histogram columns once more through a HistogramBins.
//
// Memory: the exact sets grow with the distinct values; everything else is fixed per column.
//
// Thread-safety: consume() may run concurrently for different `thread` values; everything else
// is called from one thread, after the reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "baselinr/config.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/row_source.hpp"

namespace baselinr::profiling {

struct EngineOptions {
  DistinctMode distinct = DistinctMode::kExact;
  int threads = 1;
  // Rows the source will hand out, or an estimate: sizes the sets. A wrong estimate costs
  // time, never a result.
  std::int64_t expected_rows = 0;
  // How many most frequent values top_values keeps (profiling.top_values).
  int top_values = 10;
  // Threads finish() may use to merge and summarise the columns (0: `threads`); more than the
  // reading threads when one stream fed few of them.
  int finish_threads = 0;
};

class MetricEngine {
 public:
  // `source` measures numbers in string columns (RowSource::number_length); it must outlive
  // the engine's reads.
  MetricEngine(const std::vector<ColumnSpec>& columns, const RowSource& source,
               const EngineOptions& options);
  ~MetricEngine();
  MetricEngine(const MetricEngine&) = delete;
  MetricEngine& operator=(const MetricEngine&) = delete;

  // The columns a cursor passed to consume() must return, in this order: every column.
  std::vector<std::size_t> scan_columns() const;

  // Reads every row of `cursor` into the state of thread `thread` (in [0, threads)), or stops
  // early (within a batch of rows) once `stop` is set: the read failed elsewhere and the state
  // will not be used.
  void consume(int thread, db::RowCursor& cursor, const std::atomic<bool>* stop = nullptr);

  // Merges the threads' states (using up to `threads` threads): the number of rows read, and
  // each column's aggregates, in column order. Call once, after every consume().
  std::int64_t finish(std::vector<ColumnAggregates>& out);

  // Bin counts per request from the counted sets of the request columns (exact mode), or
  // nullopt in approximate mode (the caller then reads the columns again with a HistogramBins).
  // Call once, after finish(); frees the sets.
  std::optional<std::vector<std::vector<std::int64_t>>> counted_histograms(
      const std::vector<HistogramRequest>& requests, int bins);

 private:
  struct ColumnState;
  struct Partial;
  // Frees every thread's exact set of a column (after its last use).
  void free_sets(std::size_t column);
  const std::vector<ColumnSpec>& columns_;
  EngineOptions options_;
  std::vector<std::unique_ptr<Partial>> partials_;
};

// The histogram pass of approximate mode (no counted sets): the request columns read once more.
class HistogramBins {
 public:
  HistogramBins(const std::vector<HistogramRequest>& requests, int bins, int threads);
  // The columns a cursor passed to consume() must return, in this order.
  std::vector<std::size_t> scan_columns() const;
  void consume(int thread, db::RowCursor& cursor, const std::atomic<bool>* stop = nullptr);
  // Bin counts per request, summed over the threads.
  std::vector<std::vector<std::int64_t>> finish() const;

 private:
  const std::vector<HistogramRequest>& requests_;
  int bins_;
  std::vector<std::vector<std::vector<std::int64_t>>> counts_;  // per thread, request, bin
};

// Runs `work(i)` for i in [0, count) on up to `threads` threads (the caller's included), and
// rethrows the first exception once every thread has stopped.
void parallel_for(int threads, std::size_t count, const std::function<void(std::size_t)>& work);

}  // namespace baselinr::profiling
