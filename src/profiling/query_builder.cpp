#include "profiling/query_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>

#include "baselinr/error.hpp"
#include "common/text.hpp"

namespace baselinr::profiling {

bool ColumnSpec::wants(const std::string& metric) const {
  return std::find(metrics.begin(), metrics.end(), metric) != metrics.end();
}

QueryBuilder::QueryBuilder(const db::Dialect& dialect, std::string from_sql,
                           std::vector<ColumnSpec> columns, DistinctMode distinct,
                           int histogram_bins)
    : QueryBuilder(dialect, std::move(from_sql), db::ParamList(dialect), std::move(columns),
                   distinct, histogram_bins) {}

QueryBuilder::QueryBuilder(const db::Dialect& dialect, std::string from_sql,
                           db::ParamList from_params, std::vector<ColumnSpec> columns,
                           DistinctMode distinct, int histogram_bins)
    : dialect_(dialect),
      from_sql_(std::move(from_sql)),
      from_params_(std::move(from_params)),
      columns_(std::move(columns)),
      distinct_(distinct),
      bins_(histogram_bins) {
  set_item_limit(0);
}

std::vector<QueryBuilder::Slot> QueryBuilder::slots(const std::vector<std::size_t>& columns) const {
  std::vector<Slot> out;
  for (std::size_t i : columns) {
    const ColumnSpec& c = columns_[i];
    // The distribution statement needs the non-null count: the ranks of the quantiles, and the
    // check that it read what this statement read.
    if (c.wants("null_count") || c.wants("null_percent") || wants_quantiles(i) ||
        wants_top_values(i)) {
      out.push_back({i, Agg::kNonNull});
    }
    if (c.wants("distinct_count") || c.wants("distinct_percent")) {
      out.push_back({i, Agg::kDistinct});
    }
    if (c.wants("min") || c.wants("histogram")) out.push_back({i, Agg::kMin});
    if (c.wants("max") || c.wants("histogram")) out.push_back({i, Agg::kMax});
    if ((c.wants("mean") || c.wants("stddev")) && dialect_.split_moments(column_expr(i))) {
      for (Agg a : {Agg::kSplitCount, Agg::kSmallMean, Agg::kSmallVar, Agg::kBigCount,
                    Agg::kBigMean, Agg::kBigVar}) {
        out.push_back({i, a});
      }
    } else {
      if (c.wants("mean")) out.push_back({i, Agg::kMean});
      if (c.wants("stddev")) out.push_back({i, Agg::kStddev});
    }
    if (c.wants("min_length")) out.push_back({i, Agg::kMinLen});
    if (c.wants("max_length")) out.push_back({i, Agg::kMaxLen});
    if (c.wants("avg_length")) out.push_back({i, Agg::kAvgLen});
    if (scalar_quantiles(i)) {
      for (std::size_t q = 0; q < kQuantilePercents.size(); ++q) {
        out.push_back({i, Agg::kQuantile, q});
      }
    }
  }
  return out;
}

std::vector<QueryBuilder::Slot> QueryBuilder::slots() const {
  std::vector<std::size_t> all(columns_.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return slots(all);
}

void QueryBuilder::set_item_limit(std::size_t limit) {
  item_limit_ = limit;
  statements_.clear();
  // Besides the columns' aggregates a statement selects COUNT(*) and, split over concurrent
  // scans, the branch number.
  const std::size_t room =
      limit == 0 ? std::numeric_limits<std::size_t>::max() : std::max<std::size_t>(limit, 3) - 2;
  std::vector<std::size_t> current;
  std::size_t used = 0;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const std::size_t n = slots({i}).size();
    if (!current.empty() && used + n > room) {
      statements_.push_back(std::move(current));
      current.clear();
      used = 0;
    }
    current.push_back(i);
    used += n;
  }
  statements_.push_back(std::move(current));
}

bool QueryBuilder::wants_quantiles(std::size_t column) const {
  return distinct_ == DistinctMode::kExact && columns_[column].wants("quantiles");
}

bool QueryBuilder::scalar_quantiles(std::size_t column) const {
  return wants_quantiles(column) && dialect_.quantile(column_expr(column), 50).has_value();
}

bool QueryBuilder::wants_top_values(std::size_t column) const {
  return distinct_ == DistinctMode::kExact && top_values_ > 0 &&
         columns_[column].wants("top_values");
}

db::ColumnExpr QueryBuilder::column_expr(std::size_t column) const {
  const ColumnSpec& spec = columns_[column];
  return {dialect_.quote_identifier(spec.name), spec.sql_type(), spec.type_class,
          spec.type_equality, spec.unique};
}

double QueryBuilder::scan_cost(std::size_t column) const {
  const ColumnSpec& c = columns_[column];
  // Relative costs measured on PostgreSQL 15: an exact COUNT(DISTINCT) sorts every value, about
  // 1.75 times as long for text as for a number or a date; the other aggregates are cheap. A
  // column whose unique index or boolean type spares the sort costs as little as the others.
  double cost = 0.05 * static_cast<double>(c.metrics.size());
  const bool sorts = distinct_ == DistinctMode::kExact &&
                     (c.wants("distinct_count") || c.wants("distinct_percent")) && !c.unique &&
                     c.type_class != TypeClass::kBoolean;
  if (sorts) {
    cost += c.type_class == TypeClass::kString || c.type_class == TypeClass::kOther ? 1.75 : 1.0;
  }
  // The quantiles' ordered-set aggregates sort the column's values once more.
  if (scalar_quantiles(column)) cost += 1.0;
  return cost;
}

int QueryBuilder::split_scans(int capacity) {
  branches_ = 1;
  branch_of_.clear();
  std::vector<std::size_t> order;
  std::size_t sorting = 0;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    order.push_back(i);
    if (scan_cost(i) >= 1.0) ++sorting;
  }
  const int k = static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(std::max(capacity, 1)), sorting));
  if (k < 2) return 1;
  // Longest first, each to the least loaded branch (ties: the lower branch, the earlier column),
  // so the branches finish close together.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scan_cost(a) > scan_cost(b); });
  std::vector<double> load(static_cast<std::size_t>(k), 0.0);
  branch_of_.assign(columns_.size(), 0);
  for (std::size_t i : order) {
    const auto b =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    branch_of_[i] = static_cast<int>(b);
    load[b] += scan_cost(i);
  }
  branches_ = k;
  return k;
}

