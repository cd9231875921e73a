#include "profiling/odbc_row_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "db/odbc/odbc_connection.hpp"
#include "profiling/mysql_row_source.hpp"
#include "profiling/pg_row_source.hpp"  // NativeFallback

namespace baselinr::profiling {
namespace {

using Wire = OdbcRowSource::Wire;

db::OdbcConnection* odbc(db::Connection& c) {
  return dynamic_cast<db::OdbcConnection*>(&c.underlying());
}

// PostgreSQL: how a column of this (base) type is read, or nullopt for the SQL path.
std::optional<Wire> postgres_wire(const ColumnSpec& c) {
  const std::string t = db::normalize_type_name(c.sql_type());
  for (const char* n : {"smallint", "integer", "bigint", "int2", "int4", "int8", "int"}) {
    if (t == n) return Wire::kInteger;
  }
  if (t == "double precision" || t == "float8") return Wire::kDouble;
  if (t == "boolean" || t == "bool") return Wire::kBoolean;
  for (const char* n : {"text", "character varying", "varchar", "name", "uuid"}) {
    if (t == n) return Wire::kText;
  }
  for (const char* n : {"date", "timestamp without time zone", "timestamp with time zone",
                        "timestamp", "timestamptz", "time without time zone", "time"}) {
    if (t == n) return Wire::kTemporalText;
  }
  return std::nullopt;
}

// MySQL/MariaDB: the types the Connector/C row source reads, read the same way.
std::optional<Wire> mysql_wire(const ColumnSpec& c) {
  const auto w = MysqlRowSource::wire(c);
  if (!w) return std::nullopt;
  switch (*w) {
    case MysqlRowSource::Wire::kInteger: {
      // BIGINT UNSIGNED exceeds int64 above 2^63 - 1; the smaller unsigned types do not.
      const std::string raw = compact_lower(c.sql_type());
      return raw.starts_with("bigint") && raw.find("unsigned") != std::string::npos
                 ? Wire::kUnsigned
                 : Wire::kInteger;
    }
    case MysqlRowSource::Wire::kDouble:
      return Wire::kDouble;
    case MysqlRowSource::Wire::kBytes:
      return Wire::kText;
    case MysqlRowSource::Wire::kTemporalText:
      return Wire::kTemporalText;
  }
  return std::nullopt;
}

std::optional<Wire> wire_of(bool postgres, const ColumnSpec& c) {
  return postgres ? postgres_wire(c) : mysql_wire(c);
}

// The engines the row source reads, by the dialect the connection picked from SQL_DBMS_NAME.
bool postgres_source(db::Connection& c) { return c.dialect().name() == "postgres"; }
bool mysql_source(db::Connection& c) { return c.dialect().name() == "mysql"; }

// Whether PostgreSQL's ISO text of a date, time or timestamp sorts as its value: always for
// times; for dates and timestamps when the year has four digits and is not BC (nor infinity).
bool postgres_sortable(std::string_view t) {
  if (t.size() >= 3 && t[2] == ':') return true;
  if (t.size() < 10 || t[4] != '-' || t.ends_with(" BC")) return false;
  return std::all_of(t.begin(), t.begin() + 4,
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
}

// Whether MySQL's text of a DATE, DATETIME, TIMESTAMP or TIME sorts as its value: a date, or a
// time of day with two-digit hours.
bool mysql_sortable(std::string_view t) {
  return (t.size() >= 5 && t[4] == '-') || (t.size() >= 3 && t[2] == ':' && t[0] != '-');
}

db::OdbcFetch fetch_of(Wire w) {
  switch (w) {
    case Wire::kInteger:
    case Wire::kBoolean:
      return db::OdbcFetch::kInteger;
    case Wire::kUnsigned:
      return db::OdbcFetch::kUnsigned;
    case Wire::kDouble:
      return db::OdbcFetch::kDouble;
    case Wire::kText:
    case Wire::kTemporalText:
      return db::OdbcFetch::kText;
  }
  return db::OdbcFetch::kText;
}

}  // namespace

// Reads the rows of one open() in statements of at most kChunkRows rows (see the header).
class OdbcChunkCursor final : public db::RowCursor {
 public:
  OdbcChunkCursor(OdbcRowSource& source, std::vector<std::size_t> columns, std::string select,
                  std::vector<db::Value> params, bool has_where)
      : has_where_(has_where),
        source_(source),
        connection_(*odbc(*source.connection_)),
        columns_(std::move(columns)),
        select_(std::move(select)),
        params_(std::move(params)) {
    for (std::size_t i : columns_) fetch_.push_back(fetch_of(source_.wire_[i]));
    if (!source_.postgres_ && !source_.key_.empty()) fetch_.push_back(db::OdbcFetch::kInteger);
  }
  ~OdbcChunkCursor() override {
    chunk_.reset();
    if (!cursor_.empty() && !closed_) {
      try {
        connection_.execute("CLOSE " + cursor_);
      } catch (const std::exception&) {
        // The transaction failed (the error is being reported) or the connection is gone: the
        // cursor ends with the transaction.
      }
    }
  }

