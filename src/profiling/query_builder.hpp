// Builds the profiling queries of one table from its dialect: ONE aggregate query for every
// scalar metric of every column (and the quantiles, where the engine has ordered-set
// aggregates), ONE query for all histograms, and ONE query per column for the distribution
// summaries the scalar statement does not give (top values; quantiles elsewhere), plus the
// decoders that turn their result rows back into per-column values. Where the engine runs UNION ALL
// branches in parallel, the scalar statement may split its columns over concurrent scans
// (split_scans).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "baselinr/profiler.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/distribution.hpp"

namespace baselinr::profiling {

struct ColumnSpec {
  std::string name;
  std::string type;
  TypeClass type_class = TypeClass::kOther;
  std::vector<std::string> metrics;  // what to report for this column
  bool type_equality = false;        // see db::ColumnInfo
  bool unique = false;               // see db::ColumnInfo
  std::string base_type;             // a domain's base type (db::ColumnInfo); empty otherwise

  // The type the class and the aggregates follow: the base type of a domain, else `type`.
  const std::string& sql_type() const { return base_type.empty() ? type : base_type; }

  bool wants(const std::string& metric) const;
};

// Raw aggregates of one column, as read from the scalar query.
struct ColumnAggregates {
  std::optional<std::int64_t> non_null;
  std::optional<std::int64_t> distinct;
  db::Value min;
  db::Value max;
  std::optional<double> mean;
  std::optional<double> stddev;
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_length;
  std::optional<double> avg_length;
  // Distribution summaries (distribution.hpp), when the executor computed them.
  std::optional<Quantiles> quantiles;
  std::optional<TopValues> top_values;
};

struct ScalarQuery {
  std::string sql;
  std::vector<db::Value> params;
};

struct HistogramRequest {
  std::size_t column;  // index into the column specs
  double min;
  double max;
};

struct HistogramQuery {
  std::string sql;
  std::vector<db::Value> params;
  bool packed = false;       // one text value per column instead of one count per bin
  bool cumulative = false;   // running counts (see db::HistogramExprs)
  std::size_t requests = 0;  // how many of the requests this statement covers
};

// The distribution summaries of one column, from one statement, in one of three forms:
// - kRanked (quantiles wanted): the column's non-null values grouped
//   (db::Dialect::distribution_key), each group with its count, its running count in the column's
//   order and its position by count; the statement returns the k most frequent groups and the
//   groups holding the nearest ranks of the quantiles (computed here, bound as parameters);
// - kTop (top values only): the groups with their counts, the k most frequent by a bounded sort
//   (ORDER BY count DESC, key LIMIT k): no running count, no sort of every group;
// - kUnique (top values only, when the scalar statement counted as many distinct values as
//   non-null ones): every count is 1, so the top values are the k first values in the column's
//   order: no grouping at all.
struct DistributionQuery {
  enum class Form { kRanked, kTop, kUnique };
  Form form = Form::kRanked;
  std::size_t column = 0;  // index into the column specs
  std::string sql;
  std::vector<db::Value> params;
  bool quantiles = false;     // the statement gives the quantiles
  bool top_values = false;    // the statement gives the top values
  std::int64_t non_null = 0;  // the values the scalar statement counted, whose ranks are bound
};

// The aggregates of db::SplitMoments, as read back.
struct SplitMomentValues {
  std::optional<std::int64_t> count, big_count;
  std::optional<double> small_mean, small_var, big_mean, big_var;
};

class QueryBuilder {
 public:
  // `from_sql` is the quoted table reference, or a derived table applying partition filter and
  // sampling (see scope.hpp) whose bound values are in `from_params`.
  QueryBuilder(const db::Dialect& dialect, std::string from_sql, std::vector<ColumnSpec> columns,
               DistinctMode distinct, int histogram_bins);
  QueryBuilder(const db::Dialect& dialect, std::string from_sql, db::ParamList from_params,
               std::vector<ColumnSpec> columns, DistinctMode distinct, int histogram_bins);

  const std::vector<ColumnSpec>& columns() const { return columns_; }

  // Lets the scalar statement read the rows in up to `capacity` scans at once (see
  // db::Connection::concurrent_scans): a UNION ALL of branches over the same FROM clause, each
  // computing every metric of a share of the columns, shares balanced by the cost of their
  // distinct counts (a sort of every value each). No split unless at least two columns sort.
  // Returns the number of branches; 1 keeps the single-scan statement.
  int split_scans(int capacity);
  int scans() const { return branches_; }

  // The most select-list entries one statement may have (0: no limit; see
  // db::Connection::select_item_limit). A table whose metrics need more is profiled in as few
  // statements as fit, each computing every metric of whole columns (the caller runs them in
  // one snapshot); every statement also counts the rows, and decoding checks they agree.
  void set_item_limit(std::size_t limit);

  // The scalar statements: one, unless the item limit splits the columns.
  std::vector<ScalarQuery> scalar_queries() const;
  // The one scalar statement (throws std::logic_error when the item limit splits it).
  ScalarQuery scalar_query() const;
  // Decodes the single rows of the scalar statements, in order: the row count and each column's
  // aggregates. Throws QueryError when the statements counted different rows.
  std::int64_t decode_scalar(const std::vector<db::Result>& results,
                             std::vector<ColumnAggregates>& out) const;
  std::int64_t decode_scalar(const db::Result& result, std::vector<ColumnAggregates>& out) const;