std::string QueryBuilder::slot_sql(const Slot& s) const {
  const ColumnSpec& spec = columns_[s.column];
  const std::string col = dialect_.quote_identifier(spec.name);
  const db::ColumnExpr expr = column_expr(s.column);
  switch (s.agg) {
    case Agg::kNonNull:
      return dialect_.count_non_null(col);
    case Agg::kDistinct:
      return distinct_ == DistinctMode::kExact ? dialect_.count_distinct(expr)
                                               : dialect_.approx_count_distinct(expr);
    case Agg::kMin:
      return dialect_.column_min(expr);
    case Agg::kMax:
      return dialect_.column_max(expr);
    case Agg::kMean:
      return dialect_.mean(expr);
    case Agg::kStddev:
      return dialect_.stddev_samp(expr);
    case Agg::kMinLen:
      return dialect_.min_value(dialect_.char_length(col));
    case Agg::kMaxLen:
      return dialect_.max_value(dialect_.char_length(col));
    case Agg::kAvgLen:
      return dialect_.average(dialect_.to_double(dialect_.char_length(col)));
    case Agg::kSplitCount:
    case Agg::kSmallMean:
    case Agg::kSmallVar:
    case Agg::kBigCount:
    case Agg::kBigMean:
    case Agg::kBigVar: {
      const db::SplitMoments m = *dialect_.split_moments(expr);
      const std::string* member[] = {&m.count,     &m.small_mean, &m.small_var,
                                     &m.big_count, &m.big_mean,   &m.big_var};
      return *member[static_cast<int>(s.agg) - static_cast<int>(Agg::kSplitCount)];
    }
    case Agg::kQuantile:
      return dialect_.quantile(expr, kQuantilePercents[s.arg]).value_or("NULL");
  }
  return {};
}

