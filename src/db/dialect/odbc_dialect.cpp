#include "db/dialect/odbc_dialect.hpp"

#include "common/text.hpp"
#include "db/dialect/mysql_dialect.hpp"
#include "db/dialect/snowflake_dialect.hpp"

namespace baselinr::db {

const Dialect& generic_odbc_dialect() {
  static const GenericOdbcDialect generic;
  return generic;
}

const Dialect& dialect_for_dbms(std::string_view dbms_name) {
  static const PostgresOdbcDialect postgres;
  const std::string name = to_lower(dbms_name);
  const auto has = [&name](std::string_view word) { return name.find(word) != std::string::npos; };
  if (has("postgres")) return postgres;
  if (has("mysql") || has("mariadb")) return mysql_dialect();
  if (has("snowflake")) return snowflake_dialect();
  return generic_odbc_dialect();
}

}  // namespace baselinr::db
