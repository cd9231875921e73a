#include "db/connection.hpp"

#include <fmt/format.h>

#include "baselinr/error.hpp"
#include "db/mysql/mysql_connection.hpp"
#include "db/postgres/postgres_connection.hpp"
#include "db/sqlite/sqlite_connection.hpp"

namespace baselinr::db {

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.begin(); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.rollback();
  } catch (...) {
    // The connection is already failing; the database discards the transaction on close.
  }
}

void Transaction::commit() {
  connection_.commit();
  open_ = false;
}

bool supports(DatabaseType type) {
  switch (type) {
    case DatabaseType::kSqlite:
    case DatabaseType::kPostgres:
    case DatabaseType::kMysql:
      return true;
    case DatabaseType::kSnowflake:
    case DatabaseType::kOdbc:
      return false;
  }
  return false;
}

std::unique_ptr<Connection> connect(const ConnectionConfig& config, ConnectOptions options) {
  switch (config.type) {
    case DatabaseType::kSqlite:
      return std::make_unique<SqliteConnection>(config.filepath, options);
    case DatabaseType::kPostgres:
      return std::make_unique<PostgresConnection>(config, options);
    case DatabaseType::kMysql:
      return std::make_unique<MysqlConnection>(config, options);
    case DatabaseType::kSnowflake:
    case DatabaseType::kOdbc:
      break;
  }
  throw NotSupportedError(
      fmt::format("connection type '{}' is not supported yet by this build; use type: sqlite",
                  to_string(config.type)),
      config.location);
}

}  // namespace baselinr::db
