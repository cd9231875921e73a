#include "profiling/pg_row_source.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "db/postgres/postgres_connection.hpp"

namespace baselinr::profiling {
namespace {

using Wire = PgRowSource::Wire;

// How a column of this (base) type is read, or nullopt for the SQL path.
std::optional<Wire> wire_of(const ColumnSpec& c) {
  const std::string t = db::normalize_type_name(c.sql_type());
  for (const char* n : {"smallint", "integer", "bigint", "int2", "int4", "int8", "int"}) {
    if (t == n) return Wire::kInteger;
  }
  if (t == "double precision" || t == "float8") return Wire::kFloat;
  if (t == "boolean" || t == "bool") return Wire::kBoolean;
  for (const char* n : {"text", "character varying", "varchar", "name", "uuid"}) {
    if (t == n) return Wire::kBytes;
  }
  for (const char* n : {"date", "timestamp without time zone", "timestamp with time zone",
                        "timestamp", "timestamptz", "time without time zone", "time"}) {
    if (t == n) return Wire::kTemporalText;
  }
  return std::nullopt;
}

db::PostgresConnection* postgres(db::Connection& c) {
  return dynamic_cast<db::PostgresConnection*>(&c.underlying());
}

// pg_class facts of the relation: relkind, whether it has inheritance children, its heap
// blocks, the planner's row estimate, its oid.
struct Relation {
  std::string kind;
  bool children = false;
  std::int64_t blocks = 0;
  std::int64_t rows = 0;
  std::int64_t oid = 0;
};

std::optional<Relation> relation(db::Connection& c, const db::TableRef& ref) {
  db::ParamList params(c.dialect());
  std::string where = "c.relname = " + params.add(ref.name);
  where += ref.schema.empty() ? " AND pg_catalog.pg_table_is_visible(c.oid)"
                              : " AND n.nspname = " + params.add(ref.schema);
  const db::BoundSql q = params.bind(
      "SELECT CAST(c.relkind AS TEXT), c.relhassubclass, "
      "pg_catalog.pg_relation_size(c.oid) / CAST(current_setting('block_size') AS BIGINT), "
      "CAST(GREATEST(c.reltuples, 0) AS BIGINT), CAST(c.oid AS BIGINT) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE " +
      where);
  const db::Result r = c.query(q.sql, q.params);
  if (r.rows.empty()) return std::nullopt;
  Relation out;
  out.kind = db::as_text(r.rows[0][0]).value_or("");
  out.children = db::as_int(r.rows[0][1]).value_or(0) != 0;
  out.blocks = db::as_int(r.rows[0][2]).value_or(0);
  out.rows = db::as_int(r.rows[0][3]).value_or(0);
  out.oid = db::as_int(r.rows[0][4]).value_or(0);
  return out;
}

// The value of a bound parameter as the text set_config() takes, and the type it is read back
// in (empty: text).
std::pair<std::string, std::string> setting(const db::Value& v) {
  return std::visit(
      [](const auto& x) -> std::pair<std::string, std::string> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          return {fmt::format("{}", x), "BIGINT"};
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(x)) return {"NaN", "DOUBLE PRECISION"};
          if (std::isinf(x)) return {x > 0 ? "Infinity" : "-Infinity", "DOUBLE PRECISION"};
          return {fmt::format("{}", x), "DOUBLE PRECISION"};  // shortest exact text
        } else if constexpr (std::is_same_v<T, bool>) {
          return {x ? "true" : "false", "BOOLEAN"};
        } else if constexpr (std::is_same_v<T, std::string>) {
          return {x, ""};
        } else {
          return {"", "NULL"};
        }
      },
      v);
}