ScalarQuery QueryBuilder::scalar_query(const std::vector<std::size_t>& columns) const {
  const std::vector<Slot> sl = slots(columns);
  std::vector<std::string> items;
  items.reserve(sl.size() + 1);
  items.push_back(dialect_.count_rows());
  for (const Slot& s : sl) items.push_back(slot_sql(s));
  if (branches_ == 1) {
    std::string select;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) select += ",\n       ";
      select += fmt::format("{} AS m{}", items[i], i);
    }
    db::BoundSql bound = from_params_.bind(fmt::format("SELECT {}\nFROM {}", select, from_sql_));
    return {std::move(bound.sql), std::move(bound.params)};
  }
  // One branch per share of the columns, all over the same FROM clause (its parameters bound
  // again in each); a branch pads the other branches' values with typed NULLs. COUNT(*) is the
  // first branch's. The row of each branch says which it is in `part`.
  std::string sql;
  for (int b = 0; b < branches_; ++b) {
    std::string select = fmt::format("{} AS part", b);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const int owner = i == 0 ? 0 : branch_of_[sl[i - 1].column];
      select += fmt::format(",\n       {} AS m{}",
                            owner == b ? items[i] : dialect_.typed_null(items[i]), i);
    }
    if (b) sql += "\nUNION ALL\n";
    sql += fmt::format("SELECT {}\nFROM {}", select, from_sql_);
  }
  db::BoundSql bound = from_params_.bind(sql);
  return {std::move(bound.sql), std::move(bound.params)};
}

std::vector<ScalarQuery> QueryBuilder::scalar_queries() const {
  std::vector<ScalarQuery> out;
  for (const auto& columns : statements_) out.push_back(scalar_query(columns));
  return out;
}

ScalarQuery QueryBuilder::scalar_query() const {
  if (statements_.size() != 1) {
    throw std::logic_error("QueryBuilder::scalar_query: the metrics need several statements");
  }
  return scalar_query(statements_[0]);
}

std::vector<db::Value> QueryBuilder::scalar_row(const db::Result& result,
                                                const std::vector<Slot>& sl) const {
  const std::size_t values = sl.size() + 1;
  const std::size_t branches = static_cast<std::size_t>(branches_);
  const std::size_t width = branches > 1 ? values + 1 : values;
  bool ok = result.rows.size() == branches;
  for (const auto& row : result.rows) ok = ok && row.size() == width;
  if (!ok) {
    throw QueryError(fmt::format("profiling query returned {} rows of {} values; expected {} of {}",
                                 result.rows.size(),
                                 result.rows.empty() ? 0 : result.rows[0].size(), branches, width));
  }
  if (branches == 1) return result.rows[0];
  std::vector<const std::vector<db::Value>*> by_part(branches, nullptr);
  for (const auto& row : result.rows) {
    const auto part = db::as_int(row[0]);
    if (!part || *part < 0 || *part >= branches_ || by_part[static_cast<std::size_t>(*part)]) {
      throw QueryError("profiling query returned an unexpected branch row");
    }
    by_part[static_cast<std::size_t>(*part)] = &row;
  }
  std::vector<db::Value> out(values);
  out[0] = (*by_part[0])[1];
  for (std::size_t i = 1; i < values; ++i) {
    out[i] = (*by_part[static_cast<std::size_t>(branch_of_[sl[i - 1].column])])[i + 1];
  }
  return out;
}

namespace {

// A min or max as the metric keeps it. Exact decimals arrive as text and stay text (every digit
// kept); their non-finite values (numeric NaN, Infinity) become doubles, which store as "nan",
// "inf" and "-inf" like every other non-finite metric.
db::Value extreme(const db::Value& v, TypeClass type_class) {
  if (const auto* s = std::get_if<std::string>(&v); s && type_class == TypeClass::kNumeric) {
    if (auto d = parse_double(*s); d && !std::isfinite(*d)) return *d;
  }
  return v;
}

}  // namespace

MetricValue metric_value(const db::Value& v) {
  return std::visit(
      [](const auto& x) -> MetricValue {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return std::int64_t{x ? 1 : 0};
        } else {
          return x;
        }
      },
      v);
}

std::int64_t QueryBuilder::decode_scalar(const db::Result& result,
                                         std::vector<ColumnAggregates>& out) const {
  return decode_scalar(std::vector<db::Result>{result}, out);
}

