// MysqlRowSource: a MySQL/MariaDB table's rows for the metric engine, streamed unbuffered over
// MariaDB Connector/C (db::MysqlConnection::stream(): a server-side prepared statement, binary
// protocol, one row from the network at a time) and decoded exactly as the pushdown path reads
// its aggregates.
//
// Snapshots: every reader connection runs the dialect's snapshot_begin() (REPEATABLE READ, then
// `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`), held until the source is destroyed,
// so pass 1 and the histogram pass read the same rows. MariaDB cannot hand one snapshot to
// another connection (PostgreSQL's pg_export_snapshot() has no equivalent), so several readers
// start their snapshots one right after the other, between two reads of InnoDB's transaction
// counter (information_schema.GLOBAL_STATUS INNODB_MAX_TRX_ID: every read-write transaction
// takes a number from it when it starts and when it commits). Equal values mean no read-write
// transaction started or committed in between: every snapshot holds the same committed rows,
// one snapshot in effect. Otherwise every snapshot is ended and started again, up to 5 times,
// after which (or where the counter is not shown: MySQL) the table is read on one connection.
// The caveat that remains: a transaction that had taken its commit number just before the first
// read but was not yet visible as committed could be seen by a later snapshot and not by an
// earlier one (a window of microseconds inside the server's commit). Only InnoDB keeps
// snapshots; other engines (Aria, MyISAM, MEMORY) are read as they are at each row, as by the
// pushdown path's statements.
//
// Parts: a base table with a single-column integer primary key (not BIGINT UNSIGNED) is cut into
// one range of keys per reader (each always read on its reader's connection), at keys found in
// the first reader's snapshot: equal widths of the key span when the keys are dense (the span at
// most 1.5 times the catalog's row estimate), else by counting rows present in key order (sparse
// keys and int64 extremes split by rows, not by key span); the
// first range is open below and the last open above, so every row is read whatever the
// boundaries. Anything else (views, tables without such a key, small tables) is one stream.
// Partition filter and random sampling are the WHERE conditions of the SQL path (scope.hpp),
// with bound values.
//
// Types: integers (TINYINT(1) booleans included) arrive as numbers, DOUBLE as its bits; CHAR,
// VARCHAR and the TEXT types (JSON is a LONGTEXT) in utf8mb4, utf8mb3 or ascii as their bytes
// (distinct values and the ties of top_values by bytes, as the SQL path's CAST(... AS BINARY));
// DATE, DATETIME, TIMESTAMP and TIME as the connector's text, whose order is their order except
// for TIME values below 00:00:00 or from 100:00:00 on, and a BIGINT UNSIGNED above 2^63 - 1:
// those make the read stop with NativeFallback (the caller pushes the table down). Every other
// type (DECIMAL, FLOAT, YEAR, BIT, ENUM, SET, BLOB, BINARY, UUID, INET, geometry...) and any
// other character set is left to the SQL path: unsupported() says why, before any row is read.
//
// A cursor abandoned before its last row (NativeFallback, or the read stopped because another
// part failed) has the server stop its statement (KILL QUERY, on a connection of its own from
// the factory) before the connector drops what is in flight: otherwise destroying it would read
// every row left. The reader's transaction and snapshot stay.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/query_builder.hpp"
#include "profiling/row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr::profiling {

class MysqlRowSource final : public RowSource {
 public:
  // How a column is read.
  enum class Wire { kInteger, kDouble, kBytes, kTemporalText };
  // How a column of this MySQL/MariaDB type is read (integers, TINYINT(1) and BIGINT UNSIGNED
  // included; DOUBLE; the CHAR, VARCHAR and TEXT types; DATE, DATETIME, TIMESTAMP, TIME), or
  // nullopt for the SQL path. The ODBC row source reads the same types.
  static std::optional<Wire> wire(const ColumnSpec& column);

  // Empty when the table can be read natively on this connection, else the reason it cannot
  // (for `plan` and logs). Catalog queries only. Throws QueryError.
  static std::string unsupported(db::Connection& connection, const TableTarget& target,
                                 const std::vector<ColumnSpec>& columns);

