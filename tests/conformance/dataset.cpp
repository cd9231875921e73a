#include "dataset.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>

#include "common/moments.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"

namespace baselinr::conformance {
namespace {

constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::size_t kBatchRows = 25;

// Deterministic draws from one generator.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  // Inclusive range; the span may be the whole int32 range.
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(rng_() % span);
  }
  bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[static_cast<std::size_t>(rng_() % from.size())];
  }
  std::uint64_t bits() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

std::string date_text(std::int64_t days_since_epoch) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days_since_epoch}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string time_text(std::int64_t second_of_day) {
  return fmt::format("{:02}:{:02}:{:02}", second_of_day / 3600, second_of_day / 60 % 60,
                     second_of_day % 60);
}

// "YYYY-MM-DD HH:MM:SS.ffffff", UTC.
std::string timestamp_text(std::int64_t seconds_since_epoch, std::int64_t micros) {
  const std::int64_t days = seconds_since_epoch >= 0 ? seconds_since_epoch / 86400
                                                     : -((-seconds_since_epoch + 86399) / 86400);
  const std::int64_t second_of_day = seconds_since_epoch - days * 86400;
  return fmt::format("{} {}.{:06}", date_text(days), time_text(second_of_day), micros);
}

std::int64_t micros(Draw& d) {
  if (d.chance(20)) return 0;                         // prints without a fraction on PostgreSQL
  if (d.chance(25)) return d.uniform(0, 9) * 100000;  // trailing zeros
  return d.uniform(0, 999999);
}

std::string uuid_text(Draw& d) {
  std::uint64_t hi = d.bits(), lo = d.bits();
  hi = (hi & ~std::uint64_t{0xf000}) | 0x4000;                         // version 4
  lo = (lo & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{8} << 60);  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

// Words with accents, CJK, emoji (a ZWJ family is five code points), combining marks (NFD "é"
// is two characters and a different value from NFC "é"), quotes and backslashes. None ends with a
// space: MariaDB's PAD SPACE collations would compare 'a' and 'a ' equal.
const std::vector<std::string>& words() {
  static const std::vector<std::string> w = {"alpha",
                                             "Ünïcødé",
                                             "日本語テキスト",
                                             "emoji 🙂🚀",
                                             "naïve café",
                                             "x\"y'z`w",
                                             "e\u0301",
                                             "\u00e9",
                                             "👩‍👩‍👧",
                                             "back\\slash",
                                             "tab\tin",
                                             "Ελληνικά",
                                             "עברית",
                                             "한국어",
                                             "a",
                                             "Z"};
  return w;
}

Cell null() { return std::monostate{}; }

}  // namespace

const Column& Dataset::column(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return c;
  }
  throw std::invalid_argument("no column " + std::string(name));
}

Column& Dataset::column(std::string_view name) {
  return const_cast<Column&>(std::as_const(*this).column(name));
}

Dataset Dataset::slice(std::size_t begin, std::size_t end) const {
  Dataset out{table, {}};
  for (const auto& c : columns) {
    out.columns.push_back({c.name, c.type,
                           std::vector<Cell>(c.values.begin() + static_cast<std::ptrdiff_t>(begin),
                                             c.values.begin() + static_cast<std::ptrdiff_t>(end))});
  }
  return out;
}

