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

TEST(Text, OneLineJoinsLinesAndFoldsWhiteSpace) {
  // libpq's shape: a line break between sentences becomes "; ", after punctuation a space.
  EXPECT_EQ(one_line("connection failed: refused\n\tIs the server running on that host?\n"),
            "connection failed: refused; Is the server running on that host?");
  EXPECT_EQ(one_line("ERROR:\n  relation \"t\" does not exist"),
            "ERROR: relation \"t\" does not exist");
  EXPECT_EQ(one_line("a\r\nb"), "a; b");
  EXPECT_EQ(one_line("  tabs\tand   runs  "), "tabs and runs");
  EXPECT_EQ(one_line("already one line"), "already one line");
  EXPECT_EQ(one_line(" \n\t "), "");
  EXPECT_EQ(one_line(""), "");
}

TEST(Text, RedactMasksEverySecretWhateverItsLength) {
  EXPECT_EQ(redact("password 'hunter2' for hunter2@db", {"hunter2"}), "password '***' for ***@db");
  // Longest first: a secret containing another is masked whole, not partly.
  EXPECT_EQ(redact("token=abcdef key=abc", {"abc", "abcdef"}), "token=*** key=***");
  // A short secret is still a secret.
  EXPECT_EQ(redact("pw x1 in x1x1", {"x1"}), "pw *** in ******");
  EXPECT_EQ(redact("nothing to hide", {"", "absent"}), "nothing to hide");
  EXPECT_EQ(redact("secret", {}), "secret");
  // A secret that looks like the mask does not loop.
  EXPECT_EQ(redact("a*b", {"*"}), "a***b");
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
