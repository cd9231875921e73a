#include "support/targets.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "common/text.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::conformance {
namespace {

std::string to_hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

// Blobs travel as hex text where the engine has a function that decodes it.
db::Value hex_encoding(const Cell& cell) { return to_hex(std::get<std::string>(cell)); }

// An instant in UTC, written with an explicit zero offset.
db::Value utc_offset_encoding(const Cell& cell) { return std::get<std::string>(cell) + "+00:00"; }

std::string expand_for(const db::Connection& connection, const std::string& text,
                       const std::string& name) {
  return replace_all(text, "$NS", connection.dialect().quote_identifier(name));
}

std::string random_name() {
  std::random_device rd;
  return fmt::format("conf_{:08x}{:08x}", rd(), rd());
}

}  // namespace

ConnectionConfig postgres_server() {
  ConnectionConfig c;
  c.type = DatabaseType::kPostgres;
  c.host = testing::required_env("BASELINR_TEST_PG_HOST");
  c.port = static_cast<int>(parse_int(testing::required_env("BASELINR_TEST_PG_PORT")).value_or(0));
  c.username = testing::required_env("BASELINR_TEST_PG_USER");
  c.password = testing::required_env("BASELINR_TEST_PG_PASSWORD");
  c.database = testing::required_env("BASELINR_TEST_PG_DATABASE");
  return c;
}

ConnectionConfig mariadb_server() {
  ConnectionConfig c;
  c.type = DatabaseType::kMysql;
  c.host = testing::required_env("BASELINR_TEST_MYSQL_HOST");
  c.port =
      static_cast<int>(parse_int(testing::required_env("BASELINR_TEST_MYSQL_PORT")).value_or(0));
  c.username = testing::required_env("BASELINR_TEST_MYSQL_USER");
  c.password = testing::required_env("BASELINR_TEST_MYSQL_PASSWORD");
  c.database = testing::required_env("BASELINR_TEST_MYSQL_DATABASE");
  return c;
}

namespace {

std::string category_case(const std::string& id) {
  return fmt::format(
      "CASE WHEN {0} % 100 < 60 THEN 'a' WHEN {0} % 100 < 90 THEN 'b' WHEN {0} % 100 < 99 THEN "
      "'c' ELSE 'd' END, CASE WHEN {0} % 100 < 60 THEN 1 WHEN {0} % 100 < 90 THEN 2 WHEN {0} % 100 "
      "< 99 THEN 3 ELSE 4 END",
      id);
}

Target sqlite_target() {
  Target t;
  t.name = "sqlite";
  t.isolation = Isolation::kFile;
  using L = Logical;
  const TypeClass num = TypeClass::kNumeric, str = TypeClass::kString, tmp = TypeClass::kTemporal;
  // SQLite keeps the declared type text verbatim and decides storage by affinity.
  t.quirks.types = {
      {L::kInt16, {"SMALLINT", "SMALLINT", num}},
      {L::kInt32, {"INT", "INT", num}},
      {L::kInt64, {"BIGINT", "BIGINT", num}},
      // NUMERIC affinity: "12.50" is stored as the REAL 12.5, "12.00" as the INTEGER 12, so min
      // and max of a decimal column come back as an integer when the extreme is whole (stored
      // text "12" where PostgreSQL and MariaDB give "12.0"). The suite compares them as numbers.
      {L::kDecimal, {"NUMERIC(12,2)", "NUMERIC(12,2)", num}},
      // Every REAL is a double; the generated values are exact in single precision, so they
      // agree with the engines that store 4-byte floats.
      {L::kFloat, {"REAL", "REAL", num}},
      {L::kDouble, {"DOUBLE", "DOUBLE", num}},
      {L::kVarchar, {"VARCHAR(64)", "VARCHAR(64)", str}},
      {L::kText, {"TEXT", "TEXT", str}},
      {L::kChar, {"CHAR(2)", "CHAR(2)", str}},
      // Dates and times are text in ISO form, which sorts chronologically.
      {L::kDate, {"DATE", "DATE", tmp}},
      {L::kTime, {"TIME", "TIME", tmp}},
      {L::kTimestamp, {"TIMESTAMP", "TIMESTAMP", tmp}},
      // No zone-aware type: text declared TIMESTAMP, written with its UTC offset, which min and
      // max return as written ("... +00:00").
      {L::kTimestampTz, {"TIMESTAMP", "TIMESTAMP", tmp, "$P", utc_offset_encoding}},
      {L::kBoolean, {"BOOLEAN", "BOOLEAN", TypeClass::kBoolean}},
      {L::kJson, {"JSON", "JSON", TypeClass::kOther}},
      {L::kUuid, {"UUID", "UUID", TypeClass::kOther}},
      // No hex decoding before SQLite 3.41 (unhex): the raw bytes are bound as text and cast.
      {L::kBlob, {"BLOB", "BLOB", TypeClass::kOther, "CAST($P AS BLOB)"}},
      // No enum type: the idiom is TEXT with a CHECK constraint, which is a string column.
      {L::kEnum, {"TEXT CHECK ($COL IN ('sad', 'ok', 'happy', 'très bien'))", "TEXT", str}},
  };
  // No ALTER COLUMN ... TYPE: add a column of the new type, copy, drop, rename. The column moves
  // to the end of the table.
  t.quirks.retype_column = {"ALTER TABLE $TABLE ADD COLUMN $TMP $TYPE",
                            "UPDATE $TABLE SET $TMP = $COL", "ALTER TABLE $TABLE DROP COLUMN $COL",
                            "ALTER TABLE $TABLE RENAME COLUMN $TMP TO $COL"};
  t.quirks.retype_keeps_position = false;
  t.quirks.decimal_ddl = "NUMERIC($P,$S)";
  t.quirks.exact_decimals = false;
  t.quirks.integers_sql =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N) SELECT i FROM "
      "n";
  t.quirks.cast_integer = "INTEGER";
  t.quirks.cast_double = "REAL";
  t.quirks.message_prefix = "sqlite: ";
  return t;
}