Dataset generate_dataset(std::size_t rows, std::uint64_t seed) {
  if (rows < 16) throw std::invalid_argument("the dataset needs at least 16 rows");
  Draw d(seed);
  using L = Logical;
  Dataset data{
      "conformance",
      {{"id", L::kInt32, {}},     {"small", L::kInt16, {}},     {"medium", L::kInt32, {}},
       {"big", L::kInt64, {}},    {"big62", L::kInt64, {}},     {"amount", L::kDecimal, {}},
       {"ratio", L::kDouble, {}}, {"score", L::kFloat, {}},     {"name", L::kVarchar, {}},
       {"note", L::kText, {}},    {"code", L::kChar, {}},       {"day", L::kDate, {}},
       {"clock", L::kTime, {}},   {"stamp", L::kTimestamp, {}}, {"stamp_tz", L::kTimestampTz, {}},
       {"flag", L::kBoolean, {}}, {"doc", L::kJson, {}},        {"uid", L::kUuid, {}},
       {"payload", L::kBlob, {}}, {"mood", L::kEnum, {}},       {"empty", L::kInt32, {}}}};

  std::vector<std::string> uuids;
  for (int i = 0; i < 400; ++i) uuids.push_back(uuid_text(d));
  std::vector<std::string> blobs = {std::string(), std::string(1, '\0'), std::string("\xff\xfe"),
                                    std::string("a ")};
  while (blobs.size() < 300) {
    std::string b;
    const auto n = d.uniform(1, 24);
    for (std::int64_t i = 0; i < n; ++i) b.push_back(static_cast<char>(d.uniform(0, 255)));
    blobs.push_back(std::move(b));
  }
  const std::vector<std::string> codes = {"DE", "FR", "US", "日本", "ÅÖ", "🙂🚀", "Çà"};
  const std::vector<std::string> tags = {"plain", "ü", "日本", "quote\\\"d"};

  auto col = [&data](std::string_view name) -> std::vector<Cell>& {
    return data.column(name).values;
  };
  for (std::size_t i = 0; i < rows; ++i) {
    col("id").push_back(static_cast<std::int64_t>(i + 1));

    if (i == 0 || i == 1) {
      col("small").push_back(std::int64_t{i == 0 ? -32768 : 32767});
    } else {
      col("small").push_back(d.chance(10) ? null() : Cell(d.uniform(-32768, 32767)));
    }

    if (i == 2 || i == 3) {
      col("medium").push_back(i == 2 ? std::int64_t{std::numeric_limits<std::int32_t>::min()}
                                     : std::int64_t{std::numeric_limits<std::int32_t>::max()});
    } else {
      col("medium").push_back(d.chance(10)
                                  ? null()
                                  : Cell(d.uniform(std::numeric_limits<std::int32_t>::min(),
                                                   std::numeric_limits<std::int32_t>::max())));
    }

    if (i == 4 || i == 5) {
      col("big").push_back(i == 4 ? kMin64 : kMax64);
    } else if (d.chance(10)) {
      col("big").push_back(null());
    } else {
      const std::int64_t r = d.uniform(0, 99999);
      col("big").push_back(d.chance(50) ? kMax64 - r : kMin64 + r);
    }

    // A large mean and a small spread: exact integer arithmetic or a shifted algorithm needed.
    col("big62").push_back(d.chance(5) ? null()
                                       : Cell((std::int64_t{1} << 62) + d.uniform(-5000, 5000)));

    if (i == 6 || i == 7) {
      col("amount").push_back(std::int64_t{i == 6 ? -999999999999 : 999999999999});
    } else if (d.chance(10)) {
      col("amount").push_back(null());
    } else {
      col("amount").push_back(d.chance(50) ? d.uniform(-100000, 100000)
                                           : d.uniform(-100000000000, 100000000000));
    }

    // mean / stddev ~ 9e5; exact in binary, so every engine reads the same doubles.
    col("ratio").push_back(
        d.chance(5) ? null() : Cell(1e8 + static_cast<double>(d.uniform(0, 99999)) / 256));
    col("score").push_back(d.chance(10) ? null()
                                        : Cell(static_cast<double>(d.uniform(-4000, 4000)) * 0.25));

    if (d.chance(14)) {
      col("name").push_back(null());
    } else {
      std::string w = d.pick(words());
      if (d.chance(70)) w += fmt::format(" {}", d.uniform(0, 40));
      col("name").push_back(w);
    }

    if (d.chance(10)) {
      col("note").push_back(null());
    } else if (d.chance(5)) {
      col("note").push_back(std::string());
    } else {
      std::string s;
      const auto n = d.uniform(1, 12);
      for (std::int64_t k = 0; k < n; ++k) {
        if (k) s += d.chance(10) ? "\n" : " ";
        s += d.pick(words());
      }
      col("note").push_back(s);
    }

    col("code").push_back(d.chance(5) ? null() : Cell(d.pick(codes)));

    if (i == 8) {
      col("day").push_back(std::string("2000-02-29"));
    } else {
      // 1900-01-01 .. 2099-12-31
      col("day").push_back(d.chance(5) ? null() : Cell(date_text(d.uniform(-25567, 47481))));
    }
    col("clock").push_back(d.chance(5) ? null() : Cell(time_text(d.uniform(0, 86399))));
    if (d.chance(5)) {
      col("stamp").push_back(null());
    } else {
      // 1900 .. 2099
      col("stamp").push_back(timestamp_text(d.uniform(-2208988800, 4102444799), micros(d)));
    }
    if (d.chance(5)) {
      col("stamp_tz").push_back(null());
    } else {
      // MariaDB's TIMESTAMP ends in 2038: 2000 .. 2029.
      col("stamp_tz").push_back(timestamp_text(d.uniform(946684800, 1893455999), micros(d)));
    }

    col("flag").push_back(d.chance(33) ? null() : Cell(d.chance(50)));
    col("doc").push_back(d.chance(10) ? null()
                                      : Cell(fmt::format(R"({{"k": {}, "tag": "{}"}})",
                                                         d.uniform(0, 49), d.pick(tags))));
    col("uid").push_back(d.chance(10) ? null() : Cell(d.pick(uuids)));
    col("payload").push_back(d.chance(10) ? null() : Cell(d.pick(blobs)));
    col("mood").push_back(d.chance(10) ? null() : Cell(d.pick(enum_labels())));
    col("empty").push_back(null());
  }
  return data;
}

