// SVG charts drawn by the report itself (no charting library): a line chart of a metric over
// runs with finding markers, a histogram, and a quantile strip. Each chart is an <svg> with
// role="img", an aria-label and a <title> that say in words what it shows, so a screen reader
// (or a printout without colour) loses nothing.
//
// Charts are sized by viewBox and scale to their container; styling is by class names that the
// page's stylesheet defines (ln: a line, pt: a point, mk sev-<severity>: a finding marker, bar:
// a histogram bar).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace baselinr::report {

struct ChartMarker {
  std::size_t index = 0;  // the point (run) it marks
  std::string severity;   // "low", "medium", "high"
  std::string label;      // what was found there (plain text; escaped when drawn)
};

struct LineChart {
  std::vector<std::optional<double>> values;  // one per run, oldest first; nullopt: no value
  std::vector<ChartMarker> markers;
  std::string label;  // the text alternative: what the chart shows (plain text)
  int width = 240;
  int height = 56;
};

// One <svg>: a polyline per run of consecutive values (a missing value breaks the line), a dot
// for a value with no neighbour, and a circle per marker.
std::string line_chart(const LineChart& chart);

struct HistogramBin {
  double start = 0;
  double end = 0;
  double count = 0;
};

// One <svg> with a <rect class="bar"> per bin, each with a <title> giving its range and count.
std::string histogram_chart(const std::vector<HistogramBin>& bins, const std::string& label);

struct QuantilePoint {
  double p = 0;
  double value = 0;
};

// One <svg>: the range (p0 to p100), the middle half as a box (p25 to p75), whiskers at p5 and
// p95 and the median as a tick; points absent from `points` are not drawn.
std::string quantile_strip(const std::vector<QuantilePoint>& points, const std::string& label);

// "▁▂▄█" for a text terminal: one character per value, blank for a missing one.
std::string text_sparkline(const std::vector<std::optional<double>>& values);

}  // namespace baselinr::report
