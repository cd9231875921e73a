// Dialect: everything that differs between SQL databases, in one object per database.
//
// The base class holds ANSI defaults; each database overrides only what differs. The profiler,
// the results store and the SQL event hook ask the dialect for every piece of SQL: identifier
// quoting (with escaping), placeholders, type classification, aggregate expressions, the
// histogram expression, introspection and storage DDL. Identifiers from configuration are
// always quoted through quote_identifier(); values are always bound as parameters.
//
// Thread-safety: dialects are immutable and shared.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/type_class.hpp"
#include "db/value.hpp"

namespace baselinr::db {

// The select-list expressions that compute one column's histogram. Either `bins` expressions
// that each yield one bin's count (packed == false), or a single expression yielding the counts
// as text "c0,c1,...,cN-1" (packed == true). With cumulative == true the unpacked values are
// running counts instead: the number of values, then the number of values at least each bin's
// lower bound, from the second bin on; bin i is value i minus value i + 1 (the last: itself).
struct HistogramExprs {
  std::vector<std::string> exprs;
  bool packed = false;
  bool cumulative = false;
};

// A column as the aggregate expressions see it: its quoted reference and what it holds, so a
// dialect can pick exact arithmetic for integers or a text cast for types without equality.
struct ColumnExpr {
  std::string sql;          // already quoted, e.g. "amount"
  std::string native_type;  // as introspected (a domain's base type), e.g. "numeric(12,2)"
  TypeClass type_class = TypeClass::kOther;
  bool type_equality = false;  // see db::ColumnInfo
  bool unique = false;         // see db::ColumnInfo
};

// The mean and standard deviation of a double column in two groups, so that no sum or square of
// finite doubles overflows (two 1e308 overflow a sum, +-1e300 a square): the values below
// kSplitMomentsThreshold in magnitude as they are, the others (and infinities, NaN) multiplied by
// kSplitMomentsScale first. Each member is one select-list expression; combine_split_moments()
// (profiling) merges the groups exactly as Chan et al.'s formula does.
struct SplitMoments {
  std::string count;       // COUNT(x)
  std::string small_mean;  // mean of the small values; NULL when there are none
  std::string small_var;   // their sample variance; NULL when fewer than 2
  std::string big_count;   // how many values are not small
  std::string big_mean;    // mean of those values times kSplitMomentsScale
  std::string big_var;     // sample variance of those values times kSplitMomentsScale
};
inline constexpr double kSplitMomentsThreshold = 0x1p400;
inline constexpr double kSplitMomentsScale = 0x1p-600;

// How the distribution summaries (quantiles, top values) group and order a column's values:
// `key` is the expression grouped and ordered by, `value` the value as the metric stores it (as
// column_min() gives it), valid in a statement grouped by `key`.
struct DistributionKey {
  std::string key;
  std::string value;
  // `value` is an aggregate of the group (SQLite): it needs the GROUP BY even when every value
  // is distinct.
  bool aggregate_value = false;
};

// Names of the storage tables, possibly qualified ("analytics.baselinr_runs").
struct StorageTables {
  std::string runs;
  std::string results;
  std::string events;
  std::string schema_version;
  std::string baselines;  // pinned baseline runs (`baselinr baseline set`)
};

// Names of the delivery tables (the outbox of events, one delivery record per event and hook, and
// the open findings that later drift runs resolve), possibly qualified.
struct DeliveryTables {
  std::string outbox;
  std::string deliveries;
  std::string findings;
};

// How processes that start at once take turns creating and migrating the storage tables (see
// Dialect::storage_schema_lock). Each list runs in order; a statement that returns a row must
// return 1 in its first column (a lock that was not granted returns something else).
struct StorageSchemaLock {
  std::vector<std::string> acquire;
  std::vector<std::string> release;  // after the work succeeded
  std::vector<std::string> abort;    // after it failed
};

class Dialect;

// SQL text with its parameters in placeholder order, ready for Connection::query/execute.
struct BoundSql {
  std::string sql;
  std::vector<Value> params;
};

// Collects bound parameters while SQL text is assembled. add() stores a value and returns a
// marker for it; bind() replaces the markers, in textual order, with the dialect's placeholders
// ("?" or "$1, $2...") and orders the values to match. So callers may build SQL in any
// evaluation order (C++ does not sequence function arguments or operator+ operands) and every
// use of a value simply adds it again.
class ParamList {
 public:
  explicit ParamList(const Dialect& dialect) : dialect_(&dialect) {}
  std::string add(Value value);
  BoundSql bind(std::string_view sql) const;
  // The same with placeholders of the caller's making: `placeholder(n)` for the n-th (1-based)
  // distinct value, numbered as the dialect numbers them.
  BoundSql bind(std::string_view sql,
                const std::function<std::string(std::size_t)>& placeholder) const;

