// PostgreSQL: numbered placeholders ($1, $2...), catalog introspection, PostgreSQL's type names,
// exact aggregates for integer and numeric columns, and a histogram that counts values against
// bin thresholds computed here from the shared bin formula.
#pragma once

#include "db/dialect/dialect.hpp"

namespace baselinr::db {

class PostgresDialect : public Dialect {
 public:
  std::string_view name() const override { return "postgres"; }
  std::string placeholder(std::size_t index) const override;
  // Pins the session settings that change how values print, whatever the role's or database's
  // defaults: TimeZone UTC, extra_float_digits 3 (floats print exactly), DateStyle ISO,
  // IntervalStyle postgres, bytea_output hex. Both the libpq and the ODBC connector run it; a
  // SELECT, so that it also runs where a driver allows only queries (psqlODBC's ReadOnly).
  std::vector<std::string> session_setup() const override;
  // START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY.
  std::vector<std::string> snapshot_begin() const override;
  TypeClass classify_type(std::string_view native_type) const override;
  // Native AVG / STDDEV_SAMP without a cast to double: PostgreSQL computes them in exact numeric
  // arithmetic for integer and numeric columns, and with the Youngs-Cramer algorithm for float
  // columns. Results arrive as numeric or float8; the connector maps both to double.
  bool numbered_placeholders() const override { return true; }
  std::string skip_locked_clause() const override { return " FOR UPDATE SKIP LOCKED"; }
  // MaxTupleAttributeNumber: "target lists can have at most 1664 entries".
  std::size_t select_item_limit() const override { return 1664; }
  std::string count_distinct(const ColumnExpr& col) const override;
  std::string mean(const ColumnExpr& col) const override;
  // numeric and temporal extremes as PostgreSQL prints them (CAST AS TEXT): every digit of a
  // numeric, and the same text through psqlODBC as through libpq (which would otherwise turn a
  // date 'infinity' into 0000-00-00 and drop the +00 of a timestamptz).
  std::string column_min(const ColumnExpr& col) const override;
  std::string column_max(const ColumnExpr& col) const override;
  std::string stddev_samp(const ColumnExpr& col) const override;
  // Strings COLLATE "C" (bytes), types without equality by their text, exact decimals and
  // temporal values printed (as column_min()).
  DistributionKey distribution_key(const ColumnExpr& col) const override;
  std::optional<std::string> quantile(const ColumnExpr& col, int percent) const override;
  bool stddev_is_variance(const ColumnExpr& col) const override;
  // float8 columns: AVG and VAR_SAMP with FILTERs (the two aggregates of one group share their
  // transition state); float8_accum raises "value out of range: overflow" otherwise.
  std::optional<SplitMoments> split_moments(const ColumnExpr& col) const override;
  HistogramExprs histogram(const std::string& expr, double min, double range, int bins,
                           ParamList& params) const override;
  // pg_catalog with format_type(); tables, views, materialized views, foreign and partitioned
  // tables. An empty schema means the table an unqualified name resolves to (search_path).
  std::string columns_query(const TableRef& table, ParamList& params) const override;
  std::string current_schema_sql() const override;
  StorageSchemaLock storage_schema_lock() const override;
  // The parallel workers a scan of the table would get (the table's parallel_workers storage
  // parameter, else max_parallel_workers_per_gather for tables of at least
  // min_parallel_table_scan_size), plus the leader when it participates.
  std::string concurrent_scans_query(const TableRef& table, ParamList& params) const override;
  std::string value_text(const std::string& expr) const override;
  // Text I/O round-trips every type exactly (with the pinned DateStyle, extra_float_digits...).
  bool exact_value_text() const override { return true; }
  // CAST(param AS <the column's type, as format_type() prints it>).
  std::string typed_parameter(const std::string& param,
                              const std::string& native_type) const override;
  bool native_sampling() const override { return true; }
  // TABLESAMPLE applies to tables, materialized views and partitioned tables only.
  std::string native_sampling_query(const TableRef& table, ParamList& params) const override;
  std::string table_sample_clause(double fraction, const std::string& method, std::int64_t seed,
                                  ParamList& params) const override;
  std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                          ParamList& params) const override;
};

const Dialect& postgres_dialect();

}  // namespace baselinr::db
