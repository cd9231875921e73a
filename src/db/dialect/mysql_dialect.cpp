#include "db/dialect/mysql_dialect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "baselinr/error.hpp"
#include "common/text.hpp"

namespace baselinr::db {
namespace {

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.substr(0, word.size()) != word) return false;
  return text.size() == word.size() || text[word.size()] == '(';
}

}  // namespace

std::string MysqlDialect::quote_identifier(std::string_view identifier) const {
  std::string out;
  out.reserve(identifier.size() + 2);
  out.push_back('`');
  for (char c : identifier) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::vector<std::string> MysqlDialect::session_setup() const {
  return {"SET time_zone = '+00:00'"};
}

std::vector<std::string> MysqlDialect::snapshot_begin() const {
  return {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
          "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"};
}

TypeClass MysqlDialect::classify_type(std::string_view native_type) const {
  // Decide on the raw text first: normalisation drops the "(1)" that makes a tinyint boolean
  // and the value lists of enum and set.
  const std::string raw = compact_lower(native_type);
  if (raw.rfind("tinyint(1)", 0) == 0) return TypeClass::kBoolean;
  static constexpr std::array<std::string_view, 15> kOther = {
      "enum",      "set", "json",     "blob",  "tinyblob",   "longblob", "mediumblob", "binary",
      "varbinary", "bit", "geometry", "point", "linestring", "polygon",  "inet6"};
  for (std::string_view other : kOther) {
    if (starts_with_word(raw, other)) return TypeClass::kOther;
  }
  if (starts_with_word(raw, "year")) return TypeClass::kTemporal;
  return classify_common_type(native_type);
}

std::string MysqlDialect::count_distinct(const ColumnExpr& col) const {
  if (col.type_class == TypeClass::kString) {
    return "COUNT(DISTINCT CAST(" + col.sql + " AS BINARY))";
  }
  return Dialect::count_distinct(col);
}

std::string MysqlDialect::mean(const ColumnExpr& col) const {
  return fmt::format("CAST(SUM({0}) AS DOUBLE) / NULLIF(COUNT({0}), 0)", col.sql);
}

namespace {

// What the declared type says about the values, for the standard deviation.
enum class ValueKind {
  kInt32,     // tinyint .. int (signed or unsigned): x * x is exact in BIGINT arithmetic
  kInt64,     // bigint, decimal(p<=19, 0): x * x is exact in DECIMAL(65,0)
  kFraction,  // float, double, real, decimal with a scale: doubles
  kUnknown,   // anything else: decided per query from the data
};

// An integer type name, with or without display width and attributes: "int", "int(11)",
// "int unsigned" (MySQL 8), "bigint(20) unsigned zerofill" (blanks already removed).
bool integer_type(std::string_view raw, std::string_view word) {
  if (raw.substr(0, word.size()) != word) return false;
  std::string_view rest = raw.substr(word.size());
  if (!rest.empty() && rest.front() == '(') {
    const std::size_t close = rest.find(')');
    if (close == std::string_view::npos) return false;
    rest.remove_prefix(close + 1);
  }
  for (std::string_view attr : {"unsigned", "signed", "zerofill"}) {
    if (rest.substr(0, attr.size()) == attr) rest.remove_prefix(attr.size());
  }
  if (rest.substr(0, 8) == "zerofill") rest.remove_prefix(8);
  return rest.empty();
}

ValueKind value_kind(std::string_view native_type) {
  const std::string raw = compact_lower(native_type);
  for (std::string_view t : {"tinyint", "smallint", "mediumint", "int", "integer"}) {
    if (integer_type(raw, t)) return ValueKind::kInt32;
  }
  if (integer_type(raw, "bigint")) return ValueKind::kInt64;
  for (std::string_view t : {"float", "double", "real", "doubleprecision"}) {
    if (starts_with_word(raw, t)) return ValueKind::kFraction;
  }
  for (std::string_view t : {"decimal", "numeric", "dec", "fixed"}) {
    if (!starts_with_word(raw, t)) continue;
    // decimal(p,s), or decimal(p) with scale 0. A bare "decimal" (ODBC's SQLColumns leaves the
    // precision and scale out of the type name) says nothing about the scale.
    int precision = 0, scale = 0;
    if (raw.size() <= t.size() || raw[t.size()] != '(' ||
        std::sscanf(raw.c_str() + t.size(), "(%d,%d)", &precision, &scale) < 1) {
      return ValueKind::kUnknown;
    }
    if (scale > 0) return ValueKind::kFraction;
    return precision <= 19 ? ValueKind::kInt64 : ValueKind::kUnknown;
  }
  return ValueKind::kUnknown;
}

bool decimal_type(std::string_view native_type) {
  const std::string raw = compact_lower(native_type);
  for (std::string_view t : {"decimal", "numeric", "dec", "fixed"}) {
    if (starts_with_word(raw, t)) return true;
  }
  return false;
}

}  // namespace

std::string MysqlDialect::column_min(const ColumnExpr& col) const {
  if (decimal_type(col.native_type)) return "CAST(MIN(" + col.sql + ") AS CHAR)";
  return min_value(col.sql);
}

std::string MysqlDialect::column_max(const ColumnExpr& col) const {
  if (decimal_type(col.native_type)) return "CAST(MAX(" + col.sql + ") AS CHAR)";
  return max_value(col.sql);
}

DistributionKey MysqlDialect::distribution_key(const ColumnExpr& col) const {
  // As count_distinct(): 'T' and 't', 'a' and 'a ' are two values whatever the collation. Every
  // value of a group has the same bytes, so MIN() returns that value, in the column's character
  // set.
  if (col.type_class == TypeClass::kString) {
    return {"CAST(" + col.sql + " AS BINARY)", "MIN(" + col.sql + ")", true};
  }
  if (decimal_type(col.native_type)) return {col.sql, "CAST(" + col.sql + " AS CHAR)"};
  return {col.sql, col.sql};
}

std::string MysqlDialect::stddev_samp(const ColumnExpr& col) const {
  const std::string& expr = col.sql;
  const ValueKind kind = value_kind(col.native_type);
  if (kind == ValueKind::kFraction) return "STDDEV_SAMP(" + to_double(expr) + ")";
  if (kind != ValueKind::kUnknown) {
    // Integers by type: the exact sums need no per-row checks (see the header; fewer than 1e13
    // values keep every DECIMAL(65,0) term in range).
    const std::string square = kind == ValueKind::kInt32
                                   ? fmt::format("{0} * {0}", expr)
                                   : fmt::format(
                                         "CAST({0} AS DECIMAL(65,0)) * CAST({0} AS "
                                         "DECIMAL(65,0))",
                                         expr);
    return fmt::format(
        "CASE WHEN COUNT({0}) < 2 THEN NULL "
        "ELSE SQRT(CAST(COUNT({0}) * SUM({1}) - SUM({0}) * SUM({0}) AS DOUBLE) / "
        "(CAST(COUNT({0}) AS DOUBLE) * (COUNT({0}) - 1))) END",
        expr, square);
  }
  // See the header for the numerics. `exact` holds when the value can take the exact path;
  // the CASEs keep the DECIMAL casts away from values that would overflow them.
  const std::string exact =
      fmt::format("({0} >= -9.3e18 AND {0} <= 1.85e19 AND {0} = FLOOR({0}))", expr);
  const std::string dec = fmt::format("CAST({} AS DECIMAL(65,0))", expr);
  const std::string sum1 = fmt::format("SUM(CASE WHEN {} THEN {} END)", exact, dec);
  const std::string sum2 = fmt::format("SUM(CASE WHEN {} THEN {} * {} END)", exact, dec, dec);
  return fmt::format(
      "CASE WHEN COUNT({0}) < 2 THEN NULL "
      "WHEN COUNT({0}) < 1e13 AND COUNT(CASE WHEN {1} THEN 1 END) = COUNT({0}) "
      "THEN SQRT(CAST(COUNT({0}) * {2} - {3} * {3} AS DOUBLE) / "
      "(CAST(COUNT({0}) AS DOUBLE) * (COUNT({0}) - 1))) "
      "ELSE STDDEV_SAMP({4}) END",
      expr, exact, sum2, sum1, to_double(expr));
}

std::optional<SplitMoments> MysqlDialect::split_moments(const ColumnExpr& col) const {
  // FLOAT values stay below 3.5e38: neither sums nor squares of them overflow a double.
  const std::string raw = compact_lower(col.native_type);
  bool is_double = false;
  for (std::string_view t : {"double", "real", "doubleprecision"}) {
    is_double = is_double || starts_with_word(raw, t);
  }
  if (!is_double) return std::nullopt;
  const std::string& x = col.sql;
  const std::string small = fmt::format("ABS({}) < {}", x, kSplitMomentsThreshold);
  const std::string big = fmt::format("ABS({}) >= {}", x, kSplitMomentsThreshold);
  const std::string scaled = fmt::format("{} * {}", x, kSplitMomentsScale);
  return SplitMoments{"COUNT(" + x + ")",
                      fmt::format("AVG(CASE WHEN {} THEN {} END)", small, x),
                      fmt::format("VAR_SAMP(CASE WHEN {} THEN {} END)", small, x),
                      fmt::format("COUNT(CASE WHEN {} THEN 1 END)", big),
                      fmt::format("AVG(CASE WHEN {} THEN {} END)", big, scaled),
                      fmt::format("VAR_SAMP(CASE WHEN {} THEN {} END)", big, scaled)};
}

std::string MysqlDialect::to_double(const std::string& expr) const {
  return "CAST(" + expr + " AS DOUBLE)";
}

std::string MysqlDialect::value_text(const std::string& expr) const {
  return "CAST(" + expr + " AS CHAR)";
}

std::string MysqlDialect::typed_parameter(const std::string& param,
                                          const std::string& native_type) const {
  const std::string raw = compact_lower(native_type);
  const bool is_unsigned = raw.find("unsigned") != std::string::npos;
  switch (value_kind(native_type)) {
    case ValueKind::kInt32:
    case ValueKind::kInt64:
      if (!decimal_type(native_type)) {
        return fmt::format("CAST({} AS {})", param, is_unsigned ? "UNSIGNED" : "SIGNED");
      }
      break;
    case ValueKind::kFraction:
      if (starts_with_word(raw, "float")) return "CAST(" + param + " AS FLOAT)";
      if (!decimal_type(native_type)) return "CAST(" + param + " AS DOUBLE)";
      break;
    case ValueKind::kUnknown:
      break;
  }
  if (decimal_type(native_type)) {
    // decimal(p,s) as declared; a bare "decimal" (ODBC's catalog) with the widest scale.
    const std::size_t open = raw.find('(');
    const std::size_t close = raw.find(')');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      return fmt::format("CAST({} AS DECIMAL{})", param, raw.substr(open, close - open + 1));
    }
    return "CAST(" + param + " AS DECIMAL(65,30))";
  }
  return param;
}