std::int64_t QueryBuilder::decode_scalar(const std::vector<db::Result>& results,
                                         std::vector<ColumnAggregates>& out) const {
  if (results.size() != statements_.size()) {
    throw QueryError(fmt::format("profiling returned {} results; expected {}", results.size(),
                                 statements_.size()));
  }
  out.assign(columns_.size(), ColumnAggregates{});
  std::vector<std::optional<SplitMomentValues>> split(columns_.size());
  std::optional<std::int64_t> count;
  for (std::size_t k = 0; k < statements_.size(); ++k) {
    const std::vector<Slot> sl = slots(statements_[k]);
    const std::vector<db::Value> row = scalar_row(results[k], sl);
    const std::int64_t rows = db::as_int(row[0]).value_or(0);
    if (count && rows != *count) {
      // Statements of one snapshot count the same rows; anything else would mix two tables.
      throw QueryError(fmt::format(
          "the profiling statements of one table counted {} and {} rows: they did not read one "
          "snapshot",
          *count, rows));
    }
    count = rows;
    decode_row(row, sl, out, split);
  }
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (split[c]) std::tie(out[c].mean, out[c].stddev) = combine_split_moments(*split[c]);
    if (out[c].quantiles) {
      // The engine's ranks, ceil(fraction * n) in double precision, are kept only where they are
      // the exact nearest ranks for this n; otherwise (and without a value) they are dropped, and
      // the column's distribution statement computes them.
      const std::int64_t n = out[c].non_null.value_or(0);
      bool exact = n > 0;
      for (int percent : kQuantilePercents) {
        exact = exact && float_nearest_rank(percent, n) == nearest_rank(percent, n);
      }
      if (exact) {
        out[c].quantiles->n = n;
      } else {
        out[c].quantiles.reset();
      }
    }
  }
  return count.value_or(0);
}

void QueryBuilder::decode_row(const std::vector<db::Value>& row, const std::vector<Slot>& sl,
                              std::vector<ColumnAggregates>& out,
                              std::vector<std::optional<SplitMomentValues>>& split) const {
  for (std::size_t i = 0; i < sl.size(); ++i) {
    const db::Value& v = row[i + 1];
    ColumnAggregates& a = out[sl[i].column];
    std::optional<SplitMomentValues>& m = split[sl[i].column];
    if (sl[i].agg >= Agg::kSplitCount && sl[i].agg <= Agg::kBigVar && !m) m.emplace();
    switch (sl[i].agg) {
      case Agg::kNonNull:
        a.non_null = db::as_int(v);
        break;
      case Agg::kDistinct:
        a.distinct = db::as_int(v);
        break;
      case Agg::kMin:
        a.min = extreme(v, columns_[sl[i].column].type_class);
        break;
      case Agg::kMax:
        a.max = extreme(v, columns_[sl[i].column].type_class);
        break;
      case Agg::kMean:
        a.mean = db::as_double(v);
        break;
      case Agg::kStddev:
        a.stddev = db::as_double(v);
        if (a.stddev && dialect_.stddev_is_variance(column_expr(sl[i].column))) {
          // A variance of exactly 0 stays 0; rounding never makes it negative, but be sure. A
          // NaN variance (a numeric NaN or infinity among the values) stays NaN.
          a.stddev = std::isnan(*a.stddev) ? *a.stddev : std::sqrt(std::max(0.0, *a.stddev));
        }
        break;
      case Agg::kMinLen:
        a.min_length = db::as_int(v);
        break;
      case Agg::kMaxLen:
        a.max_length = db::as_int(v);
        break;
      case Agg::kAvgLen:
        a.avg_length = db::as_double(v);
        break;
      case Agg::kSplitCount:
        m->count = db::as_int(v);
        break;
      case Agg::kSmallMean:
        m->small_mean = db::as_double(v);
        break;
      case Agg::kSmallVar:
        m->small_var = db::as_double(v);
        break;
      case Agg::kBigCount:
        m->big_count = db::as_int(v);
        break;
      case Agg::kBigMean:
        m->big_mean = db::as_double(v);
        break;
      case Agg::kBigVar:
        m->big_var = db::as_double(v);
        break;
      case Agg::kQuantile:
        if (!a.quantiles) a.quantiles.emplace().values.resize(kQuantilePercents.size());
        a.quantiles->values[sl[i].arg] =
            metric_value(extreme(v, columns_[sl[i].column].type_class));
        break;
    }
  }
}

