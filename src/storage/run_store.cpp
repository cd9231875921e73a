#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "events/identity.hpp"
#include "storage/events_table.hpp"
#include "storage/outbox.hpp"
#include "storage/schema.hpp"

namespace baselinr {
namespace {

// A storage table next to the runs table (same schema prefix).
std::string sibling_table(const std::string& runs_table, const std::string& name) {
  auto dot = runs_table.rfind('.');
  if (dot == std::string::npos) return name;
  return runs_table.substr(0, dot + 1) + name;
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
  bool has_outbox = true;
  std::unique_ptr<storage::Outbox> outbox;
  std::vector<storage::Route> routes;
  std::function<void()> listener;

  void notify() {
    if (listener) listener();
  }

  std::size_t run_column_count() const { return has_metadata ? std::size(kRunColumns) : 8; }

  const db::Dialect& d() const { return connection->dialect(); }

  // Runs `f` (which uses `connection`); when the connection turns out to be broken (the server
  // ended the session: idle_session_timeout, a restart, KILL), opens a new one and runs `f` once
  // more. Any other failure, or a second broken connection, is the caller's.
  template <class F>
  auto with_reconnect(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const ConnectionError& e) {
      log().warn("storage: the connection to {} was lost ({}); reconnecting once",
                 config.connection.describe(), e.what());
      connection = db::connect(config.connection, {.read_only = false, .create_if_missing = true});
      // The outbox works on the connection it was given: the new one from now on.
      outbox = std::make_unique<storage::Outbox>(
          *connection, storage::delivery_tables(config.events_table), config.events_table);
    }
    return f();
  }
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

  std::vector<RunRecord> runs(const std::string& sql, const db::ParamList& params) {
    try {
      db::BoundSql bound = params.bind(sql);
      db::Result res = with_reconnect([&] { return connection->query(bound.sql, bound.params); });
      std::vector<RunRecord> out;
      for (const auto& row : res.rows) out.push_back(to_run(row));
      return out;
    } catch (const DatabaseError& e) {
      throw StorageError(fmt::format("storage: reading runs from {} failed: {}",
                                     config.connection.describe(), e.what()));
    }
  }

  // "schema_name = ?" or "schema_name IS NULL" for stores of schema-less sources. Names are
  // compared exactly, whatever the column's collation.
  std::string schema_cond(const std::string& schema, db::ParamList& params) const {
    if (schema.empty()) return id("schema_name") + " IS NULL";
    return d().text_equals(id("schema_name"), schema, params);
  }
  std::string dataset_cond(const std::string& dataset, db::ParamList& params) const {
    return d().text_equals(id("dataset_name"), dataset, params);
  }

