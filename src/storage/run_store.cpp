#include <fmt/format.h>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "storage/events_table.hpp"
#include "storage/schema.hpp"

namespace baselinr {
namespace {

std::string schema_version_table(const std::string& runs_table) {
  auto dot = runs_table.rfind('.');
  if (dot == std::string::npos) return "baselinr_schema_version";
  return runs_table.substr(0, dot + 1) + "baselinr_schema_version";
}

db::Value text_or_null(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

const char* kRunColumns[] = {"run_id", "dataset_name", "schema_name",  "profiled_at", "environment",
                             "status", "row_count",    "column_count", "metadata"};

}  // namespace

struct RunStore::Impl {
  std::unique_ptr<db::Connection> connection;
  StorageConfig config;
  std::string environment;
  db::StorageTables tables;
  std::mutex write_mutex;
  // False for a version-1 store opened with create_tables: false (not migrated): runs are then
  // read and written without their metadata.
  bool has_metadata = true;

  std::size_t run_column_count() const { return has_metadata ? std::size(kRunColumns) : 8; }

  const db::Dialect& d() const { return connection->dialect(); }
  std::string id(std::string_view c) const { return d().storage_identifier(c); }

  std::string run_select() const {
    std::string cols;
    for (std::size_t i = 0; i < run_column_count(); ++i) {
      if (!cols.empty()) cols += ", ";
      cols += id(kRunColumns[i]);
    }
    return "SELECT " + cols + " FROM " + d().qualified_name(tables.runs);
  }

  static RunRecord to_run(const std::vector<db::Value>& row) {
    RunRecord r;
    r.run_id = db::as_text(row[0]).value_or("");
    r.dataset_name = db::as_text(row[1]).value_or("");
    r.schema_name = db::as_text(row[2]).value_or("");
    r.profiled_at = normalize_storage_time(db::as_text(row[3]).value_or(""));
    r.environment = db::as_text(row[4]).value_or("");
    r.status = db::as_text(row[5]).value_or("");
    r.row_count = db::as_int(row[6]).value_or(0);
    r.column_count = db::as_int(row[7]).value_or(0);
    if (row.size() > 8) r.metadata = db::as_text(row[8]).value_or("");
    return r;
  }

  std::vector<RunRecord> runs(const std::string& sql, const db::ParamList& params) const {
    try {
      db::BoundSql bound = params.bind(sql);
      db::Result res = connection->query(bound.sql, bound.params);
      std::vector<RunRecord> out;
      for (const auto& row : res.rows) out.push_back(to_run(row));
      return out;
    } catch (const DatabaseError& e) {
      throw StorageError(fmt::format("storage: reading runs from {} failed: {}",
                                     config.connection.describe(), e.what()));
    }
  }

  // "schema_name = ?" or "schema_name IS NULL" for stores of schema-less sources.
  std::string schema_cond(const std::string& schema, db::ParamList& params) const {
    if (schema.empty()) return id("schema_name") + " IS NULL";
    return id("schema_name") + " = " + params.add(schema);
  }
};

RunStore::RunStore(const StorageConfig& config, std::string environment)
    : RunStore(db::connect(config.connection, {.read_only = false, .create_if_missing = true}),
               config, std::move(environment)) {}

RunStore::RunStore(std::unique_ptr<db::Connection> connection, const StorageConfig& config,
                   std::string environment)
    : impl_(std::make_unique<Impl>()) {
  impl_->connection = std::move(connection);
  impl_->config = config;
  impl_->environment = std::move(environment);
  impl_->tables = {config.runs_table, config.results_table, config.events_table,
                   schema_version_table(config.runs_table)};
  try {
    if (config.create_tables) {
      storage::ensure_schema(*impl_->connection, impl_->tables);
    } else {
      impl_->has_metadata = storage::runs_have_metadata(*impl_->connection, impl_->tables);
    }
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: creating tables in {} failed: {}",
                                   config.connection.describe(), e.what()));
  }
}

RunStore::~RunStore() = default;

void RunStore::store(const ProfilingResult& result) {
  Impl& s = *impl_;
  std::lock_guard lock(s.write_mutex);
  const db::Dialect& d = s.d();
  const std::string profiled_at = format_storage_time(result.profiled_at);
  try {
    db::Transaction tx(*s.connection);
    {
      db::ParamList params(d);
      std::string cols, vals;
      std::vector<db::Value> values = {result.run_id,
                                       result.dataset_name,
                                       text_or_null(result.schema_name),
                                       profiled_at,
                                       s.environment,
                                       std::string("completed"),
                                       result.row_count,
                                       static_cast<std::int64_t>(result.columns.size()),
                                       result.scope.to_json()};
      values.resize(s.run_column_count());
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) {
          cols += ", ";
          vals += ", ";
        }
        cols += s.id(kRunColumns[i]);
        vals += params.add(values[i]);
      }
      db::BoundSql bound = params.bind(fmt::format("INSERT INTO {} ({}) VALUES ({})",
                                                   d.qualified_name(s.tables.runs), cols, vals));
      s.connection->execute(bound.sql, bound.params);
    }
    std::string cols, vals;
    const char* result_columns[] = {"run_id",      "dataset_name", "schema_name",  "column_name",
                                    "column_type", "metric_name",  "metric_value", "profiled_at"};
    for (std::size_t i = 0; i < std::size(result_columns); ++i) {
      if (i) {
        cols += ", ";
        vals += ", ";
      }
      cols += s.id(result_columns[i]);
      vals += d.placeholder(i + 1);
    }
    auto insert = s.connection->prepare(fmt::format(
        "INSERT INTO {} ({}) VALUES ({})", d.qualified_name(s.tables.results), cols, vals));
    std::vector<db::Value> row(std::size(result_columns));
    for (const auto& col : result.columns) {
      for (const auto& [metric, value] : col.metrics) {
        auto text = metric_text(value);
        row = {result.run_id,
               result.dataset_name,
               text_or_null(result.schema_name),
               col.name,
               col.type,
               metric,
               text ? db::Value(*text) : db::Value(std::monostate{}),
               profiled_at};
        insert->execute(row);
      }
    }
    insert.reset();
    tx.commit();
  } catch (const Error& e) {
    throw StorageError(fmt::format(
        "storage: writing run {} of {} to {} failed, nothing of this run was stored: {}",
        result.run_id, result.dataset_name, s.config.connection.describe(), e.what()));
  }
}