Dataset generate_drift_dataset(std::size_t rows, std::uint64_t seed) {
  Draw d(seed);
  using L = Logical;
  Dataset data{"drift_subject",
               {{"id", L::kInt32, {}},
                {"units", L::kInt32, {}},
                {"qty", L::kInt32, {}},
                {"price", L::kDouble, {}},
                {"amount", L::kDecimal, {}},
                {"label", L::kVarchar, {}},
                {"day", L::kDate, {}},
                {"flag", L::kBoolean, {}},
                {"gone", L::kText, {}}}};
  auto col = [&data](std::string_view name) -> std::vector<Cell>& {
    return data.column(name).values;
  };
  for (std::size_t i = 0; i < rows; ++i) {
    col("id").push_back(static_cast<std::int64_t>(i + 1));
    col("units").push_back(d.uniform(0, 500));
    col("qty").push_back(d.uniform(1, 100));
    col("price").push_back(10 + static_cast<double>(d.uniform(0, 6399)) / 64);
    col("amount").push_back(d.uniform(100, 1000000));
    col("label").push_back(fmt::format("{} {}", d.pick(words()), d.uniform(0, 19)));
    col("day").push_back(date_text(19723 + d.uniform(0, 365)));  // 2024
    col("flag").push_back(d.chance(10) ? null() : Cell(d.chance(50)));
    col("gone").push_back(d.pick(words()));
  }
  return data;
}

namespace {

std::string column_ddl(Namespace& ns, const Column& c) {
  const db::Dialect& dialect = ns.admin().dialect();
  const std::string quoted = dialect.quote_identifier(c.name);
  std::string type = ns.expand(ns.target().quirks.type(c.type).ddl);
  return quoted + " " + replace_all(type, "$COL", quoted);
}

}  // namespace

void create_table(Namespace& ns, const Dataset& data) {
  std::string defs;
  for (const auto& c : data.columns) {
    if (!defs.empty()) defs += ", ";
    defs += column_ddl(ns, c);
  }
  ns.admin().execute("CREATE TABLE " + ns.sql(data.table) + " (" + defs + ")");
}

