#include "db/dialect/sqlite_dialect.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace baselinr::db {

TypeClass SqliteDialect::classify_type(std::string_view native_type) const {
  TypeClass known = classify_common_type(native_type);
  if (known != TypeClass::kOther) return known;
  // SQLite's own affinity rules (https://sqlite.org/datatype3.html, 3.1) for other names.
  const std::string t = normalize_type_name(native_type);
  if (t.empty()) return TypeClass::kOther;  // no declared type: BLOB affinity, any value
  if (t.find("int") != std::string::npos) return TypeClass::kNumeric;
  if (t.find("char") != std::string::npos || t.find("clob") != std::string::npos ||
      t.find("text") != std::string::npos) {
    return TypeClass::kString;
  }
  if (t.find("blob") != std::string::npos) return TypeClass::kOther;
  if (t.find("real") != std::string::npos || t.find("floa") != std::string::npos ||
      t.find("doub") != std::string::npos) {
    return TypeClass::kNumeric;
  }
  if (t.find("time") != std::string::npos || t.find("date") != std::string::npos) {
    return TypeClass::kTemporal;
  }
  if (t.find("bool") != std::string::npos) return TypeClass::kBoolean;
  return TypeClass::kOther;
}

std::string SqliteDialect::mean(const ColumnExpr& col) const {
  return "baselinr_mean(" + col.sql + ")";
}

std::string SqliteDialect::stddev_samp(const ColumnExpr& col) const {
  return "baselinr_stddev(" + col.sql + ")";
}

std::string SqliteDialect::count_distinct(const ColumnExpr& col) const {
  // A column declared COLLATE NOCASE (or RTRIM) would fold text values: compare bytes.
  return "COUNT(DISTINCT " + col.sql + " COLLATE BINARY)";
}

DistributionKey SqliteDialect::distribution_key(const ColumnExpr& col) const {
  // -0.0 + 0.0 is 0.0: the group of 0, 0.0 and -0.0 is the real 0.0 whichever row SQLite reads
  // the bare column from.
  return {
      col.sql + " COLLATE BINARY",
      fmt::format("CASE WHEN MAX(typeof({0}) = 'real') THEN CAST({0} AS REAL) + 0.0 ELSE {0} END",
                  col.sql),
      true};
}

std::string SqliteDialect::approx_count_distinct(const ColumnExpr& col) const {
  return "baselinr_approx_distinct(" + col.sql + ")";
}

std::string SqliteDialect::char_length(const std::string& expr) const {
  return "LENGTH(" + expr + ")";
}

std::string SqliteDialect::to_double(const std::string& expr) const {
  return "CAST(" + expr + " AS REAL)";
}

HistogramExprs SqliteDialect::histogram(const std::string& expr, double min, double range, int bins,
                                        ParamList& params) const {
  HistogramExprs out;
  out.packed = true;
  out.exprs.push_back(fmt::format("baselinr_histogram({}, {}, {}, {})", expr, params.add(min),
                                  params.add(range), bins));
  return out;
}

std::string SqliteDialect::columns_query(const TableRef& table, ParamList& params) const {
  // table_xinfo, not table_info: generated columns (hidden 2: virtual, 3: stored) are columns
  // SELECT * returns. Hidden columns of virtual tables (hidden 1, e.g. FTS5's rank) are not.
  std::string args = params.add(table.name);
  if (!table.schema.empty()) args += ", " + params.add(table.schema);
  return "SELECT name, type FROM pragma_table_xinfo(" + args +
         ") WHERE hidden IN (0, 2, 3) ORDER BY cid";
}

std::string SqliteDialect::row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                                       ParamList& params) const {
  // baselinr_uniform hashes the seed and the values (type and bytes) in the connector. A
  // function takes at most SQLITE_MAX_FUNCTION_ARG arguments (127 by default): wider rows are
  // hashed in groups, whose hashes are hashed in turn (a function of the row all the same).
  constexpr std::size_t kGroup = 100;
  std::vector<std::string> parts = columns;
  while (parts.size() > kGroup) {
    std::vector<std::string> groups;
    for (std::size_t i = 0; i < parts.size(); i += kGroup) {
      std::string args = params.add(seed);
      for (std::size_t k = i; k < std::min(parts.size(), i + kGroup); ++k) args += ", " + parts[k];
      groups.push_back("baselinr_uniform(" + args + ")");
    }
    parts = std::move(groups);
  }
  std::string args = params.add(seed);
  for (const auto& c : parts) args += ", " + c;
  return "baselinr_uniform(" + args + ")";
}

std::string SqliteDialect::autoincrement_primary_key() const {
  return "INTEGER PRIMARY KEY AUTOINCREMENT";
}

std::string SqliteDialect::create_index(const std::string& index_name, const std::string& table,
                                        const std::vector<std::string>& columns) const {
  // SQLite puts the schema on the index name, never on the table of the ON clause.
  std::string cols;
  for (const auto& c : columns) {
    if (!cols.empty()) cols += ", ";
    cols += storage_identifier(c);
  }
  auto dot = table.rfind('.');
  if (dot == std::string::npos) {
    return fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote_identifier(index_name),
                       quote_identifier(table), cols);
  }
  return fmt::format("CREATE INDEX IF NOT EXISTS {}.{} ON {} ({})",
                     qualified_name(table.substr(0, dot)), quote_identifier(index_name),
                     quote_identifier(table.substr(dot + 1)), cols);
}

const Dialect& sqlite_dialect() {
  static const SqliteDialect dialect;
  return dialect;
}

}  // namespace baselinr::db