  // Whether the store's table exists (as the catalog knows it).
  bool table_exists(const std::string& table) const {
    return !connection->columns(d().storage_table(table)).empty();
  }
};

namespace {

std::string no_store_message(const StorageConfig& config, const std::string& what) {
  return fmt::format(
      "no store yet: {} {}, so nothing has been profiled with this storage; `baselinr profile "
      "--config FILE` creates it with the first run",
      config.connection.describe(), what);
}

std::unique_ptr<db::Connection> open_store(const StorageConfig& config, StoreAccess access) {
  const ConnectionConfig& c = config.connection;
  if (access != StoreAccess::kWrite) {
    // Reading must not leave an empty database file behind.
    if (c.type == DatabaseType::kSqlite && c.filepath != ":memory:" && !c.filepath.empty()) {
      std::error_code ec;
      if (!std::filesystem::exists(c.filepath, ec)) {
        throw NoStoreError(no_store_message(config, "does not exist"));
      }
    }
    return db::connect(c, {.read_only = false, .create_if_missing = false});
  }
  return db::connect(c, {.read_only = false, .create_if_missing = true});
}

}  // namespace

RunStore::RunStore(const StorageConfig& config, std::string environment, StoreAccess access)
    : RunStore(open_store(config, access), config, std::move(environment), access) {}

RunStore::RunStore(std::unique_ptr<db::Connection> connection, const StorageConfig& config,
                   std::string environment, StoreAccess access)
    : impl_(std::make_unique<Impl>()) {
  impl_->connection = std::move(connection);
  impl_->config = config;
  impl_->environment = std::move(environment);
  impl_->tables = {config.runs_table, config.results_table, config.events_table,
                   sibling_table(config.runs_table, "baselinr_schema_version"),
                   sibling_table(config.runs_table, "baselinr_baselines")};
  impl_->outbox = std::make_unique<storage::Outbox>(
      *impl_->connection, storage::delivery_tables(config.events_table), config.events_table);
  Impl& s = *impl_;
  try {
    if (access != StoreAccess::kWrite && !s.table_exists(s.tables.runs)) {
      throw NoStoreError(no_store_message(config, "has no " + s.tables.runs + " table"));
    }
    if (access == StoreAccess::kReadOnly) {
      s.has_metadata = storage::runs_have_metadata(*s.connection, s.tables);
      s.has_outbox = s.outbox->available();
    } else if (config.create_tables) {
      storage::ensure_schema(*s.connection, s.tables);
    } else {
      // Checked now, not after every table was profiled.
      std::vector<std::string> missing;
      for (const auto& t : {s.tables.runs, s.tables.results}) {
        if (!s.table_exists(t)) missing.push_back(t);
      }
      if (!missing.empty()) {
        throw StorageError(fmt::format(
            "storage: {} {} not exist in {} and storage.create_tables is false: create {} (the "
            "DDL is in docs/STORAGE.md) or set create_tables: true",
            join(missing, " and "), missing.size() > 1 ? "do" : "does",
            config.connection.describe(), missing.size() > 1 ? "them" : "it"));
      }
      s.has_metadata = storage::runs_have_metadata(*s.connection, s.tables);
      s.has_outbox = s.outbox->available();
    }
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format(
        "storage: {} tables in {} failed: {}",
        config.create_tables && access != StoreAccess::kReadOnly ? "creating" : "reading the",
        config.connection.describe(), e.what()));
  }
}

RunStore::~RunStore() = default;

void RunStore::set_hooks(const HooksConfig& hooks) {
  impl_->routes.clear();
  if (!hooks.enabled) return;
  for (std::size_t i = 0; i < hooks.hooks.size(); ++i) {
    const HookConfig& h = hooks.hooks[i];
    if (!h.enabled) continue;
    impl_->routes.push_back(
        {h.label(i), [filter = filter_for(h)](const Event& e) { return filter.accepts(e); }});
  }
}

void RunStore::on_events_recorded(std::function<void()> listener) {
  impl_->listener = std::move(listener);
}

bool RunStore::has_outbox() const { return impl_->has_outbox; }

void RunStore::store(const ProfilingResult& result) { store_run(result, {}); }

void RunStore::record_events(const std::vector<Event>& events) {
  Impl& s = *impl_;
  if (!s.has_outbox || events.empty()) return;
  {
    std::lock_guard lock(s.write_mutex);
    const std::string now = format_storage_time(std::chrono::system_clock::now());
    try {
      // Adding an event already stored adds nothing: the retry after a reconnect is safe.
      s.with_reconnect([&] {
        db::Transaction tx(*s.connection);
        for (const Event& e : events) s.outbox->add(e, s.routes, now);
        tx.commit();
      });
    } catch (const Error& e) {
      throw StorageError(fmt::format("storage: recording {} event(s) in {} failed: {}",
                                     events.size(), s.config.connection.describe(), e.what()));
    }
  }
  s.notify();
}