void insert_rows(Namespace& ns, const Dataset& data, std::size_t begin, std::size_t end) {
  db::Connection& conn = ns.admin();
  const db::Dialect& dialect = conn.dialect();
  const Quirks& quirks = ns.target().quirks;
  std::string names;
  for (const auto& c : data.columns) {
    if (!names.empty()) names += ", ";
    names += dialect.quote_identifier(c.name);
  }
  db::Transaction tx(conn);
  for (std::size_t start = begin; start < end; start += kBatchRows) {
    const std::size_t stop = std::min(end, start + kBatchRows);
    db::ParamList params(dialect);
    std::string values;
    for (std::size_t r = start; r < stop; ++r) {
      values += r == start ? "(" : ", (";
      for (std::size_t k = 0; k < data.columns.size(); ++k) {
        const Column& c = data.columns[k];
        const Cell& cell = c.values.at(r);
        if (k) values += ", ";
        if (std::holds_alternative<std::monostate>(cell)) {
          values += "NULL";
          continue;
        }
        const TypeQuirk& q = quirks.type(c.type);
        db::Value v = q.encode ? q.encode(cell) : default_encoding(c.type, cell);
        values += replace_all(q.insert_expr, "$P", params.add(std::move(v)));
      }
      values += ")";
    }
    db::BoundSql bound =
        params.bind("INSERT INTO " + ns.sql(data.table) + " (" + names + ") VALUES " + values);
    conn.execute(bound.sql, bound.params);
  }
  tx.commit();
}

std::string canonical_temporal(std::string_view text) {
  std::string s(text);
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  for (std::string_view zone : {"Z", "+00:00", "+00"}) {
    if (s.size() > zone.size() && s.ends_with(zone)) {
      s.erase(s.size() - zone.size());
      break;
    }
  }
  if (auto dot = s.find('.'); dot != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::int64_t utf8_length(std::string_view text) {
  std::int64_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<double> Expected::as_number() const {
  switch (kind) {
    case Kind::kInt:
      return static_cast<double>(integer);
    case Kind::kNumber:
    case Kind::kApprox:
      return number;
    default:
      return std::nullopt;
  }
}

std::optional<double> number_of(const MetricValue& value) {
  if (auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&value)) return *d;
  if (auto* s = std::get_if<std::string>(&value)) return parse_double(*s);
  return std::nullopt;
}

namespace {

bool is_integer_type(Logical t) {
  return t == Logical::kInt16 || t == Logical::kInt32 || t == Logical::kInt64;
}

bool is_numeric_type(Logical t) {
  return is_integer_type(t) || t == Logical::kDecimal || t == Logical::kFloat ||
         t == Logical::kDouble;
}

Expected exact_int(std::int64_t v) { return {.kind = Expected::Kind::kInt, .integer = v}; }
Expected approx(double v) { return {.kind = Expected::Kind::kApprox, .number = v}; }
Expected none() { return {}; }

double percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0.0;
  return static_cast<double>(part) / static_cast<double>(whole) * 100.0;
}

// The value as the engine's numeric aggregates see it: exact integers (decimals in hundredths)
// and doubles.
struct NumericData {
  bool integral = false;  // integers or hundredths: exact sums
  std::vector<std::int64_t> ints;
  std::vector<double> reals;
  long double scale = 1;  // hundredths: 100
};

NumericData numeric_data(const Column& c) {
  NumericData out;
  out.integral = is_integer_type(c.type) || c.type == Logical::kDecimal;
  if (c.type == Logical::kDecimal) out.scale = 100;
  for (const Cell& v : c.values) {
    if (std::holds_alternative<std::monostate>(v)) continue;
    if (out.integral) {
      out.ints.push_back(std::get<std::int64_t>(v));
    } else {
      out.reals.push_back(std::get<double>(v));
    }
  }
  return out;
}

// The value fed to the histogram formula, as every engine converts it to a double.
std::vector<double> histogram_inputs(const NumericData& n) {
  std::vector<double> xs;
  if (n.integral) {
    for (std::int64_t i : n.ints) {
      xs.push_back(n.scale == 1 ? static_cast<double>(i) : static_cast<double>(i) / 100.0);
    }
  } else {
    xs = n.reals;
  }
  return xs;
}

// Mean and sample standard deviation of values shifted by the first one (so a large mean with a
// small spread loses nothing): exact 128-bit sums for integers, then a two-pass computation of
// the deviations in long double.
std::pair<std::optional<double>, std::optional<double>> moments(const NumericData& n) {
  std::vector<long double> ys;  // x - shift
  long double shift = 0, mean_rel = 0;
  if (n.integral) {
    if (n.ints.empty()) return {};
    const Int128 first = n.ints.front();
    Int128 sum = 0;
    for (std::int64_t i : n.ints) {
      sum += i - first;
      ys.push_back(static_cast<long double>(i - first));
    }
    shift = static_cast<long double>(first);
    mean_rel = static_cast<long double>(sum) / static_cast<long double>(ys.size());
  } else {
    if (n.reals.empty()) return {};
    shift = n.reals.front();
    long double sum = 0;
    for (double r : n.reals) {
      ys.push_back(static_cast<long double>(r) - shift);
      sum += ys.back();
    }
    mean_rel = sum / static_cast<long double>(ys.size());
  }
  std::optional<double> sd;
  if (ys.size() > 1) {
    long double ss = 0;
    for (long double y : ys) ss += (y - mean_rel) * (y - mean_rel);
    sd = static_cast<double>(std::sqrt(ss / static_cast<long double>(ys.size() - 1)) / n.scale);
  }
  return {static_cast<double>((shift + mean_rel) / n.scale), sd};
}

// The value a quantile point or a top value must show: integers exactly, decimals and reals by
// value, temporal values in canonical form, strings and booleans (1 or 0) as text; values of
// other types (JSON, UUIDs, blobs, enums) print differently on each engine: any.
Expected expected_value(const Cell& v, Logical type, TypeClass type_class) {
  if (type_class == TypeClass::kNumeric) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
      if (type == Logical::kDecimal) {
        return {.kind = Expected::Kind::kNumber, .number = static_cast<double>(*i) / 100.0};
      }
      return exact_int(*i);
    }
    return {.kind = Expected::Kind::kNumber, .number = std::get<double>(v)};
  }
  if (type_class == TypeClass::kTemporal) {
    return {.kind = Expected::Kind::kTemporal,
            .text = canonical_temporal(std::get<std::string>(v))};
  }
  if (type_class == TypeClass::kBoolean) {
    return {.kind = Expected::Kind::kText, .text = std::get<bool>(v) ? "1" : "0"};
  }
  if (type_class == TypeClass::kString) {
    return {.kind = Expected::Kind::kText, .text = std::get<std::string>(v)};
  }
  return {.kind = Expected::Kind::kAny};
}

