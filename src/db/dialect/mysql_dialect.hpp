// MySQL and MariaDB: backtick quoting, information_schema introspection by COLUMN_TYPE (so
// tinyint(1), decimal(10,2), enum(...) and "bigint unsigned" stay visible), exact mean and
// standard deviation for integer data, and storage DDL with microsecond DATETIME(6) columns.
//
// Mean: CAST(SUM(x) AS DOUBLE) / COUNT(x). SUM over integer and DECIMAL columns is exact
// DECIMAL arithmetic in MySQL/MariaDB (it never overflows), so the only rounding is the final
// conversion; AVG() would truncate to div_precision_increment (4) decimal places.
//
// Standard deviation: MariaDB's STDDEV_SAMP runs Welford's recurrence in doubles, which loses
// about |mean| / stddev * 2^-53 relative precision: on BIGINTs around 1e12 with a spread of 10
// it is off by 1e-5, and values near 2^63 are not even representable. So for integer columns
// (TINYINT to BIGINT, signed or unsigned, DECIMAL(p,0) with p <= 19) the variance is
// (n * sum(x^2) - sum(x)^2) / (n (n - 1)) with the numerator computed exactly (x * x in BIGINT
// arithmetic up to INT, in DECIMAL(65,0) for BIGINT; SUM of integers is exact DECIMAL; with
// fewer than 1e13 values each term stays below 10^65), then converted to a double once. FLOAT,
// DOUBLE and DECIMAL with a scale use STDDEV_SAMP on doubles: accurate for ordinary spreads, but
// subject to the limit above for a large mean with a tiny spread. For a type the dialect does
// not recognise the choice is made per query from the data: the exact path when every value is
// an integer between -9.3e18 and 1.85e19, STDDEV_SAMP otherwise. All of it is aggregated in the
// same single scan.
//
// Histograms: the base class's running counts against bound thresholds, one comparison per
// threshold and row (evaluating the bin formula once per bin cost four times as much). The
// thresholds are bare parameters: the connector binds them as DOUBLE, and MariaDB evaluates a
// CAST around a parameter again for every row (which tripled the query's time).
//
// Storage DDL: DATETIME(6) timestamps (storage times keep microseconds), MEDIUMTEXT for metric
// values and metadata (long histograms exceed TEXT's 64 KiB), BIGINT AUTO_INCREMENT keys, and
// CREATE INDEX IF NOT EXISTS, which MariaDB (>= 10.1.4) supports but MySQL 8 does not: the
// storage tables need MariaDB (profiling a MySQL >= 8.0.17 source, which has CAST AS DOUBLE,
// does not). Tables use the server's default engine, InnoDB, which the transactional run
// store requires.
#pragma once

#include "db/dialect/dialect.hpp"

namespace baselinr::db {

class MysqlDialect final : public Dialect {
 public:
  std::string_view name() const override { return "mysql"; }
  // MySQL 8 and MariaDB 10.6+; the outbox falls back to a plain claim on older servers.
  std::string skip_locked_clause() const override { return " FOR UPDATE SKIP LOCKED"; }
  // Backticks; a backtick inside the name is doubled. Backslashes and quotes are literal.
  std::string quote_identifier(std::string_view identifier) const override;
  // UTC, as the native connector sets it.
  std::vector<std::string> session_setup() const override;
  // The common classes, plus: tinyint(1), bool, boolean -> boolean; year -> temporal;
  // enum, set, json, blobs, binary, bit, geometry -> other.
  // REPEATABLE READ (whatever the server's default), then START TRANSACTION WITH CONSISTENT
  // SNAPSHOT, READ ONLY: InnoDB reads every later statement from the snapshot taken there.
  std::vector<std::string> snapshot_begin() const override;
  TypeClass classify_type(std::string_view native_type) const override;
  // Strings by their bytes (CAST AS BINARY): no collation's case, accent or trailing-space
  // folding ('abc' = 'ABC' and 'a' = 'a ' under utf8mb4_general_ci).
  std::string count_distinct(const ColumnExpr& col) const override;
  std::string mean(const ColumnExpr& col) const override;
  // DECIMAL extremes as text (CAST AS CHAR): every digit, where a double would keep 17.
  std::string column_min(const ColumnExpr& col) const override;
  std::string column_max(const ColumnExpr& col) const override;
  std::string stddev_samp(const ColumnExpr& col) const override;
  // Strings grouped and ordered by their bytes (CAST AS BINARY), DECIMAL values as text.
  DistributionKey distribution_key(const ColumnExpr& col) const override;
  // DOUBLE / REAL columns: SUM overflows to inf and STDDEV_SAMP's recurrence squares huge
  // deviations; CASE selects each group.
  std::optional<SplitMoments> split_moments(const ColumnExpr& col) const override;
  std::string to_double(const std::string& expr) const override;
  std::string value_text(const std::string& expr) const override;
  // Numeric columns: CAST(param AS DECIMAL(p,s) / FLOAT / DOUBLE / SIGNED / UNSIGNED), so the
  // comparison is not made in doubles (MySQL compares a string with a number as doubles).
  std::string typed_parameter(const std::string& param,
                              const std::string& native_type) const override;
  std::string threshold_param(double threshold, ParamList& params) const override;
  // Rows (COLUMN_NAME, COLUMN_TYPE) of TableRef.schema, or of DATABASE() when it is empty.
  std::string columns_query(const TableRef& table, ParamList& params) const override;
  // information_schema.TABLES.UPDATE_TIME (NULL where the storage engine does not track it, and
  // after a restart until the next write), as UNIX_TIMESTAMP in the session's time zone.
  std::string last_change_query(const TableRef& table, ParamList& params) const override;
  std::string current_schema_sql() const override;
  StorageSchemaLock storage_schema_lock() const override;
  std::string text_equals(const std::string& column, const std::string& value,
                          ParamList& params) const override;
  std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                          ParamList& params) const override;

 protected:
  std::string type_timestamp() const override;
  std::string timestamp_default() const override;
  std::string create_table_suffix() const override;
  std::string type_text() const override;
  std::string type_double() const override;
  std::string autoincrement_primary_key() const override;
};

const Dialect& mysql_dialect();

}  // namespace baselinr::db
