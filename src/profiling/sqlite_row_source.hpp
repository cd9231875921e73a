// SqliteRowSource: a SQLite table's (or view's) rows for the metric engine, read in process.
//
// What is read: tables with rowids in ranges of rowids that split the rows actually present,
// one read-only connection per thread; views, WITHOUT ROWID tables, virtual tables, and tables
// whose every rowid name (_rowid_, rowid, oid) is taken by a column, as one stream on one
// connection. The scope's partition filter and random sampling are the same WHERE conditions
// the SQL path uses (scope.hpp), so both paths read the same rows.
//
// How the rowids are split: the smallest and largest rowid, then up to 32 probes of 16 rows
// spread over that span. When every probe finds its rowid present and the rows after it close
// together (a dense table, perhaps with holes), the span is cut into equal widths and its
// length is the row estimate. Otherwise (sparse keys, random 64-bit ids, clusters) COUNT(*)
// gives the rows, and boundaries every N/pieces rows are found by OFFSET from the previous one,
// so each range holds as many rows as the next; memory is sized by rows, never by the span.
// The ranges always cover every int64 rowid, whatever the probes found.
//
// One snapshot: every connection of the source reads in one read transaction, held from the
// constructor to the destructor, so pass 1, the histogram pass and every range see the same
// rows. The transactions of several connections are made to start on the same snapshot: a
// probe connection (the caller's) reads `PRAGMA data_version` before the readers start their
// transactions and after; equal values mean no commit came in between (SQLite changes the
// value on every commit by another connection, in WAL and in rollback-journal mode), so every
// reader began on the same state. Otherwise, or when a reader is kept out by a writer waiting
// to commit (rollback mode), all transactions are ended and started again, a bounded number of
// times, after which the table is read on one connection (one snapshot by construction).
// In rollback-journal mode the readers' shared locks keep writers from committing until the
// profile ends, as the SQL path's single statement does; in WAL mode writers are not held up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

class SqliteRowSource final : public RowSource {
 public:
  // Starts the read of `target` (see above). `connection` is the caller's; `factory` opens the
  // other threads' connections (none: one connection); `threads` >= 1. Returns null when the
  // object is not a table or view this connection can see (the caller then uses the SQL path,
  // which reports the error). Throws QueryError.
  static std::unique_ptr<SqliteRowSource> open(db::Connection& connection,
                                               const ConnectionFactory* factory, int threads,
                                               const TableTarget& target,
                                               const std::vector<ColumnSpec>& columns,
                                               const Scope& scope);
  ~SqliteRowSource() override;  // ends the read transactions

  int threads() const override { return static_cast<int>(readers_.size()); }
  std::size_t parts() const override { return ranges_.empty() ? 1 : ranges_.size(); }
  std::int64_t expected_rows() const override { return expected_rows_; }
  std::string describe() const override;
  std::unique_ptr<db::RowCursor> open(int thread, std::size_t part,
                                      const std::vector<std::size_t>& columns) override;
  std::int64_t number_length(const db::CellView& cell) const override;

  // How the rows were split, for tests and logs.
  enum class Split { kStream, kEqualWidth, kByRowCount };
  Split split() const { return split_; }
  // Times the readers had to start their transactions again to share one snapshot.
  int snapshot_retries() const { return retries_; }

 private:
  struct Range {
    std::int64_t lo;
    std::int64_t hi;  // inclusive
  };
  SqliteRowSource() = default;
  void start_readers(db::Connection& probe, const ConnectionFactory* factory, int threads);
  // Starts every reader's transaction on one snapshot, trying up to `attempts` times.
  bool share_snapshot(db::Connection& probe, int attempts);
  void end_readers();
  void plan_ranges(int threads);
  // The conditions of part `part`'s rowid range, its bounds added to `params`.
  std::vector<std::string> range_of(std::size_t part, db::ParamList& params) const;

  const std::vector<ColumnSpec>* columns_ = nullptr;
  const Scope* scope_ = nullptr;
  std::string table_;   // quoted, qualified
  std::string schema_;  // the database holding it ("main", an attached name)
  std::string rowid_;   // a name of the rowid no column takes; empty: read as one stream
  std::vector<db::Connection*> readers_;
  std::vector<std::unique_ptr<db::Connection>> owned_;
  std::vector<Range> ranges_;
  std::int64_t expected_rows_ = 0;
  Split split_ = Split::kStream;
  int retries_ = 0;
};

}  // namespace baselinr::profiling