std::string MysqlDialect::threshold_param(double threshold, ParamList& params) const {
  return params.add(threshold);
}

std::string MysqlDialect::current_schema_sql() const { return "DATABASE()"; }

StorageSchemaLock MysqlDialect::storage_schema_lock() const {
  // DDL commits implicitly, so the lock is a named (session) lock, not a transaction. GET_LOCK
  // returns 1 when granted, 0 after the timeout (seconds).
  return {{"SELECT GET_LOCK('baselinr.storage_schema', 600)"},
          {"SELECT RELEASE_LOCK('baselinr.storage_schema')"},
          {"SELECT RELEASE_LOCK('baselinr.storage_schema')"}};
}

std::string MysqlDialect::text_equals(const std::string& column, const std::string& value,
                                      ParamList& params) const {
  // The first comparison can use an index in the column's collation; the second is exact.
  return fmt::format("({} = {} AND CAST({} AS BINARY) = CAST({} AS BINARY))", column,
                     params.add(value), column, params.add(value));
}

std::string MysqlDialect::row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                                      ParamList& params) const {
  // 52 bits of MD5 over the seed and the quoted values (QUOTE keeps NULL apart from 'NULL'),
  // scaled to [0, 1). MySQL has no seeded per-row random that is stable across two queries.
  std::string parts = "CAST(" + params.add(seed) + " AS CHAR)";
  for (const auto& c : columns) parts += ", QUOTE(" + c + ")";
  return fmt::format(
      "(CAST(CONV(SUBSTRING(MD5(CONCAT_WS(',', {})), 1, 13), 16, 10) AS DOUBLE) / "
      "4503599627370496.0)",
      parts);
}

