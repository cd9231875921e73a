// OdbcRowSource: the rows of a table behind an ODBC driver, for the metric engine, fetched with
// ODBC block cursors (db::OdbcConnection::stream(): SQL_ATTR_ROW_ARRAY_SIZE rows per SQLFetch
// into column-wise bound arrays; one row at a time with SQLGetData where a driver refuses the
// row array size or a text column is unbounded or long). describe() says which mode the last
// read used and why.
//
// Engines: the row source reads PostgreSQL (psqlODBC) and MySQL/MariaDB (Connector/ODBC) sources,
// the ones whose types and pushed-down SQL the connector knows (the connection picks their
// dialects from SQL_DBMS_NAME). Any other DBMS behind ODBC (the generic dialect, Snowflake) is
// left to the SQL path: unsupported() says so.
//
// One connection, one stream, one snapshot: the caller's connection starts the dialect's
// snapshot (PostgreSQL: REPEATABLE READ, READ ONLY; MySQL/MariaDB: START TRANSACTION WITH
// CONSISTENT SNAPSHOT, READ ONLY) and keeps it until the source is destroyed, so pass 1 and the
// histogram pass read the same rows, the rows the pushed-down statements would see. ODBC offers
// no way to share a snapshot between connections (PostgreSQL's pg_export_snapshot() would work
// through psqlODBC, but that is the libpq row source's job), so there is no split over several
// connections: the guarantee is exactly the pushdown path's.
//
// Memory: both drivers read a whole result set into client memory when the statement executes
// (psqlODBC without UseDeclareFetch, MariaDB Connector/ODBC before 3.1.17 or without NO_CACHE).
// So the row source never asks for the whole table in one result: on PostgreSQL it declares a
// server-side cursor (`DECLARE ... NO SCROLL CURSOR FOR SELECT ...` in the snapshot's
// transaction) and fetches it in chunks of kChunkRows rows (`FETCH FORWARD`), each chunk read
// with the block cursor; on MySQL/MariaDB, tables with a single-column integer primary key are
// read in chunks of kChunkRows rows in key order (`WHERE key > <last key> ORDER BY key LIMIT`,
// keyset pagination in the same snapshot), and other tables and views in one statement, allowed
// only while the catalog's estimate of the result (MysqlRowSource::estimate_transfer) is at most
// kDriverCacheBudget bytes (unsupported() says why not).
//
// Values are read as the pushdown path reads them through the same driver, so that both store
// the same text: integers as SQL_C_SBIGINT (MySQL's BIGINT UNSIGNED as SQL_C_UBIGINT: a value
// above 2^63 - 1 makes the read stop with NativeFallback), DOUBLE / double precision as
// SQL_C_DOUBLE, PostgreSQL booleans as CAST(... AS INTEGER) (0 or 1, whatever psqlODBC's
// BoolsAsChar), strings and PostgreSQL's uuid as SQL_C_CHAR (the driver's bytes, as the SQL path
// reads their values: psqlODBC spells a uuid in capitals; counted and ordered by bytes, as the SQL
// path's COLLATE "C" / CAST(... AS BINARY)); PostgreSQL's date, time and timestamps as the
// server's text (CAST(... AS VARCHAR(64)), what the pushdown path's CAST(MIN(...) AS TEXT)
// gives), MySQL's DATE, DATETIME, TIMESTAMP and TIME as the driver's text (what MIN() gives
// through it). Temporal text that does not sort as its value (PostgreSQL: BC, infinity, years
// past 9999; MySQL: a negative TIME or one of 100 hours or more) makes the read stop with
// NativeFallback (the caller pushes the table down). Every other type (numeric/DECIMAL, real/
// FLOAT, char(n), json(b), bytea/BLOB, ENUM, ...) and MySQL strings in other character sets are
// left to the SQL path: unsupported() says why, before any row is read.
#pragma once

#include <cstddef>
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

class OdbcRowSource final : public RowSource {
 public:
  // How a column is read.
  enum class Wire { kInteger, kUnsigned, kDouble, kBoolean, kText, kTemporalText };

  // Rows per block cursor fetch (SQL_ATTR_ROW_ARRAY_SIZE asked for).
  static constexpr std::size_t kBlockRows = 2048;
  // Rows per statement (PostgreSQL FETCH FORWARD, MySQL keyset chunk): what a driver buffers.
  static constexpr std::int64_t kChunkRows = 50000;
  // MySQL/MariaDB tables read in one statement: the most the driver may buffer, by the catalog.
  static constexpr std::int64_t kDriverCacheBudget = std::int64_t{256} << 20;

  // Whether `connection` is an ODBC connection (the ODBC branch of choose_executor()).
  static bool is_odbc(db::Connection& connection);

  // Empty when the table can be read natively on this connection, else the reason it cannot
  // (for `plan` and logs). Catalog queries only. Throws QueryError.
  static std::string unsupported(db::Connection& connection, const TableTarget& target,
                                 const std::vector<ColumnSpec>& columns, const Scope& scope);

  // Starts the read (see above): null when `connection` is not an ODBC connection or a column's
  // type is not read natively. `block_rows` 1 reads one row at a time (SQLGetData). Throws
  // QueryError.
  static std::unique_ptr<OdbcRowSource> open(db::Connection& connection, const TableTarget& target,
                                             const std::vector<ColumnSpec>& columns,
                                             const Scope& scope,
                                             std::size_t block_rows = kBlockRows);
  ~OdbcRowSource() override;  // ends the read transaction

  int threads() const override { return 1; }
  std::size_t parts() const override { return 1; }
  std::int64_t expected_rows() const override { return expected_rows_; }
  std::string describe() const override;
  std::unique_ptr<db::RowCursor> open(int thread, std::size_t part,
                                      const std::vector<std::size_t>& columns) override;
  std::int64_t number_length(const db::CellView& cell) const override;
  // PostgreSQL double precision: NaN in the mean and stddev, and -0 zeros, as the server shows
  // them (FloatNotes, row_source.hpp).
  void present(std::vector<ColumnAggregates>& aggregates) override;

  // How the last cursor fetched its rows ("block cursor, 2048 rows per fetch", or "one row at a
  // time (SQLGetData): ..."), empty before the first read.
  const std::string& fetch_mode() const { return mode_; }
  // How the rows are cut into statements ("server-side cursor, FETCH FORWARD 50000", ...).
  const std::string& chunking() const { return chunking_; }
  // Statements that returned rows so far (one per chunk).
  std::int64_t statements() const { return statements_; }

 private:
  friend class OdbcChunkCursor;
  OdbcRowSource() = default;

  db::Connection* connection_ = nullptr;
  const std::vector<ColumnSpec>* columns_ = nullptr;
  const Scope* scope_ = nullptr;
  std::vector<Wire> wire_;
  std::string table_;  // quoted, qualified
  std::string key_;    // MySQL: the primary key the chunks follow (empty: one statement)
  bool postgres_ = false;
  std::size_t block_rows_ = kBlockRows;
  std::unique_ptr<db::Snapshot> snapshot_;
  std::int64_t expected_rows_ = 0;
  std::int64_t cursors_ = 0;  // PostgreSQL cursors declared (their names)
  std::int64_t statements_ = 0;
  std::string mode_;
  std::string chunking_;
  // Per column, what the first read saw of its doubles (PostgreSQL; one reading thread).
  std::vector<FloatNotes> notes_;
  bool noting_ = true;
};

}  // namespace baselinr::profiling
