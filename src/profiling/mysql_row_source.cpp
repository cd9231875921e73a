#include "profiling/mysql_row_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <optional>

#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "db/mysql/mysql_connection.hpp"
#include "profiling/pg_row_source.hpp"  // NativeFallback

namespace baselinr::profiling {
namespace {

using Wire = MysqlRowSource::Wire;

// Tables with fewer rows (by the catalog's estimate) are read as one stream.
constexpr std::int64_t kMinRowsToSplit = 10000;

// `raw` is `word`, optionally followed by "(...)" and then exactly one of `suffixes`.
bool type_is(std::string_view raw, std::string_view word,
             std::initializer_list<std::string_view> suffixes = {""}) {
  if (!raw.starts_with(word)) return false;
  std::string_view rest = raw.substr(word.size());
  if (rest.starts_with("(")) {
    const std::size_t close = rest.find(')');
    if (close == std::string_view::npos) return false;
    rest.remove_prefix(close + 1);
  }
  return std::find(suffixes.begin(), suffixes.end(), rest) != suffixes.end();
}

bool integer_type(std::string_view raw) {
  for (std::string_view t : {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}) {
    if (type_is(raw, t,
                {"", "signed", "unsigned", "zerofill", "unsignedzerofill", "signedzerofill"})) {
      return true;
    }
  }
  return false;
}

std::optional<Wire> wire_of(const ColumnSpec& c) {
  const std::string raw = compact_lower(c.sql_type());
  if (integer_type(raw)) return Wire::kInteger;  // tinyint(1), the booleans, included
  for (std::string_view t : {"double", "real", "doubleprecision"}) {
    if (type_is(raw, t, {"", "unsigned", "zerofill", "unsignedzerofill"})) return Wire::kDouble;
  }
  for (std::string_view t : {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}) {
    if (type_is(raw, t)) return Wire::kBytes;
  }
  for (std::string_view t : {"date", "datetime", "timestamp", "time"}) {
    if (type_is(raw, t)) return Wire::kTemporalText;
  }
  return std::nullopt;
}

// A DATE, or a DATETIME/TIMESTAMP of a fixed number of decimals, handed to the engine as an
// integer in the order of its text (year, month, day, hour, minute, second, microsecond in mixed
// radix; zero dates and zero parts included): counted and ordered as numbers instead of 10 to 26
// byte strings, and shown again as their text by present(). TIME stays text (its negative values
// do not sort as their text; CheckedCursor guards that).
struct TemporalShape {
  bool date_only = false;
  int decimals = 0;  // digits of the fraction, always written (the column's fsp)
};

std::optional<TemporalShape> temporal_shape(const ColumnSpec& c) {
  const std::string raw = compact_lower(c.sql_type());
  if (raw == "date") return TemporalShape{true, 0};
  for (std::string_view t : {"datetime", "timestamp"}) {
    if (raw == t) return TemporalShape{false, 0};
    if (raw.size() == t.size() + 3 && raw.starts_with(t) && raw[t.size()] == '(' &&
        raw.back() == ')' && raw[t.size() + 1] >= '0' && raw[t.size() + 1] <= '6') {
      return TemporalShape{false, raw[t.size() + 1] - '0'};
    }
  }
  return std::nullopt;
}

constexpr std::int64_t kPow10Micros[] = {1000000, 100000, 10000, 1000, 100, 10, 1};

// The number of a temporal text of `shape` ("YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" and the fraction
// of `decimals` digits), or nullopt for any other text.
std::optional<std::int64_t> temporal_number(std::string_view t, const TemporalShape& shape) {
  const std::size_t want =
      shape.date_only ? 10 : 19 + (shape.decimals > 0 ? 1 + shape.decimals : 0);
  if (t.size() != want) return std::nullopt;
  bool ok = true;
  auto digits = [&](std::size_t at, std::size_t n) {
    std::int64_t v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      const char ch = t[i];
      ok = ok && ch >= '0' && ch <= '9';
      v = v * 10 + (ch - '0');
    }
    return v;
  };
  auto sep = [&](std::size_t at, char ch) { ok = ok && t[at] == ch; };
  const std::int64_t year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  sep(4, '-');
  sep(7, '-');
  std::int64_t v = (year * 13 + month) * 32 + day;
  if (!shape.date_only) {
    sep(10, ' ');
    sep(13, ':');
    sep(16, ':');
    v = ((v * 24 + digits(11, 2)) * 60 + digits(14, 2)) * 60 + digits(17, 2);
    std::int64_t micros = 0;
    if (shape.decimals > 0) {
      sep(19, '.');
      micros = digits(20, static_cast<std::size_t>(shape.decimals)) * kPow10Micros[shape.decimals];
    }
    v = v * 1000000 + micros;
  }
  if (!ok || month > 12 || day > 31) return std::nullopt;
  return v;
}

// The text of a number temporal_number() made.
std::string temporal_text(std::int64_t v, const TemporalShape& shape) {
  std::int64_t micros = 0, second = 0, minute = 0, hour = 0;
  if (!shape.date_only) {
    micros = v % 1000000;
    v /= 1000000;
    second = v % 60;
    v /= 60;
    minute = v % 60;
    v /= 60;
    hour = v % 24;
    v /= 24;
  }
  const std::int64_t day = v % 32, month = (v / 32) % 13, year = v / 32 / 13;
  std::string out = fmt::format("{:04}-{:02}-{:02}", year, month, day);
  if (shape.date_only) return out;
  out += fmt::format(" {:02}:{:02}:{:02}", hour, minute, second);
  if (shape.decimals > 0) {
    out += fmt::format(".{:0{}}", micros / kPow10Micros[shape.decimals], shape.decimals);
  }
  return out;
}

db::MysqlConnection* mysql(db::Connection& c) {
  return dynamic_cast<db::MysqlConnection*>(&c.underlying());
}

// information_schema facts of the table.
struct Table {
  std::string type;    // BASE TABLE, VIEW, SYSTEM VIEW, SEQUENCE
  std::string engine;  // InnoDB, Aria, ... (empty for views)
  std::int64_t rows = 0;
  std::int64_t avg_row_length = 0;
  std::int64_t data_length = 0;
  std::string key;  // the single-column integer primary key that splits the rows, or empty
};

std::string schema_sql(const db::TableRef& ref, db::ParamList& params) {
  return ref.schema.empty() ? "DATABASE()" : params.add(ref.schema);
}

std::optional<Table> table_facts(db::Connection& c, const db::TableRef& ref) {
  db::ParamList params(c.dialect());
  const std::string where = fmt::format("TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                                        schema_sql(ref, params), params.add(ref.name));
  const db::BoundSql q = params.bind(
      "SELECT TABLE_TYPE, COALESCE(ENGINE, ''), COALESCE(TABLE_ROWS, 0), "
      "COALESCE(AVG_ROW_LENGTH, 0), COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES "
      "WHERE " +
      where);
  const db::Result r = c.query(q.sql, q.params);
  if (r.rows.empty()) return std::nullopt;
  Table t;
  t.type = db::as_text(r.rows[0][0]).value_or("");
  t.engine = db::as_text(r.rows[0][1]).value_or("");
  t.rows = db::as_int(r.rows[0][2]).value_or(0);
  t.avg_row_length = db::as_int(r.rows[0][3]).value_or(0);
  t.data_length = db::as_int(r.rows[0][4]).value_or(0);
  if (t.type != "BASE TABLE") return t;
  // The primary key's columns and their types.
  db::ParamList kp(c.dialect());
  const std::string kwhere = fmt::format("s.TABLE_SCHEMA = {} AND s.TABLE_NAME = {}",
                                         schema_sql(ref, kp), kp.add(ref.name));
  const db::BoundSql kq = kp.bind(
      "SELECT s.COLUMN_NAME, c.COLUMN_TYPE FROM information_schema.STATISTICS s "
      "JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND "
      "c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME "
      "WHERE s.INDEX_NAME = 'PRIMARY' AND " +
      kwhere);
  const db::Result k = c.query(kq.sql, kq.params);
  if (k.rows.size() == 1) {
    const std::string type = compact_lower(db::as_text(k.rows[0][1]).value_or(""));
    // BIGINT UNSIGNED keys beyond INT64_MAX would not bind as int64 bounds.
    if (integer_type(type) &&
        !(type.starts_with("bigint") && type.find("unsigned") != std::string::npos)) {
      t.key = db::as_text(k.rows[0][0]).value_or("");
    }
  }
  return t;
}

// The bytes a value of this type takes in a binary-protocol row (its length byte included for
// temporal values), or nullopt for strings (their length varies).
std::optional<int> binary_width(const ColumnSpec& c) {
  const std::string raw = compact_lower(c.sql_type());
  const auto w = wire_of(c);
  if (!w) return std::nullopt;
  const bool fraction = raw.find('(') != std::string::npos && raw.find("(0)") == std::string::npos;
  switch (*w) {
    case Wire::kInteger:
      if (raw.starts_with("tinyint")) return 1;
      if (raw.starts_with("smallint")) return 2;
      if (raw.starts_with("bigint")) return 8;
      return 4;  // mediumint travels as 4 bytes, int and integer are 4
    case Wire::kDouble:
      return 8;
    case Wire::kTemporalText:
      if (raw.starts_with("datetime") || raw.starts_with("timestamp")) return fraction ? 12 : 8;
      if (raw.starts_with("time")) return fraction ? 13 : 9;
      return 5;  // date
    case Wire::kBytes:
      return std::nullopt;
  }
  return std::nullopt;
}

// Stops the read where a value's text would not sort as its value (see the header).
// Abandoned before its last row (the read stops, or another part failed), it has the server stop
// the statement first (`abandon`): the rows left are then not sent, where otherwise the connection
// would read and drop every one of them before it could be used again.
// DATE, DATETIME and TIMESTAMP columns (`numbered`, with their shapes) are handed out as the
// numbers of their text (temporal_number()).
class CheckedCursor final : public db::RowCursor {
 public:
  CheckedCursor(std::unique_ptr<db::RowCursor> inner, std::vector<int> integers,
                std::vector<int> temporals, std::vector<std::pair<int, TemporalShape>> numbered,
                std::vector<std::string> names, std::function<void()> abandon)
      : inner_(std::move(inner)),
        integers_(std::move(integers)),
        temporals_(std::move(temporals)),
        numbered_(std::move(numbered)),
        names_(std::move(names)),
        abandon_(std::move(abandon)),
        cells_(static_cast<std::size_t>(inner_->column_count())),
        own_(cells_.size(), false) {
    for (const auto& [i, shape] : numbered_) own_.at(static_cast<std::size_t>(i)) = true;
  }
  ~CheckedCursor() override {
    if (!ended_ && abandon_) abandon_();
  }

  bool next() override {
    bool more = false;
    try {
      more = inner_->next();
    } catch (...) {
      ended_ = true;  // the statement failed: nothing left to stop
      throw;
    }
    if (!more) {
      ended_ = true;
      return false;
    }
    for (int i : integers_) {
      if (inner_->cell(i).kind == db::CellView::Kind::kText) {
        throw NativeFallback(fmt::format(
            "column '{}' holds {}, beyond the signed 64-bit range the native executor counts in",
            names_[static_cast<std::size_t>(i)], inner_->cell(i).bytes));
      }
    }
    for (const auto& [i, shape] : numbered_) {
      const db::CellView c = inner_->cell(i);
      db::CellView& out = cells_[static_cast<std::size_t>(i)];
      out = c;
      if (c.kind != db::CellView::Kind::kText) continue;
      const auto v = temporal_number(c.bytes, shape);
      if (!v) {
        throw NativeFallback(fmt::format("the value '{}' of column '{}' is not of its type's form",
                                         c.bytes, names_[static_cast<std::size_t>(i)]));
      }
      out.kind = db::CellView::Kind::kInt;
      out.i = *v;
      out.bytes = {};
    }
    for (int i : temporals_) {
      const db::CellView c = inner_->cell(i);
      if (c.kind != db::CellView::Kind::kText) continue;
      const std::string_view t = c.bytes;
      // A date (YYYY-...) or a time of day with two-digit hours sorts as text.
      const bool sortable =
          (t.size() >= 5 && t[4] == '-') || (t.size() >= 3 && t[2] == ':' && t[0] != '-');
      if (!sortable) {
        throw NativeFallback(fmt::format(
            "the value '{}' of column '{}' does not sort as text (a negative TIME or one of 100 "
            "hours or more)",
            t, names_[static_cast<std::size_t>(i)]));
      }
    }
    return true;
  }
  int column_count() const override { return inner_->column_count(); }
  db::CellView cell(int column) const override {
    const auto i = static_cast<std::size_t>(column);
    return i < own_.size() && own_[i] ? cells_[i] : inner_->cell(column);
  }

 private:
  std::unique_ptr<db::RowCursor> inner_;
  std::vector<int> integers_;   // columns whose BIGINT UNSIGNED values may exceed int64
  std::vector<int> temporals_;  // columns of a temporal type read as text (TIME)
  std::vector<std::pair<int, TemporalShape>> numbered_;
  std::vector<std::string> names_;
  std::function<void()> abandon_;
  std::vector<db::CellView> cells_;  // the numbered columns' cells of the current row
  std::vector<bool> own_;            // per column: numbered
  bool ended_ = false;               // the last row was read, or the statement failed
};

}  // namespace

std::optional<MysqlRowSource::Wire> MysqlRowSource::wire(const ColumnSpec& column) {
  return wire_of(column);
}

std::string MysqlRowSource::unsupported(db::Connection& connection, const TableTarget& target,
                                        const std::vector<ColumnSpec>& columns) {
  if (!mysql(connection)) {
    return "the connection is not a MariaDB Connector/C (mysql) connection";
  }
  std::vector<std::string> text_columns;
  for (const auto& c : columns) {
    const auto w = wire_of(c);
    if (!w) {
      return fmt::format(
          "column '{}' is {}, which the native executor does not decode exactly yet (it reads "
          "integers, TINYINT(1) booleans, DOUBLE, CHAR, VARCHAR, the TEXT types, DATE, DATETIME, "
          "TIMESTAMP and TIME)",
          c.name, c.type);
    }
    if (*w == Wire::kBytes) text_columns.push_back(c.name);
  }
  const auto facts = table_facts(connection, target.ref);
  if (!facts) return "the table is not in information_schema.TABLES";
  if (text_columns.empty()) return {};
  // Strings arrive in the connection's utf8mb4: their bytes are the column's own (and their
  // byte order the SQL path's CAST(... AS BINARY) order) only for these character sets.
  db::ParamList params(connection.dialect());
  const std::string where =
      fmt::format("TABLE_SCHEMA = {} AND TABLE_NAME = {}", schema_sql(target.ref, params),
                  params.add(target.ref.name));
  const db::BoundSql q = params.bind(
      "SELECT COLUMN_NAME, COALESCE(CHARACTER_SET_NAME, '') FROM information_schema.COLUMNS "
      "WHERE " +
      where);
  for (const auto& row : connection.query(q.sql, q.params).rows) {
    const std::string name = db::as_text(row[0]).value_or("");
    const std::string charset = to_lower(db::as_text(row[1]).value_or(""));
    if (std::find(text_columns.begin(), text_columns.end(), name) == text_columns.end()) continue;
    if (charset != "utf8mb4" && charset != "utf8mb3" && charset != "utf8" && charset != "ascii") {
      return fmt::format(
          "column '{}' is in character set {}, whose bytes the native executor would not see "
          "(it reads utf8mb4, utf8mb3 and ascii strings)",
          name, charset.empty() ? "unknown" : charset);
    }
  }
  return {};
}

namespace {

// Rows whose strings are measured for the transfer estimate.
constexpr int kStringSampleRows = 1000;

// What the string columns of a row take in the binary protocol, on average over the first
// kStringSampleRows rows in the table's order (a bounded read of the first pages, measured on
// the server): each value's bytes and its length prefix (1 byte below 251, else 3, or 4 from
// 64 KiB on, or 9 from 16 MiB on), nothing for a NULL (a bit of the row's NULL bitmap). The first
// rows stand for the table: a sample, not a bound. nullopt when the table has no rows.
std::optional<std::int64_t> sampled_string_bytes(db::Connection& c, const db::TableRef& ref,
                                                 const std::vector<const ColumnSpec*>& strings) {
  const db::Dialect& d = c.dialect();
  std::vector<std::string> select, sums;
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const std::string col = d.quote_identifier(strings[i]->name);
    const std::string alias = d.quote_identifier(fmt::format("s{}", i));
    select.push_back(fmt::format("{} AS {}", col, alias));
    sums.push_back(fmt::format(
        "COALESCE(LENGTH({0}) + CASE WHEN LENGTH({0}) < 251 THEN 1 WHEN LENGTH({0}) < 65536 THEN 3 "
        "WHEN LENGTH({0}) < 16777216 THEN 4 ELSE 9 END, 0)",
        alias));
  }
  const std::string sql =
      fmt::format("SELECT COUNT(*), SUM({}) FROM (SELECT {} FROM {} LIMIT {}) AS sample_rows",
                  join(sums, " + "), join(select, ", "), d.table_sql(ref), kStringSampleRows);
  const db::Result r = c.query(sql);
  if (r.rows.empty()) return std::nullopt;
  const auto rows = db::as_int(r.rows[0][0]).value_or(0);
  if (rows <= 0) return std::nullopt;
  const auto total = db::as_double(r.rows[0][1]).value_or(0.0);
  return static_cast<std::int64_t>(std::ceil(total / static_cast<double>(rows)));
}

}  // namespace

