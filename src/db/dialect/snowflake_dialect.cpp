#include "db/dialect/snowflake_dialect.hpp"

#include <fmt/format.h>

#include "common/text.hpp"
#include "db/dialect/postgres_dialect.hpp"

namespace baselinr::db {
namespace {

bool is_lower_unquoted_identifier(std::string_view name) {
  if (name.empty()) return false;
  const char first = name.front();
  if (!(first == '_' || (first >= 'a' && first <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

std::string snowflake_fold(std::string_view identifier) {
  std::string out(identifier);
  if (!is_lower_unquoted_identifier(identifier)) return out;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string snowflake_storage_name(std::string_view identifier) {
  return snowflake_dialect().quote_identifier(snowflake_fold(identifier));
}

namespace {

// Applies `part` to each dot-separated part and joins the results with `sep`.
template <typename F>
std::string map_parts(std::string_view dotted, F part, std::string_view sep) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    if (start > 0) out += sep;
    out += part(dotted.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

std::string SnowflakeDialect::qualified_name(std::string_view dotted) const {
  return map_parts(dotted, snowflake_storage_name, ".");
}

TableRef SnowflakeDialect::storage_table(std::string_view dotted) const {
  TableRef plain = Dialect::storage_table(dotted);
  return {map_parts(plain.schema, snowflake_fold, "."), snowflake_fold(plain.name)};
}

std::vector<std::string> SnowflakeDialect::session_setup() const {
  return {"ALTER SESSION SET TIMEZONE = 'UTC'"};
}

std::string SnowflakeDialect::storage_identifier(std::string_view identifier) const {
  return snowflake_storage_name(identifier);
}

TypeClass SnowflakeDialect::classify_type(std::string_view native_type) const {
  if (normalize_type_name(native_type) == "decfloat") return TypeClass::kNumeric;
  return classify_common_type(native_type);
}

std::string SnowflakeDialect::approx_count_distinct(const ColumnExpr& col) const {
  return "APPROX_COUNT_DISTINCT(" + col.sql + ")";
}

std::string SnowflakeDialect::char_length(const std::string& expr) const {
  return "LENGTH(" + expr + ")";
}

std::string SnowflakeDialect::to_double(const std::string& expr) const {
  return "CAST(" + expr + " AS DOUBLE)";
}

HistogramExprs SnowflakeDialect::histogram(const std::string& expr, double min, double range,
                                           int bins, ParamList& params) const {
  // As PostgreSQL: counts against the thresholds of the shared formula, no division in SQL.
  std::string counts;
  for (const auto& cond : threshold_bin_conditions(expr, min, range, bins, params)) {
    if (!counts.empty()) counts += ", ";
    counts += "COUNT_IF(" + cond + ")";
  }
  HistogramExprs out;
  out.packed = true;
  out.exprs.push_back("ARRAY_TO_STRING(ARRAY_CONSTRUCT(" + counts + "), ',')");
  return out;
}

std::string SnowflakeDialect::insert_event_sql(const std::string& table) const {
  // PARSE_JSON may not appear in VALUES, so the row is a SELECT; each value is converted to its
  // column's type explicitly, as a SELECT list gives no column context to a bound parameter.
  std::string names, values;
  for (const std::string& col : events_insert_columns()) {
    if (!names.empty()) {
      names += ", ";
      values += ", ";
    }
    names += storage_identifier(col);
    if (col == "metadata") {
      values += "PARSE_JSON(?)";
    } else if (col == "timestamp") {
      values += "TO_TIMESTAMP_NTZ(?)";
    } else if (col == "baseline_value" || col == "current_value" || col == "change_percent") {
      values += "CAST(? AS " + type_double() + ")";
    } else {
      values += "?";
    }
  }
  return fmt::format("INSERT INTO {} ({}) SELECT {}", qualified_name(table), names, values);
}

std::string SnowflakeDialect::current_schema_sql() const { return "CURRENT_SCHEMA()"; }

std::string SnowflakeDialect::last_change_query(const TableRef& table, ParamList& params) const {
  std::string schema = table.schema.empty() ? current_schema_sql() : params.add(table.schema);
  return fmt::format(
      "SELECT DATE_PART(EPOCH_SECOND, LAST_ALTERED) FROM INFORMATION_SCHEMA.TABLES WHERE "
      "TABLE_SCHEMA = {} AND TABLE_NAME = {}",
      schema, params.add(table.name));
}

std::string SnowflakeDialect::limit_rows(std::int64_t rows, ParamList& /*params*/) const {
  return fmt::format(" LIMIT {}", rows);
}

std::string SnowflakeDialect::type_timestamp() const { return "TIMESTAMP_NTZ"; }
std::string SnowflakeDialect::type_text() const { return "VARCHAR"; }
std::string SnowflakeDialect::type_double() const { return "FLOAT"; }
std::string SnowflakeDialect::type_json() const { return "VARIANT"; }
std::string SnowflakeDialect::autoincrement_primary_key() const {
  return "NUMBER(38,0) AUTOINCREMENT START 1 INCREMENT 1 ORDER PRIMARY KEY";
}
std::string SnowflakeDialect::create_index(const std::string& /*index_name*/,
                                           const std::string& /*table*/,
                                           const std::vector<std::string>& /*columns*/) const {
  return {};
}
std::string SnowflakeDialect::timestamp_default() const { return "SYSDATE()"; }

std::string SnowflakeDialect::table_sample_clause(double fraction, const std::string& method,
                                                  std::int64_t seed, ParamList& /*params*/) const {
  // Snowflake takes literals here: a percentage and a seed we computed, never user text.
  return fmt::format(" SAMPLE {} ({}) SEED ({})", method == "system" ? "SYSTEM" : "BERNOULLI",
                     format_double(fraction * 100.0), seed & 0x7fffffff);
}

std::string SnowflakeDialect::row_uniform(const std::vector<std::string>& columns,
                                          std::int64_t seed, ParamList& params) const {
  std::string args = params.add(seed);
  for (const auto& c : columns) args += ", " + c;
  return fmt::format("(BITAND(HASH({}), 9007199254740991) / 9007199254740992.0)", args);
}

const Dialect& snowflake_dialect() {
  static const SnowflakeDialect dialect;
  return dialect;
}

}  // namespace baselinr::db