  bool next() override {
    try {
      while (true) {
        if (!chunk_) {
          if (finished_) return false;
          open_chunk();
        }
        if (chunk_->next()) {
          ++in_chunk_;
          check_row();
          return true;
        }
        source_.mode_ = chunk_->mode();
        const bool full = in_chunk_ >= OdbcRowSource::kChunkRows;
        chunk_.reset();
        if (!full || (!source_.postgres_ && source_.key_.empty())) {
          finish();
          return false;
        }
      }
    } catch (const NativeFallback&) {
      throw;
    } catch (const QueryError& e) {
      // A value longer than its type declared: pushed down rather than truncated.
      if (e.sqlstate() == "01004") throw NativeFallback(e.what());
      throw;
    }
  }
  int column_count() const override { return static_cast<int>(columns_.size()); }
  db::CellView cell(int column) const override { return chunk_->cell(column); }

 private:
  void open_chunk() {
    const db::Dialect& d = connection_.dialect();
    const std::string rows = std::to_string(OdbcRowSource::kChunkRows);
    if (source_.postgres_) {
      if (cursor_.empty()) {
        // A name of ours, not user input.
        cursor_ = d.quote_identifier(fmt::format("baselinr_odbc_{}", ++source_.cursors_));
        connection_.execute("DECLARE " + cursor_ + " NO SCROLL CURSOR FOR " + select_, params_);
      }
      start("FETCH FORWARD " + rows + " FROM " + cursor_, {});
      return;
    }
    if (source_.key_.empty()) {
      start(select_, params_);
      return;
    }
    // Keyset chunks in key order: each statement starts after the last key read (the MySQL
    // dialect's markers are "?").
    std::vector<db::Value> values = params_;
    const std::string key = d.quote_identifier(source_.key_);
    std::string sql = select_;
    if (last_key_) {
      values.emplace_back(*last_key_);
      sql += (has_where_ ? " AND " : " WHERE ") + key + " > ?";
    }
    sql += " ORDER BY " + key + " LIMIT " + rows;
    start(sql, values);
  }

  void start(const std::string& sql, const std::vector<db::Value>& params) {
    chunk_ = connection_.stream(sql, params, fetch_, source_.block_rows_);
    ++source_.statements_;
    in_chunk_ = 0;
    source_.mode_ = chunk_->mode();
  }

  void finish() {
    finished_ = true;
    if (!cursor_.empty() && !closed_) {
      closed_ = true;
      connection_.execute("CLOSE " + cursor_);
    }
  }

  void check_row() {
    for (std::size_t n = 0; n < columns_.size(); ++n) {
      const std::size_t i = columns_[n];
      const Wire w = source_.wire_[i];
      if (w == Wire::kDouble && source_.noting_ && source_.postgres_) {
        const db::CellView c = chunk_->cell(static_cast<int>(n));
        if (c.kind == db::CellView::Kind::kReal) source_.notes_[i].note(c.d);
        continue;
      }
      if (w != Wire::kUnsigned && w != Wire::kTemporalText) continue;
      const db::CellView c = chunk_->cell(static_cast<int>(n));
      if (c.kind != db::CellView::Kind::kText) continue;
      const std::string& name = (*source_.columns_)[i].name;
      if (w == Wire::kUnsigned) {
        throw NativeFallback(fmt::format(
            "column '{}' holds {}, beyond the signed 64-bit range the native executor counts in",
            name, c.bytes));
      }
      if (source_.postgres_ ? !postgres_sortable(c.bytes) : !mysql_sortable(c.bytes)) {
        throw NativeFallback(
            fmt::format("the value '{}' of column '{}' does not sort as text ({})", c.bytes, name,
                        source_.postgres_ ? "BC, infinity or a year past 9999"
                                          : "a negative TIME or one of 100 hours or more"));
      }
    }
    if (!source_.postgres_ && !source_.key_.empty()) {
      const db::CellView k = chunk_->cell(static_cast<int>(columns_.size()));
      if (k.kind != db::CellView::Kind::kInt) {
        throw QueryError(fmt::format(
            "odbc: the key column '{}' gave a value that is not an integer", source_.key_));
      }
      last_key_ = k.i;
    }
  }

