// Connection: the one interface every database driver implements.
//
// A Connection moves data: it runs SQL with bound parameters and maps results to Values. It
// never invents SQL of its own beyond what its Dialect provides. One connection is used by
// one thread at a time. Errors are ConnectionError / QueryError carrying the driver's SQLSTATE
// or native code; messages never contain the password.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"
#include "db/value.hpp"

namespace baselinr::db {

class Dialect;

// A statement prepared once and executed many times (batched writes).
class Statement {
 public:
  Statement() = default;
  virtual ~Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  virtual void execute(std::span<const Value> params) = 0;
};

// One cell of the current row of a RowCursor, without copying: text and blob views are valid
// until the cursor moves.
struct CellView {
  enum class Kind { kNull, kInt, kReal, kText, kBlob } kind = Kind::kNull;
  std::int64_t i = 0;
  double d = 0;
  std::string_view bytes;  // text (UTF-8) or blob
};

// Streams the rows of a query one at a time: memory does not grow with the row count.
class RowCursor {
 public:
  RowCursor() = default;
  virtual ~RowCursor() = default;
  RowCursor(const RowCursor&) = delete;
  RowCursor& operator=(const RowCursor&) = delete;
  // Advances to the next row; false at the end. Throws QueryError.
  virtual bool next() = 0;
  virtual int column_count() const = 0;
  virtual CellView cell(int column) const = 0;
};

class Connection {
 public:
  Connection() = default;
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual const Dialect& dialect() const = 0;
  // Runs a statement that returns rows.
  virtual Result query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs a statement that returns no rows.
  virtual void execute(std::string_view sql, std::span<const Value> params = {}) = 0;
  virtual std::unique_ptr<Statement> prepare(std::string_view sql) = 0;
  // Runs a query and streams its rows. The default materialises query()'s result; in-process
  // engines override it to read rows as the engine produces them.
  virtual std::unique_ptr<RowCursor> cursor(std::string_view sql,
                                            std::span<const Value> params = {});
  // The table's columns in ordinal order; empty when the table does not exist. The default runs
  // the dialect's introspection query; drivers with a catalog API (ODBC) override it.
  virtual std::vector<ColumnInfo> columns(const TableRef& table);
  // How many scans of the table the engine would run at once inside one statement (see
  // Dialect::concurrent_scans_query): at least 1, and 1 where the engine cannot tell or the
  // question fails (an old server, a catalog it hides); never throws QueryError.
  virtual int concurrent_scans(const TableRef& table);
  // The most select-list entries one statement may have here (0: no limit): the dialect's
  // select_item_limit() by default; SQLite asks the library (SQLITE_LIMIT_COLUMN).
  virtual std::size_t select_item_limit();
  // Whether the dialect's native sampling (TABLESAMPLE) applies to `table`: false where the
  // dialect has none, or says this relation cannot be sampled so (a view); true when it cannot
  // tell. Throws QueryError when the question fails.
  virtual bool samples_natively(const TableRef& table);

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // The connection that talks to the engine: this one, or the one a wrapper forwards to (the
  // native executor streams rows through driver calls that the interface does not carry).
  virtual Connection& underlying() { return *this; }
};

// Forwards everything to another connection. Tests derive from it to count queries or to
// inject faults without touching the real drivers.
class ConnectionWrapper : public Connection {
 public:
  explicit ConnectionWrapper(std::unique_ptr<Connection> inner) : inner_(std::move(inner)) {}
  const Dialect& dialect() const override { return inner_->dialect(); }
  Result query(std::string_view sql, std::span<const Value> params = {}) override {
    return inner_->query(sql, params);
  }
  void execute(std::string_view sql, std::span<const Value> params = {}) override {
    inner_->execute(sql, params);
  }
  std::unique_ptr<Statement> prepare(std::string_view sql) override { return inner_->prepare(sql); }
  std::unique_ptr<RowCursor> cursor(std::string_view sql,
                                    std::span<const Value> params = {}) override {
    return inner_->cursor(sql, params);
  }
  std::vector<ColumnInfo> columns(const TableRef& table) override { return inner_->columns(table); }
  int concurrent_scans(const TableRef& table) override { return inner_->concurrent_scans(table); }
  bool samples_natively(const TableRef& table) override { return inner_->samples_natively(table); }
  std::size_t select_item_limit() override { return inner_->select_item_limit(); }
  void begin() override { inner_->begin(); }
  void commit() override { inner_->commit(); }
  void rollback() override { inner_->rollback(); }
  Connection& underlying() override { return inner_->underlying(); }

 protected:
  Connection& inner() { return *inner_; }

 private:
  std::unique_ptr<Connection> inner_;
};

// RAII transaction: rolls back on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// RAII read-only snapshot: runs the dialect's snapshot_begin() statements, and on destruction
// ends the transaction with ROLLBACK (nothing was written), ignoring a failure there (the
// connection may be gone; the server then discards the transaction). A no-op where the dialect
// gives no snapshot.
class Snapshot {
 public:
  explicit Snapshot(Connection& connection);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  bool active() const { return active_; }
  // Ends the snapshot early (idempotent).
  void end() noexcept;

 private:
  Connection& connection_;
  bool active_ = false;
};

struct ConnectOptions {
  // Sources are opened read-only where the engine allows it; storage may create its file.
  bool read_only = false;
  bool create_if_missing = false;
};

// True when this build can open connections of `type`.
bool supports(DatabaseType type);

// Opens a connection of config.type. Throws ConnectionError (never showing the password) or
// NotSupportedError for a type this build cannot open.
std::unique_ptr<Connection> connect(const ConnectionConfig& config, ConnectOptions options = {});

}  // namespace baselinr::db