std::string MysqlRowSource::primary_key(db::Connection& connection, const db::TableRef& table) {
  const auto facts = table_facts(connection, table);
  return facts ? facts->key : std::string();
}

MysqlRowSource::TransferEstimate MysqlRowSource::estimate_transfer(
    db::Connection& connection, const TableTarget& target, const std::vector<ColumnSpec>& columns,
    const Scope& scope) {
  TransferEstimate out;
  const auto facts = table_facts(connection, target.ref);
  if (!facts || facts->type != "BASE TABLE") return out;
  double fraction = 1.0;
  if (scope.sampling && scope.sampling->method == SamplingMethod::kRandom) {
    fraction = scope.sampling->fraction;
  }
  if (facts->rows <= 0 && facts->data_length > 0) {
    // No row estimate for a table holding data: its size on disk.
    out.bytes = static_cast<std::int64_t>(static_cast<double>(facts->data_length) * fraction);
    out.method = "DATA_LENGTH (the table's size on disk; no row estimate)";
    return out;
  }
  const auto ncols = static_cast<std::int64_t>(columns.size());
  std::int64_t fixed = 0;
  std::vector<const ColumnSpec*> strings;
  for (const auto& c : columns) {
    if (const auto w = binary_width(c)) {
      fixed += *w;
    } else {
      strings.push_back(&c);
    }
  }
  out.rows = static_cast<std::int64_t>(static_cast<double>(facts->rows) * fraction);
  out.method = "TABLE_ROWS and the binary protocol's widths";
  std::int64_t string_bytes = 0;
  if (!strings.empty()) {
    if (const auto sampled = sampled_string_bytes(connection, target.ref, strings)) {
      string_bytes = *sampled;
      out.method = fmt::format(
          "TABLE_ROWS, the binary protocol's widths and the strings of the first {} rows",
          kStringSampleRows);
    } else {
      // No rows to measure (the statistics are older than the table's contents): the average
      // row's bytes beyond the fixed widths, which also count InnoDB's row and page overhead
      // (high, never low), and a length byte each.
      string_bytes = static_cast<std::int64_t>(strings.size()) +
                     std::max<std::int64_t>(0, facts->avg_row_length - fixed);
      out.method = "TABLE_ROWS, the binary protocol's widths and AVG_ROW_LENGTH for the strings";
    }
  }
  const std::int64_t per_row = 4 + 1 + (ncols + 7 + 2) / 8 + fixed + string_bytes;
  out.bytes = out.rows * per_row;
  return out;
}

