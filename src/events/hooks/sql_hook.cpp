#include "events/hooks/sql_hook.hpp"

#include <fmt/format.h>

#include "db/dialect/dialect.hpp"
#include "storage/events_table.hpp"

namespace baselinr::hooks {

SqlEventHook::SqlEventHook(ConnectionConfig connection, std::string table)
    : SqlEventHook(
          [connection = std::move(connection)] {
            return db::connect(connection, {.read_only = false, .create_if_missing = true});
          },
          std::move(table)) {}

SqlEventHook::SqlEventHook(Opener opener, std::string table)
    : Destination(10), opener_(std::move(opener)), table_(std::move(table)) {}

SqlEventHook::~SqlEventHook() {
  insert_.reset();  // statements go before their connection
}

void SqlEventHook::deliver(const std::vector<Event>& events, const Deadline& /*deadline*/) {
  for (const auto& e : events) insert(e);
}

void SqlEventHook::insert(const Event& event) {
  try {
    if (!insert_) {
      auto connection = opener_();
      storage::create_events_table(*connection, table_);
      insert_ = connection->prepare(connection->dialect().insert_event_sql(table_));
      connection_ = std::move(connection);
    }
    const db::Dialect& d = connection_->dialect();
    db::ParamList params(d);
    db::BoundSql exists = params.bind(fmt::format(
        "SELECT {} FROM {} WHERE {} = {}", d.storage_identifier("event_id"),
        d.qualified_name(table_), d.storage_identifier("event_id"), params.add(event.event_id())));
    if (!connection_->query(exists.sql, exists.params).rows.empty()) return;
    std::vector<db::Value> row = storage::event_row(event);
    insert_->execute(row);
  } catch (...) {
    // Start afresh next time: the connection may be broken.
    insert_.reset();
    connection_.reset();
    throw;
  }
}

}  // namespace baselinr::hooks
