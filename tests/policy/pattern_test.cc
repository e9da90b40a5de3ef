// IAM's wildcard rules on their own: StringLike/action globs, Resource ARN segments (a `*` that
// ends a segment may run past colons, others may not), the six ARN components of ArnLike, and
// policy variable syntax.
#include "policy/pattern.h"

#include <gtest/gtest.h>

#include <random>

#include "policy_testing.h"

namespace iamdb::policy::internal {
namespace {

struct Row {
  const char* pattern;
  const char* text;
  bool matches;
};

bool run(MatchKind kind, std::string_view pattern, std::string_view text) {
  auto p = Pattern::compile(pattern, true, true, kind == MatchKind::kGlobIgnoreCase);
  EXPECT_TRUE(p) << pattern;
  if (!p) return false;
  ContextKeys context;
  context.set("aws:username", "alice");
  bool unresolved = false;
  const bool fast = pattern_match(*p, text, kind, context, unresolved);
  // The fast paths agree with the general matchers.
  TokenBuffer buffer;
  EXPECT_TRUE(p->expand(context, buffer));
  bool slow = false;
  switch (kind) {
    case MatchKind::kGlob: slow = glob_match(buffer.view(), text); break;
    case MatchKind::kGlobIgnoreCase: slow = glob_match(buffer.view(), text, true); break;
    case MatchKind::kResource: slow = resource_match(buffer.view(), text); break;
    case MatchKind::kArn: slow = arn_match(buffer.view(), text); break;
  }
  EXPECT_EQ(fast, slow) << pattern << " vs " << text;
  return fast;
}

TEST(Pattern, Glob) {
  const Row rows[] = {
      {"", "", true},           {"", "a", false},          {"*", "", true},
      {"*", "anything:at/all", true}, {"a*", "a", true},   {"a*", "ba", false},
      {"*a", "ba", true},       {"a?c", "abc", true},      {"a?c", "ac", false},
      {"a?c", "a\xc3\xa9" "c", true},  // ? is one character, even a two-byte one
      {"*b*b*", "abcbd", true}, {"*b*b*", "abcd", false},  {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false}, {"**", "x", true},       {"?*", "", false},
      {"x${*}", "x*", true},    {"x${*}", "xy", false},    {"${aws:username}-*", "alice-1", true},
  };
  for (const Row& r : rows) EXPECT_EQ(run(MatchKind::kGlob, r.pattern, r.text), r.matches) << r.pattern << " / " << r.text;
  EXPECT_TRUE(run(MatchKind::kGlobIgnoreCase, "rds-db:Conn*", "RDS-DB:CONNECT"));
  EXPECT_FALSE(run(MatchKind::kGlob, "rds-db:Conn*", "RDS-DB:CONNECT"));
}

TEST(Pattern, GlobHasNoExponentialBacktracking) {
  // A pathological pattern against a long text still finishes at once (O(|p|*|t|)).
  const std::string text(20000, 'a');
  EXPECT_FALSE(run(MatchKind::kGlob, "*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_FALSE(run(MatchKind::kResource, "*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
}

TEST(Pattern, ResourceSegments) {
  const Row rows[] = {
      {"*", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-X/alice", true},
      {"arn:aws:rds-db:us-east-2:123456789012:dbuser:*/*", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-X/alice",
       true},
      {"arn:aws:rds-db:*:*:dbuser:*/alice", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-X/alice", true},
      {"arn:aws:rds-db:us-*-2:123456789012:dbuser:*/alice", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-X/alice",
       true},
      // A * inside a segment does not run past a colon...
      {"arn:aws:rds-db:us-*2:123456789012:dbuser:db-X/alice",
       "arn:aws:rds-db:us-east-1:999:2:123456789012:dbuser:db-X/alice", false},
      {"arn:aws:s3:::b*t/x", "arn:aws:s3:::b:t/x", false},
      // ... and neither does ?.
      {"arn:aws:s3:::b?t", "arn:aws:s3:::b:t", false},
      // A * that ends a segment may (AWS: "it can expand to match beyond the colon boundaries").
      {"arn:aws:logs:us-east-1:123456789012:log-group:/app*",
       "arn:aws:logs:us-east-1:123456789012:log-group:/app:log-stream:x", true},
      {"arn:aws:someservice:*:111122223333:finance/*",
       "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", true},
      {"arn:aws:rds-db:us-east-2:*:dbuser:db-X/alice", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-X/alice",
       true},
      // Segment counts must line up when no * runs past a colon.
      {"arn:aws:s3:::bucket", "arn:aws:s3:::bucket:extra", false},
      {"arn:aws:s3:::bucket:extra", "arn:aws:s3:::bucket", false},
      {"arn:aws:s3:::", "arn:aws:s3:::", true},
      // Case-sensitive.
      {"arn:aws:rds-db:*:*:dbuser:*/Alice", "arn:aws:rds-db:us-east-2:1:dbuser:db-X/alice", false},
      // Variables are literal text, colons included.
      {"arn:aws:rds-db:*:*:dbuser:*/${aws:username}", "arn:aws:rds-db:us-east-2:1:dbuser:db-X/alice", true},
      {"arn:aws:rds-db:*:*:dbuser:*/${aws:username}", "arn:aws:rds-db:us-east-2:1:dbuser:db-X/alicex", false},
  };
  for (const Row& r : rows)
    EXPECT_EQ(run(MatchKind::kResource, r.pattern, r.text), r.matches) << r.pattern << " / " << r.text;
}

TEST(Pattern, ArnComponents) {
  const Row rows[] = {
      {"arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/a/b", true},
      {"arn:*:iam::*:role/ops", "arn:aws-cn:iam::123456789012:role/ops", true},
      {"arn:aws:sns:*:123456789012:t", "arn:aws:sns:us-east-1:x:123456789012:t", false},
      {"arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:1:log-group:a:*", true},
      {"arn:aws:iam::*:user/a", "arn:aws:iam::1:user/a:b", false},
      {"arn:aws:iam::*:user/a", "user/a", false},
      {"*", "arn:aws:iam::1:user/a", false},
  };
  for (const Row& r : rows) EXPECT_EQ(run(MatchKind::kArn, r.pattern, r.text), r.matches) << r.pattern << " / " << r.text;
}

TEST(Pattern, Variables) {
  auto p = Pattern::compile("a/${ aws:username , 'it''s me' }/${aws:userid}/${*}${?}${$}", true, true);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->variables().size(), 2u);
  EXPECT_EQ(p->variables()[0].key, "aws:username");
  EXPECT_EQ(p->variables()[0].default_value, "it's me");
  EXPECT_FALSE(p->variables()[1].default_value);

  ContextKeys context;
  context.set("aws:userid", "AIDA1");
  TokenBuffer out;
  ASSERT_TRUE(p->expand(context, out));
  std::string text;
  for (uint16_t t : out.view()) text += t < 256 ? static_cast<char>(t) : '#';
  EXPECT_EQ(text, "a/it's me/AIDA1/*?$");

  ContextKeys empty;
  EXPECT_FALSE(p->expand(empty, out));  // aws:userid has no value and no default

  // Without variables (policy language 2008-10-17) the text is literal.
  auto literal = Pattern::compile("${aws:username}", true, false);
  ASSERT_TRUE(literal);
  EXPECT_EQ(literal->shape(), Pattern::Shape::kLiteral);
  EXPECT_EQ(literal->literal(), "${aws:username}");

  for (const char* bad : {"${", "${aws:username", "${}", "${aws:username, x}", "${aws:username, 'x}", "${a b}"})
    EXPECT_FALSE(Pattern::compile(bad, true, true)) << bad;
  EXPECT_TRUE(Pattern::compile("$ and {} alone are text", true, true));
}

TEST(Pattern, Shapes) {
  EXPECT_EQ(Pattern::compile("*", true, true)->shape(), Pattern::Shape::kAny);
  EXPECT_EQ(Pattern::compile("abc", true, true)->shape(), Pattern::Shape::kLiteral);
  EXPECT_EQ(Pattern::compile("a*", true, true)->shape(), Pattern::Shape::kPrefix);
  EXPECT_EQ(Pattern::compile("a*", true, true)->literal(), "a");
  EXPECT_EQ(Pattern::compile("a*b", true, true)->shape(), Pattern::Shape::kGeneral);
  EXPECT_EQ(Pattern::compile("a?", true, true)->shape(), Pattern::Shape::kGeneral);
  EXPECT_EQ(Pattern::compile("a*", false, true)->shape(), Pattern::Shape::kLiteral);
  EXPECT_EQ(Pattern::compile("${x:y}", true, true)->shape(), Pattern::Shape::kGeneral);
}

// Random patterns and texts over a small alphabet: the resource matcher agrees with a direct
// transcription of AWS's rule as a regular expression.
TEST(Pattern, ResourceMatcherAgreesWithReference) {
  std::mt19937 rng(20260615);
  const std::string alphabet = "ab:*?";
  const auto random_string = [&](size_t max_len, bool wildcards) {
    std::string s;
    const size_t n = rng() % (max_len + 1);
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % (wildcards ? alphabet.size() : 3)];
    return s;
  };
  // Reference: recursive backtracking over the rule's definition.
  std::function<bool(std::string_view, std::string_view)> reference = [&](std::string_view p,
                                                                            std::string_view t) -> bool {
    if (p.empty()) return t.empty();
    if (p[0] == '*') {
      const bool crosses = p.size() == 1 || p[1] == ':';
      for (size_t k = 0; k <= t.size(); ++k) {
        if (k > 0 && t[k - 1] == ':' && !crosses) break;
        if (reference(p.substr(1), t.substr(k))) return true;
      }
      return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?') return t[0] != ':' && reference(p.substr(1), t.substr(1));
    return p[0] == t[0] && reference(p.substr(1), t.substr(1));
  };
  for (int i = 0; i < 20000; ++i) {
    const std::string p = random_string(8, true);
    const std::string t = random_string(8, false);
    auto compiled = Pattern::compile(p, true, false);
    ASSERT_TRUE(compiled);
    EXPECT_EQ(resource_match(compiled->tokens(), t), reference(p, t)) << "pattern " << p << " text " << t;
  }
}

}  // namespace
}  // namespace iamdb::policy::internal
