#include "events/hooks/sql_hook.hpp"

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
    : opener_(std::move(opener)), table_(std::move(table)) {}

SqlEventHook::~SqlEventHook() {
  insert_.reset();  // statements go before their connection
}

void SqlEventHook::handle_event(const Event& event) {
  if (!insert_) {
    auto connection = opener_();
    storage::create_events_table(*connection, table_);
    insert_ = connection->prepare(connection->dialect().insert_event_sql(table_));
    connection_ = std::move(connection);
  }
  std::vector<db::Value> row = storage::event_row(event);
  try {
    insert_->execute(row);
  } catch (...) {
    // Start afresh next time: the connection may be broken.
    insert_.reset();
    connection_.reset();
    throw;
  }
}

}  // namespace baselinr::hooks
