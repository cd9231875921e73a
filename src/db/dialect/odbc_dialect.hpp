// The dialects of ODBC connections: chosen from the driver's SQL_DBMS_NAME.
#pragma once

#include <string_view>

#include "db/dialect/dialect.hpp"
#include "db/dialect/postgres_dialect.hpp"

namespace baselinr::db {

// PostgreSQL's SQL with ODBC's "?" markers: the driver (psqlODBC) rewrites them for the server.
class PostgresOdbcDialect final : public PostgresDialect {
 public:
  std::string placeholder(std::size_t /*index*/) const override { return "?"; }
  bool numbered_placeholders() const override { return false; }
};

// Any other DBMS: the ANSI defaults, named "odbc".
class GenericOdbcDialect final : public Dialect {
 public:
  std::string_view name() const override { return "odbc"; }
};

const Dialect& generic_odbc_dialect();
// The dialect for a SQL_DBMS_NAME (case-insensitive): PostgreSQL (with "?" markers), MySQL /
// MariaDB, Snowflake, else the generic "odbc" dialect.
const Dialect& dialect_for_dbms(std::string_view dbms_name);

}  // namespace baselinr::db