// Quantiles (numeric and temporal columns) and top values, from the values counted here: in the
// column's order (numbers by value, text by its bytes, times chronologically, false before
// true), the value at each nearest rank ceil(p * n); the k most frequent, ties in that order.
void expect_distribution(const Column& column, TypeClass type_class, const ExpectOptions& options,
                         ExpectedMetrics& out) {
  std::map<Cell, std::int64_t> counts;
  std::int64_t non_null = 0, nulls = 0;
  for (const Cell& v : column.values) {
    if (std::holds_alternative<std::monostate>(v)) {
      ++nulls;
    } else {
      ++counts[v];
      ++non_null;
    }
  }
  if (non_null == 0) return;
  if (type_class == TypeClass::kNumeric || type_class == TypeClass::kTemporal) {
    Expected q{.kind = Expected::Kind::kQuantiles};
    q.n = non_null;
    for (int percent : {0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100}) {
      const std::int64_t rank =
          std::max<std::int64_t>(1, (static_cast<std::int64_t>(percent) * non_null + 99) / 100);
      std::int64_t seen = 0;
      for (const auto& [value, count] : counts) {
        seen += count;
        if (seen >= rank) {
          q.points.push_back(expected_value(value, column.type, type_class));
          break;
        }
      }
    }
    out.emplace_back("quantiles", std::move(q));
  }
  const auto distinct = static_cast<std::int64_t>(counts.size());
  if (options.top_values > 0 &&
      (type_class == TypeClass::kString || type_class == TypeClass::kBoolean ||
       distinct <= options.max_distinct_values)) {
    std::vector<std::pair<Cell, std::int64_t>> order(counts.begin(), counts.end());
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    Expected t{.kind = Expected::Kind::kTopValues};
    t.n = options.top_values;
    std::int64_t listed = 0;
    for (std::size_t i = 0; i < order.size() && i < static_cast<std::size_t>(options.top_values);
         ++i) {
      t.top.emplace_back(expected_value(order[i].first, column.type, type_class), order[i].second);
      listed += order[i].second;
    }
    t.other_count = non_null - listed;
    t.null_count = nulls;
    t.distinct_count = distinct;
    out.emplace_back("top_values", std::move(t));
  }
}

