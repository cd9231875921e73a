#include "cli/drift_delivery.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "baselinr/delivery.hpp"
#include "baselinr/event_bus.hpp"
#include "cli/cli_util.hpp"
#include "events/identity.hpp"

namespace baselinr::cli {
namespace {

// Gives a drift event the identity of the Events contract (details schema, direction,
// baseline_run_ids, current_run_id and the name-based id) when the detector did not.
Event with_identity(const Event& e, const DriftReport& report) {
  const std::string schema = report.current.schema_name;
  const std::string& baseline = report.baseline.run_id;
  const std::string& current = report.current.run_id;
  auto complete = [&](Fields details, const std::string& direction) {
    auto add = [&](const char* name, const std::string& value) {
      if (detail_text(details, name).empty()) details.emplace_back(name, value);
    };
    add("schema", schema);
    if (!direction.empty()) add("direction", direction);
    add("baseline_run_ids", baseline);
    add("current_run_id", current);
    return details;
  };
  if (const auto* d = e.get_if<DataDriftDetected>()) {
    if (!detail_text(d->details, "current_run_id").empty()) return e;
    DataDriftDetected c = *d;
    const std::string direction = drift_direction(c);
    c.details = complete(c.details, direction);
    return Event(c,
                 drift_event_id(schema, c.table, c.column, c.metric, direction, baseline, current),
                 e.timestamp());
  }
  if (const auto* s = e.get_if<SchemaChangeDetected>()) {
    if (!detail_text(s->details, "current_run_id").empty()) return e;
    SchemaChangeDetected c = *s;
    c.details = complete(c.details, "");
    return Event(
        c, schema_change_event_id(schema, c.table, c.column, c.change_type, baseline, current),
        e.timestamp());
  }
  return e;
}

}  // namespace

std::vector<Event> record_drift_events(const Config& config, RunStore& store,
                                       const DriftReport& report,
                                       const std::vector<Event>& events) {
  std::vector<Event> complete;
  complete.reserve(events.size());
  for (const auto& e : events) complete.push_back(with_identity(e, report));
  if (store.has_outbox()) {
    return store.record_drift({report.current.schema_name, report.dataset, report.baseline.run_id,
                               report.current.run_id, report.current.profiled_at},
                              complete);
  }
  fmt::print(stderr,
             "baselinr: warning: storage has no outbox tables (create_tables: false on a store "
             "older than schema version 3): hooks are called directly, without retries\n");
  auto bus = create_event_bus(config.hooks, {.environment = config.environment});
  for (const auto& e : complete) bus->emit(e);
  report_hook_failures(*bus);
  return complete;
}

bool deliver_recorded(const Config& config) {
  const DeliveryReport report = deliver_pending(config, delivery_budget(config));
  report_deliveries(report);
  return report.clean();
}

}  // namespace baselinr::cli
