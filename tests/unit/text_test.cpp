#include "common/text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace baselinr {
namespace {

TEST(Text, DoublesPrintLikePythonAndRoundTrip) {
  EXPECT_EQ(format_double(12.5), "12.5");
  EXPECT_EQ(format_double(100.0), "100.0");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(-0.0), "-0.0");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_double(std::nan("")), "nan");
  for (double v : {1.0 / 3.0, 1e-300, 6.02214076e23, 123456789.123456789, -2.5e-7}) {
    EXPECT_EQ(*parse_double(format_double(v)), v);
  }
  EXPECT_TRUE(std::isinf(*parse_double("inf")));
  EXPECT_TRUE(std::isnan(*parse_double("nan")));
  EXPECT_FALSE(parse_double("12abc"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(parse_int("1.5"));
}

TEST(Text, TimestampsFormatAndParse) {
  auto tp = parse_time("2026-11-27 02:53:22.123456");
  ASSERT_TRUE(tp);
  EXPECT_EQ(format_storage_time(*tp), "2026-11-27 02:53:22.123456");
  EXPECT_EQ(format_iso_time(*tp), "2026-11-27T02:53:22.123456Z");
  EXPECT_EQ(normalize_storage_time("2026-11-27 02:53:22"), "2026-11-27 02:53:22.000000");
  EXPECT_EQ(normalize_storage_time("2026-11-27T02:53:22.5Z"), "2026-11-27 02:53:22.500000");
  EXPECT_EQ(normalize_storage_time("garbage"), "garbage");
}

TEST(Text, SuggestionsFindNearMisses) {
  std::vector<std::string> keys = {"password", "port", "host", "schema"};
  EXPECT_EQ(closest_match("pasword", keys), "password");
  EXPECT_EQ(closest_match("shema", keys), "schema");
  EXPECT_FALSE(closest_match("completely_different", keys));
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace baselinr