std::string one_line(const char* text) {
  std::string out;
  for (const char* p = text ? text : ""; *p; ++p) {
    const bool space = std::isspace(static_cast<unsigned char>(*p)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : *p);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

[[noreturn]] void copy_failed(PGconn* conn, const PGresult* res) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = one_line(res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr);
  if (const char* detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : nullptr) {
    message += "; " + one_line(detail);
  }
  if (message.empty()) message = one_line(PQerrorMessage(conn));
  if (message.empty()) message = "unknown error";
  std::string sqlstate = state ? state : "";
  const std::string text =
      fmt::format("postgres: reading the table's rows (COPY) failed: {}{}", message,
                  sqlstate.empty() ? std::string() : " (SQLSTATE " + sqlstate + ")");
  if (PQstatus(conn) != CONNECTION_OK) {
    throw ConnectionError(text, sqlstate.empty() ? "08006" : sqlstate);
  }
  throw QueryError(text, sqlstate);
}

std::int64_t be_int(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  // Sign-extend from n bytes.
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<std::int64_t>(v << shift) >> shift;
}

// Whether PostgreSQL's ISO text of a date, time or timestamp sorts as its value does: always
// for times; for dates and timestamps when the year has four digits and is not BC (nor
// 'infinity').
bool sortable_temporal(std::string_view t) {
  if (t.size() >= 3 && t[2] == ':') return true;  // a time of day
  if (t.size() < 10 || t[4] != '-' || t.ends_with(" BC")) return false;
  return std::all_of(t.begin(), t.begin() + 4,
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
}

// Streams one COPY ... TO STDOUT (FORMAT binary): one CopyData message per row.
class CopyCursor final : public db::RowCursor {
 public:
  CopyCursor(PGconn* conn, std::vector<Wire> wire, std::string column_names,
             std::atomic<std::int64_t>& bytes)
      : conn_(conn),
        bytes_(bytes),
        wire_(std::move(wire)),
        names_(std::move(column_names)),
        cells_(wire_.size()) {}
  ~CopyCursor() override {
    bytes_ += counted_;
    free_buffer();
    if (done_) return;
    // Stopped early (an error elsewhere): cancel the statement and drain what is in flight.
    if (PGcancel* cancel = PQgetCancel(conn_)) {
      std::array<char, 256> err{};
      PQcancel(cancel, err.data(), static_cast<int>(err.size()));
      PQfreeCancel(cancel);
    }
    char* buf = nullptr;
    while (PQgetCopyData(conn_, &buf, 0) >= 0) PQfreemem(buf);
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  }

  bool next() override {
    if (done_) return false;
    free_buffer();
    const int n = PQgetCopyData(conn_, &buf_, 0);
    if (n == -1) {
      finish();
      return false;
    }
    if (n < 0) {
      done_ = true;
      copy_failed(conn_, nullptr);
    }
    counted_ += n + 5;  // a CopyData message: type byte, length, payload
    const char* p = buf_;
    const char* end = buf_ + n;
    if (!header_) {
      static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // and a NUL: 11 bytes
      if (n < 19 || std::memcmp(p, kSignature, 11) != 0) malformed();
      const auto extension = static_cast<std::size_t>(be_int(p + 15, 4));
      p += 19;
      if (extension > static_cast<std::size_t>(end - p)) malformed();
      p += extension;
      header_ = true;
      if (p == end) return next();
    }
    if (end - p < 2) malformed();
    const std::int64_t fields = be_int(p, 2);
    p += 2;
    if (fields == -1) {
      // The trailer: the end follows.
      free_buffer();
      while (PQgetCopyData(conn_, &buf_, 0) >= 0) free_buffer();
      finish();
      return false;
    }
    if (fields != static_cast<std::int64_t>(wire_.size()) && !(wire_.empty() && fields == 0)) {
      malformed();
    }
    for (std::size_t i = 0; i < wire_.size(); ++i) {
      if (end - p < 4) malformed();
      const std::int64_t len = be_int(p, 4);
      p += 4;
      db::CellView& cell = cells_[i];
      cell = db::CellView{};
      if (len < 0) continue;  // NULL
      if (len > end - p) malformed();
      const auto size = static_cast<std::size_t>(len);
      switch (wire_[i]) {
        case Wire::kInteger:
          if (size != 2 && size != 4 && size != 8) malformed();
          cell.kind = db::CellView::Kind::kInt;
          cell.i = be_int(p, size);
          break;
        case Wire::kFloat:
          if (size != 8) malformed();
          cell.kind = db::CellView::Kind::kReal;
          cell.d = std::bit_cast<double>(static_cast<std::uint64_t>(be_int(p, 8)));
          break;
        case Wire::kBoolean:
          if (size != 1) malformed();
          cell.kind = db::CellView::Kind::kInt;
          cell.i = *p != 0 ? 1 : 0;
          break;
        case Wire::kTemporalText:
          if (!sortable_temporal(std::string_view(p, size))) {
            throw NativeFallback(fmt::format(
                "the value '{}' of a date/time column does not sort as text (BC, infinity or a "
                "year past 9999)",
                std::string_view(p, size)));
          }
          [[fallthrough]];
        case Wire::kBytes:
          cell.kind = db::CellView::Kind::kText;
          cell.bytes = std::string_view(p, size);
          break;
      }
      p += size;
    }
    return true;
  }

  int column_count() const override { return static_cast<int>(wire_.size()); }
  db::CellView cell(int column) const override { return cells_[static_cast<std::size_t>(column)]; }

 private:
  void free_buffer() {
    if (buf_) PQfreemem(buf_);
    buf_ = nullptr;
  }
  void finish() {
    done_ = true;
    struct Clear {
      void operator()(PGresult* r) const { PQclear(r); }
    };
    std::unique_ptr<PGresult, Clear> failed;
    while (PGresult* r = PQgetResult(conn_)) {
      if (!failed && PQresultStatus(r) != PGRES_COMMAND_OK) {
        failed.reset(r);
      } else {
        PQclear(r);
      }
    }
    if (failed) copy_failed(conn_, failed.get());
  }
  [[noreturn]] void malformed() const {
    throw QueryError(fmt::format("postgres: unexpected binary COPY data while reading {}", names_));
  }

  PGconn* conn_;
  std::atomic<std::int64_t>& bytes_;
  std::int64_t counted_ = 0;
  std::vector<Wire> wire_;
  std::string names_;
  std::vector<db::CellView> cells_;
  char* buf_ = nullptr;
  bool header_ = false;
  bool done_ = false;
};

}  // namespace

std::string PgRowSource::unsupported(db::Connection& connection, const TableTarget& target,
                                     const std::vector<ColumnSpec>& columns) {
  if (!postgres(connection)) return "the connection is not a libpq (PostgreSQL) connection";
  for (const auto& c : columns) {
    if (!wire_of(c)) {
      return fmt::format(
          "column '{}' is {}, which the native executor does not decode exactly yet (it reads "
          "integers, double precision, boolean, text, varchar, name, uuid, date, time and "
          "timestamp)",
          c.name, c.type);
    }
  }
  const auto rel = relation(connection, target.ref);
  if (!rel) return "the relation is not in pg_class";
  // Text in any collation: the engine counts and orders strings by their bytes, as the pushed-down
  // SQL does (COLLATE "C"; docs/STORAGE.md), so a collation never changes a stored value.
  return {};
}

PgRowSource::TransferEstimate PgRowSource::estimate_transfer(db::Connection& connection,
                                                             const TableTarget& target,
                                                             const std::vector<ColumnSpec>& columns,
                                                             const Scope& scope) {
  TransferEstimate out;
  const auto rel = relation(connection, target.ref);
  if (!rel) return out;
  // The relation and its inheritance children or partitions, as the read covers them: rows from
  // the planner's density (reltuples / relpages) times the current number of blocks; relations
  // never analyzed (reltuples < 0) or analyzed empty but not empty now count as unknown.
  const db::Result r = connection.query(
      "WITH RECURSIVE tree(oid) AS (SELECT CAST(CAST($1 AS BIGINT) AS oid) UNION ALL "
      "SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent = t.oid), "
      "rel AS (SELECT c.relkind, c.reltuples, c.relpages, "
      "pg_catalog.pg_relation_size(c.oid) / CAST(current_setting('block_size') AS BIGINT) AS "
      "blocks, pg_catalog.pg_table_size(c.oid) AS size FROM tree JOIN pg_catalog.pg_class c ON "
      "c.oid = tree.oid) "
      "SELECT CAST(COALESCE(SUM(CASE WHEN relkind IN ('r', 'm') AND reltuples >= 0 AND relpages "
      "> 0 THEN reltuples / relpages * blocks WHEN relkind IN ('r', 'm') AND blocks = 0 THEN 0 "
      "END), 0) AS BIGINT), "
      "CAST(COUNT(*) FILTER (WHERE relkind NOT IN ('r', 'm', 'p') OR (relkind IN ('r', 'm') AND "
      "blocks > 0 AND (reltuples < 0 OR relpages = 0))) AS BIGINT), "
      "CAST(COALESCE(SUM(size), 0) AS BIGINT), "
      "CAST(COUNT(*) FILTER (WHERE relkind NOT IN ('r', 'm', 'p')) AS BIGINT) FROM rel",
      std::vector<db::Value>{rel->oid});
  if (r.rows.empty()) return out;
  const std::int64_t rows = db::as_int(r.rows[0][0]).value_or(0);
  const std::int64_t unknown = db::as_int(r.rows[0][1]).value_or(0);
  const std::int64_t size = db::as_int(r.rows[0][2]).value_or(0);
  const bool opaque = db::as_int(r.rows[0][3]).value_or(0) > 0;  // views, foreign tables
  if (opaque) return out;
  double fraction = 1.0;
  if (scope.sampling && scope.sampling->method == SamplingMethod::kRandom) {
    fraction = scope.sampling->fraction;
  }
  // Bytes per row in binary COPY: the field count (2) and the CopyData header (5), then per
  // column a 4-byte length and the value: numbers at their binary width, text at its average
  // width (pg_stats), temporal values and uuids as their text.
  std::map<std::string, double> widths;
  const db::Result w = connection.query(
      "SELECT s.attname, CAST(MAX(s.avg_width) AS BIGINT) FROM pg_catalog.pg_stats s JOIN "
      "pg_catalog.pg_class c ON c.relname = s.tablename JOIN pg_catalog.pg_namespace n ON n.oid "
      "= c.relnamespace AND n.nspname = s.schemaname WHERE c.oid = CAST(CAST($1 AS BIGINT) AS "
      "oid) GROUP BY s.attname",
      std::vector<db::Value>{rel->oid});
  for (const auto& row : w.rows) {
    widths[db::as_text(row[0]).value_or("")] = static_cast<double>(db::as_int(row[1]).value_or(0));
  }
  double per_row = 7.0;
  bool widths_known = true;
  for (const auto& c : columns) {
    per_row += 4.0;
    const std::string t = db::normalize_type_name(c.sql_type());
    const auto wire = wire_of(c);
    if (!wire) {
      widths_known = false;
      continue;
    }
    switch (*wire) {
      case Wire::kInteger:
        per_row += t == "smallint" || t == "int2" ? 2.0 : t == "bigint" || t == "int8" ? 8.0 : 4.0;
        break;
      case Wire::kFloat:
        per_row += 8.0;
        break;
      case Wire::kBoolean:
        per_row += 1.0;
        break;
      case Wire::kTemporalText:
        per_row += t == "date"                                                     ? 10.0
                   : t.starts_with("time") && t.find("stamp") == std::string::npos ? 15.0
                                                                                   : 29.0;
        break;
      case Wire::kBytes:
        if (t == "uuid") {
          per_row += 36.0;
        } else if (auto it = widths.find(c.name); it != widths.end()) {
          per_row += it->second;
        } else {
          widths_known = false;
        }
        break;
    }
  }
  if (unknown == 0 && widths_known) {
    out.rows = static_cast<std::int64_t>(static_cast<double>(rows) * fraction);
    out.bytes = static_cast<std::int64_t>(static_cast<double>(out.rows) * per_row);
    out.method = "pg_stats";
  } else {
    out.rows = static_cast<std::int64_t>(static_cast<double>(rows) * fraction);
    out.bytes = static_cast<std::int64_t>(static_cast<double>(size) * fraction);
    out.method = "size on disk";
  }
  return out;
}

std::unique_ptr<PgRowSource> PgRowSource::open(db::Connection& connection,
                                               const ConnectionFactory* factory, int threads,
                                               const TableTarget& target,
                                               const std::vector<ColumnSpec>& columns,
                                               const Scope& scope) {
  if (!postgres(connection)) return nullptr;
  const auto rel = relation(connection, target.ref);
  if (!rel) return nullptr;
  std::unique_ptr<PgRowSource> src(new PgRowSource());
  src->columns_ = &columns;
  src->scope_ = &scope;
  src->table_ = connection.dialect().table_sql(target.ref);
  for (const auto& c : columns) {
    const auto w = wire_of(c);
    if (!w) return nullptr;
    src->wire_.push_back(*w);
  }
  src->splittable_ = (rel->kind == "r" || rel->kind == "m") && !rel->children;
  src->blocks_ = rel->blocks;
  src->expected_rows_ = rel->rows;
  src->start(connection, factory, src->splittable_ ? threads : 1);
  // Ranges of blocks: several per reader so uneven ones even out, none under 64 blocks (512 KiB).
  const std::int64_t pieces =
      src->threads() <= 1 ? 1
                          : std::max<std::int64_t>(
                                1, std::min<std::int64_t>(src->threads() * 4, src->blocks_ / 64));
  if (pieces > 1) {
    for (std::int64_t p = 0; p < pieces; ++p) {
      Range r;
      r.first = p == 0 ? -1 : src->blocks_ * p / pieces;
      r.end = p + 1 == pieces ? -1 : src->blocks_ * (p + 1) / pieces;
      src->ranges_.push_back(r);
    }
  }
  return src;
}

PgRowSource::~PgRowSource() { end_readers(); }

void PgRowSource::end_readers() noexcept {
  for (db::Connection* r : readers_) {
    try {
      r->execute("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is gone: the server ended the transaction with it.
    }
  }
  readers_.clear();
}

void PgRowSource::start(db::Connection& leader, const ConnectionFactory* factory, int threads) {
  static constexpr const char* kBegin =
      "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  leader.execute(kBegin);
  readers_ = {&leader};
  if (!factory || threads <= 1) return;
  std::string id;
  try {
    const db::Result r = leader.query("SELECT pg_catalog.pg_export_snapshot()");
    id = r.rows.empty() ? "" : db::as_text(r.rows[0][0]).value_or("");
  } catch (const QueryError& e) {
    // Refused (a standby of an old server, say): one reader. The failed statement ended the
    // transaction's usefulness: start it again.
    log().debug("{}: no exported snapshot ({}); reading on one connection", table_, e.what());
    leader.execute("ROLLBACK");
    leader.execute(kBegin);
    return;
  }
  // The identifier is the server's ("00000003-0000001B-1"); checked before it goes into SQL.
  const bool plain = !id.empty() && std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) != 0 || ch == '-';
  });
  if (!plain) return;
  try {
    for (int t = 1; t < threads; ++t) {
      std::unique_ptr<db::Connection> c = (*factory)();
      if (!postgres(*c)) break;
      c->execute(kBegin);
      readers_.push_back(c.get());
      owned_.push_back(std::move(c));
      readers_.back()->execute("SET TRANSACTION SNAPSHOT '" + id + "'");
    }
  } catch (...) {
    end_readers();
    throw;
  }
  shared_ = readers_.size() > 1;
}

