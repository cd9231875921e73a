#include "storage/schema.hpp"

#include <fmt/format.h>

#include <chrono>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"

namespace baselinr::storage {
namespace {

struct Migration {
  int version;
  const char* description;
};

// Version 1 is the original's schema (runs, results, events). Later versions append here with
// the statements that upgrade a store in place.
constexpr Migration kMigrations[] = {
    {1, "baselinr storage: runs, results, events"},
};

}  // namespace

int read_schema_version(db::Connection& connection, const db::StorageTables& tables) {
  const db::Dialect& d = connection.dialect();
  try {
    db::Result r = connection.query("SELECT MAX(" + d.storage_identifier("version") + ") FROM " +
                                    d.qualified_name(tables.schema_version));
    if (r.rows.empty()) return 0;
    return static_cast<int>(db::as_int(r.rows[0][0]).value_or(0));
  } catch (const QueryError&) {
    return 0;
  }
}

void ensure_schema(db::Connection& connection, const db::StorageTables& tables) {
  const db::Dialect& d = connection.dialect();
  for (const auto& stmt : d.storage_ddl(tables)) connection.execute(stmt);
  int version = read_schema_version(connection, tables);
  if (version > kStorageSchemaVersion) {
    throw StorageError(fmt::format(
        "storage schema version {} is newer than this baselinr supports ({}); upgrade baselinr",
        version, kStorageSchemaVersion));
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    db::Transaction tx(connection);
    db::ParamList params(d);
    std::string sql = fmt::format(
        "INSERT INTO {} ({}, {}, {}) VALUES ({}, {}, {})", d.qualified_name(tables.schema_version),
        d.storage_identifier("version"), d.storage_identifier("applied_at"),
        d.storage_identifier("description"), params.add(std::int64_t{m.version}),
        params.add(format_storage_time(std::chrono::system_clock::now())),
        params.add(std::string(m.description)));
    db::BoundSql bound = params.bind(sql);
    connection.execute(bound.sql, bound.params);
    tx.commit();
  }
}

}  // namespace baselinr::storage
