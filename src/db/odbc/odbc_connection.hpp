// ODBC connector, through the unixODBC driver manager: `type: odbc` with any driver or DSN, and
// `type: snowflake` with Snowflake's ODBC driver.
//
// Connecting: SQLDriverConnect (no prompt) with the string odbc_connection_string() builds, a
// login timeout (extra_params.login_timeout, default 10 seconds) and, for sources, read-only
// access mode where the driver honours it. The dialect comes from SQL_DBMS_NAME: PostgreSQL (the
// PostgreSQL dialect with "?" markers, which the driver translates), MySQL / MariaDB, Snowflake,
// or a generic ANSI dialect named "odbc"; `type: snowflake` always uses the Snowflake dialect.
// Then the dialect's session_setup() queries run (UTC sessions, as the native connectors have).
//
// Parameters are bound by Value type: NULL as SQL_NULL_DATA, int64 as SQL_C_SBIGINT/SQL_BIGINT,
// double as SQL_C_DOUBLE/SQL_DOUBLE, text as SQL_C_CHAR/SQL_VARCHAR (SQL_LONGVARCHAR beyond 8000
// bytes) with exact lengths, bool as SQL_C_BIT/SQL_BIT. Results are mapped by the column's SQL
// type: integer types to int64 (unsigned BIGINT beyond int64 stays text), REAL/FLOAT/DOUBLE to
// double, NUMERIC/DECIMAL to double when it is within the double range (else its exact text),
// BIT to bool, binary types to their bytes, everything else to text (any length), NULL to
// monostate. Text is exchanged as UTF-8.
//
// Errors: ConnectionError when connecting fails or the driver reports SQLSTATE class 08 or 28,
// QueryError otherwise; both carry the first diagnostic's SQLSTATE and native code, and the
// one-line message ("odbc: ...") lists every diagnostic record. Messages never contain the
// connection string, and the password (and any secret extra_params value) is scrubbed from
// driver text.
//
// Streaming (stream(), for the native executor): a forward-only, read-only statement whose rows
// are fetched with a block cursor: SQL_ATTR_ROW_ARRAY_SIZE rows per SQLFetch, every column bound
// with SQLBindCol to a typed array (column-wise binding) with its length/indicator array, the
// count of rows in the block from SQL_ATTR_ROWS_FETCHED_PTR and each row's status from
// SQL_ATTR_ROW_STATUS_PTR. Where that cannot work it fetches one row at a time and reads each
// value with SQLGetData, in pieces of any length: when the driver refuses the row array size or
// changes it (01S02, read back with SQLGetStmtAttr), when a text column is unbounded or long (its
// declared size above kBoundTextLimit characters, or unknown), or when asked (block_rows 1).
// mode() says which and why. What the driver itself buffers is the driver's: psqlODBC (without
// UseDeclareFetch) and MariaDB Connector/ODBC before 3.1.17 (without NO_CACHE) read a whole result
// set into client memory when the statement executes; callers bound it by what they select.
//
// One connection is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.hpp"
#include "db/dialect/odbc_dialect.hpp"  // dialect_for_dbms

namespace baselinr::db {

class OdbcSession;  // owns the environment and connection handles; shared with statements

// How stream() fetches one result column; the cells it gives: kInteger as SQL_C_SBIGINT
// (CellView kInt), kUnsigned as SQL_C_UBIGINT (kInt, or kText with the decimal digits above
// INT64_MAX), kDouble as SQL_C_DOUBLE (kReal), kText as SQL_C_CHAR (kText: the driver's bytes,
// UTF-8 as the connector reads text everywhere). NULL is kNull.
enum class OdbcFetch { kInteger, kUnsigned, kDouble, kText };

// A text column declared longer than this many characters (or of unknown length) is read with
// SQLGetData, one row at a time.
inline constexpr std::size_t kBoundTextLimit = 4000;

// The rows of stream(). Throws QueryError (ConnectionError when the connection is lost) from
// next(), with the driver's diagnostics, as query() does; a value longer than its bound buffer
// (a driver that declared the column shorter than its values) throws QueryError with SQLSTATE
// 01004 rather than a truncated value.
class OdbcRowCursor : public RowCursor {
 public:
  // "block cursor, 2048 rows per fetch" or "one row at a time (SQLGetData): <why>".
  virtual const std::string& mode() const = 0;
  // Rows per SQLFetch: 1 in row-at-a-time mode.
  virtual std::size_t block_rows() const = 0;
};

class OdbcConnection final : public Connection {
 public:
  // Throws ConnectionError (never showing the password or the connection string) or ConfigError
  // for an invalid extra_params entry.
  OdbcConnection(const ConnectionConfig& config, ConnectOptions options);
  ~OdbcConnection() override;