  // What the read would move, from the catalog (the `auto` rule compares it with
  // profiling.transfer_budget). Rows: information_schema.TABLES.TABLE_ROWS (InnoDB's estimate)
  // times the random sampling fraction (a partition filter is not taken off: the estimate is
  // high). Bytes per row: what the binary protocol sends, a 4-byte packet header, a 1-byte row
  // marker and the NULL bitmap, then each value at its width (integers 1 to 8 bytes, DOUBLE 8,
  // DATE 5, DATETIME/TIMESTAMP 8 or 12 with fractional seconds, TIME 9 or 13) and, for strings,
  // their average bytes and length prefixes over the table's first 1,000 rows (one bounded
  // statement; AVG_ROW_LENGTH's share when those rows are gone: high, since it counts InnoDB's
  // row and page overhead). When TABLE_ROWS says nothing (0 rows on a table with data), the
  // table's DATA_LENGTH. Views have no estimate (method empty).
  struct TransferEstimate {
    std::int64_t bytes = 0;
    std::int64_t rows = 0;
    std::string method;  // "information_schema.TABLES (...)", "DATA_LENGTH ...", or empty
  };
  // Catalog queries only. Throws QueryError.
  static TransferEstimate estimate_transfer(db::Connection& connection, const TableTarget& target,
                                            const std::vector<ColumnSpec>& columns,
                                            const Scope& scope);

  // The single-column integer primary key (not BIGINT UNSIGNED) of a base table, or empty.
  // Catalog queries only, on any connection to MySQL/MariaDB (ODBC too). Throws QueryError.
  static std::string primary_key(db::Connection& connection, const db::TableRef& table);

  // Starts the read (see above); null when `connection` is not a Connector/C connection or a
  // column's type is not read natively. Throws QueryError.
  static std::unique_ptr<MysqlRowSource> open(db::Connection& connection,
                                              const ConnectionFactory* factory, int threads,
                                              const TableTarget& target,
                                              const std::vector<ColumnSpec>& columns,
                                              const Scope& scope);
  ~MysqlRowSource() override;  // ends the read transactions

  int threads() const override { return static_cast<int>(readers_.size()); }
  std::size_t parts() const override { return bounds_.size() + 1; }
  std::int64_t expected_rows() const override { return expected_rows_; }
  std::string describe() const override;
  std::unique_ptr<db::RowCursor> open(int thread, std::size_t part,
                                      const std::vector<std::size_t>& columns) override;
  std::int64_t number_length(const db::CellView& cell) const override;
  // DATE, DATETIME and TIMESTAMP columns are read as numbers in the order of their text (counted
  // and ordered as numbers): their shown values become that text again.
  void present(std::vector<ColumnAggregates>& aggregates) override;

  // The primary-key column the rows are split on (empty: one stream).
  const std::string& split_key() const { return key_; }
  // Whether several readers' snapshots were started together (see above).
  bool shared_snapshot() const { return shared_; }
  // Times the snapshots were started again because a transaction came in between.
  int snapshot_retries() const { return retries_; }
  // Reads abandoned before their last row that the server was asked to stop (KILL QUERY on a
  // connection of its own) instead of draining their rows.
  int stopped_reads() const { return kills_.load(std::memory_order_relaxed); }

 private:
  MysqlRowSource() = default;
  void start(db::Connection& leader, const ConnectionFactory* factory, int threads);
  void find_bounds(db::Connection& leader, int pieces);
  // Has the server stop reader `reader`'s statement (a cursor abandoned before its last row).
  void stop_read(std::size_t reader);

  const std::vector<ColumnSpec>* columns_ = nullptr;
  const Scope* scope_ = nullptr;
  std::vector<Wire> wire_;
  std::string table_;  // quoted, qualified
  std::string key_;    // the split key's name
  const ConnectionFactory* factory_ = nullptr;
  std::vector<db::Connection*> readers_;
  std::vector<std::uint64_t> server_ids_;  // per reader: its CONNECTION_ID()
  std::atomic<int> kills_{0};
  std::vector<std::unique_ptr<db::Connection>> owned_;
  std::vector<std::unique_ptr<db::Snapshot>> snapshots_;
  std::vector<std::int64_t> bounds_;  // part p: key >= bounds_[p-1] (p > 0), key < bounds_[p]
  std::int64_t expected_rows_ = 0;
  bool shared_ = false;
  int retries_ = 0;
};

}  // namespace baselinr::profiling
