#include "profiling/pg_row_source.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <variant>

#include "common/log.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "db/postgres/postgres_connection.hpp"

namespace baselinr::profiling {
namespace {

using Wire = PgRowSource::Wire;
using Read = PgRowSource::Read;
using Notes = PgRowSource::Notes;

// The largest scale of a numeric read natively, and the bound of its scaled values: below 10^15
// the nearest double of every value is distinct and in order, and gives the value back.
constexpr int kMaxNumericScale = 15;
constexpr std::int64_t kNumericLimit = 1000000000000000;  // 10^15

constexpr std::array<std::int64_t, 16> kPow10 = {1,
                                                 10,
                                                 100,
                                                 1000,
                                                 10000,
                                                 100000,
                                                 1000000,
                                                 10000000,
                                                 100000000,
                                                 1000000000,
                                                 10000000000,
                                                 100000000000,
                                                 1000000000000,
                                                 10000000000000,
                                                 100000000000000,
                                                 1000000000000000};

// The modifiers of a type as format_type() writes them: "numeric(12,2)" -> {12, 2}.
std::vector<int> modifiers(std::string_view type) {
  std::vector<int> out;
  const std::size_t open = type.find('(');
  if (open == std::string_view::npos) return out;
  const std::size_t close = type.find(')', open);
  if (close == std::string_view::npos) return out;
  for (std::string part : split(type.substr(open + 1, close - open - 1), ',')) {
    std::erase(part, ' ');
    const auto v = parse_int(part);
    if (!v || *v < -100000 || *v > 100000000) return {};
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

// The labels of the enum columns of relation `oid`, by column name, in each type's order.
using EnumLabels = std::map<std::string, std::vector<std::string>>;
EnumLabels enum_labels(db::Connection& c, std::int64_t oid) {
  const db::Result r = c.query(
      "SELECT a.attname, CAST(e.enumlabel AS TEXT) FROM pg_catalog.pg_attribute a "
      "JOIN pg_catalog.pg_enum e ON e.enumtypid = a.atttypid "
      "WHERE a.attrelid = CAST(CAST($1 AS BIGINT) AS oid) AND a.attnum > 0 AND NOT "
      "a.attisdropped ORDER BY a.attnum, e.enumsortorder",
      std::vector<db::Value>{oid});
  EnumLabels out;
  for (const auto& row : r.rows) {
    out[db::as_text(row[0]).value_or("")].push_back(db::as_text(row[1]).value_or(""));
  }
  return out;
}

bool maybe_enum(const ColumnSpec& c) {
  return c.type_class == TypeClass::kOther && c.type_equality && c.base_type.empty();
}

// How a column of this (base) type is read, or the reason it is left to the SQL path.
// `integer_temporal`: date, timestamp and time are read as integers (see temporal_integers()).
std::variant<Read, std::string> read_of(const ColumnSpec& c, const EnumLabels& enums,
                                        bool integer_temporal) {
  const std::string t = db::normalize_type_name(c.sql_type());
  Read r;
  auto is = [&t](std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&t](const char* n) { return t == n; });
  };
  if (is({"smallint", "integer", "bigint", "int2", "int4", "int8", "int"})) {
    r.wire = Wire::kInteger;
  } else if (is({"double precision", "float8"})) {
    r.wire = Wire::kFloat;
  } else if (is({"real", "float4"})) {
    r.wire = Wire::kFloat4;
  } else if (is({"numeric", "decimal"})) {
    const std::vector<int> m = modifiers(c.sql_type());
    if (m.empty()) {
      // No declared scale: each value at its own (see numeric_double()).
      r.wire = Wire::kNumeric;
      r.scale = -1;
      return r;
    }
    if (m.size() != 2 || m[1] < 0 || m[1] > kMaxNumericScale) {
      return fmt::format("{} (the native executor reads scales 0 to {})", c.type, kMaxNumericScale);
    }
    r.wire = Wire::kNumeric;
    r.scale = m[1];
  } else if (is({"boolean", "bool"})) {
    r.wire = Wire::kBoolean;
  } else if (is({"text", "character varying", "varchar", "name", "uuid", "bytea"})) {
    r.wire = Wire::kBytes;
  } else if (is({"character", "char", "bpchar"})) {
    const std::vector<int> m = modifiers(c.sql_type());
    if (m.size() != 1 || m[0] < 1) {
      return std::string(
          "bpchar without a length, whose equal values may differ in trailing spaces (the SQL "
          "path shows whichever row the server meets)");
    }
    r.wire = Wire::kBpchar;
    r.width = m[0];
  } else if (integer_temporal && is({"date"})) {
    r.wire = Wire::kDate;
  } else if (integer_temporal && is({"timestamp without time zone", "timestamp"})) {
    r.wire = Wire::kTimestamp;
  } else if (integer_temporal && is({"time without time zone", "time"})) {
    r.wire = Wire::kTime;
  } else if (is({"date", "timestamp without time zone", "timestamp with time zone", "timestamp",
                 "timestamptz", "time without time zone", "time"})) {
    // timestamptz always: its text is in the session's TimeZone, which the server applies.
    r.wire = Wire::kTemporalText;
  } else if (auto it = enums.find(c.name); it != enums.end() && maybe_enum(c)) {
    r.wire = Wire::kEnum;
    r.labels = it->second;
    for (std::size_t i = 0; i < r.labels.size(); ++i) {
      r.rank.emplace(r.labels[i], static_cast<std::int64_t>(i));
    }
  } else if (c.type_class == TypeClass::kOther && !c.type_equality) {
    // No equality operator (json, xml, point...): the SQL path counts and groups their text.
    r.wire = Wire::kBytes;
  } else {
    return fmt::format(
        "{}, which the native executor does not read exactly yet (it reads integers, real, "
        "double precision, numeric, boolean, text, varchar, char(n), name, uuid, bytea, "
        "enums, date, time, timestamp, and types without an equality such as json)",
        c.type);
  }
  return r;
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

// Dates and timestamps read as integers count from 2000-01-01, PostgreSQL's epoch.
constexpr std::int64_t kEpochDays = 10957;  // 2000-01-01 - 1970-01-01 in days
constexpr std::int64_t kDayMicros = 86400000000;

// The days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};
// The proleptic Gregorian date of `z` days since 1970-01-01.
constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// The days since 2000-01-01 whose ISO text has a four-digit AD year: 0001-01-01 to 9999-12-31.
constexpr std::int64_t kFirstSortableDay = days_from_civil(1, 1, 1) - kEpochDays;
constexpr std::int64_t kLastSortableDay = days_from_civil(9999, 12, 31) - kEpochDays;
static_assert(civil_from_days(kFirstSortableDay + kEpochDays).year == 1);
static_assert(civil_from_days(kLastSortableDay + kEpochDays).day == 31);

// A date or timestamp whose SQL text would not sort as its value: what the fallback says.
[[noreturn]] void unsortable_temporal(std::int64_t day, bool infinite, bool negative) {
  std::string what;
  if (infinite) {
    what = negative ? "-infinity" : "infinity";
  } else {
    const std::int64_t year = civil_from_days(day + kEpochDays).year;
    what = year <= 0 ? fmt::format("a date in the year {} BC", 1 - year)
                     : fmt::format("a date in the year {}", year);
  }
  throw NativeFallback(fmt::format(
      "a date/time column holds {}, whose text does not sort as its value (BC, infinity or a "
      "year past 9999)",
      what));
}

// "HH:MM:SS[.ffffff]" of `micros` since midnight (up to 24:00:00), the fraction without its
// trailing zeros, as PostgreSQL writes a time (and a timestamp's time) in ISO style.
void append_time_of_day(std::string& out, std::int64_t micros) {
  const std::int64_t seconds = micros / 1000000;
  const std::int64_t fraction = micros % 1000000;
  out += fmt::format("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction == 0) return;
  std::string digits = fmt::format("{:06}", fraction);
  while (digits.back() == '0') digits.pop_back();
  out += '.';
  out += digits;
}

// "YYYY-MM-DD" of `days` since 2000-01-01 (a sortable one: a four-digit AD year).
void append_date(std::string& out, std::int64_t days) {
  const Civil c = civil_from_days(days + kEpochDays);
  out += fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

// The day of `micros` since 2000-01-01 00:00:00 (rounded down).
constexpr std::int64_t day_of(std::int64_t micros) {
  return micros >= 0 ? micros / kDayMicros : -((-(micros + 1)) / kDayMicros) - 1;
}
static_assert(day_of(-1) == -1 && day_of(-kDayMicros) == -1 && day_of(kDayMicros - 1) == 0);

// The SQL path's text of a value read as an integer.
std::string temporal_text(Wire wire, std::int64_t v) {
  std::string out;
  switch (wire) {
    case Wire::kDate:
      append_date(out, v);
      break;
    case Wire::kTimestamp: {
      const std::int64_t day = day_of(v);
      append_date(out, day);
      out += ' ';
      append_time_of_day(out, v - day * kDayMicros);
      break;
    }
    default:
      append_time_of_day(out, v);
      break;
  }
  return out;
}

// A float as the engine keeps it (one NaN), noting what present() needs.
double note_float(double d, Notes* notes) {
  if (notes) notes->note(d);
  return std::isnan(d) ? std::numeric_limits<double>::quiet_NaN() : d;
}

// A value of a numeric column without a declared scale, whose base-10000 digits are
// `digits` (big-endian pairs of bytes) with the first worth 10000^weight: the double nearest to
// it. Read only when its text is unambiguous: written at its own scale (no trailing zero in the
// fraction: 1.5, not 1.50, so that equal values have one text) with at most 15 significant
// digits (so that the nearest doubles keep equality and order, and print back as the value).
double natural_numeric_double(const char* p, std::size_t ndigits, int weight, bool negative,
                              int dscale) {
  std::string decimals;       // the significant digits
  std::int64_t exponent = 0;  // the value is 0.<decimals> * 10^exponent
  for (std::size_t i = 0; i < ndigits; ++i) {
    const unsigned digit = (static_cast<unsigned char>(p[8 + 2 * i]) << 8) |
                           static_cast<unsigned char>(p[8 + 2 * i + 1]);
    const std::string four = fmt::format("{:04}", digit);
    if (decimals.empty()) {
      const std::size_t lead = four.find_first_not_of('0');
      if (lead == std::string::npos) continue;
      exponent = 4 * (static_cast<std::int64_t>(weight) - static_cast<std::int64_t>(i)) + 4 -
                 static_cast<std::int64_t>(lead);
      decimals = four.substr(lead);
    } else {
      decimals += four;
    }
  }
  while (!decimals.empty() && decimals.back() == '0') decimals.pop_back();
  // The decimals of the value at its own scale: the digits after the point.
  const std::int64_t natural =
      std::max<std::int64_t>(0, static_cast<std::int64_t>(decimals.size()) - exponent);
  if (natural != dscale) {
    throw NativeFallback(
        "a numeric value is written with trailing zeros in its fraction (1.50 rather than 1.5) "
        "in a column without a declared scale, where equal values may be written differently");
  }
  if (decimals.size() > 15) {
    throw NativeFallback(
        "a numeric value has more than 15 significant digits in a column without a declared "
        "scale");
  }
  if (decimals.empty()) return 0.0;
  const std::string text = fmt::format("{}0.{}e{}", negative ? "-" : "", decimals, exponent);
  return parse_double(text).value_or(std::numeric_limits<double>::quiet_NaN());
}

// A numeric's binary send format (ndigits, weight, sign, dscale, then base-10000 digits) as the
// double nearest to its value, which is the value scaled by 10^scale (below 10^15) divided by
// 10^scale; NaN and +-Infinity as those doubles. Notes the scaled value for the exact moments.
double numeric_double(const char* p, std::size_t size, int scale, Notes* notes) {
  auto u16 = [&](std::size_t i) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(p[2 * i]) << 8) |
                                      static_cast<unsigned char>(p[2 * i + 1]));
  };
  if (size < 8) throw QueryError("postgres: unexpected binary numeric value");
  const std::size_t ndigits = u16(0);
  const auto weight = static_cast<std::int16_t>(u16(1));
  const std::uint16_t sign = u16(2);
  if (size != 8 + 2 * ndigits) throw QueryError("postgres: unexpected binary numeric value");
  if (sign == 0xC000) {
    if (notes) ++notes->nans;
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (sign == 0xD000 || sign == 0xF000) {
    const double inf = sign == 0xD000 ? std::numeric_limits<double>::infinity()
                                      : -std::numeric_limits<double>::infinity();
    if (notes) notes->moments.add_double(inf);
    return inf;
  }
  if (sign != 0x0000 && sign != 0x4000) throw QueryError("postgres: unexpected numeric sign");
  if (scale < 0) return natural_numeric_double(p, ndigits, weight, sign == 0x4000, u16(3));
  // Digit i is worth digit * 10^(4 * (weight - i) + scale) in the scaled value.
  std::int64_t scaled = 0;
  for (std::size_t i = 0; i < ndigits; ++i) {
    const std::int64_t digit = u16(4 + i);
    if (digit == 0) continue;
    const std::int64_t power =
        4 * (static_cast<std::int64_t>(weight) - static_cast<std::int64_t>(i)) + scale;
    std::int64_t part = 0;
    if (power >= 0) {
      if (power > 15 || digit > kNumericLimit / kPow10[static_cast<std::size_t>(power)]) {
        part = kNumericLimit;
      } else {
        part = digit * kPow10[static_cast<std::size_t>(power)];
      }
    } else if (power >= -4 && digit % kPow10[static_cast<std::size_t>(-power)] == 0) {
      part = digit / kPow10[static_cast<std::size_t>(-power)];
    } else {
      throw NativeFallback(
          fmt::format("a numeric value has more decimals than the column's scale {}", scale));
    }
    scaled += part;
    if (scaled >= kNumericLimit) {
      throw NativeFallback(fmt::format(
          "a numeric value has more than 15 digits at scale {} (the native executor reads values "
          "below 10^{} exactly)",
          scale, 15 - scale));
    }
  }
  if (sign == 0x4000) scaled = -scaled;
  if (notes) notes->moments.add_int(scaled);
  // Both exact in a double (below 2^53): one correctly rounded division, as the server's own
  // conversion (and strtod of the value's text) gives.
  return static_cast<double>(scaled) / static_cast<double>(kPow10[static_cast<std::size_t>(scale)]);
}

// Streams one COPY ... TO STDOUT (FORMAT binary): one CopyData message per row.
class CopyCursor final : public db::RowCursor {
 public:
  // One entry per column read: how, and where the first read notes values (null otherwise).
  struct Column {
    const Read* read = nullptr;
    Notes* notes = nullptr;
  };
  CopyCursor(PGconn* conn, std::vector<Column> columns, std::string column_names,
             std::atomic<std::int64_t>& bytes)
      : conn_(conn),
        bytes_(bytes),
        columns_(std::move(columns)),
        names_(std::move(column_names)),
        cells_(columns_.size()) {}
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
    if (fields != static_cast<std::int64_t>(columns_.size()) &&
        !(columns_.empty() && fields == 0)) {
      malformed();
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (end - p < 4) malformed();
      const std::int64_t len = be_int(p, 4);
      p += 4;
      db::CellView& cell = cells_[i];
      cell = db::CellView{};
      if (len < 0) continue;  // NULL
      if (len > end - p) malformed();
      const auto size = static_cast<std::size_t>(len);
      const Read& read = *columns_[i].read;
      switch (read.wire) {
        case Wire::kInteger:
          if (size != 2 && size != 4 && size != 8) malformed();
          cell.kind = db::CellView::Kind::kInt;
          cell.i = be_int(p, size);
          break;
        case Wire::kFloat:
          if (size != 8) malformed();
          cell.kind = db::CellView::Kind::kReal;
          cell.d = note_float(std::bit_cast<double>(static_cast<std::uint64_t>(be_int(p, 8))),
                              columns_[i].notes);
          break;
        case Wire::kFloat4:
          if (size != 4) malformed();
          cell.kind = db::CellView::Kind::kReal;
          cell.d = note_float(
              static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(be_int(p, 4)))),
              columns_[i].notes);
          break;
        case Wire::kNumeric:
          cell.kind = db::CellView::Kind::kReal;
          cell.d = numeric_double(p, size, read.scale, columns_[i].notes);
          break;
        case Wire::kBoolean:
          if (size != 1) malformed();
          cell.kind = db::CellView::Kind::kInt;
          cell.i = *p != 0 ? 1 : 0;
          break;
        case Wire::kEnum: {
          const auto it = read.rank.find(std::string_view(p, size));
          if (it == read.rank.end()) {
            throw NativeFallback(fmt::format("the enum label '{}' was added during the read",
                                             std::string_view(p, size)));
          }
          cell.kind = db::CellView::Kind::kInt;
          cell.i = it->second;
          break;
        }
        case Wire::kDate: {
          if (size != 4) malformed();
          const std::int64_t days = be_int(p, 4);
          if (days < kFirstSortableDay || days > kLastSortableDay) {
            const bool infinite = days == std::numeric_limits<std::int32_t>::min() ||
                                  days == std::numeric_limits<std::int32_t>::max();
            unsortable_temporal(days, infinite, days < 0);
          }
          cell.kind = db::CellView::Kind::kInt;
          cell.i = days;
          break;
        }
        case Wire::kTimestamp: {
          if (size != 8) malformed();
          const std::int64_t micros = be_int(p, 8);
          if (micros < kFirstSortableDay * kDayMicros ||
              micros >= (kLastSortableDay + 1) * kDayMicros) {
            const bool infinite = micros == std::numeric_limits<std::int64_t>::min() ||
                                  micros == std::numeric_limits<std::int64_t>::max();
            unsortable_temporal(infinite ? 0 : day_of(micros), infinite, micros < 0);
          }
          cell.kind = db::CellView::Kind::kInt;
          cell.i = micros;
          break;
        }
        case Wire::kTime: {
          if (size != 8) malformed();
          const std::int64_t micros = be_int(p, 8);
          if (micros < 0 || micros > kDayMicros) malformed();
          cell.kind = db::CellView::Kind::kInt;
          cell.i = micros;
          break;
        }
        case Wire::kTemporalText:
          if (!sortable_temporal(std::string_view(p, size))) {
            throw NativeFallback(fmt::format(
                "the value '{}' of a date/time column does not sort as text (BC, infinity or a "
                "year past 9999)",
                std::string_view(p, size)));
          }
          [[fallthrough]];
        case Wire::kBytes:
        case Wire::kBpchar:
          cell.kind = db::CellView::Kind::kText;
          cell.bytes = std::string_view(p, size);
          break;
      }
      p += size;
    }
    return true;
  }

