#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/html.hpp"

namespace baselinr::report {
namespace {

struct Range {
  double lo = 0;
  double hi = 0;
  bool empty = true;
  void add(double v) {
    if (!std::isfinite(v)) return;
    if (empty) {
      lo = hi = v;
      empty = false;
    } else {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  // Position of v in [0, 1]; the middle when the range is a single value.
  double at(double v) const { return hi > lo ? (v - lo) / (hi - lo) : 0.5; }
};

std::string svg_open(int width, int height, const std::string& cls, const std::string& label) {
  // The <title> is the chart's accessible name (and its tooltip).
  return fmt::format("<svg class=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>", cls,
                     width, height, escape(label));
}

}  // namespace

std::string line_chart(const LineChart& chart) {
  Range range;
  for (const auto& v : chart.values) {
    if (v) range.add(*v);
  }
  const double pad = 5;
  const std::size_t n = chart.values.size();
  auto x = [&](std::size_t i) {
    return n <= 1 ? chart.width / 2.0
                  : pad + (chart.width - 2 * pad) * i / static_cast<double>(n - 1);
  };
  auto y = [&](double v) { return chart.height - pad - (chart.height - 2 * pad) * range.at(v); };
  auto finite = [&](std::size_t i) { return chart.values[i] && std::isfinite(*chart.values[i]); };

  std::string out = svg_open(chart.width, chart.height, "line", chart.label);
  for (std::size_t i = 0; i < n;) {
    if (!finite(i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    std::string points;
    while (end < n && finite(end)) {
      if (!points.empty()) points += ' ';
      points += fmt::format("{:.0f},{:.0f}", x(end), y(*chart.values[end]));
      ++end;
    }
    out += fmt::format("<polyline class=\"ln\" points=\"{}\"/>", points);
    if (end - i == 1) {
      out += fmt::format("<circle class=\"pt\" cx=\"{:.0f}\" cy=\"{:.0f}\" r=\"2.5\"/>", x(i),
                         y(*chart.values[i]));
    }
    i = end;
  }
  for (const auto& m : chart.markers) {
    if (m.index >= n) continue;
    const double cy = finite(m.index) ? y(*chart.values[m.index]) : chart.height / 2.0;
    out += fmt::format(
        "<circle class=\"mk sev-{}\" cx=\"{:.0f}\" cy=\"{:.0f}\" "
        "r=\"4\"><title>{}</title></circle>",
        escape(m.severity), x(m.index), cy, escape(m.label));
  }
  return out + "</svg>";
}

std::string histogram_chart(const std::vector<HistogramBin>& bins, const std::string& label) {
  const int width = 240;
  const int height = 72;
  double top = 0;
  for (const auto& b : bins) top = std::max(top, b.count);
  std::string out = svg_open(width, height, "hist", label);
  if (bins.empty()) return out + "</svg>";
  const double w = static_cast<double>(width) / static_cast<double>(bins.size());
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const auto& b = bins[i];
    // Every non-empty bin shows at least a sliver, so a rare value is not drawn as nothing.
    double h = top > 0 ? (height - 2) * b.count / top : 0;
    if (b.count > 0) h = std::max(h, 1.5);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.4g}\" y=\"{:.4g}\" width=\"{:.4g}\" height=\"{:.4g}\">"
        "<title>{} to {}: {}</title></rect>",
        i * w + 0.5, height - h, std::max(w - 1, 0.5), h, display_number(b.start),
        display_number(b.end), display_number(b.count));
  }
  return out + "</svg>";
}

std::string quantile_strip(const std::vector<QuantilePoint>& points, const std::string& label) {
  const int width = 240;
  const int height = 28;
  const double pad = 4;
  Range range;
  for (const auto& q : points) range.add(q.value);
  auto find = [&](double p) -> std::optional<double> {
    for (const auto& q : points) {
      if (std::fabs(q.p - p) < 1e-9 && std::isfinite(q.value)) return q.value;
    }
    return std::nullopt;
  };
  auto x = [&](double v) { return pad + (width - 2 * pad) * range.at(v); };
  std::string out = svg_open(width, height, "qstrip", label);
  const double mid = height / 2.0;
  if (auto lo = find(0.0), hi = find(1.0); lo && hi) {
    out += fmt::format("<line class=\"rng\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>",
                       x(*lo), mid, x(*hi), mid);
  }
  if (auto lo = find(0.05), hi = find(0.95); lo && hi) {
    out += fmt::format("<line class=\"wsk\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>",
                       x(*lo), mid, x(*hi), mid);
  }
  if (auto lo = find(0.25), hi = find(0.75); lo && hi) {
    out += fmt::format("<rect class=\"box\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\"/>",
                       x(*lo), mid - 7, std::max(x(*hi) - x(*lo), 1.0), 14);
  }
  if (auto med = find(0.5)) {
    out += fmt::format("<line class=\"med\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>",
                       x(*med), mid - 9, x(*med), mid + 9);
  }
  return out + "</svg>";
}

std::string text_sparkline(const std::vector<std::optional<double>>& values) {
  static const char* const kLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  Range range;
  for (const auto& v : values) {
    if (v) range.add(*v);
  }
  std::string out;
  for (const auto& v : values) {
    if (!v || !std::isfinite(*v)) {
      out += ' ';
      continue;
    }
    const double at = range.hi > range.lo ? range.at(*v) : 0.0;
    out += kLevels[std::clamp(static_cast<int>(std::lround(at * 7)), 0, 7)];
  }
  return out;
}

}  // namespace baselinr::report
