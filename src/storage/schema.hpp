// Storage schema: creation, version bookkeeping and in-place migrations.
#pragma once

#include <functional>

#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::storage {

// Creates missing tables and indexes, records the schema version and applies migrations up to
// kStorageSchemaVersion, holding the storage schema lock (safe when several processes start at
// once on a fresh store). Throws StorageError when the store is newer than this build.
void ensure_schema(db::Connection& connection, const db::StorageTables& tables);

// Runs `work` (DDL on storage tables) holding the dialect's storage schema lock, inside its
// transaction where the engine has one; rolled back and released when `work` throws.
void with_schema_lock(db::Connection& connection, const std::function<void()>& work);

// Whether the runs table has the metadata column (schema version 2). False when the table is
// missing.
bool runs_have_metadata(db::Connection& connection, const db::StorageTables& tables);

// The recorded schema version; 0 when the version table is missing or empty.
int read_schema_version(db::Connection& connection, const db::StorageTables& tables);

}  // namespace baselinr::storage