std::pair<std::optional<double>, std::optional<double>> combine_split_moments(
    const SplitMomentValues& v) {
  using LD = long double;
  const std::int64_t n = v.count.value_or(0);
  const std::int64_t n_big = v.big_count.value_or(0);
  const std::int64_t n_small = n - n_big;
  if (n <= 0) return {};
  auto root = [](double variance) {
    // Rounding never makes a variance negative, but be sure; NaN stays NaN.
    return std::isnan(variance) ? variance : std::sqrt(std::max(0.0, variance));
  };
  if (n_big == 0) {
    // Every value is small: the engine's own aggregates, unchanged.
    std::optional<double> sd;
    if (n > 1 && v.small_var) sd = root(*v.small_var);
    return {v.small_mean, sd};
  }
  const LD scale = 1.0L / static_cast<LD>(db::kSplitMomentsScale);
  const LD mean_small = n_small > 0 ? static_cast<LD>(v.small_mean.value_or(0)) : 0.0L;
  const LD mean_big = static_cast<LD>(v.big_mean.value_or(0)) * scale;
  const LD mean = (static_cast<LD>(n_small) * mean_small + static_cast<LD>(n_big) * mean_big) /
                  static_cast<LD>(n);
  if (n < 2) return {static_cast<double>(mean), std::nullopt};
  if (!std::isfinite(mean_big)) {
    return {static_cast<double>(mean), std::numeric_limits<double>::quiet_NaN()};
  }
  const LD m2_small = n_small > 1 ? static_cast<LD>(v.small_var.value_or(0)) * (n_small - 1) : 0;
  const LD m2_big =
      n_big > 1 ? static_cast<LD>(v.big_var.value_or(0)) * (n_big - 1) * scale * scale : 0;
  const LD delta = mean_big - mean_small;
  const LD m2 = m2_small + m2_big +
                (n_small > 0 ? delta * delta * static_cast<LD>(n_small) * static_cast<LD>(n_big) /
                                   static_cast<LD>(n)
                             : 0.0L);
  // The root in long double: the variance of +-1e300 is beyond the double range, its root not.
  const LD variance = m2 / static_cast<LD>(n - 1);
  const LD sd = std::isnan(variance) ? variance : std::sqrt(std::max(0.0L, variance));
  return {static_cast<double>(mean), static_cast<double>(sd)};
}

std::vector<HistogramRequest> QueryBuilder::histogram_requests(
    const std::vector<ColumnAggregates>& aggregates) const {
  std::vector<HistogramRequest> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i].wants("histogram")) continue;
    auto lo = db::as_double(aggregates[i].min);
    auto hi = db::as_double(aggregates[i].max);
    if (!lo || !hi || !std::isfinite(*lo) || !std::isfinite(*hi)) continue;
    if (!(*hi > *lo) || !std::isfinite(*hi - *lo)) continue;
    out.push_back({i, *lo, *hi});
  }
  return out;
}

std::vector<HistogramQuery> QueryBuilder::histogram_queries(
    const std::vector<HistogramRequest>& requests) const {
  std::vector<HistogramQuery> out;
  std::size_t next = 0;
  while (next < requests.size()) {
    // Whole requests, as many as the item limit allows (at least one).
    db::ParamList params = from_params_;
    std::vector<std::string> items;
    HistogramQuery q;
    while (next < requests.size()) {
      const HistogramRequest& r = requests[next];
      db::ParamList attempt = params;
      const std::string col = dialect_.quote_identifier(columns_[r.column].name);
      db::HistogramExprs h = dialect_.histogram(col, r.min, r.max - r.min, bins_, attempt);
      if (q.requests > 0 && item_limit_ > 0 && items.size() + h.exprs.size() > item_limit_) break;
      params = std::move(attempt);
      q.packed = h.packed;
      q.cumulative = h.cumulative;
      for (auto& e : h.exprs) items.push_back(std::move(e));
      ++q.requests;
      ++next;
    }
    std::string select;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) select += ",\n       ";
      select += fmt::format("{} AS h{}", items[i], i);
    }
    db::BoundSql bound = params.bind(fmt::format("SELECT {}\nFROM {}", select, from_sql_));
    q.sql = std::move(bound.sql);
    q.params = std::move(bound.params);
    out.push_back(std::move(q));
  }
  return out;
}

