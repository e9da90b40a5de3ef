// Hex and percent encodings as SigV4 and the Query API use them.
#include "common/encoding.h"

#include <gtest/gtest.h>

namespace iamdb {
namespace {

TEST(Hex, RoundTrips) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(hex_decode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_TRUE(is_lower_hex("0a9f"));
  EXPECT_FALSE(is_lower_hex("0A9F"));
  EXPECT_FALSE(is_lower_hex(""));
}

TEST(UriEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b+c=d&e/f"), "a%20b%2Bc%3Dd%26e%2Ff");
  EXPECT_EQ(uri_encode("a/b c", true), "a/b%20c");
  EXPECT_EQ(uri_encode("\xc3\xbc"), "%C3%BC");
}

TEST(PercentDecode, StrictAboutEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("abc%4"));
}

TEST(QueryString, KeepsOrderAndDuplicates) {
  const auto q = parse_query_string("b=2&a=1&a=&c&&d=x%3Dy", false);
  ASSERT_TRUE(q);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"b", "2"}, {"a", "1"}, {"a", ""}, {"c", ""}, {"d", "x=y"}};
  EXPECT_EQ(*q, want);
  EXPECT_FALSE(parse_query_string("a=%G0", false));
  EXPECT_EQ(parse_query_string("", false)->size(), 0u);
}

}  // namespace
}  // namespace iamdb