  int column_count() const override { return static_cast<int>(columns_.size()); }
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
  std::vector<Column> columns_;
  std::string names_;
  std::vector<db::CellView> cells_;
  char* buf_ = nullptr;
  bool header_ = false;
  bool done_ = false;
};

}  // namespace

namespace {

// Whether date, timestamp and time are read as integers on this connection: while the server
// reports DateStyle ISO (the SQL path's text, which present() writes) and integer_datetimes on
// (the binary format of integers; every server since 10). Otherwise they are read as the
// server's text.
bool temporal_integers(db::Connection& connection) {
  db::PostgresConnection* pg = postgres(connection);
  if (!pg) return false;
  const char* style = PQparameterStatus(pg->handle(), "DateStyle");
  const char* integers = PQparameterStatus(pg->handle(), "integer_datetimes");
  return style && integers && std::string_view(style).starts_with("ISO") &&
         std::string_view(integers) == "on";
}

// How each column is read, or the first reason one cannot be.
std::variant<std::vector<Read>, std::string> reads_of(db::Connection& connection, std::int64_t oid,
                                                      const std::vector<ColumnSpec>& columns) {
  EnumLabels enums;
  if (std::any_of(columns.begin(), columns.end(), maybe_enum)) enums = enum_labels(connection, oid);
  const bool integer_temporal = temporal_integers(connection);
  std::vector<Read> out;
  for (const auto& c : columns) {
    auto r = read_of(c, enums, integer_temporal);
    if (auto* why = std::get_if<std::string>(&r)) {
      return fmt::format("column '{}' is {}", c.name, *why);
    }
    out.push_back(std::move(std::get<Read>(r)));
  }
  return out;
}

}  // namespace

