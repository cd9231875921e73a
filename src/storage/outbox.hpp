// The outbox: every event baselinr reports is stored here before any hook sees it, with one
// delivery record per (event, hook) that the dispatcher claims, attempts and settles.
//
// Tables (db::DeliveryTables, next to the runs table): the outbox (event JSON and the keys it is
// grouped and de-duplicated by), the deliveries (status, attempts, next attempt, claim, last
// error) and the findings (open while drift keeps finding them; resolved when it no longer
// does). Statuses: pending, delivered, failed (for good), filtered (the hook's filters refuse
// the event), suppressed (the same finding was sent to the hook recently at the same severity).
//
// Claims: a process claims due records of one hook by setting lease_owner and lease_until in a
// short transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL and MariaDB: SELECT ... FOR UPDATE SKIP
// LOCKED), and settles them with statements conditioned on its lease, so two processes never
// send one record, and a record whose claimant died is claimed again once the lease expires (at
// once when the claimant was a process of this host that no longer exists).
//
// Thread-safety: an Outbox uses its connection from one thread at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "events/identity.hpp"

namespace baselinr::storage {

// The delivery tables of a store, named after its events table: baselinr_events gives
// baselinr_outbox, baselinr_deliveries and baselinr_findings (same qualifier); a name that does
// not end in "events" gets _outbox, _deliveries and _findings appended.
db::DeliveryTables delivery_tables(const std::string& events_table);

// Where a newly recorded event goes: one route per enabled hook.
struct Route {
  std::string hook;
  std::function<bool(const Event&)> accepts;  // false: recorded as filtered
};

// A delivery record as the dispatcher sees it after claiming it.
struct ClaimedDelivery {
  std::string event_id;
  std::string payload;  // the event JSON
  int attempts = 0;
  std::string created_at;  // storage time text
  std::string event_type;
  std::string finding_key;
  std::string group_key;
  int severity = 0;
  bool forced = false;  // replayed on purpose: no suppression
};

// Which events to send again (hooks replay).
struct ReplaySelector {
  std::string event_id;    // one event, or
  std::string since;       // events recorded at or after this storage time
  std::string event_type;  // optional
};

class Outbox {
 public:
  Outbox(db::Connection& connection, db::DeliveryTables tables, std::string events_table);

  // True when the delivery tables exist (a store opened with create_tables: false may lack
  // them).
  bool available();

  // Inside the caller's transaction: stores `event` (outbox and events table) unless its id is
  // stored already, and a delivery record for every route that has none yet (pending, or
  // filtered). Returns true when the event was new.
  bool add(const Event& event, const std::vector<Route>& routes, const std::string& now);

  // ---- drift findings (inside the caller's transaction)
  struct OpenFinding {
    std::string finding_key;
    std::string schema, table, column, metric, direction;
    int severity = 0;
    std::string opened_at;
    std::string last_event_id;
    std::string last_run_id;
  };
  // Marks the finding of a DataDriftDetected event open (a new episode when it was not open),
  // seen in run `run_id` profiled at `run_at`.
  void touch_finding(const Event& event, const std::string& run_id, const std::string& run_at,
                     const std::string& now);
  // Open findings of the table not seen in `run_id` and last seen in a run profiled no later
  // than `run_at` (an older comparison never resolves what a newer one found).
  std::vector<OpenFinding> stale_findings(const std::string& schema, const std::string& table,
                                          const std::string& run_id, const std::string& run_at);
  // How many findings of the table are open.
  std::int64_t open_findings(const std::string& schema, const std::string& table);
  // Marks the finding resolved by `resolution_event_id`, cleared by run `run_id`.
  void resolve_finding(const std::string& finding_key, const std::string& resolution_event_id,
                       const std::string& run_id, const std::string& run_at,
                       const std::string& now);
  // When the finding's current episode began (nullopt: unknown finding).
  std::optional<std::string> finding_opened_at(const std::string& finding_key);

  // ---- claiming and settling (each in its own short transaction)
  // Claims up to `limit` due records of `hook` (with the rest of their drift run's records when
  // `whole_groups`) for `owner` until `lease_until`.
  std::vector<ClaimedDelivery> claim(const std::string& hook, const std::string& owner,
                                     const std::string& now, const std::string& lease_until,
                                     int limit, bool whole_groups);
  // Releases leases of this host's processes that no longer exist.
  void reclaim_dead_leases(const std::string& hook, const std::string& now);
  void release(const std::string& hook, const std::string& owner,
               const std::vector<std::string>& event_ids);
  void settle(const std::string& hook, const std::string& owner,
              const std::vector<std::string>& event_ids, std::string_view status, int attempts,
              const std::string& next_attempt_at, const std::string& error, const std::string& now);
  // Leaves records pending, unclaimed, for a later attempt (not counted as an attempt).
  void postpone(const std::string& hook, const std::string& owner,
                const std::vector<std::string>& event_ids, const std::string& next_attempt_at);
  // The earliest next attempt of the hook's unclaimed pending records.
  std::optional<std::string> next_due(const std::string& hook, const std::string& now);
  // How many of the hook's records are pending, and the earliest next attempt among them.
  std::pair<std::uint64_t, std::string> pending_summary(const std::string& hook);

  // ---- suppression and resolution
  // The highest severity of the hook's delivered DataDriftDetected records of the finding created
  // at or after `since`, delivered at or after `delivered_since`, other than `event_id`.
  std::optional<int> delivered_severity(const std::string& hook, const std::string& finding_key,
                                        const std::string& since,
                                        const std::string& delivered_since,
                                        const std::string& event_id);
  // The earliest next attempt of the hook's pending DataDriftDetected records of the finding
  // created before `created_before` (a resolution waits for them).
  std::optional<std::string> pending_trigger(const std::string& hook,
                                             const std::string& finding_key,
                                             const std::string& created_before);

  // ---- reading and replay
  std::vector<DeliveryRecord> deliveries(const std::vector<std::string>& event_ids);
  std::vector<DeliveryRecord> deliveries_of_hook(const std::string& hook,
                                                 const std::string& status);
  // Puts the chosen (event, hook) records back to pending, due now and forced, creating records
  // for routes that have none. Returns how many records were queued, per hook.
  std::vector<std::pair<std::string, int>> replay(const ReplaySelector& selector,
                                                  const std::vector<Route>& routes,
                                                  const std::string& now);
  // Stored event JSON by id.
  std::optional<std::string> payload(const std::string& event_id);

 private:
  std::string id(std::string_view c) const;
  std::string t(const std::string& name) const;
  db::Result run(const std::string& sql, db::ParamList& params);
  void exec(const std::string& sql, db::ParamList& params);
  std::vector<std::string> select_claimable(const std::string& sql, db::ParamList& params);

  db::Connection& connection_;
  db::DeliveryTables tables_;
  std::string events_table_;
  bool skip_locked_ok_ = true;  // false once the server refused the clause (old MariaDB)
};

// This process's lease owner token: "<host>/<pid>/<random>".
std::string new_lease_owner();

}  // namespace baselinr::storage
