// The engines tests run against, and what legitimately differs between them: the one target
// abstraction of the test suite (tests/README.md says how to add an engine).
//
// A Target says how to reach an engine (a factory for its ConnectionConfig; the BASELINR_TEST_*
// variables are read here and nowhere else), how to carve out an isolated namespace for one test
// process (a SQLite file in a temporary directory, a schema, a database), and its Quirks: the
// native type for each logical column type, what introspection reports for it, how the dialect
// classifies it, how values are written, the SQLSTATEs of its errors and what it supports. The
// conformance suite (tests/conformance/) is the same for every target; adding an engine is one
// more entry in targets().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "support/testing.hpp"

namespace baselinr::conformance {

// The column types the suite exercises on every engine.
enum class Logical {
  kInt16,
  kInt32,
  kInt64,
  kDecimal,  // numeric(12,2)
  kFloat,    // single precision
  kDouble,
  kVarchar,  // varchar(64)
  kText,
  kChar,  // char(2)
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kBoolean,
  kJson,
  kUuid,
  kBlob,
  kEnum,  // one of 'sad', 'ok', 'happy', 'très bien'
};
std::string_view to_string(Logical type);

// The labels of the kEnum type, in declaration order.
const std::vector<std::string>& enum_labels();

// A value as the suite models it, before a target writes it: NULL; an integer (kDecimal: in
// hundredths, so it is exact); a double; text (temporal values in the canonical form of
// canonical_temporal(); blobs as raw bytes); a boolean.
using Cell = std::variant<std::monostate, std::int64_t, double, std::string, bool>;

// How one logical type looks on one engine. In `ddl`, "$NS" stands for the quoted namespace and
// "$COL" for the quoted column name; in `reported`, "$NS" stands for the namespace's raw name.
struct TypeQuirk {
  std::string ddl;
  std::string reported;  // Connection::columns()' type text for a column declared with `ddl`
  TypeClass type_class = TypeClass::kOther;
  // How a bound parameter becomes the column's value; "$P" is the parameter.
  std::string insert_expr = "$P";
  // The parameter for a non-NULL value; empty: default_encoding().
  std::function<db::Value(const Cell&)> encode;
};

struct Quirks {
  std::map<Logical, TypeQuirk> types;
  // Run in a fresh namespace before any table is created ("$NS" = the quoted namespace).
  std::vector<std::string> namespace_setup;
  // Changes column $COL of table $TABLE (both quoted) to type $TYPE, keeping its values. $TMP is
  // a quoted scratch column name.
  std::vector<std::string> retype_column;
  // Whether ALTER keeps the retyped column in place (false: it moves to the end).
  bool retype_keeps_position = true;
  // Makes the engine scan table $TABLE (quoted) with parallel workers whatever its size, where
  // it runs the UNION ALL branches of one statement at once (db::Connection::concurrent_scans).
  // Empty where it has no such plans.
  std::vector<std::string> parallel_scan_setup;
  // The DDL of an exact decimal of precision $P and scale $S, and whether the engine keeps every
  // digit of it (SQLite's NUMERIC affinity stores a REAL where an INTEGER cannot hold the value).
  std::string decimal_ddl = "DECIMAL($P,$S)";
  bool exact_decimals = true;
  // Relative precision of the standard deviation of doubles whose mean is ~1e9 times their
  // standard deviation. Algorithms that shift by a sample value or sum exactly keep 1e-9; the
  // one-pass recurrences in doubles lose about eps * mean / stddev.
  double stddev_tolerance_large_mean = 1e-9;
  // Statements per table beyond the profile's own: the engine's time of the table's last change
  // (drift's last_change_seconds), asked once per table where the engine keeps one.
  int last_change_queries = 0;
  // A SELECT of one column `i` holding the integers 1..$N (rows generated on the engine).
  std::string integers_sql;
  // Type names for CAST(... AS <type>): a 64-bit integer, a double and text.
  std::string cast_integer = "BIGINT";
  std::string cast_double = "DOUBLE PRECISION";
  std::string cast_text = "TEXT";
  // CAST(? AS <type>) of a boolean parameter gives a boolean back; empty where the engine has no
  // boolean type (MariaDB's BOOLEAN is TINYINT(1), SQLite has none).
  std::string cast_boolean;
  // Doubles keep infinities, NaN, -0.0 and subnormals (MariaDB refuses non-finite values).
  bool non_finite_doubles = false;
  // The SQLSTATE of a query on a table that does not exist; empty where the engine has none
  // (SQLite reports only its own result codes).
  std::string missing_table_sqlstate;
  // Roles and grants: whether the login "baselinr_limited" (same password; the test script
  // creates it without rights) exists, what lets it see the namespace but read none of its
  // tables (run on the admin connection), whether it must connect outside the namespace (a
  // MariaDB login without rights on a database cannot connect to it), and the SQLSTATE of the
  // refused query.
  bool supports_permissions = false;
  std::vector<std::string> limited_user_setup;
  bool limited_user_outside_namespace = false;
  std::string permission_denied_sqlstate;
  // Another session can be ended by the server: `session_id_sql` gives this session's id,
  // `kill_session_sql` ends the session $ID.
  bool supports_killing_sessions = false;
  std::string session_id_sql;
  std::string kill_session_sql;
  // The messages of this engine's connector start with this ("postgres: ", "mysql: "...).
  std::string message_prefix;
  // What the connector's message says when the password is wrong, and its SQLSTATE (empty: any),
  // and what it says when nothing listens on the port.
  std::vector<std::string> wrong_password_says;
  std::string wrong_password_sqlstate;
  std::vector<std::string> refused_says;