std::unique_ptr<db::RowCursor> PgRowSource::open(int thread, std::size_t part,
                                                 const std::vector<std::size_t>& columns) {
  db::Connection& c = *readers_.at(static_cast<std::size_t>(thread));
  const db::Dialect& d = c.dialect();
  std::vector<std::string> select;
  std::vector<Wire> wire;
  std::vector<std::string> names;
  for (std::size_t i : columns) {
    const std::string col = d.quote_identifier((*columns_)[i].name);
    wire.push_back(wire_[i]);
    names.push_back(col);
    select.push_back(wire_[i] == Wire::kBytes || wire_[i] == Wire::kTemporalText
                         ? "CAST(" + col + " AS TEXT)"
                         : col);
  }
  db::ParamList params(d);
  std::vector<std::string> where = row_filters(d, *columns_, *scope_, params);
  if (!ranges_.empty()) {
    // Block numbers are ours, not user input.
    const Range& r = ranges_.at(part);
    if (r.first >= 0) where.push_back(fmt::format("ctid >= CAST('({},0)' AS tid)", r.first));
    if (r.end >= 0) where.push_back(fmt::format("ctid < CAST('({},0)' AS tid)", r.end));
  }
  std::string sql = fmt::format("SELECT {} FROM {}", join(select, ", "), table_);
  if (!where.empty()) sql += " WHERE " + join(where, " AND ");
  // COPY takes no parameters: the values go through transaction-local settings.
  const db::BoundSql plain = params.bind(sql);
  std::vector<std::string> sets;
  std::vector<db::Value> set_values;
  const db::BoundSql bound = params.bind(sql, [&](std::size_t n) -> std::string {
    const auto [text, type] = setting(plain.params.at(n - 1));
    if (type == "NULL") return "NULL";
    const std::string name = fmt::format("baselinr.p{}", n);
    sets.push_back(
        fmt::format("pg_catalog.set_config('{}', ${}, true)", name, set_values.size() + 1));
    set_values.emplace_back(text);
    const std::string read = fmt::format("pg_catalog.current_setting('{}')", name);
    return type.empty() ? read : "CAST(" + read + " AS " + type + ")";
  });
  if (!sets.empty()) c.query("SELECT " + join(sets, ", "), set_values);

  PGconn* conn = postgres(c)->handle();
  const std::string copy = "COPY (" + bound.sql + ") TO STDOUT (FORMAT binary)";
  PGresult* res = PQexec(conn, copy.c_str());
  if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
    try {
      copy_failed(conn, res);
    } catch (...) {
      if (res) PQclear(res);
      throw;
    }
  }
  PQclear(res);
  return std::make_unique<CopyCursor>(conn, std::move(wire), join(names, ", "), bytes_read_);
}

std::int64_t PgRowSource::number_length(const db::CellView& cell) const {
  // Only string columns are measured, and PostgreSQL's hold text: never reached with a number.
  if (cell.kind == db::CellView::Kind::kInt) {
    return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.i));
  }
  return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.d));
}

std::string PgRowSource::describe() const {
  return fmt::format(
      "binary COPY in {} part(s) ({}), {} connection(s){}, ~{} rows in {} blocks, {} bytes of "
      "COPY data read",
      parts(), ranges_.empty() ? "one stream" : "block ranges", readers_.size(),
      shared_ ? " on one exported snapshot" : "", expected_rows_, blocks_, bytes_read());
}

}  // namespace baselinr::profiling
