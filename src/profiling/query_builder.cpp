#include "profiling/query_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

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
      bins_(histogram_bins) {}

std::vector<QueryBuilder::Slot> QueryBuilder::slots() const {
  std::vector<Slot> out;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const ColumnSpec& c = columns_[i];
    if (c.wants("null_count") || c.wants("null_percent")) out.push_back({i, Agg::kNonNull});
    if (c.wants("distinct_count") || c.wants("distinct_percent")) {
      out.push_back({i, Agg::kDistinct});
    }
    if (c.wants("min") || c.wants("histogram")) out.push_back({i, Agg::kMin});
    if (c.wants("max") || c.wants("histogram")) out.push_back({i, Agg::kMax});
    if (c.wants("mean")) out.push_back({i, Agg::kMean});
    if (c.wants("stddev")) out.push_back({i, Agg::kStddev});
    if (c.wants("min_length")) out.push_back({i, Agg::kMinLen});
    if (c.wants("max_length")) out.push_back({i, Agg::kMaxLen});
    if (c.wants("avg_length")) out.push_back({i, Agg::kAvgLen});
  }
  return out;
}

db::ColumnExpr QueryBuilder::column_expr(std::size_t column) const {
  const ColumnSpec& spec = columns_[column];
  return {dialect_.quote_identifier(spec.name), spec.type, spec.type_class, spec.bytewise_equality,
          spec.unique};
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

ScalarQuery QueryBuilder::scalar_query() const {
  std::vector<std::string> items;
  items.push_back(dialect_.count_rows());
  for (const Slot& s : slots()) {
    const ColumnSpec& spec = columns_[s.column];
    const std::string col = dialect_.quote_identifier(spec.name);
    const db::ColumnExpr expr = column_expr(s.column);
    switch (s.agg) {
      case Agg::kNonNull:
        items.push_back(dialect_.count_non_null(col));
        break;
      case Agg::kDistinct:
        items.push_back(distinct_ == DistinctMode::kExact ? dialect_.count_distinct(expr)
                                                          : dialect_.approx_count_distinct(expr));
        break;
      case Agg::kMin:
        items.push_back(dialect_.min_value(col));
        break;
      case Agg::kMax:
        items.push_back(dialect_.max_value(col));
        break;
      case Agg::kMean:
        items.push_back(dialect_.mean(expr));
        break;
      case Agg::kStddev:
        items.push_back(dialect_.stddev_samp(expr));
        break;
      case Agg::kMinLen:
        items.push_back(dialect_.min_value(dialect_.char_length(col)));
        break;
      case Agg::kMaxLen:
        items.push_back(dialect_.max_value(dialect_.char_length(col)));
        break;
      case Agg::kAvgLen:
        items.push_back(dialect_.average(dialect_.to_double(dialect_.char_length(col))));
        break;
    }
  }
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
  const std::vector<Slot> sl = slots();
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

std::vector<db::Value> QueryBuilder::scalar_row(const db::Result& result,
                                                std::size_t values) const {
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
  const std::vector<Slot> sl = slots();
  std::vector<db::Value> out(values);
  out[0] = (*by_part[0])[1];
  for (std::size_t i = 1; i < values; ++i) {
    out[i] = (*by_part[static_cast<std::size_t>(branch_of_[sl[i - 1].column])])[i + 1];
  }
  return out;
}

std::int64_t QueryBuilder::decode_scalar(const db::Result& result,
                                         std::vector<ColumnAggregates>& out) const {
  std::vector<Slot> sl = slots();
  const std::vector<db::Value> row = scalar_row(result, sl.size() + 1);
  out.assign(columns_.size(), ColumnAggregates{});
  std::int64_t count = db::as_int(row[0]).value_or(0);
  for (std::size_t i = 0; i < sl.size(); ++i) {
    const db::Value& v = row[i + 1];
    ColumnAggregates& a = out[sl[i].column];
    switch (sl[i].agg) {
      case Agg::kNonNull:
        a.non_null = db::as_int(v);
        break;
      case Agg::kDistinct:
        a.distinct = db::as_int(v);
        break;
      case Agg::kMin:
        a.min = v;
        break;
      case Agg::kMax:
        a.max = v;
        break;
      case Agg::kMean:
        a.mean = db::as_double(v);
        break;
      case Agg::kStddev:
        a.stddev = db::as_double(v);
        if (a.stddev && dialect_.stddev_is_variance(column_expr(sl[i].column))) {
          // A variance of exactly 0 stays 0; rounding never makes it negative, but be sure.
          a.stddev = std::sqrt(std::max(0.0, *a.stddev));
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
    }
  }
  return count;
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

HistogramQuery QueryBuilder::histogram_query(const std::vector<HistogramRequest>& requests) const {
  db::ParamList params = from_params_;
  std::vector<std::string> items;
  bool packed = false, cumulative = false;
  for (const auto& r : requests) {
    const std::string col = dialect_.quote_identifier(columns_[r.column].name);
    db::HistogramExprs h = dialect_.histogram(col, r.min, r.max - r.min, bins_, params);
    packed = h.packed;
    cumulative = h.cumulative;
    for (auto& e : h.exprs) items.push_back(std::move(e));
  }
  std::string select;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) select += ",\n       ";
    select += fmt::format("{} AS h{}", items[i], i);
  }
  db::BoundSql bound = params.bind(fmt::format("SELECT {}\nFROM {}", select, from_sql_));
  return {std::move(bound.sql), std::move(bound.params), packed, cumulative};
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