Target postgres_target() {
  Target t;
  t.name = "postgres";
  t.isolation = Isolation::kSchema;
  t.server = postgres_server;
  t.create_namespace = "CREATE SCHEMA $NS";
  t.drop_namespace = "DROP SCHEMA $NS CASCADE";
  t.use_namespace = "SET search_path TO $NS";
  using L = Logical;
  const TypeClass num = TypeClass::kNumeric, str = TypeClass::kString, tmp = TypeClass::kTemporal,
                  other = TypeClass::kOther;
  // format_type() spells out the SQL-standard names: "character varying(64)", "timestamp
  // without time zone".
  t.quirks.types = {
      {L::kInt16, {"smallint", "smallint", num}},
      {L::kInt32, {"integer", "integer", num}},
      {L::kInt64, {"bigint", "bigint", num}},
      {L::kDecimal, {"numeric(12,2)", "numeric(12,2)", num}},
      {L::kFloat, {"real", "real", num}},
      {L::kDouble, {"double precision", "double precision", num}},
      {L::kVarchar, {"varchar(64)", "character varying(64)", str}},
      {L::kText, {"text", "text", str}},
      {L::kChar, {"char(2)", "character(2)", str}},
      {L::kDate, {"date", "date", tmp}},
      {L::kTime, {"time", "time without time zone", tmp}},
      // Prints the fraction without trailing zeros ("05.5", or none at all).
      {L::kTimestamp, {"timestamp", "timestamp without time zone", tmp}},
      // Stored as an instant; the connector's session runs in UTC, so min and max print with
      // "+00" appended.
      {L::kTimestampTz,
       {"timestamptz", "timestamp with time zone", tmp, "$P", utc_offset_encoding}},
      {L::kBoolean, {"boolean", "boolean", TypeClass::kBoolean}},
      // json keeps the text as written (jsonb would normalise it, and with it distinct counts);
      // it has no equality operator, so the dialect counts distinct values of its text.
      {L::kJson, {"json", "json", other}},
      {L::kUuid, {"uuid", "uuid", other}},
      {L::kBlob, {"bytea", "bytea", other, "decode($P, 'hex')", hex_encoding}},
      // Enums are types of their own, created in the namespace; format_type() qualifies the
      // name because the namespace is not on the search_path.
      {L::kEnum, {"$NS.mood", "$NS.mood", other}},
  };
  t.quirks.namespace_setup = {"CREATE TYPE $NS.mood AS ENUM ('sad', 'ok', 'happy', 'très bien')"};
  t.quirks.decimal_ddl = "numeric($P,$S)";
  t.quirks.retype_column = {"ALTER TABLE $TABLE ALTER COLUMN $COL TYPE $TYPE"};
  // The storage parameter overrides the size rule (min_parallel_table_scan_size) of the planner.
  t.quirks.parallel_scan_setup = {"ALTER TABLE $TABLE SET (parallel_workers = 2)"};
  t.quirks.integers_sql = "SELECT i FROM generate_series(1, $N) AS g(i)";
  t.quirks.cast_boolean = "BOOLEAN";
  t.quirks.non_finite_doubles = true;
  t.quirks.missing_table_sqlstate = "42P01";  // undefined_table
  t.quirks.supports_permissions = true;
  t.quirks.permission_denied_sqlstate = "42501";  // insufficient_privilege
  t.quirks.limited_user_setup = {"GRANT USAGE ON SCHEMA $NS TO baselinr_limited"};
  t.quirks.supports_killing_sessions = true;
  t.quirks.session_id_sql = "SELECT pg_backend_pid()";
  t.quirks.kill_session_sql = "SELECT pg_terminate_backend($ID)";
  t.quirks.message_prefix = "postgres: ";
  t.quirks.wrong_password_says = {"password authentication failed"};
  t.quirks.refused_says = {"refused"};
  return t;
}

