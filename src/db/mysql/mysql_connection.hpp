// MySQL / MariaDB connector, through MariaDB Connector/C (libmariadb).
//
// Connecting: host (default "localhost"), port (default 3306), username, password, database;
// charset utf8mb4; session time zone UTC ('+00:00'), so TIMESTAMP columns and
// CURRENT_TIMESTAMP agree with baselinr's UTC storage times. libmariadb takes "localhost" to
// mean the Unix socket and would ignore the port, so when a port is configured with host
// "localhost" (or no host) the connection uses TCP; without a port, "localhost" uses the
// default socket. A source opened read_only runs its session READ ONLY.
//
// extra_params (anything else is a ConfigError naming the key):
//   connect_timeout, read_timeout, write_timeout  whole seconds (connect_timeout default 10)
//   unix_socket                                   socket path; implies a socket connection
//   ssl_mode   disabled | required | verify_ca | verify_identity
//              (required: TLS without certificate checks, and no connection if the server
//              does not offer TLS; verify_ca / verify_identity: TLS with the server
//              certificate verified, which with this connector includes the host name)
//   ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher, ssl_crl, ssl_crlpath
//              TLS files; without ssl_mode they make TLS preferred (used when offered)
//
// Every statement that returns rows runs as a server-side prepared statement (binary
// protocol), with or without parameters, so values arrive typed. Parameters bind as: NULL ->
// MYSQL_TYPE_NULL, int64 -> LONGLONG, double -> DOUBLE, string -> STRING (with its length, so
// binary safe), bool -> TINY. Results map by field type: integer types and YEAR -> int64
// (a BIGINT UNSIGNED above INT64_MAX -> its decimal text, exact); DOUBLE -> double; FLOAT ->
// double through the float's shortest decimal form (0.1f reads as 0.1, as the server shows it);
// DECIMAL -> double (text if it would not be finite); DATE "YYYY-MM-DD", DATETIME / TIMESTAMP
// "YYYY-MM-DD HH:MM:SS[.ffffff]" and TIME "[-]HH:MM:SS[.ffffff]" with the column's fractional
// digits; BIT -> the bit value as decimal text; everything else (strings, TEXT, JSON, ENUM,
// SET, BLOB...) -> its bytes as a string, of any length.
//
// Errors: ConnectionError when connecting fails or the connection is lost, QueryError when a
// statement fails; both carry mysql_sqlstate() and mysql_errno(), and their one-line message
// starts with "mysql: " and never contains the password.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "db/connection.hpp"

struct st_mysql;

namespace baselinr::db {

class MysqlConnection final : public Connection {
 public:
  // Connects; throws ConnectionError (or ConfigError for bad extra_params).
  MysqlConnection(const ConnectionConfig& config, ConnectOptions options);
  ~MysqlConnection() override;

  const Dialect& dialect() const override;
  Result query(std::string_view sql, std::span<const Value> params = {}) override;
  void execute(std::string_view sql, std::span<const Value> params = {}) override;
  // The statement stays usable until it or this connection is destroyed.
  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  // Runs a statement that returns rows (a server-side prepared statement, binary protocol) and
  // streams them unbuffered: each next() reads one row from the network, so memory does not
  // grow with the rows, and the connection runs nothing else until the cursor is destroyed
  // (which reads and drops the rows not read yet). Cells follow the mapping above, as views
  // valid until the next row: integers kInt (a BIGINT UNSIGNED above INT64_MAX: its decimal
  // digits as kText), DOUBLE kReal, FLOAT kReal (its shortest decimal form, as above), DECIMAL
  // and BIT their text as above (kText), temporal types their text as above (kText), strings
  // their bytes (kText, or kBlob in the binary character set). Throws QueryError.
  std::unique_ptr<RowCursor> stream(std::string_view sql, std::span<const Value> params = {});
  void begin() override;
  void commit() override;
  void rollback() override;
  // The server's id of this connection (CONNECTION_ID(), what KILL QUERY names), without a
  // round-trip: usable while a stream is being read.
  std::uint64_t server_thread_id() const;

 private:
  struct Closer {
    void operator()(st_mysql* db) const;
  };
  std::unique_ptr<st_mysql, Closer> db_;
};

}  // namespace baselinr::db