HistogramQuery QueryBuilder::histogram_query(const std::vector<HistogramRequest>& requests) const {
  std::vector<HistogramQuery> queries = histogram_queries(requests);
  if (queries.size() != 1) {
    throw std::logic_error("QueryBuilder::histogram_query: the histograms need several statements");
  }
  return std::move(queries[0]);
}

std::vector<std::vector<std::int64_t>> QueryBuilder::decode_histograms(
    const std::vector<db::Result>& results, const std::vector<HistogramRequest>& requests,
    const std::vector<HistogramQuery>& queries) const {
  if (results.size() != queries.size()) {
    throw QueryError(
        fmt::format("histograms returned {} results; expected {}", results.size(), queries.size()));
  }
  std::vector<std::vector<std::int64_t>> out;
  std::size_t first = 0;
  for (std::size_t k = 0; k < queries.size(); ++k) {
    const std::vector<HistogramRequest> part(
        requests.begin() + static_cast<std::ptrdiff_t>(first),
        requests.begin() + static_cast<std::ptrdiff_t>(first + queries[k].requests));
    for (auto& bins : decode_histograms(results[k], part, queries[k])) {
      out.push_back(std::move(bins));
    }
    first += queries[k].requests;
  }
  return out;
}

std::vector<std::vector<std::int64_t>> QueryBuilder::decode_histograms(
    const db::Result& result, const std::vector<HistogramRequest>& requests,
    const HistogramQuery& query) const {
  if (result.rows.size() != 1) {
    throw QueryError(
        fmt::format("histogram query returned {} rows; expected 1", result.rows.size()));
  }
  const auto& row = result.rows[0];
  std::vector<std::vector<std::int64_t>> out;
  std::size_t pos = 0;
  const bool packed = query.packed;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(bins_), 0);
    if (packed) {
      if (pos >= row.size()) throw QueryError("histogram query returned too few values");
      std::string text = db::as_text(row[pos++]).value_or("");
      if (!text.empty()) {
        auto parts = split(text, ',');
        if (parts.size() != counts.size()) {
          throw QueryError(
              fmt::format("histogram returned {} bins; expected {}", parts.size(), counts.size()));
        }
        for (std::size_t b = 0; b < parts.size(); ++b) counts[b] = parse_int(parts[b]).value_or(0);
      }
    } else {
      for (auto& c : counts) {
        if (pos >= row.size()) throw QueryError("histogram query returned too few values");
        c = db::as_int(row[pos++]).value_or(0);
      }
      if (query.cumulative) {
        for (std::size_t b = 0; b + 1 < counts.size(); ++b) counts[b] -= counts[b + 1];
      }
    }
    out.push_back(std::move(counts));
  }
  return out;
}

void QueryBuilder::set_distribution(int top_values, std::int64_t max_distinct_values) {
  top_values_ = std::max(0, top_values);
  max_distinct_values_ = max_distinct_values;
  set_item_limit(item_limit_);  // the non-null counts these need may add select-list entries
}

