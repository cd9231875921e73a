// Identity of findings: what makes two drift events "the same finding", which drift run a finding
// belongs to, and the name-based event ids of the Events contract (docs/EVENTS_AND_HOOKS.md).
//
// A finding's identity is (schema, table, column, metric or test, direction). The same finding on
// the same pair of runs is the same event: its id is
//   uuid_v5("drift|<schema>|<table>|<column>|<metric>|<direction>|<baseline_run_ids>|<current_run_id>")
// and a schema change's is
//   uuid_v5("schema|<schema>|<table>|<column>|<change_type>|<baseline_run_id>|<current_run_id>").
#pragma once

#include <string>
#include <string_view>

#include "baselinr/events.hpp"

namespace baselinr {

// The text of detail `name` (numbers as text), "" when absent or null.
std::string detail_text(const Fields& details, std::string_view name);

// "up", "down" or "changed": the finding's `direction` detail, else from the sign of the change.
std::string drift_direction(const DataDriftDetected& drift);

// The key of a finding's identity (a UUID text), the same across runs.
std::string finding_key(std::string_view schema, std::string_view table, std::string_view column,
                        std::string_view metric, std::string_view direction);
// The identity of the finding a drift event reports. A column's shape changes (distribution,
// mean, stddev, min, max) are one finding in drift's report whichever of them carries it on a
// run, so they share one identity (metric "shape", no direction): an alert that grows from a
// mean shift into a distribution change is updated, not resolved and raised again. Other
// metrics: (schema, table, column, metric, direction).
std::string drift_finding_key(std::string_view schema, std::string_view table,
                              std::string_view column, std::string_view metric,
                              std::string_view direction);

// The key of one drift run of one table: its findings go out together to chat destinations.
std::string drift_group_key(std::string_view schema, std::string_view table,
                            std::string_view baseline_run_ids, std::string_view current_run_id);

// Event ids of the contract above.
std::string drift_event_id(std::string_view schema, std::string_view table, std::string_view column,
                           std::string_view metric, std::string_view direction,
                           std::string_view baseline_run_ids, std::string_view current_run_id);
std::string schema_change_event_id(std::string_view schema, std::string_view table,
                                   std::string_view column, std::string_view change_type,
                                   std::string_view baseline_run_id,
                                   std::string_view current_run_id);
// The resolution of `finding` by the drift run whose current run is `current_run_id`.
std::string resolution_event_id(std::string_view finding, std::string_view current_run_id);

// What the outbox groups, de-duplicates and orders by; empty keys for events that are not
// findings.
struct DeliveryKeys {
  std::string finding_key;  // DataDriftDetected, DataDriftResolved
  std::string group_key;    // findings, schema changes and resolutions of one drift run
  int severity = 0;         // Severity as 0 (none) to 3 (high)
};
DeliveryKeys delivery_keys(const Event& event);

}  // namespace baselinr