std::unique_ptr<MysqlRowSource> MysqlRowSource::open(db::Connection& connection,
                                                     const ConnectionFactory* factory, int threads,
                                                     const TableTarget& target,
                                                     const std::vector<ColumnSpec>& columns,
                                                     const Scope& scope) {
  if (!mysql(connection)) return nullptr;
  const auto facts = table_facts(connection, target.ref);
  if (!facts) return nullptr;
  std::unique_ptr<MysqlRowSource> src(new MysqlRowSource());
  src->columns_ = &columns;
  src->scope_ = &scope;
  src->table_ = connection.dialect().table_sql(target.ref);
  for (const auto& c : columns) {
    const auto w = wire_of(c);
    if (!w) return nullptr;
    src->wire_.push_back(*w);
  }
  src->expected_rows_ = facts->rows;
  const bool split = !facts->key.empty() && facts->rows >= kMinRowsToSplit && threads > 1;
  if (split) src->key_ = facts->key;
  src->start(connection, factory, split ? threads : 1);
  for (db::Connection* r : src->readers_) src->server_ids_.push_back(mysql(*r)->server_thread_id());
  if (src->readers_.size() > 1) {
    src->find_bounds(connection, static_cast<int>(src->readers_.size()));
  }
  if (src->bounds_.empty()) src->key_.clear();
  return src;
}

