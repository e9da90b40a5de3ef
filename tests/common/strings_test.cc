// ASCII helpers.
#include "common/strings.h"

#include <gtest/gtest.h>

namespace iamdb {
namespace {

TEST(Strings, CaseInsensitive) {
  EXPECT_TRUE(iequals("Host", "hOST"));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_TRUE(istarts_with("X-Amz-Date", "x-amz-"));
  EXPECT_EQ(to_lower("AbC-1"), "abc-1");
  EXPECT_EQ(to_upper("AbC-1"), "ABC-1");
}

TEST(Strings, TrimSplitJoin) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("   "), "");
  const auto parts = split("a,,b", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(split("", ',').size(), 1u);
  EXPECT_EQ(join({"a", "b", "c"}, ";"), "a;b;c");
}

TEST(Strings, ParseUint) {
  long long v = 0;
  EXPECT_TRUE(parse_uint("900", v));
  EXPECT_EQ(v, 900);
  EXPECT_FALSE(parse_uint("", v));
  EXPECT_FALSE(parse_uint("-1", v));
  EXPECT_FALSE(parse_uint("+1", v));
  EXPECT_FALSE(parse_uint("1 ", v));
  EXPECT_FALSE(parse_uint("99999999999999999999", v));
}

}  // namespace
}  // namespace iamdb
