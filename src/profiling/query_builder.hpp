// Builds the profiling queries of one table from its dialect: ONE aggregate query for every
// scalar metric of every column, and ONE query for all histograms, plus the decoders that turn
// their single result rows back into per-column values. Where the engine runs UNION ALL branches
// in parallel, the scalar statement may split its columns over concurrent scans (split_scans).
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
  bool bytewise_equality = false;    // see db::ColumnInfo
  bool unique = false;               // see db::ColumnInfo

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
  bool packed = false;      // one text value per column instead of one count per bin
  bool cumulative = false;  // running counts (see db::HistogramExprs)
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

  ScalarQuery scalar_query() const;
  // Decodes the single row of the scalar query: the row count and each column's aggregates.
  std::int64_t decode_scalar(const db::Result& result, std::vector<ColumnAggregates>& out) const;

  // Which columns get a histogram, given their aggregates (numeric, finite min < max).
  std::vector<HistogramRequest> histogram_requests(
      const std::vector<ColumnAggregates>& aggregates) const;
  HistogramQuery histogram_query(const std::vector<HistogramRequest>& requests) const;
  // Decodes bin counts per request, in request order.
  std::vector<std::vector<std::int64_t>> decode_histograms(
      const db::Result& result, const std::vector<HistogramRequest>& requests,
      const HistogramQuery& query) const;

  int histogram_bins() const { return bins_; }

 private:
  db::ColumnExpr column_expr(std::size_t column) const;
  enum class Agg { kNonNull, kDistinct, kMin, kMax, kMean, kStddev, kMinLen, kMaxLen, kAvgLen };
  struct Slot {
    std::size_t column;
    Agg agg;
  };
  std::vector<Slot> slots() const;
  double scan_cost(std::size_t column) const;
  // The single row of the scalar statement, rebuilt from its branches' rows when it has several.
  std::vector<db::Value> scalar_row(const db::Result& result, std::size_t values) const;

  const db::Dialect& dialect_;
  std::string from_sql_;
  db::ParamList from_params_;
  std::vector<ColumnSpec> columns_;
  DistinctMode distinct_;
  int bins_;
  int branches_ = 1;
  std::vector<int> branch_of_;  // per column, when branches_ > 1
};

// The histogram JSON stored for a column: [{"bin_start":..,"bin_end":..,"count":..}, ...].
std::string histogram_json(double min, double max, const std::vector<std::int64_t>& counts);

}  // namespace baselinr::profiling