// A quantile point's value or a top value's text as `e` says it must be.
void expect_json_value(const nlohmann::json& got, const Expected& e) {
  const std::string shown = got.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::optional<double> number;
  if (got.is_number()) number = got.get<double>();
  if (got.is_string()) number = parse_double(got.get<std::string>());
  switch (e.kind) {
    case Expected::Kind::kInt:
      if (got.is_number_integer()) {
        EXPECT_EQ(got.get<std::int64_t>(), e.integer) << shown;
      } else {
        ASSERT_TRUE(got.is_string()) << shown;
        EXPECT_EQ(parse_int(got.get<std::string>()), std::optional<std::int64_t>(e.integer))
            << shown;
      }
      break;
    case Expected::Kind::kNumber:
      ASSERT_TRUE(number.has_value()) << shown;
      EXPECT_EQ(*number, e.number) << shown << " want " << format_double(e.number);
      break;
    case Expected::Kind::kTemporal:
      ASSERT_TRUE(got.is_string()) << shown;
      EXPECT_EQ(canonical_temporal(got.get<std::string>()), e.text) << shown;
      break;
    case Expected::Kind::kText:
      ASSERT_TRUE(got.is_string()) << shown;
      EXPECT_EQ(got.get<std::string>(), e.text);
      break;
    default:
      break;
  }
}

}  // namespace

namespace {
ExpectedMetrics scalar_metrics(const Column& column, TypeClass type_class,
                               const ExpectOptions& options);
}  // namespace

ExpectedMetrics expected_metrics(const Column& column, TypeClass type_class,
                                 const ExpectOptions& options) {
  ExpectedMetrics out = scalar_metrics(column, type_class, options);
  expect_distribution(column, type_class, options, out);
  return out;
}

