// RowSource: where the native executor's rows come from. A source hands out a table's rows (after
// the scope's partition filter and row sampling) in parts that several threads may read at the
// same time, every part from ONE snapshot of the table: two reads of a part, or reads of two
// parts, see the same rows, for as long as the source lives. The metric engine
// (metric_engine.hpp) consumes what the cursors return; it knows nothing of where rows come from.
//
// Implementations: SqliteRowSource (sqlite_row_source.hpp): ranges of rowids present, one
// snapshot shared by one read-only connection per thread; PgRowSource (pg_row_source.hpp):
// binary COPY, block ranges on one exported snapshot; MysqlRowSource (mysql_row_source.hpp):
// unbuffered streams, primary-key ranges on connections whose snapshots are started together
// (MariaDB cannot share one; see its header for what "together" guarantees); OdbcRowSource
// (odbc_row_source.hpp): PostgreSQL and MySQL/MariaDB behind ODBC, block cursors on one
// connection in one snapshot, in chunks the drivers can buffer.
//
// Thread-safety: open() may be called from threads() threads at once, each passing its own
// `thread` index; a cursor is used by the thread that opened it. Construction and destruction
// are single-threaded.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "db/connection.hpp"
#include "profiling/query_builder.hpp"

namespace baselinr::profiling {

class RowSource {
 public:
  RowSource() = default;
  virtual ~RowSource() = default;
  RowSource(const RowSource&) = delete;
  RowSource& operator=(const RowSource&) = delete;

  // How many threads may read at once (>= 1).
  virtual int threads() const = 0;
  // How many parts the rows are split into (0 for none); each part is read whole by one thread.
  virtual std::size_t parts() const = 0;
  // The rows of the table (before filters), or an estimate: for sizing memory, never a result.
  virtual std::int64_t expected_rows() const = 0;
  // A short description for logs ("12 rowid ranges on 2 connections, one snapshot").
  virtual std::string describe() const = 0;

  // Streams the given columns (indexes into the table's columns, in this order) of the rows of
  // `part` that the scope keeps. Throws QueryError.
  virtual std::unique_ptr<db::RowCursor> open(int thread, std::size_t part,
                                              const std::vector<std::size_t>& columns) = 0;

  // The length the engine reports for a number in a string column (SQLite's LENGTH() of an
  // integer or real renders it as text first). Text and blobs are measured by the engine.
  virtual std::int64_t number_length(const db::CellView& cell) const = 0;

  // Called once after the first read (before any histogram read), with the engine's aggregates
  // of every column: a source that handed the engine a stand-in for a value (PostgreSQL: a
  // numeric as its nearest double, a char(n) without its padding, an enum label as its position)
  // turns min, max, quantiles, top values, mean and stddev back into what the SQL path stores.
  // Nothing by default.
  virtual void present(std::vector<ColumnAggregates>& /*aggregates*/) {}
};

// For present(): every shown value of `a` (min, max, quantiles, top values) passed through
// `shown`.
void present_values(ColumnAggregates& a,
                    const std::function<MetricValue(const MetricValue&)>& shown);

// For present(): what a source notes of a double column while the engine reads it, and what it
// changes. The server's AVG and STDDEV_SAMP of values with a NaN are NaN, where the engine leaves
// NaN out of its moments; a column whose zeros are all -0 shows -0.0 as the server does, where
// the engine's distinct sets keep one unsigned zero.
struct FloatNotes {
  std::int64_t nans = 0;
  bool neg_zero = false;
  bool pos_zero = false;
  void note(double d) {
    if (d != d) {
      ++nans;
    } else if (d == 0) {
      (std::signbit(d) ? neg_zero : pos_zero) = true;
    }
  }
  void merge(const FloatNotes& o) {
    nans += o.nans;
    neg_zero = neg_zero || o.neg_zero;
    pos_zero = pos_zero || o.pos_zero;
  }
  // Mean and stddev NaN where a NaN was read (stddev only with two values or more).
  void present_moments(const ColumnSpec& spec, ColumnAggregates& a) const;
  // A shown double as the server shows it: zero with the column's sign.
  MetricValue shown_zero(const MetricValue& v) const;
};

}  // namespace baselinr::profiling
