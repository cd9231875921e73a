// Inserts one row per event into an events table (SQLite, PostgreSQL, MySQL; Snowflake through
// its dialect). Connects on the first event and creates the table if it is missing; a failed
// connection or insert throws (a retryable failure), and the next event tries again. An event
// whose id the table already holds is not inserted again: a retried or replayed delivery, or a
// table that is the store's own events table, keeps one row per event.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "baselinr/config.hpp"
#include "db/connection.hpp"
#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class SqlEventHook final : public Destination {
 public:
  using Opener = std::function<std::unique_ptr<db::Connection>()>;

  SqlEventHook(ConnectionConfig connection, std::string table);
  SqlEventHook(Opener opener, std::string table);
  ~SqlEventHook() override;
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;

 private:
  Opener opener_;
  std::string table_;
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<db::Statement> insert_;
  void insert(const Event& event);
};

}  // namespace baselinr::hooks
