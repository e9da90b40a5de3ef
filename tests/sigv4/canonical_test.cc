// The canonical forms on their own: path normalisation and double encoding, query ordering and
// re-encoding, header value folding, and the string to sign.
#include "sigv4/canonical.h"

#include <gtest/gtest.h>

namespace iamdb::sigv4 {
namespace {

struct UriCase {
  const char* name;
  std::string_view raw;
  PathRules rules;
  std::string_view expected;
};

TEST(CanonicalUri, FollowsTheRulesOfEachServiceKind) {
  const PathRules normal{}, plain{false, true}, s3{false, false};
  const UriCase cases[] = {
      {"empty path is the root", "", normal, "/"},
      {"root", "/", normal, "/"},
      {"dot segments removed", "/a/./b/../c", normal, "/a/c"},
      {"trailing slash kept", "/a/./b/", normal, "/a/b/"},
      {"empty segments collapsed", "//a//b", normal, "/a/b"},
      {"dot-dot at the end drops the segment", "/a/b/..", normal, "/a"},
      {"dot-dot above the root stays at the root", "/../..", normal, "/"},
      {"already-encoded path is encoded again", "/a%20b", normal, "/a%2520b"},
      {"reserved characters encoded", "/a:b@c", normal, "/a%3Ab%40c"},
      {"unnormalised keeps dot segments", "/a/../b", plain, "/a/../b"},
      {"unnormalised keeps empty segments", "//a//", plain, "//a//"},
      {"s3 rules keep the path as sent", "/a%20b/../c", s3, "/a%20b/../c"},
  };
  for (const UriCase& c : cases) EXPECT_EQ(canonical_uri(c.raw, c.rules), c.expected) << c.name;
}

struct QueryCase {
  const char* name;
  std::string_view raw;
  std::string_view exclude;
  std::optional<std::string_view> expected;
};

TEST(CanonicalQuery, SortsAndReencodes) {
  const QueryCase cases[] = {
      {"empty", "", "", ""},
      {"sorted by name then value", "b=2&a=1&a=0", "", "a=0&a=1&b=2"},
      {"byte order, upper case first", "b=1&B=2&_=3", "", "B=2&_=3&b=1"},
      {"plus is a literal plus", "a=x+y", "", "a=x%2By"},
      {"parameter without '=' has an empty value", "a&b=1", "", "a=&b=1"},
      {"empty parts skipped", "&&a=1&", "", "a=1"},
      {"lower-case escapes become upper-case", "%e1%88%b4=v", "", "%E1%88%B4=v"},
      {"needlessly encoded unreserved decoded", "a=%7E%41", "", "a=~A"},
      {"raw reserved characters encoded", "a=/:@ ", "", "a=%2F%3A%40%20"},
      {"excluded parameter dropped", "a=1&X-Amz-Signature=abc&b=2", "X-Amz-Signature", "a=1&b=2"},
      {"bad escape refused", "a=%zz", "", std::nullopt},
      {"truncated escape refused", "a=%4", "", std::nullopt},
  };
  for (const QueryCase& c : cases) {
    const auto got = canonical_query(c.raw, c.exclude);
    if (!c.expected) {
      EXPECT_FALSE(got) << c.name;
    } else {
      ASSERT_TRUE(got) << c.name;
      EXPECT_EQ(*got, *c.expected) << c.name;
    }
  }
}

TEST(CanonicalHeaderValue, TrimsAndFoldsWhitespace) {
  EXPECT_EQ(canonical_header_value("  a   b  "), "a b");
  EXPECT_EQ(canonical_header_value("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(canonical_header_value("value1\n  value2\n     value3"), "value1 value2 value3");
  EXPECT_EQ(canonical_header_value("a\t\tb"), "a b");
  EXPECT_EQ(canonical_header_value("   "), "");
}

TEST(CanonicalHeaders, LowerCasesSortsAndJoinsRepeats) {
  const Headers headers = {{"Host", "example.com"}, {"X-B", "2"}, {"x-a", " 1 "}, {"X-B", "3"}};
  const CanonicalHeaders all = canonical_headers(headers);
  EXPECT_EQ(all.block, "host:example.com\nx-a:1\nx-b:2,3\n");
  EXPECT_EQ(all.signed_headers, "host;x-a;x-b");

  const std::vector<std::string> names = {"host", "x-b"};
  const auto some = canonical_headers(headers, names);
  ASSERT_TRUE(some);
  EXPECT_EQ(some->block, "host:example.com\nx-b:2,3\n");
  EXPECT_EQ(some->signed_headers, "host;x-b");

  const std::vector<std::string> absent = {"host", "x-c"};
  const auto missing = canonical_headers(headers, absent);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'x-c'"), std::string::npos);
}

TEST(CanonicalHeaders, LeavesOutAHeaderWithoutAName) {
  // It cannot be sent, and signing it would list it in neither form a verifier can rebuild.
  const Headers headers = {{" ", "x"}, {"Host", "example.com"}, {"", "y"}};
  const CanonicalHeaders all = canonical_headers(headers);
  EXPECT_EQ(all.block, "host:example.com\n");
  EXPECT_EQ(all.signed_headers, "host");
}

TEST(StringToSign, HashesTheCanonicalRequest) {
  const CredentialScope scope{"20150830", "us-east-1", "iam"};
  EXPECT_EQ(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
  EXPECT_EQ(string_to_sign("20150830T123600Z", scope.to_string(), ""),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
                std::string(kEmptyPayloadSha256));
}

}  // namespace
}  // namespace iamdb::sigv4
