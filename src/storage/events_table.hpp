// The events table: one row per event, shared by the SQL hook (writes) and RunStore (reads).
#pragma once

#include <string>
#include <vector>

#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"
#include "db/connection.hpp"

namespace baselinr::storage {

// The table named by the synthetic event of `baselinr hooks test`: such events are never listed
// among real ones.
inline constexpr std::string_view kTestTable = "baselinr_hooks_test";

// Values for Dialect::insert_event_sql(), in events_insert_columns() order.
std::vector<db::Value> event_row(const Event& event);

// CREATE TABLE IF NOT EXISTS for the events table and its indexes.
void create_events_table(db::Connection& connection, const std::string& table);

// Reads events newest first.
std::vector<EventRecord> read_events(db::Connection& connection, const std::string& table,
                                     const EventQuery& query);

}  // namespace baselinr::storage
