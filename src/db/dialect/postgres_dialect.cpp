#include "db/dialect/postgres_dialect.hpp"

#include <fmt/format.h>

#include <array>

namespace baselinr::db {

std::string PostgresDialect::placeholder(std::size_t index) const {
  return fmt::format("${}", index);
}

std::vector<std::string> PostgresDialect::session_setup() const {
  return {
      "SELECT set_config('TimeZone', 'UTC', false), set_config('extra_float_digits', '3', false)"};
}

TypeClass PostgresDialect::classify_type(std::string_view native_type) const {
  const std::string t = normalize_type_name(native_type);
  // Arrays of any type ("integer[]", "character varying[]") are values of their own kind.
  if (t.ends_with("]")) return TypeClass::kOther;
  TypeClass known = classify_common_type(t);
  if (known != TypeClass::kOther) return known;
  // Internal names of the serial pseudo-types, as written in DDL.
  static constexpr std::array<std::string_view, 3> kSerial = {"serial2", "serial4", "serial8"};
  for (std::string_view s : kSerial) {
    if (t == s) return TypeClass::kNumeric;
  }
  // uuid, json, jsonb, bytea, money, interval, enums, domains, ranges...
  return TypeClass::kOther;
}

std::string PostgresDialect::count_distinct(const ColumnExpr& col) const {
  // A unique index already says every non-null value is distinct: nothing to sort.
  if (col.unique) return "COUNT(" + col.sql + ")";
  // json, xml, point, polygon... have no equality operator; their text form stands in.
  if (col.type_class == TypeClass::kOther) return "COUNT(DISTINCT CAST(" + col.sql + " AS TEXT))";
  // COUNT(DISTINCT) sorts its input; a boolean has at most two values, which BOOL_AND and
  // BOOL_OR (NULL when every value is NULL) tell apart without sorting anything.
  if (col.type_class == TypeClass::kBoolean) {
    return fmt::format(
        "(CASE WHEN BOOL_AND({0}) IS NULL THEN 0 WHEN BOOL_AND({0}) = BOOL_OR({0}) THEN 1 ELSE 2 "
        "END)",
        col.sql);
  }
  // Under a deterministic collation two strings are equal exactly when their bytes are, so the
  // count is the same in the "C" collation, whose sort compares bytes (and abbreviated keys)
  // instead of calling the locale's strcoll for every comparison.
  if (col.type_class == TypeClass::kString && col.bytewise_equality) {
    return "COUNT(DISTINCT " + col.sql + " COLLATE \"C\")";
  }
  return "COUNT(DISTINCT " + col.sql + ")";
}

std::string PostgresDialect::mean(const ColumnExpr& col) const { return "AVG(" + col.sql + ")"; }

namespace {
bool float_type(const std::string& native_type) {
  const std::string t = normalize_type_name(native_type);
  return t == "double precision" || t == "real" || t == "float4" || t == "float8" ||
         t.starts_with("float");
}
}  // namespace

std::string PostgresDialect::stddev_samp(const ColumnExpr& col) const {
  // float4/float8 columns use the float8 aggregate. Integer and numeric columns aggregate exactly
  // (int128 or numeric accumulators), but STDDEV_SAMP's numeric result keeps only as many
  // decimals as the variance needed for 16 digits, so the root can come out with 9 (117338081
  // for 117338080.79...). VAR_SAMP keeps at least 16 significant digits, and its square root is
  // taken in double precision by the caller, which loses nothing and is much faster than raising
  // the scale of every input to force more digits.
  if (float_type(col.native_type)) return "STDDEV_SAMP(" + col.sql + ")";
  return "VAR_SAMP(" + col.sql + ")";
}

bool PostgresDialect::stddev_is_variance(const ColumnExpr& col) const {
  return !float_type(col.native_type);
}

HistogramExprs PostgresDialect::histogram(const std::string& expr, double min, double range,
                                          int bins, ParamList& params) const {
  // One packed expression per column (PostgreSQL allows at most 1664 select-list entries). Each
  // bin is counted against the thresholds of the shared formula (float8 division in SQL raises
  // "value out of range: underflow" for tiny non-zero quotients), as a difference of running
  // counts: bin i = (values >= t[i-1]) - (values >= t[i]), bin 0 = all values - (values >= t[0]).
  // PostgreSQL computes identical aggregates once, so each row is compared with every threshold
  // once, instead of twice with a lower and an upper bound per bin.
  const std::string x = to_double(expr);
  std::vector<std::string> at_least;
  for (double t : histogram_thresholds(min, range, bins)) {
    at_least.push_back("COUNT(*) FILTER (WHERE " + x + " >= " + to_double(params.add(t)) + ")");
  }
  std::string counts = "COUNT(" + x + ")";
  for (std::size_t i = 0; i < at_least.size(); ++i) {
    counts += " - " + at_least[i] + ", " + at_least[i];
  }
  HistogramExprs out;
  out.packed = true;
  out.exprs.push_back("ARRAY_TO_STRING(ARRAY[" + counts + "], ',')");
  return out;
}

namespace {
// Selects the table's row of pg_class c (joined to pg_namespace n): in its schema, or the one an
// unqualified name resolves to (search_path) when the schema is empty.
std::string relation_condition(const TableRef& table, ParamList& params) {
  std::string where = "c.relname = " + params.add(table.name);
  if (table.schema.empty()) {
    where += " AND pg_catalog.pg_table_is_visible(c.oid)";
  } else {
    where += " AND n.nspname = " + params.add(table.schema);
  }
  return where;
}
}  // namespace

std::string PostgresDialect::columns_query(const TableRef& table, ParamList& params) const {
  const std::string where = relation_condition(table, params);
  // The third column: 1 when the column's collation is deterministic; the fourth: 1 when a
  // valid unique index without predicate has this column as its only key, with the column's
  // collation and the default operator class (so its equality is COUNT(DISTINCT)'s).
  return "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
         "CASE WHEN co.collisdeterministic THEN 1 ELSE 0 END, "
         "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
         "JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0] "
         "WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL "
         "AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND oc.opcdefault "
         "AND i.indcollation[0] = a.attcollation) THEN 1 ELSE 0 END "
         "FROM pg_catalog.pg_attribute a "
         "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation "
         "WHERE " +
         where +
         " AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
         "ORDER BY a.attnum";
}

std::string PostgresDialect::current_schema_sql() const { return "current_schema()"; }

StorageSchemaLock PostgresDialect::storage_schema_lock() const {
  // A session lock, with each DDL statement in its own transaction: CREATE INDEX IF NOT EXISTS
  // takes a SHARE lock on its table even when the index exists, and held to the end of one long
  // transaction those locks deadlock with a process that already writes runs and events. The
  // key is "baselinr" in ASCII; the lock ends with the session if the process dies.
  const std::string key = "7089336938131361394";
  const std::string unlock = "SELECT 1 FROM (SELECT pg_advisory_unlock(" + key + ")) AS l";
  return {{"SELECT 1 FROM (SELECT pg_advisory_lock(" + key + ")) AS l"}, {unlock}, {unlock}};
}

std::string PostgresDialect::concurrent_scans_query(const TableRef& table,
                                                    ParamList& params) const {
  const std::string where = relation_condition(table, params);
  // The planner's own rule for the workers of a scan: the table's parallel_workers storage
  // parameter when set, else none below min_parallel_table_scan_size (summed over the leaves
  // of a partitioned table; views and foreign tables have no size and get none), at most
  // max_parallel_workers_per_gather and max_parallel_workers. The leader runs a branch too when
  // parallel_leader_participation is on.
  return "WITH s AS (SELECT "
         "CAST(current_setting('max_parallel_workers_per_gather') AS INTEGER) AS per_gather, "
         "CAST(current_setting('max_parallel_workers') AS INTEGER) AS total, "
         "CAST(current_setting('parallel_leader_participation') AS BOOLEAN) AS leader, "
         "pg_catalog.pg_size_bytes(current_setting('min_parallel_table_scan_size')) AS min_size), "
         "t AS (SELECT "
         "(SELECT MAX(CAST(substring(o FROM '^parallel_workers=([0-9]+)$') AS INTEGER)) "
         "FROM unnest(c.reloptions) AS o) AS option, "
         "CASE WHEN c.relkind = 'p' THEN (SELECT "
         "COALESCE(SUM(pg_catalog.pg_relation_size(p.relid)), 0) "
         "FROM pg_catalog.pg_partition_tree(c.oid) AS p) "
         "ELSE pg_catalog.pg_relation_size(c.oid) END AS size "
         "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "WHERE " +
         where +
         "), w AS (SELECT LEAST(s.per_gather, s.total, "
         "CASE WHEN t.option IS NOT NULL THEN t.option "
         "WHEN t.size >= s.min_size THEN s.per_gather ELSE 0 END) AS workers, s.leader "
         "FROM s, t) "
         "SELECT CASE WHEN workers <= 0 THEN 1 WHEN leader THEN workers + 1 ELSE workers END "
         "FROM w";
}

std::string PostgresDialect::table_sample_clause(double fraction, const std::string& method,
                                                 std::int64_t seed, ParamList& params) const {
  // BERNOULLI decides row by row; SYSTEM page by page (faster, clustered). REPEATABLE makes the
  // scalar and the histogram query of one run see the same rows.
  return fmt::format(
      " TABLESAMPLE {} (CAST({} AS DOUBLE PRECISION)) REPEATABLE (CAST({} AS "
      "DOUBLE PRECISION))",
      method == "system" ? "SYSTEM" : "BERNOULLI", params.add(fraction * 100.0), params.add(seed));
}

std::string PostgresDialect::row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                                         ParamList& params) const {
  // 53 bits of a seeded 64-bit hash of the row's text form, scaled to [0, 1).
  std::string row;
  for (const auto& c : columns) row += (row.empty() ? "" : ", ") + c;
  return fmt::format(
      "(CAST((hashtextextended(CAST(ROW({}) AS TEXT), CAST({} AS BIGINT)) & 9007199254740991) AS "
      "DOUBLE PRECISION) / 9007199254740992.0)",
      row, params.add(seed));
}

const Dialect& postgres_dialect() {
  static const PostgresDialect dialect;
  return dialect;
}

}  // namespace baselinr::db
