#include "events/identity.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.hpp"
#include "common/uuid.hpp"

namespace baselinr {

std::string detail_text(const Fields& details, std::string_view name) {
  for (const auto& [k, v] : details) {
    if (k != name) continue;
    return std::visit(
        [](const auto& x) -> std::string {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return {};
          } else if constexpr (std::is_same_v<T, std::string>) {
            return x;
          } else if constexpr (std::is_same_v<T, double>) {
            return format_double(x);
          } else {
            return std::to_string(x);
          }
        },
        v);
  }
  return {};
}

std::string drift_direction(const DataDriftDetected& d) {
  std::string given = detail_text(d.details, "direction");
  if (!given.empty()) return given;
  if (d.change_percent && *d.change_percent > 0) return "up";
  if (d.change_percent && *d.change_percent < 0) return "down";
  if (d.baseline_value && d.current_value) {
    if (*d.current_value > *d.baseline_value) return "up";
    if (*d.current_value < *d.baseline_value) return "down";
  }
  return "changed";
}

std::string finding_key(std::string_view schema, std::string_view table, std::string_view column,
                        std::string_view metric, std::string_view direction) {
  return uuid_v5(fmt::format("finding|{}|{}|{}|{}|{}", schema, table, column, metric, direction));
}

std::string drift_finding_key(std::string_view schema, std::string_view table,
                              std::string_view column, std::string_view metric,
                              std::string_view direction) {
  static constexpr std::string_view kShape[] = {"distribution", "mean", "stddev", "min", "max"};
  if (!column.empty() &&
      std::find(std::begin(kShape), std::end(kShape), metric) != std::end(kShape)) {
    return finding_key(schema, table, column, "shape", "");
  }
  return finding_key(schema, table, column, metric, direction);
}

std::string drift_group_key(std::string_view schema, std::string_view table,
                            std::string_view baseline_run_ids, std::string_view current_run_id) {
  return uuid_v5(
      fmt::format("driftrun|{}|{}|{}|{}", schema, table, baseline_run_ids, current_run_id));
}

std::string drift_event_id(std::string_view schema, std::string_view table, std::string_view column,
                           std::string_view metric, std::string_view direction,
                           std::string_view baseline_run_ids, std::string_view current_run_id) {
  return uuid_v5(fmt::format("drift|{}|{}|{}|{}|{}|{}|{}", schema, table, column, metric, direction,
                             baseline_run_ids, current_run_id));
}

std::string schema_change_event_id(std::string_view schema, std::string_view table,
                                   std::string_view column, std::string_view change_type,
                                   std::string_view baseline_run_id,
                                   std::string_view current_run_id) {
  return uuid_v5(fmt::format("schema|{}|{}|{}|{}|{}|{}", schema, table, column, change_type,
                             baseline_run_id, current_run_id));
}

std::string resolution_event_id(std::string_view finding, std::string_view current_run_id) {
  return uuid_v5(fmt::format("resolved|{}|{}", finding, current_run_id));
}

DeliveryKeys delivery_keys(const Event& event) {
  DeliveryKeys k;
  k.severity = static_cast<int>(event.severity());
  auto group = [&](const Fields& details, const std::string& table) {
    std::string current = detail_text(details, "current_run_id");
    if (current.empty()) return std::string();
    return drift_group_key(detail_text(details, "schema"), table,
                           detail_text(details, "baseline_run_ids"), current);
  };
  if (const auto* d = event.get_if<DataDriftDetected>()) {
    k.finding_key = drift_finding_key(detail_text(d->details, "schema"), d->table, d->column,
                                      d->metric, drift_direction(*d));
    k.group_key = group(d->details, d->table);
  } else if (const auto* r = event.get_if<DataDriftResolved>()) {
    k.finding_key = detail_text(r->details, "finding_key");
    if (k.finding_key.empty()) {
      k.finding_key = drift_finding_key(detail_text(r->details, "schema"), r->table, r->column,
                                        r->metric, detail_text(r->details, "direction"));
    }
    k.group_key = group(r->details, r->table);
  } else if (const auto* s = event.get_if<SchemaChangeDetected>()) {
    k.group_key = group(s->details, s->table);
  }
  return k;
}

}  // namespace baselinr