std::string PgRowSource::unsupported(db::Connection& connection, const TableTarget& target,
                                     const std::vector<ColumnSpec>& columns) {
  if (!postgres(connection)) return "the connection is not a libpq (PostgreSQL) connection";
  const auto rel = relation(connection, target.ref);
  if (!rel) return "the relation is not in pg_class";
  auto reads = reads_of(connection, rel->oid, columns);
  if (auto* why = std::get_if<std::string>(&reads)) return *why;
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
  // column a 4-byte length and the value: numbers, dates, timestamps and times at their binary
  // width, text at its average width (pg_stats), timestamptz (or every temporal value where
  // they are read as text) and uuids as their text.
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
  const auto reads = reads_of(connection, rel->oid, columns);
  const auto* read = std::get_if<std::vector<Read>>(&reads);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const ColumnSpec& c = columns[i];
    per_row += 4.0;
    const std::string t = db::normalize_type_name(c.sql_type());
    if (!read) {
      widths_known = false;
      continue;
    }
    const auto width = widths.find(c.name);
    switch ((*read)[i].wire) {
      case Wire::kInteger:
        per_row += t == "smallint" || t == "int2" ? 2.0 : t == "bigint" || t == "int8" ? 8.0 : 4.0;
        break;
      case Wire::kFloat:
        per_row += 8.0;
        break;
      case Wire::kFloat4:
        per_row += 4.0;
        break;
      case Wire::kBoolean:
        per_row += 1.0;
        break;
      case Wire::kEnum:
        per_row += 8.0;  // the label's text; pg_stats gives the 4 bytes of its oid
        break;
      case Wire::kDate:
        per_row += 4.0;
        break;
      case Wire::kTimestamp:
      case Wire::kTime:
        per_row += 8.0;
        break;
      case Wire::kTemporalText:
        per_row += t == "date"                                                     ? 10.0
                   : t.starts_with("time") && t.find("stamp") == std::string::npos ? 15.0
                                                                                   : 29.0;
        break;
      case Wire::kNumeric:
      case Wire::kBytes:
      case Wire::kBpchar:
        if (t == "uuid") {
          per_row += 36.0;
        } else if (width != widths.end()) {
          // bytea travels as its hex text: two characters a byte, and "\x".
          per_row += t == "bytea" ? 2.0 * width->second + 2.0 : width->second;
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
  auto reads = reads_of(connection, rel->oid, columns);
  if (!std::holds_alternative<std::vector<Read>>(reads)) return nullptr;
  src->read_ = std::move(std::get<std::vector<Read>>(reads));
  src->splittable_ = (rel->kind == "r" || rel->kind == "m") && !rel->children;
  src->blocks_ = rel->blocks;
  src->expected_rows_ = rel->rows;
  src->start(connection, factory, src->splittable_ ? threads : 1);
  src->notes_.assign(src->readers_.size(), std::vector<Notes>(columns.size()));
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

namespace {

// The statements that read `columns` of one part: the bound values set as transaction-local
// settings (COPY takes no parameters; empty when there are none), and the COPY.
struct CopyStatements {
  std::string settings;
  std::vector<db::Value> values;
  std::string copy;
};

CopyStatements copy_statements(const db::Dialect& d, const std::vector<ColumnSpec>& specs,
                               const std::vector<Read>& reads,
                               const std::vector<std::size_t>& columns, const Scope& scope,
                               const std::string& table, const std::vector<std::string>& ranges) {
  std::vector<std::string> select;
  for (std::size_t i : columns) {
    const std::string col = d.quote_identifier(specs[i].name);
    const Wire w = reads[i].wire;
    const bool text = w == Wire::kBytes || w == Wire::kBpchar || w == Wire::kTemporalText;
    select.push_back(text ? "CAST(" + col + " AS TEXT)" : col);
  }
  db::ParamList params(d);
  std::vector<std::string> where = row_filters(d, specs, scope, params);
  where.insert(where.end(), ranges.begin(), ranges.end());
  std::string sql = fmt::format("SELECT {} FROM {}", join(select, ", "), table);
  if (!where.empty()) sql += " WHERE " + join(where, " AND ");
  const db::BoundSql plain = params.bind(sql);
  CopyStatements out;
  std::vector<std::string> sets;
  const db::BoundSql bound = params.bind(sql, [&](std::size_t n) -> std::string {
    const auto [text, type] = setting(plain.params.at(n - 1));
    if (type == "NULL") return "NULL";
    const std::string name = fmt::format("baselinr.p{}", n);
    sets.push_back(
        fmt::format("pg_catalog.set_config('{}', ${}, true)", name, out.values.size() + 1));
    out.values.emplace_back(text);
    const std::string read = fmt::format("pg_catalog.current_setting('{}')", name);
    return type.empty() ? read : "CAST(" + read + " AS " + type + ")";
  });
  if (!sets.empty()) out.settings = "SELECT " + join(sets, ", ");
  out.copy = "COPY (" + bound.sql + ") TO STDOUT (FORMAT binary)";
  return out;
}

// "a  " for "a" in a char(3): the text padded with spaces to `width` characters, as PostgreSQL
// stores and prints a char(n).
std::string padded(std::string text, int width) {
  std::int64_t chars = 0;
  for (unsigned char ch : text) chars += (ch & 0xC0) != 0x80 ? 1 : 0;
  if (chars < width) text.append(static_cast<std::size_t>(width - chars), ' ');
  return text;
}

// The exact text of a numeric at `scale` from its nearest double (|value| * 10^scale < 10^15).
std::string numeric_text(double d, int scale) {
  const long double scaled =
      std::nearbyint(static_cast<long double>(d) * kPow10[static_cast<std::size_t>(scale)]);
  const auto magnitude = static_cast<std::int64_t>(std::fabs(scaled));
  const std::int64_t unit = kPow10[static_cast<std::size_t>(scale)];
  std::string out = scaled < 0 ? "-" : "";
  out += std::to_string(magnitude / unit);
  if (scale > 0) out += fmt::format(".{:0{}}", magnitude % unit, scale);
  return out;
}

// The double the SQL path reads from a real's text (its shortest text, PostgreSQL 12+).
double float4_shown(double d) {
  if (!std::isfinite(d)) return d;
  std::array<char, 64> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<float>(d));
  return parse_double(std::string_view(buf.data(), static_cast<std::size_t>(r.ptr - buf.data())))
      .value_or(d);
}

}  // namespace

std::vector<std::string> PgRowSource::planned_statements(db::Connection& connection,
                                                         const TableTarget& target,
                                                         const std::vector<ColumnSpec>& columns,
                                                         const Scope& scope) {
  const auto rel = relation(connection, target.ref);
  if (!rel) return {};
  auto reads = reads_of(connection, rel->oid, columns);
  if (!std::holds_alternative<std::vector<Read>>(reads)) return {};
  std::vector<std::size_t> all(columns.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const CopyStatements s =
      copy_statements(connection.dialect(), columns, std::get<std::vector<Read>>(reads), all, scope,
                      connection.dialect().table_sql(target.ref), {});
  std::vector<std::string> out;
  if (!s.settings.empty()) out.push_back(s.settings);
  out.push_back(s.copy);
  return out;
}

std::unique_ptr<db::RowCursor> PgRowSource::open(int thread, std::size_t part,
                                                 const std::vector<std::size_t>& columns) {
  db::Connection& c = *readers_.at(static_cast<std::size_t>(thread));
  const db::Dialect& d = c.dialect();
  std::vector<CopyCursor::Column> read;
  std::vector<std::string> names;
  for (std::size_t i : columns) {
    Notes* notes = noting_ ? &notes_.at(static_cast<std::size_t>(thread)).at(i) : nullptr;
    read.push_back({&read_.at(i), notes});
    names.push_back(d.quote_identifier((*columns_)[i].name));
  }
  std::vector<std::string> ranges;
  if (!ranges_.empty()) {
    // Block numbers are ours, not user input.
    const Range& r = ranges_.at(part);
    if (r.first >= 0) ranges.push_back(fmt::format("ctid >= CAST('({},0)' AS tid)", r.first));
    if (r.end >= 0) ranges.push_back(fmt::format("ctid < CAST('({},0)' AS tid)", r.end));
  }
  const CopyStatements s = copy_statements(d, *columns_, read_, columns, *scope_, table_, ranges);
  if (!s.settings.empty()) c.query(s.settings, s.values);

  PGconn* conn = postgres(c)->handle();
  PGresult* res = PQexec(conn, s.copy.c_str());
  if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
    try {
      copy_failed(conn, res);
    } catch (...) {
      if (res) PQclear(res);
      throw;
    }
  }
  PQclear(res);
  return std::make_unique<CopyCursor>(conn, std::move(read), join(names, ", "), bytes_read_);
}

void PgRowSource::present(std::vector<ColumnAggregates>& aggregates) {
  noting_ = false;  // a histogram read adds nothing to the notes
  for (std::size_t i = 0; i < read_.size() && i < aggregates.size(); ++i) {
    const Read& r = read_[i];
    const ColumnSpec& spec = (*columns_)[i];
    ColumnAggregates& a = aggregates[i];
    Notes n;
    for (auto& per_thread : notes_) {
      const Notes& t = per_thread[i];
      n.merge(t);
      n.moments.merge(t.moments);
    }
    // Each shown value (min, max, quantiles, top values) as the SQL path stores it.
    std::function<MetricValue(const MetricValue&)> shown;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    switch (r.wire) {
      case Wire::kFloat:
      case Wire::kFloat4: {
        n.present_moments(spec, a);
        const bool f4 = r.wire == Wire::kFloat4;
        shown = [f4, n](const MetricValue& v) -> MetricValue {
          const double* d = std::get_if<double>(&v);
          if (!d) return v;
          if (*d == 0) return n.shown_zero(v);
          return f4 ? float4_shown(*d) : *d;
        };
        break;
      }
      case Wire::kNumeric: {
        if (r.scale < 0) {
          // Each value at its own scale: the moments are the engine's, in long double from the
          // doubles (no common scale to count in); NaN as the server's AVG gives it.
          n.present_moments(spec, a);
          shown = [](const MetricValue& v) -> MetricValue {
            const double* d = std::get_if<double>(&v);
            if (!d || !std::isfinite(*d)) return v;
            std::array<char, 512> buf{};
            const auto w =
                std::to_chars(buf.data(), buf.data() + buf.size(), *d, std::chars_format::fixed);
            return std::string(buf.data(), w.ptr);
          };
          break;
        }
        const double unit = static_cast<double>(kPow10[static_cast<std::size_t>(r.scale)]);
        const std::int64_t values = n.moments.count() + n.nans;
        if (spec.wants("mean")) {
          a.mean.reset();
          if (n.nans > 0) {
            a.mean = nan;
          } else if (auto m = n.moments.mean()) {
            a.mean = *m / unit;
          }
        }
        if (spec.wants("stddev")) {
          a.stddev.reset();
          if (values >= 2) {
            a.stddev = n.nans > 0 ? nan : n.moments.stddev().value_or(nan) / unit;
          }
        }
        const int scale = r.scale;
        shown = [scale](const MetricValue& v) -> MetricValue {
          std::optional<double> d;
          if (const auto* x = std::get_if<double>(&v)) d = *x;
          if (const auto* x = std::get_if<std::int64_t>(&v)) d = static_cast<double>(*x);
          if (!d || !std::isfinite(*d))
            return v;  // NaN, +-Infinity: doubles, as extreme() makes them
          return numeric_text(*d, scale);
        };
        break;
      }
      case Wire::kBpchar: {
        const int width = r.width;
        shown = [width](const MetricValue& v) -> MetricValue {
          if (const auto* s = std::get_if<std::string>(&v)) return padded(*s, width);
          return v;
        };
        break;
      }
      case Wire::kDate:
      case Wire::kTimestamp:
      case Wire::kTime: {
        const Wire wire = r.wire;
        shown = [wire](const MetricValue& v) -> MetricValue {
          const auto* integer = std::get_if<std::int64_t>(&v);
          if (!integer) return v;
          return temporal_text(wire, *integer);
        };
        break;
      }
      case Wire::kEnum:
        shown = [&r](const MetricValue& v) -> MetricValue {
          const auto* pos = std::get_if<std::int64_t>(&v);
          if (!pos || *pos < 0 || static_cast<std::size_t>(*pos) >= r.labels.size()) return v;
          return r.labels[static_cast<std::size_t>(*pos)];
        };
        break;
      default:
        break;
    }
    if (!shown) continue;
    present_values(a, shown);
  }
}

void present_values(ColumnAggregates& a,
                    const std::function<MetricValue(const MetricValue&)>& shown) {
  auto value = [&shown](const db::Value& v) -> db::Value {
    if (std::holds_alternative<std::monostate>(v)) return v;
    return std::visit([](const auto& x) -> db::Value { return x; }, shown(metric_value(v)));
  };
  a.min = value(a.min);
  a.max = value(a.max);
  if (a.quantiles) {
    for (auto& q : a.quantiles->values) q = shown(q);
  }
  if (a.top_values) {
    for (auto& [v, count] : a.top_values->values) v = shown(v);
  }
}

void FloatNotes::present_moments(const ColumnSpec& spec, ColumnAggregates& a) const {
  if (nans == 0) return;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (spec.wants("mean")) a.mean = nan;
  if (spec.wants("stddev") && a.non_null.value_or(0) >= 2) a.stddev = nan;
}

MetricValue FloatNotes::shown_zero(const MetricValue& v) const {
  const double* d = std::get_if<double>(&v);
  if (!d || *d != 0) return v;
  return neg_zero && !pos_zero ? -0.0 : 0.0;
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