std::vector<Event> RunStore::record_drift(const DriftRunRecord& run,
                                          const std::vector<Event>& events) {
  Impl& s = *impl_;
  if (!s.has_outbox) return events;
  std::vector<Event> recorded;
  {
    std::lock_guard lock(s.write_mutex);
    const auto now_tp = std::chrono::system_clock::now();
    const std::string now = format_storage_time(now_tp);
    // Two processes recording the same drift run at once may collide on a key: the second try
    // finds the other's rows and adds nothing twice.
    for (int attempt = 0;; ++attempt) {
      try {
        s.with_reconnect([&] {
          recorded = events;
          db::Transaction tx(*s.connection);
          for (const Event& e : events) {
            s.outbox->add(e, s.routes, now);
            s.outbox->touch_finding(e, run.current_run_id, run.current_profiled_at, now);
          }
          const auto stale = s.outbox->stale_findings(run.schema, run.table, run.current_run_id,
                                                      run.current_profiled_at);
          // Findings of the table still open once this resolution is recorded, counting down to
          // the last resolution of the run: a per-table alert (PagerDuty dedup_by: table) is
          // resolved by the resolution that leaves none open.
          std::int64_t open_after = s.outbox->open_findings(run.schema, run.table);
          for (const auto& f : stale) {
            --open_after;
            Fields details = {
                {"schema", f.schema},
                {"direction", f.direction},
                {"finding_key", f.finding_key},
                {"first_detected_at", f.opened_at},
                {"detected_event_id", f.last_event_id},
                {"baseline_run_ids", run.baseline_run_ids},
                {"current_run_id", run.current_run_id},
                {"reason",
                 fmt::format("no longer found by the drift run of run {}", run.current_run_id)},
                {"open_findings_in_table", std::to_string(std::max<std::int64_t>(open_after, 0))}};
            Event resolved(DataDriftResolved{f.table, f.column, f.metric,
                                             static_cast<Severity>(std::clamp(f.severity, 0, 3)),
                                             std::move(details)},
                           resolution_event_id(f.finding_key, run.current_run_id), now_tp);
            s.outbox->add(resolved, s.routes, now);
            s.outbox->resolve_finding(f.finding_key, resolved.event_id(), run.current_run_id,
                                      run.current_profiled_at, now);
            recorded.push_back(std::move(resolved));
          }
          tx.commit();
        });
        break;
      } catch (const Error& e) {
        if (attempt == 0 && dynamic_cast<const DatabaseError*>(&e)) continue;
        throw StorageError(fmt::format("storage: recording the drift run of {} in {} failed: {}",
                                       run.table, s.config.connection.describe(), e.what()));
      }
    }
  }
  s.notify();
  return recorded;
}

std::vector<DeliveryRecord> RunStore::deliveries(const std::vector<std::string>& event_ids) const {
  if (!impl_->has_outbox) return {};
  try {
    return impl_->outbox->deliveries(event_ids);
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: reading deliveries from {} failed: {}",
                                   impl_->config.connection.describe(), e.what()));
  }
}

std::vector<std::pair<std::string, int>> RunStore::replay(const ReplayRequest& request,
                                                          const HooksConfig& hooks) {
  Impl& s = *impl_;
  if (!s.has_outbox) {
    throw StorageError(
        "storage: this store has no outbox tables; open it once with create_tables: true");
  }
  std::vector<storage::Route> routes;
  for (std::size_t i = 0; i < hooks.hooks.size(); ++i) {
    const HookConfig& h = hooks.hooks[i];
    if (!h.enabled || !hooks.enabled) continue;
    if (!request.hook.empty() && h.label(i) != request.hook) continue;
    routes.push_back(
        {h.label(i), [filter = filter_for(h)](const Event& e) { return filter.accepts(e); }});
  }
  if (!request.hook.empty() && routes.empty()) {
    throw UsageError(
        fmt::format("--hook {}: no enabled hook has this name; names are the hooks' "
                    "`name:` or type[index] as `baselinr hooks test` lists them",
                    request.hook));
  }
  std::vector<std::pair<std::string, int>> counts;
  {
    std::lock_guard lock(s.write_mutex);
    const std::string now = format_storage_time(std::chrono::system_clock::now());
    try {
      db::Transaction tx(*s.connection);
      counts = s.outbox->replay({request.event_id, request.since, request.event_type}, routes, now);
      tx.commit();
    } catch (const DatabaseError& e) {
      throw StorageError(fmt::format("storage: queueing the replay in {} failed: {}",
                                     s.config.connection.describe(), e.what()));
    }
  }
  s.notify();
  return counts;
}

