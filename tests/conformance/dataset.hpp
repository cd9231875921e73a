// Generated datasets with known answers, written to any target, and the metrics the profiler
// must report for them, computed here from the generated values alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "baselinr/profiler.hpp"
#include "support/targets.hpp"

namespace baselinr::conformance {

struct Column {
  std::string name;
  Logical type = Logical::kInt32;
  std::vector<Cell> values;
};

struct Dataset {
  std::string table;
  std::vector<Column> columns;

  std::size_t rows() const { return columns.empty() ? 0 : columns.front().values.size(); }
  const Column& column(std::string_view name) const;
  Column& column(std::string_view name);
  // Rows [begin, end) of every column.
  Dataset slice(std::size_t begin, std::size_t end) const;
};

// The main dataset: one column per logical type (two for the wide integer types), NULLs, the
// extremes of each integer width, integers near +/-2^63 and around 2^62 with a small spread,
// decimals, doubles with a large mean and a small spread, Unicode text (accents, CJK, emoji,
// combining marks), dates, times, timestamps, booleans, JSON, UUIDs, blobs, enum labels and an
// all-NULL column. Deterministic for a seed.
Dataset generate_dataset(std::size_t rows, std::uint64_t seed);

// The table the drift test profiles twice: id, units, qty, price, amount, label, day, flag, gone.
Dataset generate_drift_dataset(std::size_t rows, std::uint64_t seed);

// CREATE TABLE for `data` in the namespace, with each target's native types.
void create_table(Namespace& ns, const Dataset& data);
// Inserts rows [begin, end) in batches of multi-row INSERTs, in one transaction.
void insert_rows(Namespace& ns, const Dataset& data, std::size_t begin, std::size_t end);
inline void load(Namespace& ns, const Dataset& data) {
  create_table(ns, data);
  insert_rows(ns, data, 0, data.rows());
}

// The form in which the suite compares temporal min/max across engines: "YYYY-MM-DD",
// "HH:MM:SS" or "YYYY-MM-DD HH:MM:SS[.f]" with the fraction's trailing zeros dropped, no 'T' and
// no UTC offset.
std::string canonical_temporal(std::string_view text);

std::int64_t utf8_length(std::string_view text);

// One expected metric value.
struct Expected {
  enum class Kind {
    kNull,       // the metric is present and NULL
    kInt,        // an exact integer
    kNumber,     // an exact number, integer or real (decimal min/max)
    kApprox,     // a real within 1e-9 relative
    kTemporal,   // text equal after canonical_temporal()
    kHistogram,  // the JSON bins, counts and edges exact
    kText,       // this exact text (a top value of a string or boolean column)
    kAny,        // any value (a top value of a column whose values each engine prints its way)
    kQuantiles,  // the quantiles JSON: n and each point's value (`points`, kInt/kNumber/kTemporal)
    kTopValues   // the top_values JSON: k, each value and count (`top`), other, null, distinct
  };
  Kind kind = Kind::kNull;
  std::int64_t integer = 0;
  double number = 0;
  std::string text;
  std::vector<std::int64_t> bins;
  double lo = 0, hi = 0;
  // kQuantiles and kTopValues
  std::int64_t n = 0;  // quantiles: non-null values; top values: k
  std::vector<Expected> points;
  std::vector<std::pair<Expected, std::int64_t>> top;
  std::int64_t other_count = 0, null_count = 0, distinct_count = 0;

  // The value drift detection reads from the stored text, if it is a number.
  std::optional<double> as_number() const;
};
using ExpectedMetrics = std::vector<std::pair<std::string, Expected>>;

struct ExpectOptions {
  int bins = 10;
  int top_values = 10;                      // profiling.top_values
  std::int64_t max_distinct_values = 1000;  // profiling.max_distinct_values
};

// The metrics the profiler must report for `column` when the engine classifies it as
// `type_class`, in report order, computed from the generated values.
ExpectedMetrics expected_metrics(const Column& column, TypeClass type_class,
                                 const ExpectOptions& options);

// Asserts (gtest) that `got` carries exactly the metrics in `want`, with the expected values;
// reals (kApprox) within `tolerance` relative.
void expect_metrics(const ColumnProfile& got, const ExpectedMetrics& want, double tolerance = 1e-9);

// A metric value as a number (integer or real, or numeric text); nullopt otherwise.
std::optional<double> number_of(const MetricValue& value);

}  // namespace baselinr::conformance