  const Dialect& dialect() const override;
  Result query(std::string_view sql, std::span<const Value> params = {}) override;
  void execute(std::string_view sql, std::span<const Value> params = {}) override;
  // The statement may outlive the connection; it then fails with ConnectionError.
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  // Through the catalog function SQLColumns (names escaped, then matched exactly): COLUMN_NAME
  // and TYPE_NAME in ORDINAL_POSITION order. An empty schema means the connection's current
  // schema (or catalog, for drivers without schemas such as MariaDB's).
  std::vector<ColumnInfo> columns(const TableRef& table) override;
  // Autocommit off until commit() or rollback() (SQLEndTran), then on again.
  void begin() override;
  void commit() override;
  void rollback() override;

  // SQL_DBMS_NAME as the driver reports it: "PostgreSQL", "MariaDB", "Snowflake"...
  const std::string& dbms_name() const { return dbms_name_; }
  // SQL_DRIVER_NAME and SQL_DRIVER_VER ("libmaodbc.so 03.01.0015"), for logs.
  std::string driver() const;

  // Runs `sql` (one statement returning rows; `params` are copied) and streams its rows, each
  // column fetched as `fetch` says (see above). `block_rows` is the row array size asked for
  // (lowered so one block's buffers stay within a few MiB); 1 reads one row at a time. The
  // cursor keeps the connection's handles alive; use the connection for nothing else on this
  // thread while it is open, except where the driver allows several active statements.
  std::unique_ptr<OdbcRowCursor> stream(std::string_view sql, std::span<const Value> params,
                                        std::vector<OdbcFetch> fetch, std::size_t block_rows);

 private:
  std::string current_schema();
  // extra_params.query_timeout: the ODBC statement attribute where the driver keeps it, else the
  // server's own session limit (MariaDB max_statement_time, MySQL max_execution_time); a
  // ConfigError for other drivers that ignore it.
  void bound_statements(const ConnectionConfig& config, int seconds);

  std::shared_ptr<OdbcSession> session_;
  const Dialect* dialect_ = nullptr;
  std::string dbms_name_;
};

// The connection string for an odbc or snowflake connection. It contains the password: never
// log or show it. For odbc:
//   extra_params.connection_string, plus UID and PWD from username / password unless present;
//   else DSN=<dsn>, or DRIVER={<driver>}, then SERVER, PORT, DATABASE, UID, PWD (those set) and
//   every other extra_params entry as key=value (not login_timeout).
// Values with ';', '{', '}' or surrounding blanks are braced, '}' doubled. Throws ConfigError
// for an extra_params key that is not a valid attribute name.
std::string odbc_connection_string(const ConnectionConfig& config);
// For snowflake: DSN=<extra_params.dsn> or DRIVER={<extra_params.driver, default
// SnowflakeDSIIDriver>}; SERVER=<host>, or <account>.snowflakecomputing.com unless account
// already names a snowflakecomputing host; PORT, UID, PWD, DATABASE, SCHEMA, WAREHOUSE, ROLE
// (those set), then every other extra_params entry (authenticator, ...).
std::string snowflake_connection_string(const ConnectionConfig& config);
// One attribute value in ODBC syntax: braced when needed.
std::string odbc_attribute_value(std::string_view value);

}  // namespace baselinr::db
