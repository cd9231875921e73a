// SQLite connector: in process, through libsqlite3.
#pragma once

#include <memory>
#include <string>

#include "db/connection.hpp"

struct sqlite3;

namespace baselinr::db {

class SqliteConnection final : public Connection {
 public:
  // Opens `path` (":memory:" allowed). read_only opens without write access; without
  // create_if_missing a missing file is a ConnectionError rather than a new empty database.
  // `busy_timeout_ms`: how long a statement waits for another connection's lock before failing
  // with "locked" (extra_params.timeout, in seconds as in Python's sqlite3; default 30 s).
  SqliteConnection(const std::string& path, ConnectOptions options, int busy_timeout_ms = 30000);
  // From a connection's configuration: its filepath and extra_params.timeout.
  SqliteConnection(const ConnectionConfig& config, ConnectOptions options);
  ~SqliteConnection() override;

  const Dialect& dialect() const override;
  Result query(std::string_view sql, std::span<const Value> params = {}) override;
  void execute(std::string_view sql, std::span<const Value> params = {}) override;
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  std::unique_ptr<RowCursor> cursor(std::string_view sql,
                                    std::span<const Value> params = {}) override;
  // SQLITE_LIMIT_COLUMN: the most columns of a result set (2000 unless built otherwise).
  std::size_t select_item_limit() override;
  void begin() override;
  void commit() override;
  void rollback() override;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

}  // namespace baselinr::db