MysqlRowSource::~MysqlRowSource() {
  snapshots_.clear();  // ROLLBACK on every reader
  readers_.clear();
}

namespace {

// InnoDB's transaction counter: every read-write transaction takes a number from it when it
// starts and another when it commits (MariaDB 10.3 on). nullopt where the server does not show it
// (MySQL).
std::optional<std::int64_t> trx_counter(db::Connection& c) {
  try {
    const db::Result r = c.query(
        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
        "'INNODB_MAX_TRX_ID'");
    if (r.rows.empty()) return std::nullopt;
    if (const auto v = db::as_int(r.rows[0][0])) return v;
    return parse_int(db::as_text(r.rows[0][0]).value_or(""));
  } catch (const QueryError&) {
    return std::nullopt;
  }
}

}  // namespace

void MysqlRowSource::start(db::Connection& leader, const ConnectionFactory* factory, int threads) {
  factory_ = factory;
  readers_ = {&leader};
  if (factory) {
    for (int t = 1; t < threads; ++t) {
      std::unique_ptr<db::Connection> c = (*factory)();
      if (!mysql(*c)) break;
      readers_.push_back(c.get());
      owned_.push_back(std::move(c));
    }
  }
  if (readers_.size() > 1) {
    // The snapshots are started one right after the other; when InnoDB's transaction counter
    // is the same before the first and after the last, no read-write transaction started or
    // committed in between, and every reader sees the same committed rows. Otherwise again, a
    // few times, then one connection.
    constexpr int kAttempts = 5;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      const auto before = trx_counter(leader);
      if (!before) break;
      for (db::Connection* r : readers_) snapshots_.push_back(std::make_unique<db::Snapshot>(*r));
      if (trx_counter(leader) == before) {
        shared_ = true;
        return;
      }
      snapshots_.clear();
      ++retries_;
    }
    log().debug("{}: the readers' snapshots could not be started together; one connection", table_);
    readers_.resize(1);
    owned_.clear();
  }
  snapshots_.push_back(std::make_unique<db::Snapshot>(leader));
}