DistributionQuery QueryBuilder::distribution_query(std::size_t column, std::int64_t non_null,
                                                   bool quantiles, bool top_values,
                                                   bool unique) const {
  const ColumnSpec& spec = columns_[column];
  const db::DistributionKey key = dialect_.distribution_key(column_expr(column));
  const std::string col = dialect_.quote_identifier(spec.name);
  db::ParamList params = from_params_;
  DistributionQuery q;
  q.column = column;
  q.quantiles = quantiles;
  q.top_values = top_values;
  q.non_null = non_null;
  std::string sql;
  if (!quantiles && unique) {
    // Every value distinct: the k first in the column's order, each counted once. A bounded sort
    // of the values, no grouping.
    q.form = DistributionQuery::Form::kUnique;
    sql = fmt::format(
        "SELECT {} AS baselinr_value\n"
        "FROM {}\n"
        "WHERE {} IS NOT NULL\n"
        "ORDER BY {}",
        key.value, from_sql_, col, key.key);
    sql += dialect_.limit_rows(top_values_, params);
  } else if (!quantiles) {
    // The k most frequent groups by a bounded sort; the groups are counted and their counts
    // summed over all of them (no order needed) for distinct_count and the snapshot check.
    q.form = DistributionQuery::Form::kTop;
    sql = fmt::format(
        "SELECT baselinr_value, baselinr_n, baselinr_groups, baselinr_total\n"
        "FROM (SELECT baselinr_value, baselinr_key, baselinr_n,\n"
        "             COUNT(*) OVER () AS baselinr_groups,\n"
        "             SUM(baselinr_n) OVER () AS baselinr_total\n"
        "      FROM (SELECT {} AS baselinr_value, {} AS baselinr_key, COUNT(*) AS baselinr_n\n"
        "            FROM {}\n"
        "            WHERE {} IS NOT NULL\n"
        "            GROUP BY {}) AS baselinr_counted) AS baselinr_totals\n"
        "ORDER BY baselinr_n DESC, baselinr_key",
        key.value, key.key, from_sql_, col, key.key);
    sql += dialect_.limit_rows(top_values ? top_values_ : 0, params);
  } else {
    // The k most frequent groups, and for each quantile the group whose running count first
    // reaches its nearest rank. The statement's shape does not depend on what is wanted: a
    // position of 0 or a rank of 0 selects nothing.
    std::string where = "baselinr_pos <= " + params.add(std::int64_t{top_values ? top_values_ : 0});
    for (int percent : kQuantilePercents) {
      const std::int64_t rank = nearest_rank(percent, non_null);
      where += fmt::format("\n   OR (baselinr_cum - baselinr_n < {} AND baselinr_cum >= {})",
                           params.add(rank), params.add(rank));
    }
    sql = fmt::format(
        "SELECT baselinr_value, baselinr_n, baselinr_cum, baselinr_pos, baselinr_groups, "
        "baselinr_total\n"
        "FROM (SELECT baselinr_value, baselinr_n,\n"
        "             SUM(baselinr_n) OVER (ORDER BY baselinr_key ROWS BETWEEN UNBOUNDED "
        "PRECEDING AND CURRENT ROW) AS baselinr_cum,\n"
        "             ROW_NUMBER() OVER (ORDER BY baselinr_n DESC, baselinr_key) AS baselinr_pos,\n"
        "             COUNT(*) OVER () AS baselinr_groups,\n"
        "             SUM(baselinr_n) OVER () AS baselinr_total\n"
        "      FROM (SELECT {} AS baselinr_value, {} AS baselinr_key, COUNT(*) AS baselinr_n\n"
        "            FROM {}\n"
        "            WHERE {} IS NOT NULL\n"
        "            GROUP BY {}) AS baselinr_counted) AS baselinr_ordered\n"
        "WHERE {}\n"
        "ORDER BY baselinr_pos",
        key.value, key.key, from_sql_, col, key.key, where);
  }
  db::BoundSql bound = params.bind(sql);
  q.sql = std::move(bound.sql);
  q.params = std::move(bound.params);
  return q;
}

std::vector<DistributionQuery> QueryBuilder::distribution_queries(
    const std::vector<ColumnAggregates>& aggregates) const {
  std::vector<DistributionQuery> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const ColumnAggregates& a = aggregates[i];
    const std::int64_t non_null = a.non_null.value_or(0);
    if (non_null <= 0) continue;  // absent without a value
    const TypeClass type = columns_[i].type_class;
    // A column that is neither string nor boolean gets top values only with few distinct
    // values: when its distinct count is known, a column with more is not grouped for them.
    const bool few = type == TypeClass::kString || type == TypeClass::kBoolean || !a.distinct ||
                     *a.distinct <= max_distinct_values_;
    // The scalar statement may have given the quantiles already.
    const bool quantiles = wants_quantiles(i) && !a.quantiles;
    const bool top = wants_top_values(i) && few;
    // The scalar statement's exact distinct count (kExact: the summaries need it) says whether
    // every value is distinct.
    const bool unique = a.distinct && *a.distinct == non_null &&
                        !dialect_.distribution_key(column_expr(i)).aggregate_value;
    if (quantiles || top) out.push_back(distribution_query(i, non_null, quantiles, top, unique));
  }
  return out;
}