  const TypeQuirk& type(Logical logical) const { return types.at(logical); }
};

// The default parameter for a non-NULL modelled value: kDecimal hundredths as exact decimal
// text ("-12.34"); everything else as it is.
db::Value default_encoding(Logical logical, const Cell& cell);

enum class Isolation {
  kFile,      // a SQLite file in a temporary directory
  kSchema,    // CREATE SCHEMA; ConnectionConfig::schema names it
  kDatabase,  // CREATE DATABASE; ConnectionConfig::database names it
};

struct Target {
  std::string name;  // the test instantiation's name: sqlite, postgres, mariadb, postgres_odbc
  Isolation isolation = Isolation::kFile;
  // The server to connect to (reads the BASELINR_TEST_* environment); unused for kFile.
  std::function<ConnectionConfig()> server;
  // For kSchema and kDatabase: creating and dropping the namespace ("$NS" = quoted name).
  std::string create_namespace;
  std::string drop_namespace;
  // Run on the admin connection so that unqualified names resolve to the namespace (kSchema),
  // for Namespaces made with unqualified_admin.
  std::string use_namespace;
  Quirks quirks;
};

// Every target of this build, in a stable order.
const std::vector<Target>& targets();
const Target& target(const std::string& name);
std::vector<std::string> target_names();
// The targets with the native connectors of this build: sqlite, postgres, mariadb.
std::vector<std::string> native_target_names();
// The servers the test script starts (BASELINR_TEST_PG_* and BASELINR_TEST_MYSQL_*): a missing
// variable fails the test, never skips it.
ConnectionConfig postgres_server();
ConnectionConfig mariadb_server();

// An isolated namespace on one target for the lifetime of the object: created with a random name
// in the constructor, dropped (with everything in it) in the destructor. Tables created through
// sql() land in it, and config() resolves unqualified table names to it, so the profiler, the
// results store and the SQL hook all work inside it.
class Namespace {
 public:
  // With `unqualified_admin`, unqualified names on admin() resolve to the namespace on every
  // target (PostgreSQL: its search_path; the conformance suite qualifies every name instead, and
  // keeps the server's search_path, which decides how format_type() names enum types).
  explicit Namespace(const Target& target, bool unqualified_admin = false);
  ~Namespace();
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  const Target& target() const { return target_; }
  const std::string& name() const { return name_; }
  // Source and storage connection: the namespace is where unqualified names resolve.
  const ConnectionConfig& config() const { return config_; }
  std::unique_ptr<db::Connection> connect() const;
  // A connection for setting up tables (shared; use from the test thread only).
  db::Connection& admin();

  db::TableRef ref(const std::string& table) const;
  // The quoted table reference for SQL text.
  std::string sql(const std::string& table) const;
  // A dotted name for StorageConfig tables and the SQL hook ("ns.table", or "table" for files).
  std::string storage_name(const std::string& table) const;
  // Replaces "$NS" by the quoted namespace name.
  std::string expand(std::string text) const;
  // Replaces "$NS" by the raw namespace name (reported type names).
  std::string expand_raw(std::string text) const;

 private:
  const Target& target_;
  std::string name_;
  ConnectionConfig server_;
  ConnectionConfig config_;
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<db::Connection> admin_;
};

// A statement that fills `quoted_table` (id, amount, category, weight) with `rows` rows generated
// on the engine: id = 1..rows, amount = ((id * 7919) % 1000) / 10.0, category/weight by id % 100
// (< 60: 'a'/1, < 90: 'b'/2, < 99: 'c'/3, else 'd'/4).
std::string generate_rows_sql(const Target& target, const std::string& quoted_table, int rows);

// Replaces every occurrence of `from` in `text` by `to`.
std::string replace_all(std::string text, std::string_view from, std::string_view to);

}  // namespace baselinr::conformance