 private:
  const Dialect* dialect_;
  std::vector<Value> values_;
};

class Dialect {
 public:
  Dialect() = default;
  virtual ~Dialect() = default;
  Dialect(const Dialect&) = delete;
  Dialect& operator=(const Dialect&) = delete;

  virtual std::string_view name() const = 0;

  // ---- identifiers and parameters
  // Quotes one identifier, escaping the quote character: ANSI "a""b".
  virtual std::string quote_identifier(std::string_view identifier) const;
  // schema.table with each part quoted.
  std::string table_sql(const TableRef& table) const;
  // A dotted name from configuration ("db.schema.table") of a table baselinr writes (storage,
  // events): each part quoted. Snowflake folds lower-case parts to upper case, as it does for
  // storage_identifier().
  virtual std::string qualified_name(std::string_view dotted) const;
  // The same configured name as the catalog knows it, for introspection: split at the last dot
  // (Snowflake: with qualified_name()'s case folding).
  virtual TableRef storage_table(std::string_view dotted) const;
  // Column names of baselinr's own storage tables (Snowflake keeps them unquoted/uppercase).
  virtual std::string storage_identifier(std::string_view identifier) const;
  // The placeholder for the index-th bound parameter (1-based): "?" by default.
  virtual std::string placeholder(std::size_t index) const;
  // True when placeholders are numbered ($1) so one bound value may be referenced many times.
  virtual bool numbered_placeholders() const { return false; }
  // Queries a connector that does not configure its sessions itself (ODBC) runs once after
  // connecting, so that every session works alike: UTC times, floats printed exactly. Their
  // rows, if any, are ignored. None by default.
  virtual std::vector<std::string> session_setup() const { return {}; }

  // Statements that open a read-only transaction in which every later statement reads the same
  // snapshot of the database, so that the several statements profiling one table agree
  // (PostgreSQL REPEATABLE READ, MySQL/MariaDB a consistent snapshot, SQLite a read
  // transaction). Empty where the engine gives no snapshot across statements. A ROLLBACK ends
  // it (see db::Snapshot).
  virtual std::vector<std::string> snapshot_begin() const { return {}; }

  // ---- types
  virtual TypeClass classify_type(std::string_view native_type) const;

  // ---- profiling aggregates; `expr` is an already-quoted column expression
  virtual std::string count_rows() const;
  virtual std::string count_non_null(const std::string& expr) const;
  virtual std::string count_distinct(const ColumnExpr& col) const;
  // Throws NotSupportedError where the engine has no approximate distinct count.
  virtual std::string approx_count_distinct(const ColumnExpr& col) const;
  virtual std::string min_value(const std::string& expr) const;
  virtual std::string max_value(const std::string& expr) const;
  // MIN / MAX of a column, as the metric stores it: min_value() / max_value() by default.
  // Engines with exact decimals return those as text (no digit lost to a double), and may
  // return other values as text where a driver would print them differently.
  virtual std::string column_min(const ColumnExpr& col) const { return min_value(col.sql); }
  virtual std::string column_max(const ColumnExpr& col) const { return max_value(col.sql); }
  // Arithmetic mean as a double; must not overflow on integer columns.
  virtual std::string mean(const ColumnExpr& col) const;
  // Sample standard deviation as a double, numerically stable; or the sample variance when
  // stddev_is_variance() says so, and the caller takes the square root.
  virtual std::string stddev_samp(const ColumnExpr& col) const;
  virtual bool stddev_is_variance(const ColumnExpr& /*col*/) const { return false; }
  // Where the engine's double aggregates fail or overflow on huge values (PostgreSQL raises
  // "value out of range", MariaDB returns inf): the split aggregates of a double column, used
  // instead of mean() and stddev_samp(). nullopt: mean() and stddev_samp() are safe for `col`.
  virtual std::optional<SplitMoments> split_moments(const ColumnExpr& /*col*/) const {
    return std::nullopt;
  }
  // The grouping and order of a column's values for its quantiles and top values: values are
  // equal and ordered as count_distinct() counts them (strings by their bytes, whatever the
  // column's collation), so every engine gives the native executor's answer. The column itself
  // by default.
  virtual DistributionKey distribution_key(const ColumnExpr& col) const {
    return {col.sql, col.sql};
  }
  // The nearest-rank quantile at `percent` / 100 of `col`'s non-null values as one aggregate of
  // the scalar statement, ordered and valued like distribution_key() (PostgreSQL:
  // percentile_disc, an ordered-set aggregate; every such aggregate of a column sorts its values
  // once). The engine's row must be profiling::float_nearest_rank(): ceil(fraction * n) in
  // double precision, at least 1. nullopt where the engine has none: the column's distribution
  // statement computes its quantiles then.
  virtual std::optional<std::string> quantile(const ColumnExpr& /*col*/, int /*percent*/) const {
    return std::nullopt;
  }
  // Length in characters.
  virtual std::string char_length(const std::string& expr) const;
  virtual std::string average(const std::string& expr) const;
  virtual std::string to_double(const std::string& expr) const;
  // Histogram over [min, min + range] with `bins` equal-width bins. The bin of a value x is
  // floor((x - min) / range * bins), clamped to [0, bins - 1]: the same formula on every engine.
  // The default counts running totals against histogram_thresholds() (cumulative), one
  // comparison per threshold and row.
  virtual HistogramExprs histogram(const std::string& expr, double min, double range, int bins,
                                   ParamList& params) const;
  // A bin threshold bound as a parameter in a comparison with a double: to_double() of the
  // parameter by default, so that every engine compares doubles.
  virtual std::string threshold_param(double threshold, ParamList& params) const;