std::vector<DistributionQuery> QueryBuilder::planned_distribution_queries() const {
  std::vector<DistributionQuery> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const bool quantiles = wants_quantiles(i) && !scalar_quantiles(i);
    if (quantiles || wants_top_values(i)) {
      out.push_back(distribution_query(i, 0, quantiles, wants_top_values(i)));
    }
  }
  return out;
}

void QueryBuilder::decode_distribution(const db::Result& result, const DistributionQuery& q,
                                       ColumnAggregates& out) const {
  const ColumnSpec& spec = columns_[q.column];
  struct Group {
    MetricValue value;
    std::int64_t count, cum, pos;
  };
  std::vector<Group> groups;
  std::int64_t distinct = 0, total = 0;
  const auto unexpected = [&] {
    return QueryError(fmt::format(
        "the distribution statement of column '{}' returned an unexpected row", spec.name));
  };
  for (const auto& row : result.rows) {
    const MetricValue value =
        row.empty() ? MetricValue{} : metric_value(extreme(row[0], spec.type_class));
    const auto pos = static_cast<std::int64_t>(groups.size()) + 1;  // rows come by position
    if (q.form == DistributionQuery::Form::kUnique) {
      if (row.size() != 1) throw unexpected();
      groups.push_back({value, 1, 0, pos});
      continue;
    }
    std::optional<std::int64_t> n, cum, p, g, t;
    if (q.form == DistributionQuery::Form::kTop && row.size() == 4) {
      n = db::as_int(row[1]);
      cum = 0;
      p = pos;
      g = db::as_int(row[2]);
      t = db::as_int(row[3]);
    } else if (q.form == DistributionQuery::Form::kRanked && row.size() == 6) {
      n = db::as_int(row[1]);
      cum = db::as_int(row[2]);
      p = db::as_int(row[3]);
      g = db::as_int(row[4]);
      t = db::as_int(row[5]);
    }
    if (!n || !cum || !p || !g || !t) throw unexpected();
    groups.push_back({value, *n, *cum, *p});
    distinct = *g;
    total = *t;
  }
  if (q.form == DistributionQuery::Form::kUnique) {
    // The scalar statement counted every value distinct; the statement returns the k first.
    distinct = total = q.non_null;
    if (static_cast<std::int64_t>(groups.size()) != std::min<std::int64_t>(top_values_, total)) {
      throw QueryError(fmt::format(
          "the distribution statement of column '{}' returned {} values of {}: it did not read "
          "the scalar statement's snapshot",
          spec.name, groups.size(), total));
    }
  }
  if (total != q.non_null) {
    // The ranks were computed from the scalar statement's count: another count would mix two
    // states of the table.
    throw QueryError(fmt::format(
        "the distribution statement of column '{}' counted {} values, the scalar statement {}: "
        "they did not read one snapshot",
        spec.name, total, q.non_null));
  }
  if (q.quantiles) {
    Quantiles quantiles;
    quantiles.n = q.non_null;
    for (int percent : kQuantilePercents) {
      const std::int64_t rank = nearest_rank(percent, q.non_null);
      auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
        return g.cum - g.count < rank && g.cum >= rank;
      });
      if (it == groups.end()) {
        throw QueryError(fmt::format(
            "the distribution statement of column '{}' returned no value at rank {} of {}",
            spec.name, rank, q.non_null));
      }
      quantiles.values.push_back(it->value);
    }
    out.quantiles = std::move(quantiles);
  }
  if (q.top_values) {
    TopValues top;
    top.distinct_count = distinct;
    std::int64_t listed = 0;
    // The rows come by position; the k first are the top values.
    for (const Group& g : groups) {
      if (g.pos > top_values_) break;
      top.values.emplace_back(g.value, g.count);
      listed += g.count;
    }
    top.other_count = q.non_null - listed;
    out.top_values = std::move(top);
  }
}

std::string histogram_json(double min, double max, const std::vector<std::int64_t>& counts) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  const double range = max - min;
  const auto n = static_cast<double>(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double start = min + range * static_cast<double>(i) / n;
    double end = i + 1 == counts.size() ? max : min + range * static_cast<double>(i + 1) / n;
    nlohmann::ordered_json bin;
    bin["bin_start"] = start;
    bin["bin_end"] = end;
    bin["count"] = counts[i];
    arr.push_back(std::move(bin));
  }
  return arr.dump();
}

}  // namespace baselinr::profiling
