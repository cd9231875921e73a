// PgRowSource: a PostgreSQL table's rows for the metric engine, streamed with
// `COPY (SELECT ...) TO STDOUT (FORMAT binary)` and decoded from each type's binary send format.
//
// One snapshot: the caller's connection starts a REPEATABLE READ, READ ONLY transaction and
// exports its snapshot (pg_export_snapshot()); every other reader connection starts the same
// kind of transaction and adopts it (SET TRANSACTION SNAPSHOT), so every part, in pass 1 and in
// the histogram pass, sees the same rows. All transactions stay open until the source is
// destroyed. When the snapshot cannot be shared (a server that refuses to export it), the table
// is read on the caller's connection alone.
//
// Parts: a plain table or materialized view without inheritance children is cut into ranges of
// heap blocks (`ctid >= '(b,0)' AND ctid < '(e,0)'`, a TID range scan from PostgreSQL 14 on; a
// filtered sequential scan before), the last range open-ended so that every row is read
// whatever the relation's size now; anything else (views, partitioned tables, inheritance
// parents, foreign tables) is one stream. Partition filter and random sampling are the WHERE
// conditions of the SQL path (scope.hpp). COPY takes no bound parameters: each reader sets
// their values as transaction-local settings with a bound set_config() first, and the SELECT
// reads them back with current_setting() in their type, so no value is pasted into SQL.
//
// Types: every value reaches the engine in a form whose equality and order are the SQL path's,
// and present() turns the stand-ins back into what the SQL path stores (docs/VALUES.md):
// - integers, double precision and boolean as numbers; real (float4) as its exact value, shown
//   (min, max, quantiles, top values) as the double its shortest text reads as, which is what
//   the SQL path reads from the server's text;
// - numeric(p,s) as the double nearest to its value, which keeps equality and order while the
//   value scaled by 10^s is an integer below 10^15 (every numeric(15,s) value, and the values
//   of wider columns up to that size); shown as the exact text at scale s; mean and stddev
//   computed exactly from the scaled integers, not from the doubles. NaN and +-Infinity as the
//   doubles. A larger value, or more decimals than the scale, stops the read (NativeFallback);
//   numeric without a declared scale likewise, each value shown at its own scale, while every
//   value is written without trailing zeros in its fraction (1.5: equal values then have one
//   text; 1.50 stops the read) and has at most 15 significant digits; its mean and stddev are
//   the engine's, from the doubles. Negative scales are left to the SQL path;
// - text, varchar, name, uuid, and types without an equality of their own (json, xml, point...;
//   the SQL path counts their text) as the bytes of their text, whatever their collation
//   (counted and ordered by their bytes, as the pushed-down SQL does with COLLATE "C"); bytea
//   as its hex text (ordered as its bytes);
// - char(n) as its text without the trailing spaces (as PostgreSQL compares and measures it),
//   shown padded to n characters again;
// - enums as the position of their label in the type's order (pg_enum), shown as the label;
// - date, timestamp (without time zone) and time (without time zone) as integers, in their
//   binary send format: days since 2000-01-01, microseconds since 2000-01-01 00:00:00, and
//   microseconds since midnight (24:00:00 included), whose order is the values' order; shown
//   (min, max, quantiles, top values) as the text the SQL path stores, the server's ISO text
//   ("2024-02-29", "2024-02-29 13:45:00.5", "24:00:00"). Only while the connection reports
//   DateStyle ISO and integer_datetimes on (the session pins the first, servers since 10 have
//   the second); otherwise, and always for timestamptz, as PostgreSQL's text (timestamptz's
//   text depends on the session TimeZone, which the server applies: it stays the server's).
//   The SQL path's text sorts as the value only for years 1 to 9999 AD: a BC, infinite or
//   five-digit-year value (seen as an integer, or in the text) stops the read with
//   NativeFallback (the caller then pushes the table down).
// Every other type (money, interval, jsonb, inet, arrays, ranges, bare
// bpchar, domains over enums...) is left to the SQL path: unsupported() says why, from the
// catalog, before any row is read.
//
// Transfer: estimate_transfer() says, from the catalog, how many bytes of COPY data a read would
// move (the `auto` rule compares it with profiling.transfer_budget); bytes_read() counts what the
// cursors actually received.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "baselinr/error.hpp"
#include "baselinr/profiler.hpp"
#include "common/moments.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

struct pg_conn;