namespace {
ExpectedMetrics scalar_metrics(const Column& column, TypeClass type_class,
                               const ExpectOptions& options) {
  const auto count = static_cast<std::int64_t>(column.values.size());
  std::int64_t nulls = 0;
  std::set<Cell> distinct;
  for (const Cell& v : column.values) {
    if (std::holds_alternative<std::monostate>(v)) {
      ++nulls;
      continue;
    }
    distinct.insert(v);
  }
  const auto n_distinct = static_cast<std::int64_t>(distinct.size());
  const std::int64_t non_null = count - nulls;

  ExpectedMetrics out = {{"count", exact_int(count)},
                         {"null_count", exact_int(nulls)},
                         {"null_percent", approx(percent(nulls, count))},
                         {"distinct_count", exact_int(n_distinct)},
                         {"distinct_percent", approx(percent(n_distinct, count))}};

  if (type_class == TypeClass::kNumeric) {
    if (!is_numeric_type(column.type)) {
      throw std::invalid_argument("a numeric class for a non-numeric column " + column.name);
    }
    const NumericData data = numeric_data(column);
    const std::vector<double> xs = histogram_inputs(data);
    if (xs.empty()) {
      for (const char* m : {"min", "max", "mean", "stddev"}) out.emplace_back(m, none());
      return out;
    }
    if (data.integral) {
      const auto [lo, hi] = std::minmax_element(data.ints.begin(), data.ints.end());
      if (data.scale == 1) {
        out.emplace_back("min", exact_int(*lo));
        out.emplace_back("max", exact_int(*hi));
      } else {
        out.emplace_back("min", Expected{.kind = Expected::Kind::kNumber,
                                         .number = static_cast<double>(*lo) / 100.0});
        out.emplace_back("max", Expected{.kind = Expected::Kind::kNumber,
                                         .number = static_cast<double>(*hi) / 100.0});
      }
    } else {
      const auto [lo, hi] = std::minmax_element(data.reals.begin(), data.reals.end());
      out.emplace_back("min", Expected{.kind = Expected::Kind::kNumber, .number = *lo});
      out.emplace_back("max", Expected{.kind = Expected::Kind::kNumber, .number = *hi});
    }
    const auto [mean, sd] = moments(data);
    out.emplace_back("mean", approx(*mean));
    out.emplace_back("stddev", sd ? approx(*sd) : none());
    const double lo = *std::min_element(xs.begin(), xs.end());
    const double hi = *std::max_element(xs.begin(), xs.end());
    if (hi > lo && std::isfinite(hi - lo)) {
      Expected h{.kind = Expected::Kind::kHistogram, .lo = lo, .hi = hi};
      h.bins.assign(static_cast<std::size_t>(options.bins), 0);
      for (double x : xs)
        h.bins[static_cast<std::size_t>(histogram_bin(x, lo, hi - lo, options.bins))]++;
      out.emplace_back("histogram", std::move(h));
    }
  } else if (type_class == TypeClass::kTemporal) {
    std::optional<std::string> lo, hi;
    for (const Cell& v : column.values) {
      const auto* s = std::get_if<std::string>(&v);
      if (!s) continue;
      if (!lo || *s < *lo) lo = *s;
      if (!hi || *s > *hi) hi = *s;
    }
    auto temporal = [](const std::optional<std::string>& s) {
      if (!s) return none();
      return Expected{.kind = Expected::Kind::kTemporal, .text = canonical_temporal(*s)};
    };
    out.emplace_back("min", temporal(lo));
    out.emplace_back("max", temporal(hi));
  } else if (type_class == TypeClass::kString) {
    std::int64_t min_len = kMax64, max_len = -1, total = 0;
    for (const Cell& v : column.values) {
      if (std::holds_alternative<std::monostate>(v)) continue;
      const std::int64_t len = utf8_length(std::get<std::string>(v));
      min_len = std::min(min_len, len);
      max_len = std::max(max_len, len);
      total += len;
    }
    if (non_null == 0) {
      for (const char* m : {"min_length", "max_length", "avg_length"}) out.emplace_back(m, none());
    } else {
      out.emplace_back("min_length", exact_int(min_len));
      out.emplace_back("max_length", exact_int(max_len));
      out.emplace_back("avg_length",
                       approx(static_cast<double>(total) / static_cast<double>(non_null)));
    }
  }
  return out;
}
}  // namespace