 private:
  bool has_where_;  // `select_` has a WHERE clause (the key pages add to it)
  OdbcRowSource& source_;
  db::OdbcConnection& connection_;
  std::vector<std::size_t> columns_;
  std::vector<db::OdbcFetch> fetch_;
  std::string select_;
  std::vector<db::Value> params_;
  std::unique_ptr<db::OdbcRowCursor> chunk_;
  std::int64_t in_chunk_ = 0;
  std::optional<std::int64_t> last_key_;
  std::string cursor_;  // PostgreSQL: the declared cursor's quoted name
  bool closed_ = false;
  bool finished_ = false;
};

bool OdbcRowSource::is_odbc(db::Connection& connection) { return odbc(connection) != nullptr; }

std::string OdbcRowSource::unsupported(db::Connection& connection, const TableTarget& target,
                                       const std::vector<ColumnSpec>& columns, const Scope& scope) {
  db::OdbcConnection* c = odbc(connection);
  if (!c) return "the connection is not an ODBC connection";
  const bool postgres = postgres_source(connection);
  if (!postgres && !mysql_source(connection)) {
    return fmt::format(
        "the ODBC source is {} (dialect {}): the native executor reads PostgreSQL and "
        "MySQL/MariaDB behind ODBC only, whose types and pushed-down SQL it knows",
        c->dbms_name().empty() ? std::string("unknown") : c->dbms_name(),
        connection.dialect().name());
  }
  std::vector<std::string> text_columns;
  for (const auto& col : columns) {
    const auto w = wire_of(postgres, col);
    if (!w) {
      return fmt::format(
          "column '{}' is {}, which the native executor does not read exactly through ODBC (it "
          "reads {})",
          col.name, col.type,
          postgres ? "integers, double precision, boolean, text, varchar, name, uuid, date, time "
                     "and timestamp"
                   : "integers, TINYINT(1) booleans, DOUBLE, CHAR, VARCHAR, the TEXT types, DATE, "
                     "DATETIME, TIMESTAMP and TIME");
    }
    if (*w == Wire::kText) text_columns.push_back(col.name);
  }
  if (postgres) return {};
  // MySQL/MariaDB: strings arrive in the connection's character set (utf8mb4): their bytes are
  // the column's own only for these.
  if (!text_columns.empty()) {
    db::ParamList params(connection.dialect());
    const std::string schema =
        target.ref.schema.empty() ? "DATABASE()" : params.add(target.ref.schema);
    const db::BoundSql q = params.bind(fmt::format(
        "SELECT COLUMN_NAME, COALESCE(CHARACTER_SET_NAME, '') FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
        schema, params.add(target.ref.name)));
    for (const auto& row : connection.query(q.sql, q.params).rows) {
      const std::string name = db::as_text(row[0]).value_or("");
      const std::string charset = to_lower(db::as_text(row[1]).value_or(""));
      if (std::find(text_columns.begin(), text_columns.end(), name) == text_columns.end()) {
        continue;
      }
      if (charset != "utf8mb4" && charset != "utf8mb3" && charset != "utf8" && charset != "ascii") {
        return fmt::format(
            "column '{}' is in character set {}, whose bytes the native executor would not see "
            "(it reads utf8mb4, utf8mb3 and ascii strings)",
            name, charset.empty() ? "unknown" : charset);
      }
    }
  }
  if (!MysqlRowSource::primary_key(connection, target.ref).empty()) return {};
  // Read in one statement, which the driver buffers whole: only while that is bounded.
  const MysqlRowSource::TransferEstimate e =
      MysqlRowSource::estimate_transfer(connection, target, columns, scope);
  if (e.method.empty()) {
    return "a view has no size estimate nor a primary key to read it in pages, and the ODBC "
           "driver would hold its whole result in memory";
  }
  if (e.bytes > kDriverCacheBudget) {
    return fmt::format(
        "the table has no single-column integer primary key to read it in chunks, and its "
        "estimated {} bytes (~{} rows) exceed the {} bytes the ODBC driver may buffer",
        e.bytes, e.rows, kDriverCacheBudget);
  }
  return {};
}

std::unique_ptr<OdbcRowSource> OdbcRowSource::open(db::Connection& connection,
                                                   const TableTarget& target,
                                                   const std::vector<ColumnSpec>& columns,
                                                   const Scope& scope, std::size_t block_rows) {
  if (!odbc(connection)) return nullptr;
  const bool postgres = postgres_source(connection);
  if (!postgres && !mysql_source(connection)) return nullptr;
  std::unique_ptr<OdbcRowSource> src(new OdbcRowSource());
  src->connection_ = &connection;
  src->columns_ = &columns;
  src->scope_ = &scope;
  src->postgres_ = postgres;
  src->block_rows_ = std::max<std::size_t>(1, block_rows);
  src->table_ = connection.dialect().table_sql(target.ref);
  for (const auto& c : columns) {
    const auto w = wire_of(postgres, c);
    if (!w) return nullptr;
    src->wire_.push_back(*w);
  }
  src->notes_.resize(src->wire_.size());
  // Catalog questions before the snapshot (a failed one would end its transaction).
  if (postgres) {
    src->chunking_ = fmt::format("a server-side cursor fetched {} rows per statement", kChunkRows);
    const db::Result r = connection.query(
        "SELECT CAST(GREATEST(reltuples, 0) AS BIGINT) FROM pg_catalog.pg_class WHERE oid = "
        "pg_catalog.to_regclass(?)",
        std::vector<db::Value>{src->table_});
    if (!r.rows.empty()) src->expected_rows_ = db::as_int(r.rows[0][0]).value_or(0);
  } else {
    src->key_ = MysqlRowSource::primary_key(connection, target.ref);
    src->chunking_ =
        src->key_.empty()
            ? std::string("one statement (no single-column integer primary key)")
            : fmt::format("primary key `{}` order, {} rows per statement", src->key_, kChunkRows);
    src->expected_rows_ =
        MysqlRowSource::estimate_transfer(connection, target, columns, scope).rows;
  }
  src->snapshot_ = std::make_unique<db::Snapshot>(connection);
  return src;
}

OdbcRowSource::~OdbcRowSource() {
  snapshot_.reset();  // ROLLBACK
}

std::unique_ptr<db::RowCursor> OdbcRowSource::open(int /*thread*/, std::size_t /*part*/,
                                                   const std::vector<std::size_t>& columns) {
  const db::Dialect& d = connection_->dialect();
  std::vector<std::string> select;
  for (std::size_t i : columns) {
    const ColumnSpec& spec = (*columns_)[i];
    const std::string col = d.quote_identifier(spec.name);
    switch (wire_[i]) {
      case Wire::kBoolean:
        select.push_back("CAST(" + col + " AS INTEGER)");
        break;
      case Wire::kTemporalText:
        // PostgreSQL: the server's text, as the pushdown path's CAST(MIN(...) AS TEXT); bounded,
        // so a block cursor can bind it (no date, time or timestamp text is near 64 characters).
        select.push_back(postgres_ ? "CAST(" + col + " AS VARCHAR(64))" : col);
        break;
      case Wire::kText:
        // PostgreSQL: psqlODBC declares an unbounded varchar MaxVarcharSize (255) characters
        // long, shorter than its values may be; as text it is read whole (with SQLGetData).
        select.push_back(postgres_ && spec.sql_type().find('(') == std::string::npos &&
                                 db::normalize_type_name(spec.sql_type()) != "text" &&
                                 db::normalize_type_name(spec.sql_type()) != "uuid" &&
                                 db::normalize_type_name(spec.sql_type()) != "name"
                             ? "CAST(" + col + " AS TEXT)"
                             : col);
        break;
      default:
        select.push_back(col);
        break;
    }
  }
  if (!postgres_ && !key_.empty()) select.push_back(d.quote_identifier(key_));
  if (select.empty()) select.push_back("1");
  db::ParamList params(d);
  const std::vector<std::string> where = row_filters(d, *columns_, *scope_, params);
  std::string sql = fmt::format("SELECT {} FROM {}", join(select, ", "), table_);
  if (!where.empty()) sql += " WHERE " + join(where, " AND ");
  const db::BoundSql bound = params.bind(sql);
  return std::make_unique<OdbcChunkCursor>(*this, columns, bound.sql, bound.params, !where.empty());
}

void OdbcRowSource::present(std::vector<ColumnAggregates>& aggregates) {
  noting_ = false;  // a histogram read adds nothing to the notes
  if (!postgres_) return;
  for (std::size_t i = 0; i < wire_.size() && i < aggregates.size(); ++i) {
    if (wire_[i] != Wire::kDouble) continue;
    const FloatNotes& n = notes_[i];
    n.present_moments((*columns_)[i], aggregates[i]);
    present_values(aggregates[i], [&n](const MetricValue& v) { return n.shown_zero(v); });
  }
}

std::int64_t OdbcRowSource::number_length(const db::CellView& cell) const {
  // Only string columns are measured, and they arrive as text: never reached with a number.
  if (cell.kind == db::CellView::Kind::kInt) {
    return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.i));
  }
  return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.d));
}

std::string OdbcRowSource::describe() const {
  return fmt::format(
      "ODBC ({}), {}, {}; {} statement(s) on one connection in one snapshot, ~{} rows",
      odbc(*connection_)->driver(), mode_.empty() ? "nothing read yet" : mode_, chunking_,
      statements_, expected_rows_);
}

}  // namespace baselinr::profiling
