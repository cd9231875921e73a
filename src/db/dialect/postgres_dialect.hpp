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
  // UTC and exact float text, as the libpq connector sets them; a SELECT, so that it also runs
  // where a driver allows only queries (psqlODBC's ReadOnly).
  std::vector<std::string> session_setup() const override;
  TypeClass classify_type(std::string_view native_type) const override;
  // Native AVG / STDDEV_SAMP without a cast to double: PostgreSQL computes them in exact numeric
  // arithmetic for integer and numeric columns, and with the Youngs-Cramer algorithm for float
  // columns. Results arrive as numeric or float8; the connector maps both to double.
  bool numbered_placeholders() const override { return true; }
  std::string skip_locked_clause() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::string count_distinct(const ColumnExpr& col) const override;
  std::string mean(const ColumnExpr& col) const override;
  std::string stddev_samp(const ColumnExpr& col) const override;
  bool stddev_is_variance(const ColumnExpr& col) const override;
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
  bool native_sampling() const override { return true; }
  std::string table_sample_clause(double fraction, const std::string& method, std::int64_t seed,
                                  ParamList& params) const override;
  std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                          ParamList& params) const override;
};

const Dialect& postgres_dialect();

}  // namespace baselinr::db