  // ---- partitions and sampling (see docs/PARTITION_SAMPLING.md)
  // True when the engine samples a table natively and repeatably (TABLESAMPLE ... REPEATABLE).
  virtual bool native_sampling() const { return false; }
  // Where native sampling applies to some relations only (PostgreSQL: tables and materialized
  // views, not views or foreign tables): a query returning one row whose first value is 1 when
  // `table` can be sampled natively, 0 when the random row filter must stand in. Empty: every
  // relation can (see Connection::samples_natively).
  virtual std::string native_sampling_query(const TableRef& /*table*/,
                                            ParamList& /*params*/) const {
    return {};
  }
  // The clause placed after the table reference for native random sampling: `method` is
  // "bernoulli" or "system"; `seed` makes the same rows come back for the same seed.
  // Throws NotSupportedError where there is none.
  virtual std::string table_sample_clause(double fraction, const std::string& method,
                                          std::int64_t seed, ParamList& params) const;
  // An expression in [0, 1) determined by the values of `columns` (already quoted) and `seed`:
  // the same row and seed always give the same number, different seeds independent numbers.
  // Random filters and random orders are built on it, so that every query of one profiling run
  // selects exactly the same rows. Throws NotSupportedError where unavailable.
  virtual std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                                  ParamList& params) const;

  // The printed text of a value expression (partition values recorded with a run): every
  // digit of an exact decimal, dates as the engine prints them. `expr` itself by default.
  virtual std::string value_text(const std::string& expr) const { return expr; }
  // A bound text parameter (configured partition values) converted to a column's type, so that
  // the engine compares it in that type and not as a double: the parameter itself by default.
  virtual std::string typed_parameter(const std::string& param,
                                      const std::string& /*native_type*/) const {
    return param;
  }
  // True when partition values read with value_text() and bound back through typed_parameter()
  // compare exactly in the key's own type (PostgreSQL's text I/O is exact; SQLite returns the
  // stored values themselves). Elsewhere (MySQL: a FLOAT prints as a rounded decimal) every
  // profiling statement selects the values itself, in a subquery.
  virtual bool exact_value_text() const { return false; }

  // The most select-list entries one statement may have (0: no limit): PostgreSQL's target
  // lists hold at most 1664. Profiling splits wider tables over several statements.
  virtual std::size_t select_item_limit() const { return 0; }

  // ---- one statement, several concurrent scans (see QueryBuilder::split_scans)
  // A query returning one row whose first value is how many aggregate subqueries over `table`,
  // joined by UNION ALL in one statement, the engine would run at the same time (PostgreSQL:
  // a Parallel Append over its parallel workers); 1 when it would run them one after the other
  // or the table is too small for a parallel scan. Empty where the engine has no such plans.
  virtual std::string concurrent_scans_query(const TableRef& /*table*/,
                                             ParamList& /*params*/) const {
    return {};
  }
  // A NULL of the type of `expr` (an aggregate expression) that evaluates nothing: CASE WHEN
  // FALSE THEN expr END, which the planner of an engine that offers concurrent scans (PostgreSQL)
  // folds to a typed constant before it collects the aggregates, so a UNION ALL branch pads the
  // columns other branches compute without computing them.
  virtual std::string typed_null(const std::string& expr) const;

  // ---- introspection: a query returning rows (column_name, data_type) in ordinal order;
  // no rows when the table does not exist.
  virtual std::string columns_query(const TableRef& table, ParamList& params) const;
  // One row, one column: when the engine last saw the table change, in seconds since
  // 1970-01-01 UTC (NULL when it does not know); empty SQL where the engine keeps no such time.
  virtual std::string last_change_query(const TableRef& /*table*/, ParamList& /*params*/) const {
    return {};
  }