  // Which columns get a histogram, given their aggregates (numeric, finite min < max).
  std::vector<HistogramRequest> histogram_requests(
      const std::vector<ColumnAggregates>& aggregates) const;
  // The histogram statements for the requests: one, unless the item limit splits them; each
  // covers the requests in order, `requests` of HistogramQuery says how many.
  std::vector<HistogramQuery> histogram_queries(
      const std::vector<HistogramRequest>& requests) const;
  HistogramQuery histogram_query(const std::vector<HistogramRequest>& requests) const;
  // Decodes bin counts per request, in request order.
  std::vector<std::vector<std::int64_t>> decode_histograms(
      const std::vector<db::Result>& results, const std::vector<HistogramRequest>& requests,
      const std::vector<HistogramQuery>& queries) const;
  std::vector<std::vector<std::int64_t>> decode_histograms(
      const db::Result& result, const std::vector<HistogramRequest>& requests,
      const HistogramQuery& query) const;

  int histogram_bins() const { return bins_; }

  // The distribution summaries: `top_values` values kept (profiling.top_values, 0: none), and a
  // column that is neither string nor boolean gets them only with at most `max_distinct_values`
  // distinct values. Like the native executor, quantiles and top values are computed with exact
  // distinct counts only (DistinctMode::kExact).
  void set_distribution(int top_values, std::int64_t max_distinct_values);
  // The statements for the columns that want quantiles or top values and have a non-null value,
  // given the scalar statement's aggregates (their non-null counts, kept in every statement
  // by the scalar statement for these columns).
  std::vector<DistributionQuery> distribution_queries(
      const std::vector<ColumnAggregates>& aggregates) const;
  // The statement of one column whose non-null values number `non_null` (kRanked when the
  // quantiles are wanted, else kTop, or kUnique when `unique`: every value distinct).
  DistributionQuery distribution_query(std::size_t column, std::int64_t non_null, bool quantiles,
                                       bool top_values, bool unique = false) const;
  // True when the scalar statement computes the column's quantiles (db::Dialect::quantile).
  bool scalar_quantiles(std::size_t column) const;
  // The statements `plan` shows: one per column that wants a summary (ranks not yet known).
  std::vector<DistributionQuery> planned_distribution_queries() const;
  // Decodes one statement's rows into out.quantiles / out.top_values. Throws QueryError when the
  // statement did not see the values the scalar statement counted (not one snapshot).
  void decode_distribution(const db::Result& result, const DistributionQuery& query,
                           ColumnAggregates& out) const;

 private:
  db::ColumnExpr column_expr(std::size_t column) const;
  bool wants_quantiles(std::size_t column) const;
  bool wants_top_values(std::size_t column) const;
  enum class Agg {
    kNonNull,
    kDistinct,
    kMin,
    kMax,
    kMean,
    kStddev,
    kMinLen,
    kMaxLen,
    kAvgLen,
    // db::SplitMoments, in its member order, instead of kMean and kStddev
    kSplitCount,
    kSmallMean,
    kSmallVar,
    kBigCount,
    kBigMean,
    kBigVar,
    kQuantile,  // the quantile kQuantilePercents[Slot::arg] (db::Dialect::quantile)
  };
  struct Slot {
    std::size_t column;
    Agg agg;
    std::size_t arg = 0;
  };
  // The aggregates of the given columns (all columns: every slot, in column order).
  std::vector<Slot> slots(const std::vector<std::size_t>& columns) const;
  std::vector<Slot> slots() const;
  std::string slot_sql(const Slot& slot) const;
  // Decodes one statement's row (after COUNT(*)) into `out` and the split moments.
  void decode_row(const std::vector<db::Value>& row, const std::vector<Slot>& slots,
                  std::vector<ColumnAggregates>& out,
                  std::vector<std::optional<SplitMomentValues>>& split) const;
  double scan_cost(std::size_t column) const;
  ScalarQuery scalar_query(const std::vector<std::size_t>& columns) const;
  // The single row of one scalar statement over `columns`, rebuilt from its branches' rows when
  // it has several.
  std::vector<db::Value> scalar_row(const db::Result& result, const std::vector<Slot>& slots) const;

  const db::Dialect& dialect_;
  std::string from_sql_;
  db::ParamList from_params_;
  std::vector<ColumnSpec> columns_;
  DistinctMode distinct_;
  int bins_;
  int branches_ = 1;
  std::vector<int> branch_of_;  // per column, when branches_ > 1
  std::size_t item_limit_ = 0;
  std::vector<std::vector<std::size_t>> statements_;  // the columns of each scalar statement
  int top_values_ = 10;
  std::int64_t max_distinct_values_ = 1000;
};

// A value read from the engine as a metric value: a boolean as the integer 1 or 0.
MetricValue metric_value(const db::Value& v);

// Merges the two groups into the mean and sample standard deviation of every value (Chan et
// al.), in long double: nullopt when there are no values (mean) or fewer than two (stddev); a
// non-finite value among them gives IEEE results (mean +-inf or NaN, stddev NaN).
std::pair<std::optional<double>, std::optional<double>> combine_split_moments(
    const SplitMomentValues& v);

// The histogram JSON stored for a column: [{"bin_start":..,"bin_end":..,"count":..}, ...].
std::string histogram_json(double min, double max, const std::vector<std::int64_t>& counts);

}  // namespace baselinr::profiling
