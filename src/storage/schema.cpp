#include "storage/schema.hpp"

#include <fmt/format.h>

#include <chrono>
#include <functional>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "storage/outbox.hpp"

namespace baselinr::storage {
namespace {

bool has_column(db::Connection& connection, const std::string& table, const std::string& column) {
  // The table as the catalog knows it (Snowflake folds lower-case storage names).
  for (const auto& c : connection.columns(connection.dialect().storage_table(table))) {
    if (to_lower(c.name) == to_lower(column)) return true;
  }
  return false;
}

}  // namespace

bool runs_have_metadata(db::Connection& connection, const db::StorageTables& tables) {
  return has_column(connection, tables.runs, "metadata");
}

namespace {

// Version 2: each run records what it profiled (partition values, sampling) as JSON.
void add_run_metadata(db::Connection& connection, const db::StorageTables& tables) {
  // Idempotent: a crash between the ALTER and the version row must not wedge the next start.
  if (has_column(connection, tables.runs, "metadata")) return;
  const db::Dialect& d = connection.dialect();
  connection.execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", d.qualified_name(tables.runs),
                                 d.storage_identifier("metadata"), d.text_column_type()));
}

// Version 3: the outbox of events, one delivery record per (event, hook), and the open findings
// later drift runs resolve. CREATE TABLE IF NOT EXISTS: idempotent.
void add_delivery_tables(db::Connection& connection, const db::StorageTables& tables) {
  for (const auto& stmt : connection.dialect().delivery_ddl(delivery_tables(tables.events))) {
    connection.execute(stmt);
  }
}

// Version 4: runs pinned as a table's baseline (`baselinr baseline set`).
void add_baselines(db::Connection& connection, const db::StorageTables& tables) {
  for (const auto& stmt : connection.dialect().baselines_ddl(tables.baselines)) {
    connection.execute(stmt);
  }
}

struct Migration {
  int version;
  const char* description;
  void (*apply)(db::Connection&, const db::StorageTables&);
};

// Version 1 is the original's schema (runs, results, events), created by the dialect's DDL.
// Later versions append here with the function that upgrades a store in place. Migrations run
// inside the storage schema lock (on SQLite inside its write transaction): they must be
// idempotent and must not begin or commit a transaction of their own.
constexpr Migration kMigrations[] = {
    {1, "baselinr storage: runs, results, events", nullptr},
    {2, "runs.metadata: the partition values and sampling each run profiled", &add_run_metadata},
    {3, "outbox, deliveries, findings: durable event delivery", &add_delivery_tables},
    {4, "baselines: runs pinned as a table's drift baseline", &add_baselines},
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

namespace {

void run_lock_statements(db::Connection& connection, const std::vector<std::string>& statements) {
  for (const auto& sql : statements) {
    if (to_lower(sql.substr(0, 7)) != "select ") {
      connection.execute(sql);
      continue;
    }
    db::Result r = connection.query(sql);
    if (r.rows.empty() || r.rows[0].empty() || db::as_int(r.rows[0][0]) != 1) {
      throw StorageError(
          "storage: another process held the storage schema lock for too long (10 minutes); "
          "check for a stuck baselinr or migration and run again");
    }
  }
}

}  // namespace

void with_schema_lock(db::Connection& connection, const std::function<void()>& work) {
  const db::StorageSchemaLock lock = connection.dialect().storage_schema_lock();
  run_lock_statements(connection, lock.acquire);
  try {
    work();
  } catch (...) {
    try {
      run_lock_statements(connection, lock.abort);
    } catch (const std::exception&) {
      // The original failure is the one to report; the lock ends with the session anyway.
    }
    throw;
  }
  run_lock_statements(connection, lock.release);
}

void ensure_schema(db::Connection& connection, const db::StorageTables& tables) {
  // Processes started together (parallel orchestrator tasks) create and migrate one at a time:
  // the first does the work, the others find it done. Everything below is idempotent too, so a
  // crash half-way never wedges the next start.
  with_schema_lock(connection, [&] {
    const db::Dialect& d = connection.dialect();
    for (const auto& stmt : d.storage_ddl(tables)) connection.execute(stmt);
    int version = read_schema_version(connection, tables);
    if (version > kStorageSchemaVersion) {
      throw StorageError(fmt::format(
          "storage schema version {} is newer than this baselinr supports ({}); upgrade baselinr",
          version, kStorageSchemaVersion));
    }
    for (const Migration& m : kMigrations) {
      // The version table is shared by every store in a schema, while the migrated tables are
      // this store's: apply every (idempotent) migration to them, and record a version once.
      if (m.apply) m.apply(connection, tables);
      if (m.version <= version) continue;
      db::ParamList params(d);
      std::string sql =
          fmt::format("INSERT INTO {} ({}, {}, {}) VALUES ({}, {}, {})",
                      d.qualified_name(tables.schema_version), d.storage_identifier("version"),
                      d.storage_identifier("applied_at"), d.storage_identifier("description"),
                      params.add(std::int64_t{m.version}),
                      params.add(format_storage_time(std::chrono::system_clock::now())),
                      params.add(std::string(m.description)));
      db::BoundSql bound = params.bind(sql);
      connection.execute(bound.sql, bound.params);
    }
  });
}

}  // namespace baselinr::storage
