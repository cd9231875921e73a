// Distribution summaries of a column, stored like `histogram` (one results row, JSON text in
// metric_value): `quantiles` of numeric and temporal columns and `top_values`, the most frequent
// values. Every executor fills these structures (the native one from its counted distinct sets,
// the pushed-down SQL from the engine's answer) and stores them through the same two functions,
// so the stored text is the same whoever computed it.
//
// quantiles: {"method":"exact","interpolation":"nearest_rank","rank_error":0.0,"n":<non-null
// values>,"points":[{"p":0.0,"value":..},{"p":0.01,..},...,{"p":1.0,..}]}. Nearest rank: the
// value at rank ceil(p·n) (at least 1) in the column's order, i.e. the smallest value v with at
// least ceil(p·n) values <= v (PostgreSQL's percentile_disc); p = 0 is the minimum, p = 1 the
// maximum, as the min and max metrics give them. Numbers are JSON numbers (an integer stays an
// integer, whatever its size; a value stored as a real stays a real; infinities are the strings
// "inf" and "-inf"); text is a string; a temporal column's text also gets "epoch", its seconds
// since 1970-01-01 UTC, when it reads as a date or timestamp (epoch_seconds).
//
// top_values: {"k":<k>,"exact":true,"values":[{"value":"<text>","count":N},...],"other_count":N,
// "null_count":N,"distinct_count":N}: at most k values, most frequent first, ties in the
// column's order; a value's text is what metric_text gives for it (as min and max are stored).
// other_count counts the non-null values not listed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "baselinr/profiler.hpp"

namespace baselinr::profiling {

// The levels p of the stored quantiles, in hundredths.
inline constexpr std::array<int, 11> kQuantilePercents = {0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100};

// The 1-based rank of the nearest-rank quantile p = percent / 100 among n values: ceil(p·n),
// at least 1, computed exactly (no floating point).
std::int64_t nearest_rank(int percent, std::int64_t n);

// The rank an engine computing in double precision takes for the same quantile (PostgreSQL's
// percentile_disc: (int64) ceil(fraction * (double) n) with fraction the double nearest to
// percent / 100, at least 1; -1 when that is beyond int64). It equals nearest_rank() for every n
// up to 10^8 (checked exhaustively offline; the unit tests check up to 10^6, near 2^31, 2^32 and
// 2^53 / 100, and samples below 2^46) but not for some n from about 2^47 (1.4e14 values) on,
// where the product rounds across an integer: a caller reading an engine's quantiles checks the
// two agree for its n, and computes them itself otherwise.
std::int64_t float_nearest_rank(int percent, std::int64_t n);

struct Quantiles {
  bool exact = true;
  double rank_error = 0;            // a fraction of n; 0 when exact
  std::int64_t n = 0;               // the non-null values summarised
  std::vector<MetricValue> values;  // one per kQuantilePercents
};

struct TopValues {
  bool exact = true;
  // Most frequent first, ties in the column's order; at most k.
  std::vector<std::pair<MetricValue, std::int64_t>> values;
  std::int64_t other_count = 0;  // non-null values not in `values`
  std::int64_t distinct_count = 0;
};

// The stored JSON. `temporal`: text values get "epoch" when they read as a date or timestamp.
std::string quantiles_json(const Quantiles& quantiles, bool temporal);
std::string top_values_json(const TopValues& top, int k, std::int64_t null_count);

// Seconds since 1970-01-01 00:00:00 UTC of "YYYY-MM-DD", optionally followed by 'T', 't' or a
// space and "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff..." and optionally by a zone: 'Z', 'z', or
// +HH, +HHMM, +HH:MM (or -), possibly after a space (PostgreSQL's "+00"). nullopt for anything
// else, or an impossible date or time (2026-02-30, 24:00).
std::optional<double> epoch_seconds(std::string_view text);

}  // namespace baselinr::profiling