namespace baselinr::profiling {

// Thrown while reading when a value shows that the native executor cannot give the SQL path's
// result (a BC date, say): the caller drops the read and pushes the table down.
class NativeFallback : public QueryError {
 public:
  using QueryError::QueryError;
};

class PgRowSource final : public RowSource {
 public:
  // How a column is read.
  enum class Wire {
    kInteger,
    kFloat,
    kFloat4,
    kNumeric,
    kBoolean,
    kBytes,
    kBpchar,
    kEnum,
    kDate,       // int32 days since 2000-01-01
    kTimestamp,  // int64 microseconds since 2000-01-01 00:00:00 (without time zone)
    kTime,       // int64 microseconds since midnight (without time zone)
    kTemporalText
  };
  // How each column is read: its wire form and what present() needs to show its values.
  struct Read {
    Wire wire = Wire::kBytes;
    int scale = 0;                                          // numeric: the column's scale; -1: none
    int width = 0;                                          // char(n): n
    std::vector<std::string> labels;                        // enum: the labels in the type's order
    std::map<std::string, std::int64_t, std::less<>> rank;  // enum: label -> position
  };
  // What the cursors of the first read note per column and thread, beyond the engine's state.
  // FloatNotes (row_source.hpp): float and numeric NaN, float -0 and +0 seen.
  struct Notes : FloatNotes {
    Moments moments;  // numeric: the values scaled by 10^scale, exactly
  };

  // Empty when the table can be read natively on this connection, else the reason it cannot
  // (for `plan` and logs). Catalog queries only. Throws QueryError.
  static std::string unsupported(db::Connection& connection, const TableTarget& target,
                                 const std::vector<ColumnSpec>& columns);

  // What streaming the table's rows would move (binary COPY messages), estimated from the
  // catalog before any row is read.
  struct TransferEstimate {
    std::int64_t bytes = 0;  // estimated bytes of COPY data (the protocol's messages)
    std::int64_t rows = 0;   // estimated rows read (after random sampling)
    // How: "pg_stats" (rows from reltuples scaled to the current size, widths from pg_stats
    // and the types), or "size on disk" (the table's heap and TOAST size, when statistics
    // are missing), or empty when no estimate exists (views, foreign tables).
    std::string method;
  };
  // Catalog queries only. Throws QueryError.
  static TransferEstimate estimate_transfer(db::Connection& connection, const TableTarget& target,
                                            const std::vector<ColumnSpec>& columns,
                                            const Scope& scope);

  // Starts the read (see above); null when `connection` is not a PostgreSQL connection.
  // Throws QueryError.
  static std::unique_ptr<PgRowSource> open(db::Connection& connection,
                                           const ConnectionFactory* factory, int threads,
                                           const TableTarget& target,
                                           const std::vector<ColumnSpec>& columns,
                                           const Scope& scope);
  ~PgRowSource() override;  // ends the read transactions

  int threads() const override { return static_cast<int>(readers_.size()); }
  std::size_t parts() const override { return ranges_.empty() ? 1 : ranges_.size(); }
  std::int64_t expected_rows() const override { return expected_rows_; }
  std::string describe() const override;
  std::unique_ptr<db::RowCursor> open(int thread, std::size_t part,
                                      const std::vector<std::size_t>& columns) override;
  std::int64_t number_length(const db::CellView& cell) const override;
  void present(std::vector<ColumnAggregates>& aggregates) override;

  // The statements a native read runs, for `plan`: the setting of the bound values and the COPY
  // of every column (with the block ranges described, not listed). Catalog queries only.
  static std::vector<std::string> planned_statements(db::Connection& connection,
                                                     const TableTarget& target,
                                                     const std::vector<ColumnSpec>& columns,
                                                     const Scope& scope);

  // Whether the readers share one exported snapshot (false with one reader).
  bool shared_snapshot() const { return shared_; }
  // Bytes of COPY data received so far by every cursor of this source (the CopyData messages:
  // their 5-byte headers and payloads; TCP/TLS framing not counted).
  std::int64_t bytes_read() const { return bytes_read_.load(); }

 private:
  struct Range {
    std::int64_t first = -1;  // first block, -1: from the start
    std::int64_t end = -1;    // block after the last, -1: to the end
  };
  PgRowSource() = default;
  void start(db::Connection& leader, const ConnectionFactory* factory, int threads);
  void end_readers() noexcept;

  const std::vector<ColumnSpec>* columns_ = nullptr;
  const Scope* scope_ = nullptr;
  std::vector<Read> read_;
  // Per thread, per column; noted while `noting_` (the first read), merged by present().
  std::vector<std::vector<Notes>> notes_;
  bool noting_ = true;
  std::string table_;  // quoted, qualified
  std::vector<db::Connection*> readers_;
  std::vector<std::unique_ptr<db::Connection>> owned_;
  std::vector<Range> ranges_;
  std::int64_t blocks_ = 0;
  std::int64_t expected_rows_ = 0;
  bool splittable_ = false;
  bool shared_ = false;
  std::atomic<std::int64_t> bytes_read_{0};
};

}  // namespace baselinr::profiling