Target mariadb_target() {
  Target t;
  t.name = "mariadb";
  t.isolation = Isolation::kDatabase;
  t.server = mariadb_server;
  // Distinct strings are compared by bytes whatever the collation (mariadb_ci checks that).
  t.create_namespace = "CREATE DATABASE $NS CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
  t.drop_namespace = "DROP DATABASE $NS";
  using L = Logical;
  const TypeClass num = TypeClass::kNumeric, str = TypeClass::kString, tmp = TypeClass::kTemporal,
                  other = TypeClass::kOther;
  // information_schema.COLUMNS.COLUMN_TYPE adds display widths to integers ("int(11)").
  t.quirks.types = {
      {L::kInt16, {"SMALLINT", "smallint(6)", num}},
      {L::kInt32, {"INT", "int(11)", num}},
      {L::kInt64, {"BIGINT", "bigint(20)", num}},
      {L::kDecimal, {"DECIMAL(12,2)", "decimal(12,2)", num}},
      {L::kFloat, {"FLOAT", "float", num}},
      {L::kDouble, {"DOUBLE", "double", num}},
      {L::kVarchar, {"VARCHAR(64)", "varchar(64)", str}},
      {L::kText, {"TEXT", "text", str}},
      {L::kChar, {"CHAR(2)", "char(2)", str}},
      {L::kDate, {"DATE", "date", tmp}},
      {L::kTime, {"TIME", "time", tmp}},
      // TIMESTAMP would convert to and from the session zone: a naive timestamp is DATETIME.
      // Prints every declared fractional digit ("05.500000").
      {L::kTimestamp, {"DATETIME(6)", "datetime(6)", tmp}},
      // TIMESTAMP is the zone-aware type, but only from 1970 to 2038-01-19, and literals cannot
      // carry an offset: values are written in the session zone, which the connector sets to
      // UTC. NULL is explicit: under explicit_defaults_for_timestamp=OFF (the default before
      // 10.10) a TIMESTAMP column is NOT NULL and turns an inserted NULL into the current time.
      {L::kTimestampTz, {"TIMESTAMP(6) NULL", "timestamp(6)", tmp}},
      // BOOLEAN is an alias of TINYINT(1), which the dialect reads as a boolean.
      {L::kBoolean, {"BOOLEAN", "tinyint(1)", TypeClass::kBoolean}},
      // JSON is an alias of LONGTEXT with a json_valid() check: a string column, profiled with
      // lengths.
      {L::kJson, {"JSON", "longtext", str}},
      // A native type since 10.7.
      {L::kUuid, {"UUID", "uuid", other}},
      {L::kBlob, {"BLOB", "blob", other, "UNHEX($P)", hex_encoding}},
      {L::kEnum,
       {"ENUM('sad','ok','happy','très bien')", "enum('sad','ok','happy','très bien')", other}},
  };
  t.quirks.retype_column = {"ALTER TABLE $TABLE MODIFY $COL $TYPE"};
  // The dialect's exact DECIMAL path covers integer data only; doubles go through STDDEV_SAMP,
  // Welford's recurrence in doubles: a few 1e-9 relative at mean / stddev ~ 1e9 (see
  // mysql_dialect.hpp). PostgreSQL's float8 aggregate (Youngs-Cramer) stays within 1e-9 here
  // because the sums of these values are exact in 53 bits.
  t.quirks.stddev_tolerance_large_mean = 1e-7;
  // information_schema.TABLES.UPDATE_TIME.
  t.quirks.last_change_queries = 1;
  t.quirks.integers_sql = "SELECT seq AS i FROM seq_1_to_$N";
  t.quirks.cast_integer = "SIGNED";
  t.quirks.cast_double = "DOUBLE";
  t.quirks.cast_text = "CHAR";
  t.quirks.missing_table_sqlstate = "42S02";  // ER_NO_SUCH_TABLE
  t.quirks.supports_permissions = true;
  t.quirks.permission_denied_sqlstate = "42000";  // ER_TABLEACCESS_DENIED_ERROR
  t.quirks.limited_user_outside_namespace = true;
  t.quirks.supports_killing_sessions = true;
  t.quirks.session_id_sql = "SELECT CONNECTION_ID()";
  t.quirks.kill_session_sql = "KILL CONNECTION $ID";
  t.quirks.message_prefix = "mysql: ";
  // The connector adds a hint to the server's message.
  t.quirks.wrong_password_says = {"Access denied", "check username and password"};
  t.quirks.wrong_password_sqlstate = "28000";
  t.quirks.refused_says = {"is the server running"};
  return t;
}