  // ---- storage
  virtual std::vector<std::string> storage_ddl(const StorageTables& tables) const;
  virtual std::vector<std::string> events_ddl(const std::string& table) const;
  // The pinned-baselines table: one row per (dataset_name, schema_name) with its run_id.
  std::vector<std::string> baselines_ddl(const std::string& table) const;
  // INSERT of one event row; parameters bound in events_insert_columns() order.
  virtual std::string insert_event_sql(const std::string& table) const;
  // CREATE TABLE IF NOT EXISTS for the delivery tables and their indexes.
  virtual std::vector<std::string> delivery_ddl(const DeliveryTables& tables) const;
  // Appended to a SELECT ... LIMIT that claims rows inside a transaction: locks them and skips
  // rows another transaction holds (PostgreSQL, MySQL 8, MariaDB 10.6+). Empty where the engine
  // has no such clause; claims are then serialised by the engine's own write lock (SQLite's
  // BEGIN IMMEDIATE) or decided by the conditional UPDATE that follows.
  virtual std::string skip_locked_clause() const { return {}; }
  // SQL for the connection's default schema in introspection queries.
  virtual std::string current_schema_sql() const;
  // A query returning one row with the schema unqualified table names resolve to (what
  // current_schema_sql() names); empty where the engine has no schemas (SQLite).
  virtual std::string default_schema_query() const { return "SELECT " + current_schema_sql(); }
  // Serialises storage schema creation and migration between processes: PostgreSQL takes a
  // session advisory lock, MySQL/MariaDB a named lock, SQLite a write transaction (BEGIN
  // IMMEDIATE). Empty lists where the engine
  // offers none (its DDL must then be idempotent on its own).
  virtual StorageSchemaLock storage_schema_lock() const { return {}; }
  // A condition that `column` (a text column of baselinr's storage) equals `value` exactly, byte
  // for byte, whatever the column's collation: a store created with a case-insensitive one
  // (MySQL/MariaDB) must not mix the runs of `T` and `t`.
  virtual std::string text_equals(const std::string& column, const std::string& value,
                                  ParamList& params) const;
  virtual std::string limit_clause(const std::string& param) const;
  // The type of long text columns (metric values, JSON metadata) for migrations.
  std::string text_column_type() const { return type_text(); }
  // A row cap appended after ORDER BY: limit_clause() with `rows` bound, by default. Engines that
  // accept only a literal there (Snowflake) write the number itself: an integer, never user text.
  virtual std::string limit_rows(std::int64_t rows, ParamList& params) const;

 protected:
  // Column types used by the default DDL.
  virtual std::string type_timestamp() const;
  virtual std::string type_text() const;
  virtual std::string type_double() const;
  virtual std::string type_bigint() const;
  virtual std::string type_json() const;
  virtual std::string type_varchar(int length) const;
  virtual std::string autoincrement_primary_key() const;
  // An empty string where the engine has no indexes (Snowflake): storage_ddl() and events_ddl()
  // leave it out.
  virtual std::string create_index(const std::string& index_name, const std::string& table,
                                   const std::vector<std::string>& columns) const;
  virtual std::string create_table_prefix() const;  // "CREATE TABLE IF NOT EXISTS "
  virtual std::string create_table_suffix() const;  // table options after ")", default none
  // For histograms counted by comparisons: the condition selecting each of the `bins` bins of
  // to_double(expr), against histogram_thresholds() bound as doubles (a single condition
  // counting every value when bins is 1).
  std::vector<std::string> threshold_bin_conditions(const std::string& expr, double min,
                                                    double range, int bins,
                                                    ParamList& params) const;
  virtual std::string timestamp_default() const;  // "CURRENT_TIMESTAMP"
};

// The lower bounds of bins 1..bins-1 for the histogram over [min, min + range]: thresholds[i-1]
// is the smallest double x with histogram_bin(x, min, range, bins) >= i. Because the bin formula
// is monotonic in x, a value's bin is the number of thresholds <= it, exactly the formula's bin.
// Requires finite min and range > 0 with min + range finite.
std::vector<double> histogram_thresholds(double min, double range, int bins);

// Columns of the events table in the order insert_event_sql() binds them.
const std::vector<std::string>& events_insert_columns();

// Shared classification by type name (lower-cased, parameters stripped): the SPEC's type
// classes. Dialects call it and add their own names.
TypeClass classify_common_type(std::string_view native_type);
std::string normalize_type_name(std::string_view native_type);

}  // namespace baselinr::db
