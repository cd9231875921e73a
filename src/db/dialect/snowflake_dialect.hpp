// Snowflake, reached through ODBC with Snowflake's driver ("?" placeholders).
//
// Names. User identifiers (source tables, schemas, columns) are quoted exactly as configured or
// introspected: Snowflake stores unquoted names in upper case, so a table created as
// `create table customers` is configured as `table: CUSTOMERS`. The tables and columns baselinr
// creates itself follow Snowflake's unquoted convention instead: a lower-case name such as
// `baselinr_events` or `event_id` is written "BASELINR_EVENTS" / "EVENT_ID" (quoted upper case,
// identical to the unquoted name), so users' unquoted SQL (`select event_id from
// baselinr_events`) and stores created by the Python original (SQLAlchemy folds lower-case names
// the same way) resolve. A configured storage name with upper-case letters or other characters
// is kept exactly.
//
// Storage DDL: TIMESTAMP_NTZ times (UTC, written by baselinr; created_at defaults to SYSDATE(),
// the UTC time as TIMESTAMP_NTZ), VARIANT metadata inserted with INSERT ... SELECT ...
// PARSE_JSON(?) (PARSE_JSON is not allowed in a VALUES clause), FLOAT for doubles (Snowflake's
// FLOAT is a double), a NUMBER AUTOINCREMENT ... ORDER key (ORDER so ids follow insertion, which
// the results' order relies on), and no indexes (standard tables have none). Snowflake accepts
// PRIMARY KEY and FOREIGN KEY but does not enforce them.
//
// Sessions run in UTC (ALTER SESSION SET TIMEZONE); row caps are written as literals (LIMIT 10),
// since Snowflake takes no bind variable there.
//
// Aggregates: AVG and STDDEV_SAMP over CAST(x AS DOUBLE) (AVG of a fixed-point NUMBER keeps only
// six decimals), LENGTH for character lengths, APPROX_COUNT_DISTINCT for approximate distinct
// counts, and a histogram that counts values against the thresholds of the shared bin formula
// (COUNT_IF), packed into one text value per column.
//
// None of this SQL has run against a Snowflake account; tests/unit/snowflake_dialect_test.cpp
// pins every statement.
#pragma once

#include "db/dialect/dialect.hpp"

namespace baselinr::db {

class SnowflakeDialect final : public Dialect {
 public:
  std::string_view name() const override { return "snowflake"; }
  // UTC for TIMESTAMP_LTZ / TIMESTAMP_TZ values and CURRENT_TIMESTAMP.
  std::vector<std::string> session_setup() const override;
  // Each part in snowflake_storage_name() form.
  std::string qualified_name(std::string_view dotted) const override;
  TableRef storage_table(std::string_view dotted) const override;
  std::string storage_identifier(std::string_view identifier) const override;
  // The common classes, plus DECFLOAT (numeric); VARIANT, OBJECT, ARRAY, GEOGRAPHY, BINARY...
  // are other.
  TypeClass classify_type(std::string_view native_type) const override;
  std::string approx_count_distinct(const ColumnExpr& col) const override;
  std::string char_length(const std::string& expr) const override;
  std::string to_double(const std::string& expr) const override;
  HistogramExprs histogram(const std::string& expr, double min, double range, int bins,
                           ParamList& params) const override;
  std::string insert_event_sql(const std::string& table) const override;
  // INFORMATION_SCHEMA.TABLES.LAST_ALTERED (DML, and also DDL and background maintenance).
  std::string last_change_query(const TableRef& table, ParamList& params) const override;
  // SAMPLE BERNOULLI|SYSTEM (p) SEED (s): the same rows for the same seed (tables only; views
  // cannot be sampled with a seed).
  bool native_sampling() const override { return true; }
  std::string table_sample_clause(double fraction, const std::string& method, std::int64_t seed,
                                  ParamList& params) const override;
  // HASH(seed, columns...) (a signed 64-bit hash), 53 bits of it scaled to [0, 1).
  std::string row_uniform(const std::vector<std::string>& columns, std::int64_t seed,
                          ParamList& params) const override;
  std::string current_schema_sql() const override;
  // " LIMIT 10": Snowflake rejects a bind variable as the row count.
  std::string limit_rows(std::int64_t rows, ParamList& params) const override;

 protected:
  std::string type_timestamp() const override;
  std::string type_text() const override;
  std::string type_double() const override;
  std::string type_json() const override;
  std::string autoincrement_primary_key() const override;
  std::string create_index(const std::string& index_name, const std::string& table,
                           const std::vector<std::string>& columns) const override;
  std::string timestamp_default() const override;
};

const Dialect& snowflake_dialect();

// A name baselinr creates, as Snowflake stores it: a lower-case unquoted-style identifier
// ([a-z_][a-z0-9_$]*) in upper case, anything else exactly.
std::string snowflake_fold(std::string_view identifier);
// The same, quoted: "UPPER", or "MyTable", "a b" exactly.
std::string snowflake_storage_name(std::string_view identifier);

}  // namespace baselinr::db
