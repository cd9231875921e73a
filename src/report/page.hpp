// The report page: one self-contained HTML document (inline CSS and SVG, no script, nothing
// fetched: its Content-Security-Policy forbids every request) rendered from ReportData.
#pragma once

#include <string>
#include <vector>

#include "report/report_data.hpp"

namespace baselinr::report {

std::string render_page(const ReportData& data);

// The text colours the stylesheet puts on each background (#rrggbb), so a test can hold them
// to WCAG's contrast minimum for normal text (4.5:1).
struct ColorPair {
  std::string what;
  std::string foreground;
  std::string background;
};
const std::vector<ColorPair>& text_color_pairs();

}  // namespace baselinr::report