void MysqlRowSource::find_bounds(db::Connection& leader, int pieces) {
  // In the first reader's snapshot. Dense keys (the span about the row estimate) are cut into
  // equal widths; otherwise each boundary is the key `step` rows after the previous one, found
  // in the primary key's order.
  const db::Dialect& d = leader.dialect();
  const std::string key = d.quote_identifier(key_);
  const db::Result mm =
      leader.query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", key, table_));
  if (mm.rows.empty()) return;
  const auto lo = db::as_int(mm.rows[0][0]);
  const auto hi = db::as_int(mm.rows[0][1]);
  if (!lo || !hi || *hi <= *lo) return;
  const long double span = static_cast<long double>(*hi) - static_cast<long double>(*lo) + 1;
  if (span <= static_cast<long double>(expected_rows_) * 1.5L) {
    for (int p = 1; p < pieces; ++p) {
      const auto b = static_cast<std::int64_t>(static_cast<long double>(*lo) + span * p / pieces);
      if (bounds_.empty() ? b > *lo : b > bounds_.back()) bounds_.push_back(b);
    }
    return;
  }
  const std::int64_t step = std::max<std::int64_t>(1, expected_rows_ / pieces);
  std::int64_t from = *lo;
  for (int p = 1; p < pieces; ++p) {
    db::ParamList params(d);
    const std::string sql =
        fmt::format("SELECT {0} FROM {1} WHERE {0} >= {2} ORDER BY {0} LIMIT 1 OFFSET {3}", key,
                    table_, params.add(from), params.add(step));
    const db::BoundSql q = params.bind(sql);
    const db::Result r = leader.query(q.sql, q.params);
    const auto b = r.rows.empty() ? std::nullopt : db::as_int(r.rows[0][0]);
    if (!b) break;
    bounds_.push_back(*b);
    from = *b;
  }
}

