#include "common/uuid.hpp"

#include <gtest/gtest.h>

namespace baselinr {
namespace {

// Expected ids computed independently with Python's uuid.uuid5 in the same namespace.
TEST(Uuid, VersionFiveIdsMatchAnIndependentImplementation) {
  EXPECT_EQ(uuid_v5("drift|public|orders|amount|mean|up|r1|r2"),
            "fc98b6ca-abb9-50c0-bde0-04a230fc7e7f");
  EXPECT_EQ(uuid_v5(""), "b539a3eb-ec36-5247-bfc4-5099ca0cdecd");
  EXPECT_EQ(uuid_v5("na\xc3\xafve"), "a09e45cb-0310-594f-8cff-71d1734f9a9e");
  EXPECT_EQ(uuid_v5("x"), uuid_v5("x"));
  EXPECT_NE(uuid_v5("x"), uuid_v5("y"));
}

}  // namespace
}  // namespace baselinr
