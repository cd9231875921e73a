#include "db/dialect/dialect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <limits>

#include "baselinr/error.hpp"
#include "common/moments.hpp"

namespace baselinr::db {

namespace {
// Control characters that never occur in SQL text we generate; identifiers are quoted, so a
// hostile name containing them could at worst fail to bind, never inject.
constexpr char kMarkOpen = '\x1e';
constexpr char kMarkClose = '\x1f';
}  // namespace

std::string ParamList::add(Value value) {
  values_.push_back(std::move(value));
  return fmt::format("{}{}{}", kMarkOpen, values_.size() - 1, kMarkClose);
}

BoundSql ParamList::bind(std::string_view sql) const {
  return bind(sql, [this](std::size_t n) { return dialect_->placeholder(n); });
}

BoundSql ParamList::bind(std::string_view sql,
                         const std::function<std::string(std::size_t)>& placeholder) const {
  BoundSql out;
  out.sql.reserve(sql.size());
  // Numbered styles reference a value once however often it is used.
  const bool numbered = dialect_->numbered_placeholders();
  std::vector<std::size_t> number(numbered ? values_.size() : 0, 0);
  std::size_t i = 0;
  while (i < sql.size()) {
    if (sql[i] != kMarkOpen) {
      out.sql.push_back(sql[i++]);
      continue;
    }
    std::size_t close = sql.find(kMarkClose, i + 1);
    std::size_t index = 0;
    bool valid = close != std::string_view::npos && close > i + 1;
    for (std::size_t k = i + 1; valid && k < close; ++k) {
      if (sql[k] < '0' || sql[k] > '9') valid = false;
      index = index * 10 + static_cast<std::size_t>(sql[k] - '0');
    }
    if (!valid || index >= values_.size()) {
      throw QueryError("internal error: malformed parameter marker in generated SQL");
    }
    if (numbered && number[index] != 0) {
      out.sql += placeholder(number[index]);
    } else {
      out.params.push_back(values_[index]);
      if (numbered) number[index] = out.params.size();
      out.sql += placeholder(out.params.size());
    }
    i = close + 1;
  }
  return out;
}

std::string Dialect::quote_identifier(std::string_view identifier) const {
  std::string out;
  out.reserve(identifier.size() + 2);
  out.push_back('"');
  for (char c : identifier) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Dialect::table_sql(const TableRef& table) const {
  if (table.schema.empty()) return quote_identifier(table.name);
  return quote_identifier(table.schema) + "." + quote_identifier(table.name);
}

std::string Dialect::qualified_name(std::string_view dotted) const {
  std::string out;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted.find('.', start);
    std::string_view part = dotted.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!out.empty()) out.push_back('.');
    out += quote_identifier(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

TableRef Dialect::storage_table(std::string_view dotted) const {
  const std::size_t dot = dotted.rfind('.');
  if (dot == std::string_view::npos) return {"", std::string(dotted)};
  return {std::string(dotted.substr(0, dot)), std::string(dotted.substr(dot + 1))};
}

std::string Dialect::storage_identifier(std::string_view identifier) const {
  return quote_identifier(identifier);
}

std::string Dialect::placeholder(std::size_t /*index*/) const { return "?"; }

TypeClass Dialect::classify_type(std::string_view native_type) const {
  return classify_common_type(native_type);
}

std::string Dialect::count_rows() const { return "COUNT(*)"; }
std::string Dialect::count_non_null(const std::string& expr) const { return "COUNT(" + expr + ")"; }
std::string Dialect::count_distinct(const ColumnExpr& col) const {
  return "COUNT(DISTINCT " + col.sql + ")";
}
std::string Dialect::approx_count_distinct(const ColumnExpr& /*col*/) const {
  throw NotSupportedError(fmt::format(
      "profiling.distinct: approximate is not supported on {}; use distinct: exact", name()));
}
std::string Dialect::min_value(const std::string& expr) const { return "MIN(" + expr + ")"; }
std::string Dialect::max_value(const std::string& expr) const { return "MAX(" + expr + ")"; }
std::string Dialect::mean(const ColumnExpr& col) const { return average(to_double(col.sql)); }
std::string Dialect::stddev_samp(const ColumnExpr& col) const {
  return "STDDEV_SAMP(" + to_double(col.sql) + ")";
}
std::string Dialect::char_length(const std::string& expr) const {
  return "CHAR_LENGTH(" + expr + ")";
}
std::string Dialect::average(const std::string& expr) const { return "AVG(" + expr + ")"; }
std::string Dialect::to_double(const std::string& expr) const {
  return "CAST(" + expr + " AS DOUBLE PRECISION)";
}

HistogramExprs Dialect::histogram(const std::string& expr, double min, double range, int bins,
                                  ParamList& params) const {
  // The values, then the values at or above each threshold: a value's bin is the number of
  // thresholds at or below it, so the differences are the bins of the shared formula, with one
  // comparison per threshold instead of evaluating the formula once per bin.
  const std::string x = to_double(expr);
  HistogramExprs out;
  out.cumulative = true;
  out.exprs.push_back("COUNT(" + x + ")");
  for (double t : histogram_thresholds(min, range, bins)) {
    out.exprs.push_back("COUNT(CASE WHEN " + x + " >= " + threshold_param(t, params) +
                        " THEN 1 END)");
  }
  return out;
}

std::string Dialect::threshold_param(double threshold, ParamList& params) const {
  return to_double(params.add(threshold));
}

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

std::vector<std::string> Dialect::threshold_bin_conditions(const std::string& expr, double min,
                                                           double range, int bins,
                                                           ParamList& params) const {
  const std::string x = to_double(expr);
  auto bound = [&](double v) { return to_double(params.add(v)); };
  const std::vector<double> t = histogram_thresholds(min, range, bins);
  std::vector<std::string> out;
  if (t.empty()) {
    out.push_back(x + " IS NOT NULL");
    return out;
  }
  for (std::size_t i = 0; i <= t.size(); ++i) {
    if (i == 0) {
      out.push_back(x + " < " + bound(t[0]));
    } else if (i == t.size()) {
      out.push_back(x + " >= " + bound(t[i - 1]));
    } else {
      out.push_back(x + " >= " + bound(t[i - 1]) + " AND " + x + " < " + bound(t[i]));
    }
  }
  return out;
}

std::string Dialect::current_schema_sql() const { return "CURRENT_SCHEMA"; }

std::string Dialect::typed_null(const std::string& expr) const {
  return "CASE WHEN FALSE THEN " + expr + " END";
}

std::string Dialect::table_sample_clause(double /*fraction*/, const std::string& /*method*/,
                                         std::int64_t /*seed*/, ParamList& /*params*/) const {
  throw NotSupportedError(fmt::format("native table sampling is not available on {}", name()));
}

std::string Dialect::row_uniform(const std::vector<std::string>& /*columns*/, std::int64_t /*seed*/,
                                 ParamList& /*params*/) const {
  throw NotSupportedError(fmt::format(
      "sampling is not supported on {}: it has no repeatable per-row random function", name()));
}

std::string Dialect::columns_query(const TableRef& table, ParamList& params) const {
  std::string schema_cond = table.schema.empty() ? "table_schema = " + current_schema_sql()
                                                 : "table_schema = " + params.add(table.schema);
  return fmt::format(
      "SELECT column_name, data_type FROM information_schema.columns WHERE {} AND "
      "table_name = {} ORDER BY ordinal_position",
      schema_cond, params.add(table.name));
}

std::string Dialect::type_timestamp() const { return "TIMESTAMP"; }
std::string Dialect::type_text() const { return "TEXT"; }
std::string Dialect::type_double() const { return "DOUBLE PRECISION"; }
std::string Dialect::type_bigint() const { return "BIGINT"; }
std::string Dialect::type_json() const { return type_text(); }
std::string Dialect::type_varchar(int length) const { return fmt::format("VARCHAR({})", length); }
std::string Dialect::autoincrement_primary_key() const {
  return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
}
std::string Dialect::create_table_prefix() const { return "CREATE TABLE IF NOT EXISTS "; }
std::string Dialect::create_table_suffix() const { return ""; }
std::string Dialect::timestamp_default() const { return "CURRENT_TIMESTAMP"; }

std::string Dialect::create_index(const std::string& index_name, const std::string& table,
                                  const std::vector<std::string>& columns) const {
  std::string cols;
  for (const auto& c : columns) {
    if (!cols.empty()) cols += ", ";
    cols += storage_identifier(c);
  }
  return fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote_identifier(index_name),
                     qualified_name(table), cols);
}

namespace {

// "analytics.baselinr_runs" -> "baselinr_runs": index names must not contain the schema.
std::string last_part(const std::string& dotted) {
  auto dot = dotted.rfind('.');
  return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

}  // namespace

std::vector<std::string> Dialect::storage_ddl(const StorageTables& t) const {
  auto id = [this](std::string_view c) { return storage_identifier(c); };
  std::vector<std::string> ddl;
  ddl.push_back(fmt::format("{}{} ({} INTEGER PRIMARY KEY, {} {} NOT NULL, {} {}, {} {}, {} {}){}",
                            create_table_prefix(), qualified_name(t.schema_version), id("version"),
                            id("applied_at"), type_timestamp(), id("description"),
                            type_varchar(500), id("migration_script"), type_varchar(255),
                            id("checksum"), type_varchar(64), create_table_suffix()));
  ddl.push_back(fmt::format(
      "{}{} ({} {} NOT NULL, {} {} NOT NULL, {} {}, {} {} NOT NULL, {} {}, {} {}, {} {}, {} {}, "
      "PRIMARY KEY ({}, {})){}",
      create_table_prefix(), qualified_name(t.runs), id("run_id"), type_varchar(36),
      id("dataset_name"), type_varchar(kStoredNameLength), id("schema_name"),
      type_varchar(kStoredNameLength), id("profiled_at"), type_timestamp(), id("environment"),
      type_varchar(kStoredEnvironmentLength), id("status"), type_varchar(20), id("row_count"),
      type_bigint(), id("column_count"), type_bigint(), id("run_id"), id("dataset_name"),
      create_table_suffix()));
  ddl.push_back(create_index("idx_" + last_part(t.runs) + "_dataset_profiled", t.runs,
                             {"dataset_name", "profiled_at"}));
  ddl.push_back(fmt::format(
      "{}{} ({} {}, {} {} NOT NULL, {} {} NOT NULL, {} {}, {} {} NOT NULL, {} {}, {} {} NOT NULL, "
      "{} {}, {} {} NOT NULL, FOREIGN KEY ({}, {}) REFERENCES {} ({}, {})){}",
      create_table_prefix(), qualified_name(t.results), id("id"), autoincrement_primary_key(),
      id("run_id"), type_varchar(36), id("dataset_name"), type_varchar(255), id("schema_name"),
      type_varchar(255), id("column_name"), type_varchar(255), id("column_type"), type_varchar(255),
      id("metric_name"), type_varchar(100), id("metric_value"), type_text(), id("profiled_at"),
      type_timestamp(), id("run_id"), id("dataset_name"), qualified_name(t.runs), id("run_id"),
      id("dataset_name"), create_table_suffix()));
  const std::string r = last_part(t.results);
  ddl.push_back(create_index("idx_" + r + "_run_id", t.results, {"run_id"}));
  ddl.push_back(
      create_index("idx_" + r + "_dataset_column", t.results, {"dataset_name", "column_name"}));
  ddl.push_back(create_index("idx_" + r + "_metric", t.results,
                             {"dataset_name", "column_name", "metric_name"}));
  for (auto& stmt : events_ddl(t.events)) ddl.push_back(std::move(stmt));
  std::erase(ddl, std::string());  // create_index() of engines without indexes
  return ddl;
}

std::vector<std::string> Dialect::baselines_ddl(const std::string& table) const {
  auto id = [this](std::string_view c) { return storage_identifier(c); };
  std::vector<std::string> ddl;
  ddl.push_back(fmt::format("{}{} ({} {} NOT NULL, {} {}, {} {} NOT NULL, {} {} NOT NULL){}",
                            create_table_prefix(), qualified_name(table), id("dataset_name"),
                            type_varchar(255), id("schema_name"), type_varchar(255), id("run_id"),
                            type_varchar(36), id("pinned_at"), type_timestamp(),
                            create_table_suffix()));
  ddl.push_back(create_index("idx_" + last_part(table) + "_dataset", table, {"dataset_name"}));
  std::erase(ddl, std::string());
  return ddl;
}

std::vector<std::string> Dialect::events_ddl(const std::string& table) const {
  auto id = [this](std::string_view c) { return storage_identifier(c); };
  std::vector<std::string> ddl;
  ddl.push_back(fmt::format(
      "{}{} ({} {} PRIMARY KEY, {} {} NOT NULL, {} {}, {} {}, {} {}, {} {}, {} {}, {} {}, {} {}, "
      "{} {} NOT NULL, {} {}, {} {} DEFAULT {}){}",
      create_table_prefix(), qualified_name(table), id("event_id"), type_varchar(36),
      id("event_type"), type_varchar(100), id("table_name"), type_varchar(255), id("column_name"),
      type_varchar(255), id("metric_name"), type_varchar(100), id("baseline_value"), type_double(),
      id("current_value"), type_double(), id("change_percent"), type_double(), id("drift_severity"),
      type_varchar(20), id("timestamp"), type_timestamp(), id("metadata"), type_json(),
      id("created_at"), type_timestamp(), timestamp_default(), create_table_suffix()));
  const std::string e = last_part(table);
  for (const char* col : {"event_type", "table_name", "timestamp", "drift_severity"}) {
    ddl.push_back(create_index("idx_" + e + "_" + col, table, {col}));
  }
  std::erase(ddl, std::string());
  return ddl;
}

std::vector<std::string> Dialect::delivery_ddl(const DeliveryTables& t) const {
  auto id = [this](std::string_view c) { return storage_identifier(c); };
  std::vector<std::string> ddl;
  // One row per event: what the dispatcher sends (the event JSON) and the keys it groups and
  // de-duplicates by.
  ddl.push_back(fmt::format(
      "{}{} ({} {} PRIMARY KEY, {} {} NOT NULL, {} {}, {} {}, {} {}, {} {}, {} {} NOT NULL, "
      "{} {} NOT NULL){}",
      create_table_prefix(), qualified_name(t.outbox), id("event_id"), type_varchar(36),
      id("event_type"), type_varchar(100), id("table_name"), type_varchar(255), id("finding_key"),
      type_varchar(36), id("group_key"), type_varchar(36), id("severity"), type_bigint(),
      id("created_at"), type_timestamp(), id("payload"), type_text(), create_table_suffix()));
  ddl.push_back(create_index("idx_" + last_part(t.outbox) + "_created", t.outbox, {"created_at"}));
  // One row per (event, hook): its status, attempts, schedule and claim.
  ddl.push_back(fmt::format(
      "{}{} ({} {} NOT NULL, {} {} NOT NULL, {} {} NOT NULL, {} {} NOT NULL, {} {} NOT NULL, "
      "{} {}, {} {}, {} {}, {} {}, {} {}, {} {}, {} {}, {} {} NOT NULL, {} {} NOT NULL, {} {}, "
      "{} {}, PRIMARY KEY ({}, {})){}",
      create_table_prefix(), qualified_name(t.deliveries), id("event_id"), type_varchar(36),
      id("hook_name"), type_varchar(255), id("status"), type_varchar(20), id("attempts"),
      type_bigint(), id("next_attempt_at"), type_timestamp(), id("lease_owner"), type_varchar(100),
      id("lease_until"), type_timestamp(), id("last_error"), type_text(), id("event_type"),
      type_varchar(100), id("finding_key"), type_varchar(36), id("group_key"), type_varchar(36),
      id("severity"), type_bigint(), id("forced"), type_bigint(), id("created_at"),
      type_timestamp(), id("updated_at"), type_timestamp(), id("delivered_at"), type_timestamp(),
      id("event_id"), id("hook_name"), create_table_suffix()));
  const std::string d = last_part(t.deliveries);
  ddl.push_back(
      create_index("idx_" + d + "_due", t.deliveries, {"hook_name", "status", "next_attempt_at"}));
  ddl.push_back(create_index("idx_" + d + "_finding", t.deliveries, {"hook_name", "finding_key"}));
  ddl.push_back(create_index("idx_" + d + "_group", t.deliveries, {"hook_name", "group_key"}));
  // One row per finding identity: open while drift runs keep finding it.
  ddl.push_back(fmt::format(
      "{}{} ({} {} PRIMARY KEY, {} {}, {} {} NOT NULL, {} {}, {} {}, {} {}, {} {} NOT NULL, "
      "{} {}, {} {} NOT NULL, {} {}, {} {}, {} {}, {} {}, {} {}){}",
      create_table_prefix(), qualified_name(t.findings), id("finding_key"), type_varchar(36),
      id("schema_name"), type_varchar(255), id("table_name"), type_varchar(255), id("column_name"),
      type_varchar(255), id("metric_name"), type_varchar(100), id("direction"), type_varchar(20),
      id("status"), type_varchar(20), id("severity"), type_bigint(), id("opened_at"),
      type_timestamp(), id("last_event_id"), type_varchar(36), id("last_run_id"), type_varchar(36),
      id("last_run_at"), type_timestamp(), id("resolved_event_id"), type_varchar(36),
      id("updated_at"), type_timestamp(), create_table_suffix()));
  ddl.push_back(create_index("idx_" + last_part(t.findings) + "_table", t.findings,
                             {"table_name", "status"}));
  std::erase(ddl, std::string());
  return ddl;
}

const std::vector<std::string>& events_insert_columns() {
  static const std::vector<std::string> cols = {"event_id",      "event_type",     "table_name",
                                                "column_name",   "metric_name",    "baseline_value",
                                                "current_value", "change_percent", "drift_severity",
                                                "timestamp",     "metadata"};
  return cols;
}

std::string Dialect::insert_event_sql(const std::string& table) const {
  const auto& cols = events_insert_columns();
  std::string names, values;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) {
      names += ", ";
      values += ", ";
    }
    names += storage_identifier(cols[i]);
    values += placeholder(i + 1);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", qualified_name(table), names, values);
}

std::string Dialect::text_equals(const std::string& column, const std::string& value,
                                 ParamList& params) const {
  return column + " = " + params.add(value);
}

std::string Dialect::limit_clause(const std::string& param) const { return " LIMIT " + param; }
std::string Dialect::limit_rows(std::int64_t rows, ParamList& params) const {
  return limit_clause(params.add(rows));
}

std::string normalize_type_name(std::string_view native_type) {
  std::string out;
  int depth = 0;
  for (char c : native_type) {
    if (c == '(') {
      ++depth;
      continue;
    }
    if (c == ')') {
      if (depth > 0) --depth;
      continue;
    }
    if (depth > 0) continue;
    char lc = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isspace(static_cast<unsigned char>(lc))) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(lc);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // Modifiers that do not change the class.
  for (std::string_view mod : {" unsigned", " signed", " zerofill"}) {
    std::size_t pos;
    while ((pos = out.find(mod)) != std::string::npos) out.erase(pos, mod.size());
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

TypeClass classify_common_type(std::string_view native_type) {
  static constexpr std::array<std::string_view, 24> kNumeric = {
      "int",       "integer",     "tinyint", "smallint", "mediumint",
      "bigint",    "int2",        "int4",    "int8",     "float",
      "float4",    "float8",      "double",  "real",     "double precision",
      "numeric",   "decimal",     "dec",     "number",   "serial",
      "bigserial", "smallserial", "fixed",   "byteint"};
  static constexpr std::array<std::string_view, 21> kString = {"char",
                                                               "character",
                                                               "varchar",
                                                               "character varying",
                                                               "nchar",
                                                               "nvarchar",
                                                               "text",
                                                               "string",
                                                               "tinytext",
                                                               "mediumtext",
                                                               "longtext",
                                                               "varchar2",
                                                               "nvarchar2",
                                                               "clob",
                                                               "bpchar",
                                                               "citext",
                                                               "name",
                                                               "national character",
                                                               "national character varying",
                                                               "national char",
                                                               "nclob"};
  static constexpr std::array<std::string_view, 15> kTemporal = {"date",
                                                                 "time",
                                                                 "timestamp",
                                                                 "datetime",
                                                                 "timestamptz",
                                                                 "timetz",
                                                                 "timestamp with time zone",
                                                                 "timestamp without time zone",
                                                                 "time with time zone",
                                                                 "time without time zone",
                                                                 "timestamp_ntz",
                                                                 "timestamp_ltz",
                                                                 "timestamp_tz",
                                                                 "smalldatetime",
                                                                 "datetime2"};
  static constexpr std::array<std::string_view, 2> kBoolean = {"bool", "boolean"};

  const std::string t = normalize_type_name(native_type);
  auto in = [&t](const auto& set) { return std::find(set.begin(), set.end(), t) != set.end(); };
  if (in(kNumeric)) return TypeClass::kNumeric;
  if (in(kString)) return TypeClass::kString;
  if (in(kTemporal)) return TypeClass::kTemporal;
  if (in(kBoolean)) return TypeClass::kBoolean;
  return TypeClass::kOther;
}

}  // namespace baselinr::db
