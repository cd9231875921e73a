#include "storage/events_table.hpp"

#include <cmath>

#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "storage/schema.hpp"

namespace baselinr::storage {

std::vector<db::Value> event_row(const Event& event) {
  auto opt_d = [](const std::optional<double>& v) -> db::Value {
    if (!v || !std::isfinite(*v)) return std::monostate{};
    return *v;
  };
  std::string column, metric, severity;
  db::Value baseline = std::monostate{}, current = std::monostate{}, change = std::monostate{};
  if (auto* d = event.get_if<DataDriftDetected>()) {
    column = d->column;
    metric = d->metric;
    severity = std::string(to_string(d->drift_severity));
    baseline = opt_d(d->baseline_value);
    current = opt_d(d->current_value);
    change = opt_d(d->change_percent);
  } else if (auto* s = event.get_if<SchemaChangeDetected>()) {
    column = s->column;
  } else if (auto* r = event.get_if<DataDriftResolved>()) {
    column = r->column;
    metric = r->metric;
    severity = std::string(to_string(r->drift_severity));
  }
  auto text_or_null = [](const std::string& s) -> db::Value {
    if (s.empty()) return std::monostate{};
    return s;
  };
  return {event.event_id(),
          std::string(event.event_type()),
          text_or_null(event.table()),
          text_or_null(column),
          text_or_null(metric),
          baseline,
          current,
          change,
          text_or_null(severity),
          format_storage_time(event.timestamp()),
          event.metadata_json()};
}

void create_events_table(db::Connection& connection, const std::string& table) {
  // Under the storage schema lock: CREATE TABLE IF NOT EXISTS races with itself on PostgreSQL.
  with_schema_lock(connection, [&] {
    for (const auto& stmt : connection.dialect().events_ddl(table)) connection.execute(stmt);
  });
}

std::vector<EventRecord> read_events(db::Connection& connection, const std::string& table,
                                     const EventQuery& query) {
  const db::Dialect& d = connection.dialect();
  db::ParamList params(d);
  std::string cols;
  for (const char* c : {"event_id", "event_type", "table_name", "column_name", "metric_name",
                        "baseline_value", "current_value", "change_percent", "drift_severity",
                        "timestamp", "metadata", "created_at"}) {
    if (!cols.empty()) cols += ", ";
    cols += d.storage_identifier(c);
  }
  std::string sql = "SELECT " + cols + " FROM " + d.qualified_name(table);
  std::vector<std::string> conds;
  if (!query.event_type.empty()) {
    conds.push_back(d.storage_identifier("event_type") + " = " + params.add(query.event_type));
  }
  if (!query.table.empty()) {
    conds.push_back(d.text_equals(d.storage_identifier("table_name"), query.table, params));
  }
  if (!query.include_tests) {
    const std::string t = d.storage_identifier("table_name");
    conds.push_back("(" + t + " IS NULL OR " + t + " <> " + params.add(std::string(kTestTable)) +
                    ")");
  }
  if (!conds.empty()) sql += " WHERE " + join(conds, " AND ");
  sql += " ORDER BY " + d.storage_identifier("timestamp") + " DESC";
  if (query.limit > 0) sql += d.limit_rows(query.limit, params);
  db::BoundSql bound = params.bind(sql);
  db::Result r = connection.query(bound.sql, bound.params);
  std::vector<EventRecord> out;
  for (auto& row : r.rows) {
    EventRecord e;
    e.event_id = db::as_text(row[0]).value_or("");
    e.event_type = db::as_text(row[1]).value_or("");
    e.table_name = db::as_text(row[2]).value_or("");
    e.column_name = db::as_text(row[3]).value_or("");
    e.metric_name = db::as_text(row[4]).value_or("");
    e.baseline_value = db::as_double(row[5]);
    e.current_value = db::as_double(row[6]);
    e.change_percent = db::as_double(row[7]);
    e.drift_severity = db::as_text(row[8]).value_or("");
    e.timestamp = normalize_storage_time(db::as_text(row[9]).value_or(""));
    e.metadata = db::as_text(row[10]).value_or("{}");
    e.created_at = normalize_storage_time(db::as_text(row[11]).value_or(""));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace baselinr::storage