// The same PostgreSQL server through unixODBC and psqlODBC. The SQL is PostgreSQL's (the connector
// picks the PostgreSQL dialect from SQL_DBMS_NAME, with "?" markers that the driver rewrites) and
// so is the catalog query, so everything matches the native target: the driver's own renderings
// (a date 'infinity' as 0000-00-00, a timestamptz without its offset) never reach a metric.
Target postgres_odbc_target() {
  Target t = postgres_target();
  t.name = "postgres_odbc";
  t.server = [] {
    ConnectionConfig c = postgres_server();
    c.type = DatabaseType::kOdbc;
    // BoolsAsChar=0: booleans arrive as SQL_BIT, not as the text "1"/"0".
    c.extra_params = {{"driver", "PostgreSQL Unicode"}, {"BoolsAsChar", "0"}};
    return c;
  };
  t.quirks.message_prefix = "odbc: ";
  t.quirks.wrong_password_sqlstate.clear();  // the driver's own
  return t;
}

// MariaDB on a database whose default collation is the server default utf8mb4_general_ci
// (case-, accent- and trailing-space-insensitive), as most real MariaDB databases are.
Target mariadb_ci_target() {
  Target t = mariadb_target();
  t.name = "mariadb_ci";
  t.create_namespace = "CREATE DATABASE $NS CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci";
  return t;
}

// The same MariaDB server through unixODBC and MariaDB's Connector/ODBC, with the MySQL dialect
// and its catalog query (so TINYINT(1) is a boolean and DECIMAL keeps its scale, as natively).
Target mariadb_odbc_target() {
  Target t = mariadb_target();
  t.name = "mariadb_odbc";
  t.server = [] {
    ConnectionConfig c = mariadb_server();
    c.type = DatabaseType::kOdbc;
    c.extra_params = {{"driver", "MariaDB Unicode"}};
    return c;
  };
  t.quirks.message_prefix = "odbc: ";
  t.quirks.wrong_password_says = {"Access denied"};
  t.quirks.wrong_password_sqlstate.clear();
  t.quirks.refused_says.clear();
  return t;
}

std::vector<Target> make_targets() {
  std::vector<Target> out;
  out.push_back(sqlite_target());
  out.push_back(postgres_target());
  out.push_back(mariadb_target());
  out.push_back(mariadb_ci_target());
  if (db::supports(DatabaseType::kOdbc)) {
    out.push_back(postgres_odbc_target());
    out.push_back(mariadb_odbc_target());
  }
  return out;
}

}  // namespace

