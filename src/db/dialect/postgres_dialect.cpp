#include "db/dialect/postgres_dialect.hpp"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include "common/moments.hpp"

namespace baselinr::db {
namespace {

// Doubles mapped to unsigned integers in the same order (-0.0 and +0.0 are neighbours), so a
// binary search can walk the representable values between two finite doubles.
std::uint64_t order_key(double d) {
  const auto bits = std::bit_cast<std::uint64_t>(d);
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  return (bits & kSign) ? ~bits : bits | kSign;
}

double from_order_key(std::uint64_t key) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  return std::bit_cast<double>((key & kSign) ? key & ~kSign : ~key);
}

}  // namespace

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
  // json, xml, point, polygon... have no equality operator; their text form stands in.
  if (col.type_class == TypeClass::kOther) return "COUNT(DISTINCT CAST(" + col.sql + " AS TEXT))";
  return "COUNT(DISTINCT " + col.sql + ")";
}

std::string PostgresDialect::mean(const ColumnExpr& col) const { return "AVG(" + col.sql + ")"; }

std::string PostgresDialect::stddev_samp(const ColumnExpr& col) const {
  // Integer and numeric columns aggregate exactly in numeric, but the result keeps only as many
  // decimals as the variance needed for 16 digits, so the square root can come out with 9
  // (117338081 for 117338080.79...). Adding a numeric zero with 20 decimals raises the scale of
  // the inputs and with it the result's. For float columns the same expression resolves to
  // float8 + float8 (numeric converts implicitly to float8, not the reverse), which keeps them on
  // the float8 aggregate.
  return "STDDEV_SAMP(" + col.sql + " + 0.00000000000000000000)";
}

std::vector<double> histogram_thresholds(double min, double range, int bins) {
  std::vector<double> out;
  if (bins < 2) return out;
  out.reserve(static_cast<std::size_t>(bins - 1));
  // bin(min) is 0 and bin(DBL_MAX) is bins - 1 (the formula clamps, overflow included), so each
  // threshold lies in (min, DBL_MAX]; thresholds never decrease, so each search starts at the
  // previous one.
  std::uint64_t lo = order_key(min);
  const std::uint64_t top = order_key(std::numeric_limits<double>::max());
  for (int i = 1; i < bins; ++i) {
    std::uint64_t hi = top;
    while (hi - lo > 1) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (histogram_bin(from_order_key(mid), min, range, bins) >= i) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    out.push_back(from_order_key(hi));
    // The next threshold is >= this one: its search interval starts just below it.
    lo = hi - 1;
  }
  return out;
}

HistogramExprs PostgresDialect::histogram(const std::string& expr, double min, double range,
                                          int bins, ParamList& params) const {
  // One packed expression per column (PostgreSQL allows at most 1664 select-list entries), with
  // each bin counted by comparisons against thresholds derived from the shared formula. This
  // gives exactly histogram_bin()'s bins without evaluating the formula in SQL, where float8
  // division raises "value out of range: underflow" for tiny non-zero quotients.
  const std::string x = "CAST(" + expr + " AS DOUBLE PRECISION)";
  auto bound = [&params](double v) { return "CAST(" + params.add(v) + " AS DOUBLE PRECISION)"; };
  const std::vector<double> t = histogram_thresholds(min, range, bins);
  std::string counts;
  if (t.empty()) {
    counts = "COUNT(" + x + ")";
  } else {
    for (std::size_t i = 0; i <= t.size(); ++i) {
      std::string cond;
      if (i == 0) {
        cond = x + " < " + bound(t[0]);
      } else if (i == t.size()) {
        cond = x + " >= " + bound(t[i - 1]);
      } else {
        cond = x + " >= " + bound(t[i - 1]) + " AND " + x + " < " + bound(t[i]);
      }
      if (!counts.empty()) counts += ", ";
      counts += "COUNT(*) FILTER (WHERE " + cond + ")";
    }
  }
  HistogramExprs out;
  out.packed = true;
  out.exprs.push_back("ARRAY_TO_STRING(ARRAY[" + counts + "], ',')");
  return out;
}

std::string PostgresDialect::columns_query(const TableRef& table, ParamList& params) const {
  std::string where = "c.relname = " + params.add(table.name);
  if (table.schema.empty()) {
    where += " AND pg_catalog.pg_table_is_visible(c.oid)";
  } else {
    where += " AND n.nspname = " + params.add(table.schema);
  }
  return "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
         "FROM pg_catalog.pg_attribute a "
         "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "WHERE " +
         where +
         " AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
         "ORDER BY a.attnum";
}

std::string PostgresDialect::current_schema_sql() const { return "current_schema()"; }

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