std::unique_ptr<db::RowCursor> MysqlRowSource::open(int thread, std::size_t part,
                                                    const std::vector<std::size_t>& columns) {
  // A part is always read on its own connection (its snapshot): pass 1 and the histogram pass
  // of a range see the same rows. With one part, the caller's thread 0 reads it.
  const std::size_t reader = bounds_.empty() ? static_cast<std::size_t>(thread) : part;
  db::Connection& c = *readers_.at(reader);
  const db::Dialect& d = c.dialect();
  std::vector<int> integers, temporals;
  std::vector<std::pair<int, TemporalShape>> numbered;
  std::vector<std::string> names;
  for (std::size_t n = 0; n < columns.size(); ++n) {
    const std::size_t i = columns[n];
    const ColumnSpec& spec = (*columns_)[i];
    names.push_back(spec.name);
    if (wire_[i] == Wire::kTemporalText) {
      if (const auto shape = temporal_shape(spec)) {
        numbered.emplace_back(static_cast<int>(n), *shape);
      } else {
        temporals.push_back(static_cast<int>(n));
      }
    }
    if (wire_[i] == Wire::kInteger &&
        compact_lower(spec.sql_type()).find("unsigned") != std::string::npos) {
      integers.push_back(static_cast<int>(n));
    }
  }
  db::ParamList params(d);  // binds values in the order of their placeholders
  std::vector<std::string> range;
  if (!bounds_.empty()) {
    const std::string key = d.quote_identifier(key_);
    if (part > 0) range.push_back(key + " >= " + params.add(bounds_.at(part - 1)));
    if (part < bounds_.size()) range.push_back(key + " < " + params.add(bounds_.at(part)));
  }
  const db::BoundSql bound = row_select(d, *columns_, columns, *scope_, table_, params, range);
  return std::make_unique<CheckedCursor>(
      mysql(c)->stream(bound.sql, bound.params), std::move(integers), std::move(temporals),
      std::move(numbered), std::move(names), [this, reader] { stop_read(reader); });
}