void RunStore::store_run(const ProfilingResult& result, const std::vector<Event>& events) {
  Impl& s = *impl_;
  std::lock_guard lock(s.write_mutex);
  try {
    bool retried = false;
    s.with_reconnect([&] {
      // A commit the server received just before the connection broke is not repeated.
      if (retried && find_run(result.run_id)) return;
      retried = true;
      write_run(result, events);
    });
  } catch (const Error& e) {
    throw StorageError(fmt::format(
        "storage: writing run {} of {} to {} failed, nothing of this run was stored: {}",
        result.run_id, result.dataset_name, s.config.connection.describe(), e.what()));
  }
  if (!events.empty()) s.notify();
}

void RunStore::write_run(const ProfilingResult& result, const std::vector<Event>& events) {
  Impl& s = *impl_;
  const db::Dialect& d = s.d();
  const std::string profiled_at = format_storage_time(result.profiled_at);
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
  auto insert = s.connection->prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})",
                                                  d.qualified_name(s.tables.results), cols, vals));
  std::vector<db::Value> row(std::size(result_columns));
  auto write = [&](const std::string& column, const db::Value& type, const std::string& metric,
                   const MetricValue& value) {
    auto text = metric_text(value);
    row = {result.run_id,
           result.dataset_name,
           text_or_null(result.schema_name),
           column,
           type,
           metric,
           text ? db::Value(*text) : db::Value(std::monostate{}),
           profiled_at};
    insert->execute(row);
  };
  for (const auto& col : result.columns) {
    for (const auto& [metric, value] : col.metrics) write(col.name, col.type, metric, value);
  }
  // Table-level metrics (row_count, freshness) are stored with an empty column name.
  for (const auto& [metric, value] : result.table_metrics) {
    write(std::string(), db::Value(std::monostate{}), metric, value);
  }
  insert.reset();
  if (s.has_outbox) {
    const std::string now = format_storage_time(std::chrono::system_clock::now());
    for (const Event& e : events) s.outbox->add(e, s.routes, now);
  }
  tx.commit();
}

std::vector<RunRecord> RunStore::list_runs(const RunQuery& query) const {
  Impl& s = *impl_;
  db::ParamList params(s.d());
  std::vector<std::string> conds;
  if (!query.dataset.empty()) {
    conds.push_back(s.dataset_cond(query.dataset, params));
  }
  if (!query.schema.empty()) conds.push_back(s.schema_cond(query.schema, params));
  if (!query.status.empty()) conds.push_back(s.id("status") + " = " + params.add(query.status));
  std::string sql = s.run_select();
  if (!conds.empty()) sql += " WHERE " + join(conds, " AND ");
  sql += " ORDER BY " + s.id("profiled_at") + " DESC";
  if (query.limit > 0) sql += s.d().limit_rows(query.limit, params);
  return s.runs(sql, params);
}

std::vector<std::string> RunStore::schemas_of(const std::string& dataset) const {
  Impl& s = *impl_;
  db::ParamList params(s.d());
  const std::string sql =
      fmt::format("SELECT DISTINCT {} FROM {} WHERE {}", s.id("schema_name"),
                  s.d().qualified_name(s.tables.runs), s.dataset_cond(dataset, params));
  try {
    db::BoundSql bound = params.bind(sql);
    std::vector<std::string> out;
    const db::Result res =
        s.with_reconnect([&] { return s.connection->query(bound.sql, bound.params); });
    for (const auto& row : res.rows) {
      out.push_back(db::as_text(row[0]).value_or(""));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: reading runs from {} failed: {}",
                                   s.config.connection.describe(), e.what()));
  }
}

