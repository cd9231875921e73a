// Inserts one row per event into an events table (SQLite, PostgreSQL, MySQL; Snowflake through
// its dialect). Connects on the first event and creates the table if it is missing; a failed
// connection or insert throws, which the bus counts, and the next event tries again.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "baselinr/config.hpp"
#include "baselinr/hook.hpp"
#include "db/connection.hpp"

namespace baselinr::hooks {

class SqlEventHook final : public Hook {
 public:
  using Opener = std::function<std::unique_ptr<db::Connection>()>;

  SqlEventHook(ConnectionConfig connection, std::string table);
  SqlEventHook(Opener opener, std::string table);
  ~SqlEventHook() override;
  void handle_event(const Event& event) override;

 private:
  Opener opener_;
  std::string table_;
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<db::Statement> insert_;
};

}  // namespace baselinr::hooks
