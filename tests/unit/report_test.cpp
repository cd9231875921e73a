// The report's building blocks: HTML escaping (the one place stored text becomes markup), the
// number formats, the SVG charts' geometry, the terminal sparkline, and the palette's contrast.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "report/html.hpp"
#include "report/page.hpp"
#include "report/svg.hpp"

namespace baselinr::report {
namespace {

TEST(ReportHtml, EscapesMarkupAndQuotes) {
  EXPECT_EQ(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(escape("a\" onload=\"x' & y"), "a&quot; onload=&quot;x&#39; &amp; y");
  EXPECT_EQ(escape("ünï©ødé 列 🙂"), "ünï©ødé 列 🙂");
}

TEST(ReportHtml, InvalidUtf8AndControlCharactersBecomeReplacementCharacters) {
  EXPECT_EQ(escape(std::string("a\xff"
                               "b")),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(escape(std::string("\xC0\xAF")), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(escape(std::string("\xED\xA0\x80")),                           // a surrogate
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(escape(std::string("x\xE4\xB8")), "x\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
  EXPECT_EQ(escape(std::string("a\0b\x1b[31m\tc\n", 11)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD[31m\tc\n");
}

TEST(ReportHtml, CutsByCharactersNotBytes) {
  EXPECT_EQ(escape_cut("列列列列", 2), "列列…");
  EXPECT_EQ(escape_cut("<<<", 2), "&lt;&lt;…");
  EXPECT_EQ(escape_cut("abc", 3), "abc");
}

TEST(ReportHtml, DisplaysNumbers) {
  EXPECT_EQ(display_number(12.5), "12.5");
  EXPECT_EQ(display_number(100.0), "100");
  EXPECT_EQ(display_number(2.0 / 3.0), "0.6667");
  EXPECT_EQ(display_number(2.0 / 3.0, 2), "0.67");
  EXPECT_EQ(display_number(-0.00001), "-1e-05");
  EXPECT_EQ(display_number(1e20), "1e+20");
  EXPECT_EQ(display_number(-0.0), "0");
  EXPECT_EQ(display_number(std::nan("")), "NaN");
  EXPECT_EQ(display_value("9007199254740993"), "9007199254740993");  // an int64 stays exact
  EXPECT_EQ(display_value("33.333333333"), "33.3333");
  EXPECT_EQ(display_value("2026-01-15"), "2026-01-15");
  EXPECT_EQ(display_compact(288.81944), "288.8");
  EXPECT_EQ(display_compact(4266.54), "4267");
  EXPECT_EQ(display_time("2026-11-27 02:53:22.123456"), "2026-11-27 02:53");
  EXPECT_EQ(display_bytes(1536), "1.5 KB");
}

// The coordinates of every <polyline> in an SVG text, one vector per polyline.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> out;
  std::regex line("<polyline class=\"ln\" points=\"([^\"]*)\"");
  for (std::sregex_iterator it(svg.begin(), svg.end(), line), end; it != end; ++it) {
    std::vector<std::pair<double, double>> points;
    std::regex point("(-?[0-9.]+),(-?[0-9.]+)");
    const std::string text = (*it)[1];
    for (std::sregex_iterator p(text.begin(), text.end(), point); p != end; ++p) {
      points.emplace_back(std::stod((*p)[1]), std::stod((*p)[2]));
    }
    out.push_back(points);
  }
  return out;
}

TEST(ReportSvg, LineChartBreaksAtMissingValuesAndMarksFindings) {
  LineChart c;
  c.values = {1.0, std::nullopt, 3.0, 5.0, std::nullopt, 2.0};
  c.markers = {{3, "high", "mean <b>rose</b>"}};
  c.label = "mean of \"x\"";
  const std::string svg = line_chart(c);
  auto lines = polylines(svg);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), 1u);
  EXPECT_EQ(lines[1].size(), 2u);
  EXPECT_EQ(lines[2].size(), 1u);
  // x by run index over [5, 235]; y: the largest value at the top (5), the smallest at the bottom.
  EXPECT_EQ(lines[0][0], std::make_pair(5.0, 51.0));
  EXPECT_EQ(lines[1][1], std::make_pair(143.0, 5.0));
  EXPECT_EQ(lines[2][0], std::make_pair(235.0, 40.0));  // 56 - 5 - 46 * (2-1)/(5-1) = 39.5
  // Isolated values get a dot; the finding a marker at its run, with its text escaped.
  EXPECT_NE(svg.find("<circle class=\"mk sev-high\" cx=\"143\" cy=\"5\""), std::string::npos);
  EXPECT_NE(svg.find("mean &lt;b&gt;rose&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(svg.find("role=\"img\"><title>mean of &quot;x&quot;</title>"), std::string::npos);
  std::regex dot("<circle class=\"pt\"");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(svg.begin(), svg.end(), dot), std::sregex_iterator()), 2);
}

TEST(ReportSvg, HistogramHasOneBarPerBin) {
  const std::string svg = histogram_chart({{0, 1, 5}, {1, 2, 0}, {2, 3, 10}}, "h");
  std::regex bar("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"");
  std::vector<double> heights;
  for (std::sregex_iterator it(svg.begin(), svg.end(), bar), end; it != end; ++it) {
    heights.push_back(std::stod((*it)[1]));
  }
  ASSERT_EQ(heights.size(), 3u);
  EXPECT_DOUBLE_EQ(heights[2], 70.0);
  EXPECT_DOUBLE_EQ(heights[0], 35.0);
  EXPECT_DOUBLE_EQ(heights[1], 0.0);
  EXPECT_NE(svg.find("<title>2 to 3: 10</title>"), std::string::npos);
}

TEST(ReportSvg, TextSparkline) {
  EXPECT_EQ(text_sparkline({0.0, 7.0, std::nullopt, 3.5}), "▁█ ▅");
  EXPECT_EQ(text_sparkline({2.0, 2.0}), "▁▁");
  EXPECT_EQ(text_sparkline({}), "");
}

double luminance(const std::string& hex) {
  auto channel = [&](int i) {
    const double c = std::stoi(hex.substr(1 + 2 * i, 2), nullptr, 16) / 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

TEST(ReportPage, TextColoursMeetWcagContrast) {
  ASSERT_GE(text_color_pairs().size(), 10u);
  for (const auto& p : text_color_pairs()) {
    const double a = luminance(p.foreground);
    const double b = luminance(p.background);
    const double ratio = (std::max(a, b) + 0.05) / (std::min(a, b) + 0.05);
    EXPECT_GE(ratio, 4.5) << p.what << ": " << p.foreground << " on " << p.background;
  }
}

}  // namespace
}  // namespace baselinr::report