void MysqlRowSource::present(std::vector<ColumnAggregates>& aggregates) {
  for (std::size_t i = 0; i < wire_.size() && i < aggregates.size(); ++i) {
    if (wire_[i] != Wire::kTemporalText) continue;
    const auto shape = temporal_shape((*columns_)[i]);
    if (!shape) continue;
    present_values(aggregates[i], [&shape](const MetricValue& v) -> MetricValue {
      const auto* n = std::get_if<std::int64_t>(&v);
      return n ? MetricValue(temporal_text(*n, *shape)) : v;
    });
  }
}

void MysqlRowSource::stop_read(std::size_t reader) {
  // On a connection of its own: the reader's is busy with the rows. KILL QUERY stops only the
  // statement (the reader's transaction and connection stay), and on a connection that has just
  // finished it, the server clears the flag when its next statement starts. Without a factory, or
  // when this fails, the rows are drained as before: slower, never wrong.
  if (!factory_ || !*factory_) return;
  try {
    std::unique_ptr<db::Connection> killer = (*factory_)();
    // The id comes from the connector, not from input; KILL takes no bound parameter.
    killer->execute(fmt::format("KILL QUERY {}", server_ids_.at(reader)));
    kills_.fetch_add(1, std::memory_order_relaxed);
  } catch (const std::exception& e) {
    log().debug("{}: could not stop the abandoned read of part {} ({}); draining it", table_,
                reader, e.what());
  }
}

std::int64_t MysqlRowSource::number_length(const db::CellView& cell) const {
  // Only string columns are measured, and they arrive as text: never reached with a number.
  if (cell.kind == db::CellView::Kind::kInt) {
    return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.i));
  }
  return static_cast<std::int64_t>(fmt::formatted_size("{}", cell.d));
}

std::string MysqlRowSource::describe() const {
  return fmt::format("unbuffered binary stream in {} part(s) ({}), {} connection(s){}, ~{} rows",
                     parts(), bounds_.empty() ? "one stream" : "primary key `" + key_ + "` ranges",
                     readers_.size(), shared_ ? " on snapshots started together" : "",
                     expected_rows_);
}

}  // namespace baselinr::profiling