std::string_view to_string(Logical type) {
  switch (type) {
    case Logical::kInt16:
      return "int16";
    case Logical::kInt32:
      return "int32";
    case Logical::kInt64:
      return "int64";
    case Logical::kDecimal:
      return "decimal";
    case Logical::kFloat:
      return "float";
    case Logical::kDouble:
      return "double";
    case Logical::kVarchar:
      return "varchar";
    case Logical::kText:
      return "text";
    case Logical::kChar:
      return "char";
    case Logical::kDate:
      return "date";
    case Logical::kTime:
      return "time";
    case Logical::kTimestamp:
      return "timestamp";
    case Logical::kTimestampTz:
      return "timestamptz";
    case Logical::kBoolean:
      return "boolean";
    case Logical::kJson:
      return "json";
    case Logical::kUuid:
      return "uuid";
    case Logical::kBlob:
      return "blob";
    case Logical::kEnum:
      return "enum";
  }
  return "?";
}

const std::vector<std::string>& enum_labels() {
  static const std::vector<std::string> labels = {"sad", "ok", "happy", "très bien"};
  return labels;
}

db::Value default_encoding(Logical logical, const Cell& cell) {
  if (logical == Logical::kDecimal) {
    const std::int64_t cents = std::get<std::int64_t>(cell);
    const std::uint64_t magnitude =
        cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
    return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", magnitude / 100, magnitude % 100);
  }
  return std::visit([](const auto& v) -> db::Value { return v; }, cell);
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = make_targets();
  return all;
}

const Target& target(const std::string& name) {
  for (const Target& t : targets()) {
    if (t.name == name) return t;
  }
  throw std::invalid_argument("no conformance target named " + name);
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const Target& t : targets()) names.push_back(t.name);
  return names;
}

std::vector<std::string> native_target_names() { return {"sqlite", "postgres", "mariadb"}; }

std::string generate_rows_sql(const Target& target, const std::string& quoted_table, int rows) {
  const std::string integers = replace_all(target.quirks.integers_sql, "$N", std::to_string(rows));
  return fmt::format("INSERT INTO {} SELECT i, ((i * 7919) % 1000) / 10.0, {} FROM ({}) AS s",
                     quoted_table, category_case("i"), integers);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

Namespace::Namespace(const Target& target, bool unqualified_admin)
    : target_(target), name_(random_name()) {
  switch (target.isolation) {
    case Isolation::kFile:
      dir_ = std::make_unique<testing::TempDir>();
      config_ = testing::sqlite_config(*dir_ / "conformance.db");
      admin_ = testing::open_sqlite(*dir_ / "conformance.db");
      break;
    case Isolation::kSchema:
      server_ = target.server();
      admin_ = db::connect(server_);
      admin_->execute(expand(target.create_namespace));
      if (unqualified_admin && !target.use_namespace.empty()) {
        admin_->execute(expand(target.use_namespace));
      }
      config_ = server_;
      config_.schema = name_;
      break;
    case Isolation::kDatabase: {
      server_ = target.server();
      auto server = db::connect(server_);
      server->execute(expand_for(*server, target.create_namespace, name_));
      config_ = server_;
      config_.database = name_;
      admin_ = db::connect(config_);
      break;
    }
  }
  for (const std::string& stmt : target.quirks.namespace_setup) admin_->execute(expand(stmt));
}

Namespace::~Namespace() {
  admin_.reset();
  if (target_.isolation == Isolation::kFile) return;
  try {
    // A fresh connection: the shared one may be inside a failed transaction.
    auto server = db::connect(server_);
    server->execute(expand_for(*server, target_.drop_namespace, name_));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "dropping the conformance namespace " << name_ << " on " << target_.name
                  << " failed: " << e.what();
  }
}

std::unique_ptr<db::Connection> Namespace::connect() const {
  return db::connect(config_, {.read_only = false, .create_if_missing = true});
}

db::Connection& Namespace::admin() { return *admin_; }

db::TableRef Namespace::ref(const std::string& table) const {
  if (target_.isolation == Isolation::kFile) return {"", table};
  return {name_, table};
}

std::string Namespace::sql(const std::string& table) const {
  return admin_->dialect().table_sql(ref(table));
}

std::string Namespace::storage_name(const std::string& table) const {
  if (target_.isolation == Isolation::kFile) return table;
  return name_ + "." + table;
}

std::string Namespace::expand(std::string text) const { return expand_for(*admin_, text, name_); }

std::string Namespace::expand_raw(std::string text) const {
  return replace_all(std::move(text), "$NS", name_);
}

}  // namespace baselinr::conformance
