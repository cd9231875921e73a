#include "drift/summaries.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/text.hpp"

namespace baselinr::drift {
namespace {

std::optional<double> number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

std::optional<QuantileSummary> parse_quantiles(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto points = j.find("points");
  if (points == j.end() || !points->is_array()) return std::nullopt;
  QuantileSummary s;
  s.n = number(j, "n").value_or(0);
  s.rank_error = number(j, "rank_error").value_or(0);
  auto method = j.find("method");
  s.exact = method == j.end() || !method->is_string() || method->get<std::string>() == "exact";
  for (const auto& pt : *points) {
    if (!pt.is_object()) return std::nullopt;
    auto p = number(pt, "p");
    auto v = number(pt, "epoch");
    if (v) s.temporal = true;
    if (!v) v = number(pt, "value");
    if (auto text = pt.find("value"); !v && text != pt.end() && text->is_string()) {
      v = parse_epoch_seconds(text->get<std::string>());
      if (v) {
        s.temporal = true;
      } else {
        // An exact decimal is stored as its text (every digit; PostgreSQL and MySQL numeric).
        v = parse_double(text->get<std::string>());
      }
    }
    if (!p || !v || !std::isfinite(*v) || *p < 0 || *p > 1) return std::nullopt;
    s.curve.push_back({*p, *v});
  }
  if (s.curve.size() < 2 || !(s.n > 0)) return std::nullopt;
  std::stable_sort(s.curve.begin(), s.curve.end(),
                   [](const QuantilePoint& a, const QuantilePoint& b) { return a.p < b.p; });
  for (std::size_t i = 1; i < s.curve.size(); ++i) {
    if (s.curve[i].value < s.curve[i - 1].value) return std::nullopt;  // not a quantile function
  }
  return s;
}

double TopValues::non_null() const {
  double total = other_count;
  for (const auto& [v, c] : values) total += c;
  return total;
}

std::optional<double> TopValues::count_of(const std::string& value) const {
  for (const auto& [v, c] : values) {
    if (v == value) return c;
  }
  if (complete()) return 0.0;
  return std::nullopt;
}

std::optional<TopValues> parse_top_values(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto values = j.find("values");
  if (values == j.end() || !values->is_array()) return std::nullopt;
  TopValues t;
  for (const auto& v : *values) {
    if (!v.is_object()) return std::nullopt;
    auto value = v.find("value");
    auto count = number(v, "count");
    if (value == v.end() || !count || *count < 0) return std::nullopt;
    t.values.emplace_back(value->is_string() ? value->get<std::string>() : value->dump(), *count);
  }
  t.other_count = number(j, "other_count").value_or(0);
  t.null_count = number(j, "null_count").value_or(0);
  t.distinct_count = number(j, "distinct_count").value_or(static_cast<double>(t.values.size()));
  auto exact = j.find("exact");
  t.exact = exact == j.end() || !exact->is_boolean() || exact->get<bool>();
  return t;
}

QuantileSummary pool(const std::vector<QuantileSummary>& runs) {
  QuantileSummary out = runs.front();
  out.n = 0;
  for (const auto& r : runs) {
    out.n += r.n;
    out.exact = out.exact && r.exact;
    out.rank_error = std::max(out.rank_error, r.rank_error);
  }
  for (auto& pt : out.curve) {
    double sum = 0;
    for (const auto& r : runs) sum += quantile_at(r.curve, pt.p);
    pt.value = sum / static_cast<double>(runs.size());
  }
  return out;
}

TopValues pool(const std::vector<TopValues>& runs) {
  std::map<std::string, double> counts;
  std::vector<std::string> order;
  double non_null = 0;
  TopValues out;
  for (const auto& r : runs) {
    non_null += r.non_null();
    out.null_count += r.null_count;
    out.distinct_count = std::max(out.distinct_count, r.distinct_count);
    out.exact = out.exact && r.exact;
    for (const auto& [v, c] : r.values) {
      auto [it, inserted] = counts.emplace(v, 0.0);
      if (inserted) order.push_back(v);
      it->second += c;
    }
  }
  // A value listed by only some runs: the others' counts of it are in their "other".
  double known = 0;
  for (const auto& v : order) {
    bool everywhere = true;
    for (const auto& r : runs) {
      if (!r.count_of(v)) everywhere = false;
    }
    if (!everywhere) continue;
    out.values.emplace_back(v, counts[v]);
    known += counts[v];
  }
  std::stable_sort(out.values.begin(), out.values.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  out.other_count = std::max(0.0, non_null - known);
  return out;
}

CategoryTable category_table(const TopValues& baseline, const TopValues& current) {
  CategoryTable t;
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const TopValues* side : {&current, &baseline}) {
    for (const auto& [v, c] : side->values) {
      if (seen.insert(v).second) order.push_back(v);
    }
  }
  double known_b = 0, known_c = 0;
  for (const auto& v : order) {
    auto b = baseline.count_of(v);
    auto c = current.count_of(v);
    if (!b || !c) continue;
    if (*b == 0 && *c > 0) t.appeared.push_back(v);
    if (*c == 0 && *b > 0) t.disappeared.push_back(v);
    t.labels.push_back(v);
    t.baseline.push_back(*b);
    t.current.push_back(*c);
    known_b += *b;
    known_c += *c;
  }
  const double other_b = std::max(0.0, baseline.non_null() - known_b);
  const double other_c = std::max(0.0, current.non_null() - known_c);
  if (other_b > 0 || other_c > 0) {
    t.labels.emplace_back();
    t.baseline.push_back(other_b);
    t.current.push_back(other_c);
  }
  return t;
}

}  // namespace baselinr::drift
