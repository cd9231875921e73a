#include "profiling/table_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "baselinr/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::profiling {
namespace {

// Epoch seconds of a stored or queried newest value: dates and timestamps as text, or numbers
// (seconds since 1970; milliseconds when larger than 1e12).
std::optional<double> epoch_of(const MetricValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return parse_epoch_seconds(*s);
  std::optional<double> n;
  if (const auto* i = std::get_if<std::int64_t>(&v)) n = static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) n = *d;
  if (n && std::isfinite(*n)) return std::fabs(*n) > 1e12 ? *n / 1000 : *n;
  return std::nullopt;
}

std::optional<double> epoch_of(const db::Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return parse_epoch_seconds(*s);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return epoch_of(MetricValue(*i));
  if (const auto* d = std::get_if<double>(&v)) return epoch_of(MetricValue(*d));
  return std::nullopt;
}

const ColumnProfile* find_column(const ProfilingResult& result, const std::string& name) {
  for (const auto& c : result.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

std::string freshness_column(const ProfilingResult& result, const TableConfig* table) {
  if (table && !table->freshness_column.empty()) {
    const ColumnProfile* c = find_column(result, table->freshness_column);
    if (!c || c->type_class != TypeClass::kTemporal) {
      throw QueryError(fmt::format(
          "freshness_column '{}' of table '{}' is {}; name a date or timestamp column",
          table->freshness_column, result.dataset_name,
          c ? fmt::format("a {} column ({})", to_string(c->type_class), c->type) : "not a column"));
    }
    return c->name;
  }
  std::vector<const ColumnProfile*> temporal;
  for (const auto& c : result.columns) {
    if (c.type_class == TypeClass::kTemporal) temporal.push_back(&c);
  }
  if (temporal.empty()) return {};
  static const char* names[] = {"updated_at", "modified_at", "last_modified",
                                "loaded_at",  "ingested_at", "inserted_at",
                                "created_at", "event_time",  "event_timestamp",
                                "timestamp",  "ts",          "event_date",
                                "date",       "dt",          "ds"};
  for (const char* n : names) {
    for (const auto* c : temporal) {
      if (to_lower(c->name) == n) return c->name;
    }
  }
  if (!result.scope.partition_key.empty()) {
    for (const auto* c : temporal) {
      if (c->name == result.scope.partition_key) return c->name;
    }
  }
  for (const auto* c : temporal) {
    if (to_lower(c->type).find("time") != std::string::npos) return c->name;
  }
  return temporal.front()->name;
}

void add_table_metrics(db::Connection& connection, const TableTarget& target,
                       ProfilingResult& result) {
  const double now = std::chrono::duration<double>(result.profiled_at.time_since_epoch()).count();
  result.table_metrics.emplace_back("row_count", result.row_count);

  const std::string column = freshness_column(result, target.config);
  if (!column.empty()) {
    std::optional<double> newest;
    const bool every_row =
        result.scope.partition_strategy == "all" && result.scope.sampling_method.empty();
    const ColumnProfile* c = find_column(result, column);
    const MetricValue* max = c ? c->metric("max") : nullptr;
    if (every_row && max) {
      newest = epoch_of(*max);
    } else {
      const db::Dialect& d = connection.dialect();
      db::Result r = connection.query(fmt::format(
          "SELECT {} FROM {}", d.max_value(d.quote_identifier(column)), d.table_sql(target.ref)));
      if (!r.rows.empty() && !r.rows[0].empty()) newest = epoch_of(r.rows[0][0]);
    }
    if (newest) {
      result.table_metrics.emplace_back("freshness_seconds", now - *newest);
      result.table_metrics.emplace_back("freshness_column", column);
    }
  }

  db::ParamList params(connection.dialect());
  const std::string sql = connection.dialect().last_change_query(target.ref, params);
  if (!sql.empty()) {
    try {
      db::BoundSql bound = params.bind(sql);
      db::Result r = connection.query(bound.sql, bound.params);
      if (!r.rows.empty() && !r.rows[0].empty()) {
        if (auto t = db::as_double(r.rows[0][0])) {
          result.table_metrics.emplace_back("last_change_seconds", now - *t);
        }
      }
    } catch (const QueryError& e) {
      log().debug("{}: the engine's last change time is not available: {}", target.ref.display(),
                  e.what());
    }
  }
}

}  // namespace baselinr::profiling
