// PostgreSQL connector, through libpq.
//
// Statements run with PQexecParams and text-format parameters (the server infers their types;
// the dialect adds casts where it cannot). Results are mapped by column type: integer types to
// int64, float types and numeric to double (numeric beyond the double range stays text), bool
// to bool, NULL to monostate, and every other type to its text as PostgreSQL prints it. Each
// session uses extra_float_digits = 3 (floats print exactly) and TimeZone UTC, like the
// results store; a read-only connection also sets default_transaction_read_only.
#pragma once

#include <memory>
#include <string>

#include "db/connection.hpp"

struct pg_conn;  // libpq's PGconn

namespace baselinr::db {

class PostgresSession;  // owns the PGconn; shared with prepared statements

class PostgresConnection final : public Connection {
 public:
  // Connects with host (default localhost), port (default 5432), database, username, password
  // and every extra_params entry as libpq keywords (connect_timeout defaults to 10 seconds).
  // Throws ConnectionError, whose message never contains the password.
  PostgresConnection(const ConnectionConfig& config, ConnectOptions options);
  ~PostgresConnection() override;

  const Dialect& dialect() const override;
  Result query(std::string_view sql, std::span<const Value> params = {}) override;
  // Without parameters, `sql` may hold several statements.
  void execute(std::string_view sql, std::span<const Value> params = {}) override;
  // The statement may outlive the connection; it then fails with ConnectionError.
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  void begin() override;
  // Throws QueryError (SQLSTATE 25P02) when the server rolled the transaction back instead,
  // because a statement in it had failed.
  void commit() override;
  void rollback() override;

  // The libpq connection, for calls this interface does not carry (COPY streams: see
  // profiling/pg_row_source.hpp). Valid while this connection lives; one thread at a time.
  pg_conn* handle() const;

 private:
  std::shared_ptr<PostgresSession> session_;
};

}  // namespace baselinr::db
