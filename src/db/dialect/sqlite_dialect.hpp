// SQLite: pragma introspection, SQLite's type affinity rules, and the aggregate functions the
// SQLite connector registers (baselinr_mean, baselinr_stddev, baselinr_histogram), because
// SQLite has no stddev and its integer SUM overflows.
#pragma once

#include "db/dialect/dialect.hpp"

namespace baselinr::db {

class SqliteDialect final : public Dialect {
 public:
  std::string_view name() const override { return "sqlite"; }
  // BEGIN: a deferred read transaction, whose snapshot (WAL) or shared lock (rollback journal)
  // starts with the first read.
  std::vector<std::string> snapshot_begin() const override { return {"BEGIN"}; }
  TypeClass classify_type(std::string_view native_type) const override;
  // The stored values themselves (value_text() is the default: no conversion).
  bool exact_value_text() const override { return true; }
  // COLLATE BINARY, whatever collation the column declares.
  std::string count_distinct(const ColumnExpr& col) const override;
  // COLLATE BINARY, as count_distinct(). A group of equal numbers stored as integers and reals
  // (1 and 1.0, 0 and -0.0) is a real when any of them is, and a zero is 0.0, as the native
  // executor gives it.
  DistributionKey distribution_key(const ColumnExpr& col) const override;
  std::string mean(const ColumnExpr& col) const override;
  std::string stddev_samp(const ColumnExpr& col) const override;
  std::string char_length(const std::string& expr) const override;
  std::string to_double(const std::string& expr) const override;
  HistogramExprs histogram(const std::string& expr, double min, double range, int bins,
                           ParamList& params) const override;
  std::string columns_query(const TableRef& table, ParamList& params) const override;
  // One file, no schemas to resolve.
  std::string default_schema_query() const override { return {}; }
  // A write transaction: a second process waits (busy timeout) until the first commits.
  StorageSchemaLock storage_schema_lock() const override {
    return {{"BEGIN IMMEDIATE"}, {"COMMIT"}, {"ROLLBACK"}};
  }
  std::string approx_count_distinct(const ColumnExpr& col) const override;
  std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                          ParamList& params) const override;

 protected:
  std::string autoincrement_primary_key() const override;
  std::string create_index(const std::string& index_name, const std::string& table,
                           const std::vector<std::string>& columns) const override;
};

const Dialect& sqlite_dialect();

}  // namespace baselinr::db
