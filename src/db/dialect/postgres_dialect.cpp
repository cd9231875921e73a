#include "db/dialect/postgres_dialect.hpp"

#include <fmt/format.h>

#include <array>

namespace baselinr::db {

std::string PostgresDialect::placeholder(std::size_t index) const {
  return fmt::format("${}", index);
}

std::vector<std::string> PostgresDialect::session_setup() const {
  // Every setting whose value changes the text of a value baselinr reads or stores: a role or
  // database default (ALTER ROLE ... SET DateStyle = 'SQL, DMY') must not change a metric.
  return {
      "SELECT set_config('TimeZone', 'UTC', false), set_config('extra_float_digits', '3', false), "
      "set_config('DateStyle', 'ISO, MDY', false), set_config('IntervalStyle', 'postgres', false), "
      "set_config('bytea_output', 'hex', false)"};
}

std::vector<std::string> PostgresDialect::snapshot_begin() const {
  return {"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"};
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
  // json, xml, point, polygon... have no equality operator usable by COUNT(DISTINCT); their text
  // form stands in. jsonb, interval, ranges, arrays, uuid... are compared by their own.
  if (col.type_class == TypeClass::kOther && !col.type_equality) {
    return "COUNT(DISTINCT CAST(" + col.sql + " AS TEXT))";
  }
  // COUNT(DISTINCT) sorts its input; a boolean has at most two values, which BOOL_AND and
  // BOOL_OR (NULL when every value is NULL) tell apart without sorting anything.
  if (col.type_class == TypeClass::kBoolean) {
    return fmt::format(
        "(CASE WHEN BOOL_AND({0}) IS NULL THEN 0 WHEN BOOL_AND({0}) = BOOL_OR({0}) THEN 1 ELSE 2 "
        "END)",
        col.sql);
  }
  // Strings are distinct when their bytes are, whatever the column's collation (a
  // nondeterministic ICU collation would make 'a' and 'A' one value): the "C" collation compares
  // bytes, and sorts them with abbreviated keys instead of calling strcoll for every comparison.
  if (col.type_class == TypeClass::kString) {
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

bool printed_extreme(const ColumnExpr& col) {
  if (col.type_class == TypeClass::kTemporal) return true;
  const std::string t = normalize_type_name(col.native_type);
  return col.type_class == TypeClass::kNumeric && (t == "numeric" || t == "decimal");
}
}  // namespace

std::string PostgresDialect::column_min(const ColumnExpr& col) const {
  if (printed_extreme(col)) return "CAST(MIN(" + col.sql + ") AS TEXT)";
  return min_value(col.sql);
}

std::string PostgresDialect::column_max(const ColumnExpr& col) const {
  if (printed_extreme(col)) return "CAST(MAX(" + col.sql + ") AS TEXT)";
  return max_value(col.sql);
}

DistributionKey PostgresDialect::distribution_key(const ColumnExpr& col) const {
  // As count_distinct(): strings by their bytes, json, xml, point... by their text.
  if (col.type_class == TypeClass::kString) {
    const std::string key = col.sql + " COLLATE \"C\"";
    return {key, key};
  }
  if (col.type_class == TypeClass::kOther && !col.type_equality) {
    const std::string key = "CAST(" + col.sql + " AS TEXT) COLLATE \"C\"";
    return {key, key};
  }
  if (printed_extreme(col)) return {col.sql, "CAST(" + col.sql + " AS TEXT)"};
  return {col.sql, col.sql};
}

std::optional<std::string> PostgresDialect::quantile(const ColumnExpr& col, int percent) const {
  // percentile_disc(f) takes the row ceil(f * n) (at least the first) of the values sorted by
  // the ORDER BY: the fraction is a constant written as a decimal, which PostgreSQL converts to
  // the double nearest to percent / 100, as float_nearest_rank() does. Every percentile_disc
  // with the same ORDER BY shares one sort (PostgreSQL 11+).
  if (percent < 0 || percent > 100) return std::nullopt;
  const DistributionKey key = distribution_key(col);
  const std::string agg = fmt::format("percentile_disc({}.{:02}) WITHIN GROUP (ORDER BY {})",
                                      percent / 100, percent % 100, key.key);
  if (key.value == key.key) return agg;
  if (key.value == "CAST(" + key.key + " AS TEXT)") return "CAST(" + agg + " AS TEXT)";
  return std::nullopt;  // a value that is not the key's own: the distribution statement
}

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

std::optional<SplitMoments> PostgresDialect::split_moments(const ColumnExpr& col) const {
  const std::string t = normalize_type_name(col.native_type);
  if (t != "double precision" && t != "float8") return std::nullopt;
  const std::string& x = col.sql;
  // NaN compares above every number in PostgreSQL, so it joins the large group with the
  // infinities. The FILTER is evaluated before the argument: small values are never scaled (a
  // scaled 1e-310 would raise "value out of range: underflow").
  const std::string small = fmt::format(" FILTER (WHERE abs({}) < {})", x,
                                        to_double(fmt::format("{}", kSplitMomentsThreshold)));
  const std::string big = fmt::format(" FILTER (WHERE NOT abs({}) < {})", x,
                                      to_double(fmt::format("{}", kSplitMomentsThreshold)));
  const std::string scaled =
      fmt::format("{} * {}", x, to_double(fmt::format("{}", kSplitMomentsScale)));
  return SplitMoments{
      "COUNT(" + x + ")",       "AVG(" + x + ")" + small,    "VAR_SAMP(" + x + ")" + small,
      "COUNT(" + x + ")" + big, "AVG(" + scaled + ")" + big, "VAR_SAMP(" + scaled + ")" + big};
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
  // Besides name and type (format_type: the column's own type, a domain by its name):
  // 3: 1 when the (base) type has a default btree operator class, directly or as an enum, range,
  //    multirange or array of such an element: COUNT(DISTINCT) then compares values by the
  //    type's own equality (jsonb {"a":1.0} = {"a":1}, interval '1 day' = '24 hours').
  // 4: 1 when a valid unique index without predicate has this column as its only key, with the
  //    column's collation and the default operator class (so its equality is COUNT(DISTINCT)'s),
  //    and the index covers every row a query of the relation reads: a plain table or
  //    materialized view that never had inheritance children (relhassubclass: an index covers
  //    only its own table's rows, while FROM parent also reads the children's; a partitioned
  //    table's rows are all in its partitions).
  // 5: for a domain, its base type (through domains of domains), with the modifiers the domain
  //    declares; empty otherwise.
  return "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
         "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc "
         "JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod "
         "JOIN pg_catalog.pg_type it ON it.oid = oc.opcintype "
         "WHERE am.amname = 'btree' AND oc.opcdefault AND (oc.opcintype = bt.oid "
         "OR (bt.typtype = 'e' AND it.typname = 'anyenum') "
         "OR (bt.typtype = 'r' AND it.typname = 'anyrange') "
         "OR (bt.typtype = 'm' AND it.typname = 'anymultirange') "
         "OR (bt.typcategory = 'A' AND it.typname = 'anyarray' AND EXISTS (SELECT 1 "
         "FROM pg_catalog.pg_opclass eo JOIN pg_catalog.pg_am ea ON ea.oid = eo.opcmethod "
         "WHERE ea.amname = 'btree' AND eo.opcdefault AND eo.opcintype = bt.typelem)))) "
         "THEN 1 ELSE 0 END, "
         "CASE WHEN c.relkind IN ('r', 'm') AND NOT c.relhassubclass AND EXISTS "
         "(SELECT 1 FROM pg_catalog.pg_index i "
         "JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0] "
         "WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL "
         "AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND oc.opcdefault "
         "AND i.indcollation[0] = a.attcollation) THEN 1 ELSE 0 END, "
         "CASE WHEN base.oid <> a.atttypid THEN pg_catalog.format_type(base.oid, base.typmod) "
         "ELSE '' END "
         "FROM pg_catalog.pg_attribute a "
         "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "CROSS JOIN LATERAL (WITH RECURSIVE chain(oid, typmod, depth) AS ("
         "SELECT a.atttypid, a.atttypmod, 0 UNION ALL "
         "SELECT t.typbasetype, t.typtypmod, chain.depth + 1 FROM chain "
         "JOIN pg_catalog.pg_type t ON t.oid = chain.oid WHERE t.typtype = 'd') "
         "SELECT chain.oid, chain.typmod FROM chain ORDER BY chain.depth DESC LIMIT 1) AS base "
         "JOIN pg_catalog.pg_type bt ON bt.oid = base.oid "
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

std::string PostgresDialect::value_text(const std::string& expr) const {
  return "CAST(" + expr + " AS TEXT)";
}

std::string PostgresDialect::typed_parameter(const std::string& param,
                                             const std::string& native_type) const {
  if (native_type.empty()) return param;
  return "CAST(" + param + " AS " + native_type + ")";
}

std::string PostgresDialect::native_sampling_query(const TableRef& table, ParamList& params) const {
  return "SELECT CASE WHEN c.relkind IN ('r', 'm', 'p') THEN 1 ELSE 0 END "
         "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "WHERE " +
         relation_condition(table, params);
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
