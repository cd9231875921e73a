#include "db/connection.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "baselinr/error.hpp"
#include "common/log.hpp"
#include "db/dialect/dialect.hpp"
#include "db/mysql/mysql_connection.hpp"
#include "db/odbc/odbc_connection.hpp"
#include "db/postgres/postgres_connection.hpp"
#include "db/sqlite/sqlite_connection.hpp"

namespace baselinr::db {

namespace {

// A cursor over a materialised result, for engines without a streaming one.
class ResultCursor final : public RowCursor {
 public:
  explicit ResultCursor(Result result) : result_(std::move(result)) {}
  bool next() override { return ++row_ < static_cast<std::ptrdiff_t>(result_.rows.size()); }
  int column_count() const override { return static_cast<int>(result_.columns.size()); }
  CellView cell(int column) const override {
    const Value& v = result_.rows[static_cast<std::size_t>(row_)][static_cast<std::size_t>(column)];
    CellView c;
    if (auto* i = std::get_if<std::int64_t>(&v)) {
      c.kind = CellView::Kind::kInt;
      c.i = *i;
    } else if (auto* d = std::get_if<double>(&v)) {
      c.kind = CellView::Kind::kReal;
      c.d = *d;
    } else if (auto* b = std::get_if<bool>(&v)) {
      c.kind = CellView::Kind::kInt;
      c.i = *b ? 1 : 0;
    } else if (auto* s = std::get_if<std::string>(&v)) {
      c.kind = CellView::Kind::kText;
      c.bytes = *s;
    }
    return c;
  }

 private:
  Result result_;
  std::ptrdiff_t row_ = -1;
};

}  // namespace

std::unique_ptr<RowCursor> Connection::cursor(std::string_view sql, std::span<const Value> params) {
  return std::make_unique<ResultCursor>(query(sql, params));
}

int Connection::concurrent_scans(const TableRef& table) {
  ParamList params(dialect());
  const std::string sql = dialect().concurrent_scans_query(table, params);
  if (sql.empty()) return 1;
  try {
    BoundSql bound = params.bind(sql);
    Result r = query(bound.sql, bound.params);
    if (r.rows.size() != 1 || r.rows[0].empty()) return 1;
    return static_cast<int>(std::clamp<std::int64_t>(as_int(r.rows[0][0]).value_or(1), 1, 64));
  } catch (const QueryError& e) {
    // Only a faster plan is lost: profiling reads the table in one scan.
    log().debug("{}: cannot tell how many scans of {} run at once ({}); using one",
                dialect().name(), table.display(), e.what());
    return 1;
  }
}

std::size_t Connection::select_item_limit() { return dialect().select_item_limit(); }

bool Connection::samples_natively(const TableRef& table) {
  if (!dialect().native_sampling()) return false;
  ParamList params(dialect());
  const std::string sql = dialect().native_sampling_query(table, params);
  if (sql.empty()) return true;
  BoundSql bound = params.bind(sql);
  Result r = query(bound.sql, bound.params);
  // No row: the relation is gone; the profiling query will say so.
  return r.rows.empty() || r.rows[0].empty() || as_int(r.rows[0][0]).value_or(1) != 0;
}

std::vector<ColumnInfo> Connection::columns(const TableRef& table) {
  ParamList params(dialect());
  BoundSql bound = params.bind(dialect().columns_query(table, params));
  Result r = query(bound.sql, bound.params);
  std::vector<ColumnInfo> out;
  for (auto& row : r.rows) {
    ColumnInfo c{as_text(row[0]).value_or(""), as_text(row[1]).value_or("")};
    // Optional columns: the type's own equality, uniqueness, a domain's base type (ColumnInfo).
    if (row.size() > 2) c.type_equality = as_int(row[2]).value_or(0) != 0;
    if (row.size() > 3) c.unique = as_int(row[3]).value_or(0) != 0;
    if (row.size() > 4) c.base_type = as_text(row[4]).value_or("");
    out.push_back(std::move(c));
  }
  return out;
}

Transaction::Transaction(Connection& connection) : connection_(connection) { connection_.begin(); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.rollback();
  } catch (...) {
    // The connection is already failing; the database discards the transaction on close.
  }
}

void Transaction::commit() {
  connection_.commit();
  open_ = false;
}

Snapshot::Snapshot(Connection& connection) : connection_(connection) {
  const std::vector<std::string> statements = connection_.dialect().snapshot_begin();
  if (statements.empty()) return;
  active_ = true;
  try {
    for (const std::string& sql : statements) connection_.execute(sql);
  } catch (...) {
    end();
    throw;
  }
}

Snapshot::~Snapshot() { end(); }

void Snapshot::end() noexcept {
  if (!active_) return;
  active_ = false;
  try {
    connection_.execute("ROLLBACK");
  } catch (...) {
    // The connection is failing; the server discards the transaction when it closes.
  }
}

bool supports(DatabaseType type) {
  switch (type) {
    case DatabaseType::kSqlite:
    case DatabaseType::kPostgres:
    case DatabaseType::kMysql:
    case DatabaseType::kSnowflake:  // through ODBC with Snowflake's driver
    case DatabaseType::kOdbc:
      return true;
  }
  return false;
}

std::unique_ptr<Connection> connect(const ConnectionConfig& config, ConnectOptions options) {
  switch (config.type) {
    case DatabaseType::kSqlite:
      return std::make_unique<SqliteConnection>(config, options);
    case DatabaseType::kPostgres:
      return std::make_unique<PostgresConnection>(config, options);
    case DatabaseType::kMysql:
      return std::make_unique<MysqlConnection>(config, options);
    case DatabaseType::kSnowflake:
    case DatabaseType::kOdbc:
      return std::make_unique<OdbcConnection>(config, options);
  }
  throw NotSupportedError(
      config.location, "",
      fmt::format("connection type '{}' is not supported yet by this build; use type: sqlite",
                  to_string(config.type)));
}

}  // namespace baselinr::db