std::vector<RunRecord> RunStore::list_runs(const RunQuery& query) const {
  const Impl& s = *impl_;
  db::ParamList params(s.d());
  std::vector<std::string> conds;
  if (!query.dataset.empty()) {
    conds.push_back(s.id("dataset_name") + " = " + params.add(query.dataset));
  }
  if (!query.schema.empty()) conds.push_back(s.schema_cond(query.schema, params));
  if (!query.status.empty()) conds.push_back(s.id("status") + " = " + params.add(query.status));
  std::string sql = s.run_select();
  if (!conds.empty()) sql += " WHERE " + join(conds, " AND ");
  sql += " ORDER BY " + s.id("profiled_at") + " DESC";
  if (query.limit > 0) sql += s.d().limit_rows(query.limit, params);
  return s.runs(sql, params);
}

std::optional<RunRecord> RunStore::find_run(const std::string& run_id) const {
  const Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql = s.run_select() + " WHERE " + s.id("run_id") + " = " + params.add(run_id);
  auto runs = s.runs(sql, params);
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::vector<MetricRecord> RunStore::results(const RunRecord& run) const {
  const Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql = fmt::format(
      "SELECT {}, {}, {}, {} FROM {} WHERE {} = {} AND {} = {} ORDER BY {}", s.id("column_name"),
      s.id("column_type"), s.id("metric_name"), s.id("metric_value"),
      s.d().qualified_name(s.tables.results), s.id("run_id"), params.add(run.run_id),
      s.id("dataset_name"), params.add(run.dataset_name), s.id("id"));
  try {
    db::BoundSql bound = params.bind(sql);
    db::Result res = s.connection->query(bound.sql, bound.params);
    std::vector<MetricRecord> out;
    for (const auto& row : res.rows) {
      out.push_back({db::as_text(row[0]).value_or(""), db::as_text(row[1]).value_or(""),
                     db::as_text(row[2]).value_or(""), db::as_text(row[3])});
    }
    return out;
  } catch (const DatabaseError& e) {
    throw StorageError(
        fmt::format("storage: reading results of run {} failed: {}", run.run_id, e.what()));
  }
}

std::vector<RunRecord> RunStore::runs_before(const RunRecord& run, int limit) const {
  const Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql = s.run_select() + " WHERE " + s.id("dataset_name") + " = " +
                    params.add(run.dataset_name) + " AND " +
                    s.schema_cond(run.schema_name, params) + " AND " + s.id("status") + " = " +
                    params.add(std::string("completed")) + " AND " + s.id("profiled_at") + " < " +
                    params.add(run.profiled_at) + " ORDER BY " + s.id("profiled_at") + " DESC";
  if (limit > 0) sql += s.d().limit_rows(limit, params);
  return s.runs(sql, params);
}

std::vector<DatasetRecord> RunStore::list_datasets() const {
  const Impl& s = *impl_;
  const std::string sql = fmt::format(
      "SELECT {0}, {1}, COUNT(*), MAX({2}) FROM {3} GROUP BY {0}, {1} ORDER BY {0}, {1}",
      s.id("dataset_name"), s.id("schema_name"), s.id("profiled_at"),
      s.d().qualified_name(s.tables.runs));
  try {
    db::Result res = s.connection->query(sql);
    std::vector<DatasetRecord> out;
    for (const auto& row : res.rows) {
      out.push_back({db::as_text(row[0]).value_or(""), db::as_text(row[1]).value_or(""),
                     db::as_int(row[2]).value_or(0),
                     normalize_storage_time(db::as_text(row[3]).value_or(""))});
    }
    return out;
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: reading datasets from {} failed: {}",
                                   s.config.connection.describe(), e.what()));
  }
}

std::vector<EventRecord> RunStore::list_events(const EventQuery& query) const {
  try {
    return storage::read_events(*impl_->connection, impl_->tables.events, query);
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: reading events from {} failed: {}",
                                   impl_->config.connection.describe(), e.what()));
  }
}

int RunStore::schema_version() const {
  return storage::read_schema_version(*impl_->connection, impl_->tables);
}

std::vector<EventRecord> read_events(const ConnectionConfig& connection, const std::string& table,
                                     const EventQuery& query) {
  auto conn = db::connect(connection, {.read_only = false, .create_if_missing = false});
  try {
    return storage::read_events(*conn, table, query);
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("reading events from {} ({}) failed: {}", table,
                                   connection.describe(), e.what()));
  }
}

std::vector<EventRecord> list_configured_events(const Config& config, const EventQuery& query,
                                                const RunStore* store) {
  for (const auto& h : config.hooks.hooks) {
    if (h.enabled && h.type == HookType::kSql && h.connection) {
      return read_events(*h.connection, h.table_name, query);
    }
  }
  if (store) return store->list_events(query);
  return RunStore(config.storage, config.environment).list_events(query);
}

}  // namespace baselinr
