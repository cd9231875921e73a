#include "profiling/distribution.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace baselinr::profiling {
namespace {

using Json = nlohmann::ordered_json;

// Text that is not valid UTF-8 (SQLite keeps any bytes) is stored with U+FFFD in place of the
// bytes that are not.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json number_or_text(const MetricValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) return *d;
    return format_double(*d);  // JSON has no infinities
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int days_in_month(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::int64_t nearest_rank(int percent, std::int64_t n) {
  __extension__ using Wide = unsigned __int128;
  if (n <= 0) return 0;
  const Wide scaled = static_cast<Wide>(percent) * static_cast<Wide>(n);
  const auto rank = static_cast<std::int64_t>((scaled + 99) / 100);
  return rank < 1 ? 1 : rank;
}

std::int64_t float_nearest_rank(int percent, std::int64_t n) {
  if (n <= 0) return 0;
  // The double nearest to percent / 100, as the engine parses the decimal constant.
  const double fraction = static_cast<double>(percent) / 100.0;
  const double row = std::ceil(fraction * static_cast<double>(n));
  // Beyond the int64 range (n near 2^63): the engine's own cast is undefined there; no rank.
  if (!(row < 9223372036854775808.0)) return -1;
  const auto rank = static_cast<std::int64_t>(row);
  return rank < 1 ? 1 : rank;
}

std::string quantiles_json(const Quantiles& q, bool temporal) {
  Json j;
  j["method"] = q.exact ? "exact" : "approximate";
  j["interpolation"] = "nearest_rank";
  j["rank_error"] = q.exact ? 0.0 : q.rank_error;
  j["n"] = q.n;
  Json points = Json::array();
  for (std::size_t i = 0; i < q.values.size() && i < kQuantilePercents.size(); ++i) {
    Json point;
    point["p"] = kQuantilePercents[i] / 100.0;
    point["value"] = number_or_text(q.values[i]);
    if (temporal) {
      if (const auto* s = std::get_if<std::string>(&q.values[i])) {
        if (auto epoch = epoch_seconds(*s)) {
          if (*epoch == std::trunc(*epoch) && std::fabs(*epoch) < 9e15) {
            point["epoch"] = static_cast<std::int64_t>(*epoch);
          } else {
            point["epoch"] = *epoch;
          }
        }
      }
    }
    points.push_back(std::move(point));
  }
  j["points"] = std::move(points);
  return dump(j);
}

std::string top_values_json(const TopValues& top, int k, std::int64_t null_count) {
  Json j;
  j["k"] = k;
  j["exact"] = top.exact;
  Json values = Json::array();
  for (const auto& [value, count] : top.values) {
    Json v;
    v["value"] = metric_text(value).value_or("");
    v["count"] = count;
    values.push_back(std::move(v));
  }
  j["values"] = std::move(values);
  j["other_count"] = top.other_count;
  j["null_count"] = null_count;
  j["distinct_count"] = top.distinct_count;
  return dump(j);
}

std::optional<double> epoch_seconds(std::string_view t) {
  std::size_t pos = 0;
  auto digits = [&](std::size_t count) -> std::optional<int> {
    if (pos + count > t.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = t[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos += count;
    return v;
  };
  auto take = [&](char c) {
    if (pos < t.size() && t[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  const auto y = digits(4);
  if (!y || !take('-')) return std::nullopt;
  const auto mo = digits(2);
  if (!mo || !take('-')) return std::nullopt;
  const auto d = digits(2);
  if (!d || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo)) return std::nullopt;
  double seconds = static_cast<double>(days_from_civil(*y, *mo, *d)) * 86400.0;
  if (pos == t.size()) return seconds;
  if (!take('T') && !take('t') && !take(' ')) return std::nullopt;
  const auto h = digits(2);
  if (!h || !take(':')) return std::nullopt;
  const auto mi = digits(2);
  if (!mi || *h > 23 || *mi > 59) return std::nullopt;
  std::int64_t whole = *h * 3600 + *mi * 60;
  double fraction = 0;
  if (take(':')) {
    const auto s = digits(2);
    if (!s || *s > 59) return std::nullopt;
    whole += *s;
    if (take('.')) {
      const std::size_t start = pos;
      double scale = 0.1;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
        fraction += (t[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  // The zone: Z, or an offset (the local time minus UTC).
  if (pos < t.size() && t[pos] == ' ' && pos + 1 < t.size() &&
      (t[pos + 1] == '+' || t[pos + 1] == '-')) {
    ++pos;
  }
  std::int64_t offset = 0;
  if (take('Z') || take('z')) {
    // UTC
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const int sign = t[pos++] == '-' ? -1 : 1;
    const auto oh = digits(2);
    if (!oh || *oh > 23) return std::nullopt;
    int om = 0;
    if (pos < t.size()) {
      take(':');
      const auto m = digits(2);
      if (!m || *m > 59) return std::nullopt;
      om = *m;
    }
    offset = sign * (*oh * 3600 + om * 60);
  }
  if (pos != t.size()) return std::nullopt;
  return seconds + static_cast<double>(whole - offset) + fraction;
}

}  // namespace baselinr::profiling