std::string MysqlDialect::columns_query(const TableRef& table, ParamList& params) const {
  std::string schema = table.schema.empty() ? current_schema_sql() : params.add(table.schema);
  return fmt::format(
      "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} "
      "AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION",
      schema, params.add(table.name));
}

std::string MysqlDialect::last_change_query(const TableRef& table, ParamList& params) const {
  std::string schema = table.schema.empty() ? current_schema_sql() : params.add(table.schema);
  return fmt::format(
      "SELECT UNIX_TIMESTAMP(UPDATE_TIME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
      "AND TABLE_NAME = {}",
      schema, params.add(table.name));
}

std::string MysqlDialect::timestamp_default() const {
  // A DATETIME(6) default must carry the same precision: MySQL rejects a bare
  // CURRENT_TIMESTAMP there (MariaDB widens it itself).
  return "CURRENT_TIMESTAMP(6)";
}

std::string MysqlDialect::create_table_suffix() const {
  // Transactions need InnoDB, and names and metric text are Unicode whatever the server default.
  return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
}

std::string MysqlDialect::type_timestamp() const { return "DATETIME(6)"; }
std::string MysqlDialect::type_text() const { return "MEDIUMTEXT"; }
std::string MysqlDialect::type_double() const { return "DOUBLE"; }
std::string MysqlDialect::autoincrement_primary_key() const {
  return "BIGINT AUTO_INCREMENT PRIMARY KEY";
}

const Dialect& mysql_dialect() {
  static const MysqlDialect dialect;
  return dialect;
}

}  // namespace baselinr::db
