// The delivery step of a drift comparison, shared by the commands that compare runs (`drift`,
// and `check` once per table). The drift lane hands its events here: drift no longer emits them
// to hooks itself.
#pragma once

#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/drift.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"

namespace baselinr::cli {

// Records the events of one comparison (`drift_events(report)`: DataDriftDetected,
// SchemaChangeDetected) in the store's outbox, in one transaction with a DataDriftResolved for
// each open finding of the table that this comparison no longer finds. An event without the
// Events contract's details (schema, direction, baseline_run_ids, current_run_id) and name-based
// id is given them from the report first, so the same finding on the same runs is always the
// same event and is recorded once. Nothing is sent here: call deliver_recorded() once when the
// command's comparisons are done (a Dispatcher started before them delivers meanwhile).
// On a store without outbox tables (create_tables: false on a store older than the outbox) the
// events go straight to the hooks, without retries, and a warning says so.
// Returns the events recorded (resolutions included). Throws StorageError.
std::vector<Event> record_drift_events(const Config& config, RunStore& store,
                                       const DriftReport& report, const std::vector<Event>& events);

// The end-of-command delivery step: sends what is pending within hooks.delivery.budget_seconds
// and prints one line per hook that did not deliver everything. Returns false when an attempt
// failed (the caller may exit 4).
bool deliver_recorded(const Config& config);

}  // namespace baselinr::cli