std::optional<RunRecord> RunStore::find_run(const std::string& run_id) const {
  Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql = s.run_select() + " WHERE " + s.id("run_id") + " = " + params.add(run_id);
  auto runs = s.runs(sql, params);
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::vector<MetricRecord> RunStore::results(const RunRecord& run) const {
  Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql =
      fmt::format("SELECT {}, {}, {}, {} FROM {} WHERE {} = {} AND {} ORDER BY {}",
                  s.id("column_name"), s.id("column_type"), s.id("metric_name"),
                  s.id("metric_value"), s.d().qualified_name(s.tables.results), s.id("run_id"),
                  params.add(run.run_id), s.dataset_cond(run.dataset_name, params), s.id("id"));
  try {
    db::BoundSql bound = params.bind(sql);
    db::Result res = s.with_reconnect([&] { return s.connection->query(bound.sql, bound.params); });
    std::vector<MetricRecord> out;
    for (const auto& row : res.rows) {
      MetricRecord m{db::as_text(row[0]).value_or(""), db::as_text(row[1]).value_or(""),
                     db::as_text(row[2]).value_or(""), db::as_text(row[3])};
      m.table_level = m.column_name.empty() && std::holds_alternative<std::monostate>(row[1]);
      out.push_back(std::move(m));
    }
    return out;
  } catch (const DatabaseError& e) {
    throw StorageError(
        fmt::format("storage: reading results of run {} failed: {}", run.run_id, e.what()));
  }
}

std::vector<RunRecord> RunStore::runs_before(const RunRecord& run, int limit) const {
  Impl& s = *impl_;
  auto before = [&](const std::string& schema) {
    db::ParamList params(s.d());
    std::string sql = s.run_select() + " WHERE " + s.dataset_cond(run.dataset_name, params) +
                      " AND " + s.schema_cond(schema, params) + " AND " + s.id("status") + " = " +
                      params.add(std::string("completed")) + " AND " + s.id("profiled_at") + " < " +
                      params.add(run.profiled_at) + " ORDER BY " + s.id("profiled_at") + " DESC";
    if (limit > 0) sql += s.d().limit_rows(limit, params);
    return s.runs(sql, params);
  };
  std::vector<RunRecord> runs = before(run.schema_name);
  // A store upgraded in place: the table's earlier runs were stored without the schema its name
  // resolved to (NULL). They are its history until it has its own under that schema.
  if (runs.empty() && !run.schema_name.empty()) runs = before("");
  return runs;
}

std::vector<DatasetRecord> RunStore::list_datasets() const {
  Impl& s = *impl_;
  const std::string sql = fmt::format(
      "SELECT {0}, {1}, COUNT(*), MAX({2}) FROM {3} GROUP BY {0}, {1} ORDER BY {0}, {1}",
      s.id("dataset_name"), s.id("schema_name"), s.id("profiled_at"),
      s.d().qualified_name(s.tables.runs));
  try {
    db::Result res = s.with_reconnect([&] { return s.connection->query(sql); });
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
  Impl& s = *impl_;
  try {
    return s.with_reconnect(
        [&] { return storage::read_events(*s.connection, s.tables.events, query); });
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("storage: reading events from {} failed: {}",
                                   impl_->config.connection.describe(), e.what()));
  }
}

void RunStore::pin_baseline(const RunRecord& run) {
  Impl& s = *impl_;
  std::lock_guard lock(s.write_mutex);
  const db::Dialect& d = s.d();
  const std::string table = d.qualified_name(s.tables.baselines);
  try {
    db::Transaction tx(*s.connection);
    {
      db::ParamList params(d);
      std::string sql =
          fmt::format("DELETE FROM {} WHERE {} = {} AND {}", table, s.id("dataset_name"),
                      params.add(run.dataset_name), s.schema_cond(run.schema_name, params));
      db::BoundSql bound = params.bind(sql);
      s.connection->execute(bound.sql, bound.params);
    }
    db::ParamList params(d);
    std::string sql = fmt::format(
        "INSERT INTO {} ({}, {}, {}, {}) VALUES ({}, {}, {}, {})", table, s.id("dataset_name"),
        s.id("schema_name"), s.id("run_id"), s.id("pinned_at"), params.add(run.dataset_name),
        params.add(text_or_null(run.schema_name)), params.add(run.run_id),
        params.add(format_storage_time(std::chrono::system_clock::now())));
    db::BoundSql bound = params.bind(sql);
    s.connection->execute(bound.sql, bound.params);
    tx.commit();
  } catch (const Error& e) {
    throw StorageError(fmt::format(
        "storage: pinning run {} as the baseline of {} in {} failed: {} (a store created by an "
        "older baselinr needs create_tables: true once to add the baselines table)",
        run.run_id, run.dataset_name, s.config.connection.describe(), e.what()));
  }
}

std::optional<PinnedBaseline> RunStore::pinned_baseline(const std::string& dataset,
                                                        const std::string& schema) const {
  const Impl& s = *impl_;
  db::ParamList params(s.d());
  std::string sql =
      fmt::format("SELECT {}, {}, {}, {} FROM {} WHERE {} = {} AND {}", s.id("dataset_name"),
                  s.id("schema_name"), s.id("run_id"), s.id("pinned_at"),
                  s.d().qualified_name(s.tables.baselines), s.id("dataset_name"),
                  params.add(dataset), s.schema_cond(schema, params));
  db::Result res;
  try {
    db::BoundSql bound = params.bind(sql);
    res = s.connection->query(bound.sql, bound.params);
  } catch (const QueryError&) {
    return std::nullopt;  // a store without the baselines table has no pins
  } catch (const DatabaseError& e) {
    throw StorageError(
        fmt::format("storage: reading the pinned baseline of {} failed: {}", dataset, e.what()));
  }
  if (res.rows.empty()) return std::nullopt;
  const auto& row = res.rows.front();
  return PinnedBaseline{db::as_text(row[0]).value_or(""), db::as_text(row[1]).value_or(""),
                        db::as_text(row[2]).value_or(""),
                        normalize_storage_time(db::as_text(row[3]).value_or(""))};
}

bool RunStore::clear_baseline(const std::string& dataset, const std::string& schema) {
  if (!pinned_baseline(dataset, schema)) return false;
  Impl& s = *impl_;
  std::lock_guard lock(s.write_mutex);
  db::ParamList params(s.d());
  std::string sql =
      fmt::format("DELETE FROM {} WHERE {} = {} AND {}", s.d().qualified_name(s.tables.baselines),
                  s.id("dataset_name"), params.add(dataset), s.schema_cond(schema, params));
  try {
    db::BoundSql bound = params.bind(sql);
    s.connection->execute(bound.sql, bound.params);
  } catch (const DatabaseError& e) {
    throw StorageError(
        fmt::format("storage: clearing the pinned baseline of {} failed: {}", dataset, e.what()));
  }
  return true;
}

int RunStore::schema_version() const {
  Impl& s = *impl_;
  return s.with_reconnect([&] { return storage::read_schema_version(*s.connection, s.tables); });
}

std::vector<EventRecord> read_events(const ConnectionConfig& connection, const std::string& table,
                                     const EventQuery& query) {
  auto none = [&](const std::string& what) {
    return NoStoreError(fmt::format(
        "no events yet: {} {}; the events are stored there by the sql hook when an event occurs",
        connection.describe(), what));
  };
  if (connection.type == DatabaseType::kSqlite && connection.filepath != ":memory:") {
    std::error_code ec;
    if (!std::filesystem::exists(connection.filepath, ec)) throw none("does not exist");
  }
  auto conn = db::connect(connection, {.read_only = false, .create_if_missing = false});
  try {
    if (conn->columns(conn->dialect().storage_table(table)).empty()) {
      throw none("has no " + table + " table");
    }
    return storage::read_events(*conn, table, query);
  } catch (const DatabaseError& e) {
    throw StorageError(fmt::format("reading events from {} ({}) failed: {}", table,
                                   connection.describe(), e.what()));
  }
}

std::vector<EventRecord> list_configured_events(const Config& config, const EventQuery& query,
                                                const RunStore* store) {
  std::unique_ptr<RunStore> opened;
  if (!store) {
    opened = std::make_unique<RunStore>(config.storage, config.environment, StoreAccess::kReadOnly);
    store = opened.get();
  }
  // A store with an outbox records every event itself; an older one only has what a sql hook
  // wrote.
  if (store->has_outbox()) return store->list_events(query);
  for (const auto& h : config.hooks.hooks) {
    if (h.enabled && h.type == HookType::kSql && h.connection) {
      return read_events(*h.connection, h.table_name, query);
    }
  }
  return store->list_events(query);
}

}  // namespace baselinr