void expect_metrics(const ColumnProfile& got, const ExpectedMetrics& want, double tolerance) {
  SCOPED_TRACE("column " + got.name + " (" + got.type + ")");
  std::vector<std::string> got_names, want_names;
  for (const auto& [name, value] : got.metrics) got_names.push_back(name);
  for (const auto& [name, value] : want) want_names.push_back(name);
  EXPECT_EQ(got_names, want_names);

  for (const auto& [name, e] : want) {
    SCOPED_TRACE("metric " + name);
    const MetricValue* v = got.metric(name);
    if (!v) continue;  // reported by the name comparison
    const std::string shown = metric_text(*v).value_or("NULL");
    switch (e.kind) {
      case Expected::Kind::kNull:
        EXPECT_TRUE(std::holds_alternative<std::monostate>(*v)) << shown;
        break;
      case Expected::Kind::kInt:
        EXPECT_EQ(*v, MetricValue(e.integer)) << shown;
        break;
      case Expected::Kind::kNumber: {
        std::optional<double> n = number_of(*v);
        ASSERT_TRUE(n.has_value()) << shown;
        EXPECT_EQ(*n, e.number) << shown << " want " << format_double(e.number);
        break;
      }
      case Expected::Kind::kApprox: {
        std::optional<double> n = number_of(*v);
        ASSERT_TRUE(n.has_value()) << shown;
        EXPECT_NEAR(*n, e.number, std::fabs(e.number) * tolerance)
            << shown << " want " << format_double(e.number);
        break;
      }
      case Expected::Kind::kTemporal: {
        const auto* s = std::get_if<std::string>(v);
        ASSERT_NE(s, nullptr) << shown;
        EXPECT_EQ(canonical_temporal(*s), e.text) << "as stored: " << *s;
        break;
      }
      case Expected::Kind::kHistogram: {
        const auto* s = std::get_if<std::string>(v);
        ASSERT_NE(s, nullptr) << shown;
        const auto bins = nlohmann::json::parse(*s);
        ASSERT_TRUE(bins.is_array());
        ASSERT_EQ(bins.size(), e.bins.size()) << *s;
        const double range = e.hi - e.lo;
        const auto n = static_cast<double>(e.bins.size());
        for (std::size_t i = 0; i < e.bins.size(); ++i) {
          SCOPED_TRACE(fmt::format("bin {}", i));
          const double start = e.lo + range * static_cast<double>(i) / n;
          const double end =
              i + 1 == e.bins.size() ? e.hi : e.lo + range * static_cast<double>(i + 1) / n;
          EXPECT_EQ(bins[i].at("count").get<std::int64_t>(), e.bins[i]);
          EXPECT_EQ(bins[i].at("bin_start").get<double>(), start);
          EXPECT_EQ(bins[i].at("bin_end").get<double>(), end);
        }
        break;
      }
      case Expected::Kind::kQuantiles: {
        const auto* s = std::get_if<std::string>(v);
        ASSERT_NE(s, nullptr) << shown;
        const auto j = nlohmann::json::parse(*s);
        EXPECT_EQ(j.at("method"), "exact") << *s;
        EXPECT_EQ(j.at("interpolation"), "nearest_rank") << *s;
        EXPECT_EQ(j.at("n").get<std::int64_t>(), e.n) << *s;
        const auto& points = j.at("points");
        ASSERT_EQ(points.size(), e.points.size()) << *s;
        for (std::size_t i = 0; i < points.size(); ++i) {
          SCOPED_TRACE(fmt::format("point {}: {}", i, *s));
          expect_json_value(points[i].at("value"), e.points[i]);
          // A date or timestamp also carries its epoch seconds (a time of day has none).
          const std::string& t = e.points[i].text;
          if (e.points[i].kind == Expected::Kind::kTemporal && t.size() >= 10 && t[4] == '-') {
            EXPECT_TRUE(points[i].contains("epoch"));
          }
        }
        break;
      }
      case Expected::Kind::kTopValues: {
        const auto* s = std::get_if<std::string>(v);
        ASSERT_NE(s, nullptr) << shown;
        const auto j = nlohmann::json::parse(*s);
        EXPECT_EQ(j.at("k").get<std::int64_t>(), e.n) << *s;
        EXPECT_EQ(j.at("other_count").get<std::int64_t>(), e.other_count) << *s;
        EXPECT_EQ(j.at("null_count").get<std::int64_t>(), e.null_count) << *s;
        EXPECT_EQ(j.at("distinct_count").get<std::int64_t>(), e.distinct_count) << *s;
        const auto& values = j.at("values");
        ASSERT_EQ(values.size(), e.top.size()) << *s;
        for (std::size_t i = 0; i < values.size(); ++i) {
          SCOPED_TRACE(fmt::format("top value {}: {}", i, *s));
          EXPECT_EQ(values[i].at("count").get<std::int64_t>(), e.top[i].second);
          expect_json_value(values[i].at("value"), e.top[i].first);
        }
        break;
      }
      case Expected::Kind::kText:
      case Expected::Kind::kAny:
        break;
    }
  }
}

}  // namespace baselinr::conformance
