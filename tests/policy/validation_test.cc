// Policy validation: every malformed document is refused with the message that names its
// problem; documents as AWS's guides write them are accepted.
#include <gtest/gtest.h>

#include "policy/policy.h"
#include "policy_testing.h"

namespace iamdb::policy {
namespace {

using namespace testing;

constexpr auto kIdentity = PolicyKind::kIdentity;
constexpr auto kTrust = PolicyKind::kTrust;
constexpr auto kResource = PolicyKind::kResource;

// One statement's fields, wrapped into a 2012-10-17 document.
std::string doc(std::string_view statement_fields) {
  return R"({"Version":"2012-10-17","Statement":[{)" + std::string(statement_fields) + "}]}";
}
constexpr std::string_view kOk = R"("Effect":"Allow","Action":"rds-db:connect","Resource":"*")";

struct Bad {
  std::string name;
  std::string document;
  PolicyKind kind;
  std::string message;
};

const Bad kBad[] = {
    // --- JSON.
    {"not JSON", "{\"Version\":", kIdentity,
     "Syntax errors in policy: line 1, column 12: syntax error while parsing value - unexpected end of input; "
     "expected '[', '{', or a literal"},
    {"trailing data", doc(kOk) + "x", kIdentity,
     "Syntax errors in policy: line 1, column 99: syntax error while parsing value - invalid literal; last read: "
     "'\"*\"}]}x'; expected end of input"},
    {"duplicate key", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}})",
     kIdentity, "Syntax errors in policy: duplicate key \"Effect\""},
    {"not an object", R"(["Statement"])", kIdentity, "Policy document must be a JSON object"},
    {"too deep", std::string(20, '[') + std::string(20, ']'), kIdentity,
     "Syntax errors in policy: nesting deeper than 16 levels"},
    {"character outside IAM's set", doc(R"("Sid":"caf)" "\xe4\xb8\xad" R"(",)" + std::string(kOk)), kIdentity,
     "Policy document contains a character IAM does not allow: U+4E2D (allowed: tab, line feed, carriage return "
     "and U+0020 to U+00FF)"},
    {"escaped character outside IAM's set", doc(R"("Sid":"a\u0001",)" + std::string(kOk)), kIdentity,
     "Policy document contains a character IAM does not allow: U+0001 (allowed: tab, line feed, carriage return "
     "and U+0020 to U+00FF)"},
    {"invalid UTF-8", doc("\"Sid\":\"\xff\"," + std::string(kOk)), kIdentity,
     "Policy document is not valid UTF-8 (at byte 45)"},

    // --- Document level.
    {"unknown top-level field", R"({"Version":"2012-10-17","Statements":[]})", kIdentity,
     "Unknown field \"Statements\" in policy"},
    {"no Statement", R"({"Version":"2012-10-17"})", kIdentity, "Missing required field Statement"},
    {"empty Statement", R"({"Version":"2012-10-17","Statement":[]})", kIdentity, "Statement must not be empty"},
    {"Statement of the wrong type", R"({"Version":"2012-10-17","Statement":"Allow"})", kIdentity,
     "Statement must be an object or an array of objects"},
    {"unknown Version", R"({"Version":"2012-10-18","Statement":{}})", kIdentity,
     "Invalid Version \"2012-10-18\" (expected \"2012-10-17\" or \"2008-10-17\")"},
    {"Version as a number", R"({"Version":2012,"Statement":{}})", kIdentity,
     "Invalid Version \"2012\" (expected \"2012-10-17\" or \"2008-10-17\")"},
    {"statement not an object", R"({"Version":"2012-10-17","Statement":[)" + std::string("{") + std::string(kOk) +
                                    "},\"x\"]}",
     kIdentity, "Statement 2: must be an object"},

    // --- Statement fields.
    {"unknown statement field", doc(R"("Effect":"Allow","Actions":"rds-db:connect","Resource":"*")"), kIdentity,
     "Statement 1: Unknown field \"Actions\""},
    {"no Effect", doc(R"("Action":"rds-db:connect","Resource":"*")"), kIdentity,
     "Statement 1: Missing required field Effect"},
    {"Effect in the wrong case", doc(R"("Effect":"allow","Action":"rds-db:connect","Resource":"*")"), kIdentity,
     "Statement 1: Invalid Effect \"allow\" (expected \"Allow\" or \"Deny\")"},
    {"Sid with a space", doc(R"("Sid":"my sid",)" + std::string(kOk)), kIdentity,
     "Statement 1: Sid \"my sid\" must be alphanumeric ([0-9A-Za-z]*)"},
    {"duplicate Sid",
     R"({"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},
        {"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]})",
     kIdentity, "Statement 2: Duplicate Sid \"A\" (statement ids must be unique within a policy)"},

    // --- Action / NotAction.
    {"Action and NotAction", doc(R"("Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*")"), kIdentity,
     "Statement 1: Action and NotAction both present"},
    {"Action and NotAction in statement 2",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}]})",
     kIdentity, "Statement 2: Action and NotAction both present"},
    {"no Action", doc(R"("Effect":"Allow","Resource":"*")"), kIdentity, "Statement 1: Missing Action or NotAction"},
    {"empty Action", doc(R"("Effect":"Allow","Action":[],"Resource":"*")"), kIdentity,
     "Statement 1: Action must not be empty"},
    {"Action not a string", doc(R"("Effect":"Allow","Action":["rds-db:connect",7],"Resource":"*")"), kIdentity,
     "Statement 1: Action must be a string or an array of strings"},
    {"action without a vendor", doc(R"("Effect":"Allow","Action":"connect","Resource":"*")"), kIdentity,
     "Statement 1: Invalid action \"connect\": actions must be prefaced by a vendor, e.g. \"rds-db:connect\""},
    {"action with two colons", doc(R"("Effect":"Allow","Action":"rds-db:connect:now","Resource":"*")"), kIdentity,
     "Statement 1: Invalid action \"rds-db:connect:now\": an action can contain only one colon"},
    {"action with an empty name", doc(R"("Effect":"Allow","Action":"rds-db:","Resource":"*")"), kIdentity,
     "Statement 1: Invalid action \"rds-db:\": expected vendor:action, e.g. \"rds-db:connect\""},
    {"trust policy with a non-sts action",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject"}})",
     kTrust, "Statement 1: Invalid action \"s3:GetObject\": a trust policy may only specify sts actions"},

    // --- Resource / NotResource.
    {"Resource and NotResource",
     doc(R"("Effect":"Allow","Action":"*","Resource":"*","NotResource":"arn:aws:s3:::b")"), kIdentity,
     "Statement 1: Resource and NotResource both present"},
    {"identity policy without Resource", doc(R"("Effect":"Allow","Action":"rds-db:connect")"), kIdentity,
     "Statement 1: Missing Resource or NotResource"},
    {"invalid ARN in Resource", doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"db_user")"), kIdentity,
     "Statement 1: Invalid ARN in Resource: db_user"},
    {"ARN with too few parts",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-2:dbuser")"), kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws:rds-db:us-east-2:dbuser"},
    {"ARN without a service",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws::us-east-2:123456789012:x")"), kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws::us-east-2:123456789012:x (partition and service are required)"},
    {"wildcard in the service",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds*:us-east-2:123456789012:x")"),
     kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws:rds*:us-east-2:123456789012:x (the service cannot contain "
     "wildcards)"},
    {"variable before the resource part",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:${aws:RequestedRegion}:123456789012:dbuser:*/*")"),
     kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws:rds-db:${aws:RequestedRegion}:123456789012:dbuser:*/* (policy "
     "variables are allowed only in the resource part, after the fifth colon)"},
    {"unterminated variable",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/${aws:username")"),
     kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws:rds-db:*:*:dbuser:*/${aws:username (invalid policy variable in "
     "\"arn:aws:rds-db:*:*:dbuser:*/${aws:username\": missing '}')"},
    {"default without quotes",
     doc(R"("Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/${aws:username, guest}")"),
     kIdentity,
     "Statement 1: Invalid ARN in Resource: arn:aws:rds-db:*:*:dbuser:*/${aws:username, guest} (invalid policy "
     "variable in \"arn:aws:rds-db:*:*:dbuser:*/${aws:username, guest}\": a default value must be in single quotes)"},
    {"Resource in a trust policy",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Resource":"*"}})",
     kTrust, "Statement 1: Resource is not allowed in a trust policy"},

    // --- Principal / NotPrincipal.
    {"Principal in an identity policy", doc(R"("Effect":"Allow","Principal":"*",)" + std::string(kOk).substr(17)),
     kIdentity, "Statement 1: Principal is not allowed in an identity-based policy"},
    {"trust policy without Principal", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Missing Principal or NotPrincipal"},
    {"Principal and NotPrincipal",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Principal and NotPrincipal both present"},
    {"invalid AWS principal", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Invalid principal in policy: \"AWS\":\"alice\""},
    {"wildcard inside a principal ARN",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/*\""},
    {"short account id", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Invalid principal in policy: \"AWS\":\"12345\""},
    {"unknown principal type",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Group":"admins"},"Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Invalid principal type \"Group\" (expected AWS, Service, Federated or CanonicalUser)"},
    {"Principal string other than *", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"123456789012","Action":"sts:AssumeRole"}})",
     kTrust, "Statement 1: Invalid principal in policy: \"123456789012\" (expected \"*\" or an object)"},
    {"resource policy without Resource",
     R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"rds-db:connect"}})", kResource,
     "Statement 1: Missing Resource or NotResource"},

    // --- Conditions.
    {"unknown condition operator",
     doc(std::string(kOk) + R"(,"Condition":{"StringEqualz":{"aws:username":"alice"}})"), kIdentity,
     "Statement 1: Unknown condition operator StringEqualz"},
    {"operator names are case-sensitive",
     doc(std::string(kOk) + R"(,"Condition":{"stringEquals":{"aws:username":"alice"}})"), kIdentity,
     "Statement 1: Unknown condition operator stringEquals"},
    {"unknown set qualifier",
     doc(std::string(kOk) + R"(,"Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}})"), kIdentity,
     "Statement 1: Unknown condition operator ForSomeValues:StringEquals"},
    {"Null has no IfExists form", doc(std::string(kOk) + R"(,"Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}})"),
     kIdentity, "Statement 1: Unknown condition operator NullIfExists"},
    {"condition key without a vendor", doc(std::string(kOk) + R"(,"Condition":{"IpAddress":{"SourceIp":"10.0.0.0/8"}})"),
     kIdentity, "Statement 1: Condition key \"SourceIp\" must be prefaced by a vendor, e.g. \"aws:SourceIp\""},
    {"condition operator not an object", doc(std::string(kOk) + R"(,"Condition":{"StringEquals":"alice"})"), kIdentity,
     "Statement 1: Condition operator StringEquals must map condition keys to values"},
    {"condition operator without keys", doc(std::string(kOk) + R"(,"Condition":{"StringEquals":{}})"), kIdentity,
     "Statement 1: Condition operator StringEquals has no condition keys"},
    {"condition without values", doc(std::string(kOk) + R"(,"Condition":{"StringEquals":{"aws:username":[]}})"),
     kIdentity, "Statement 1: Condition StringEquals aws:username has no values"},
    {"condition value an object",
     doc(std::string(kOk) + R"(,"Condition":{"StringEquals":{"aws:username":{"a":"b"}}})"), kIdentity,
     "Statement 1: Condition value for StringEquals aws:username must be a string, a number, a boolean or an array "
     "of them"},
    {"bad CIDR", doc(std::string(kOk) + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}})"), kIdentity,
     "Statement 1: Invalid IP address in condition IpAddress aws:SourceIp: \"10.0.0.0/33\""},
    {"bad IPv6", doc(std::string(kOk) + R"(,"Condition":{"NotIpAddress":{"aws:SourceIp":"2001:db8:::1/64"}})"),
     kIdentity, "Statement 1: Invalid IP address in condition NotIpAddress aws:SourceIp: \"2001:db8:::1/64\""},
    {"bad number", doc(std::string(kOk) + R"(,"Condition":{"NumericLessThan":{"s3:max-keys":"ten"}})"), kIdentity,
     "Statement 1: Invalid number in condition NumericLessThan s3:max-keys: \"ten\""},
    {"bad date", doc(std::string(kOk) + R"(,"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-13-01"}})"),
     kIdentity, "Statement 1: Invalid date in condition DateLessThan aws:CurrentTime: \"2026-13-01\""},
    {"bad boolean", doc(std::string(kOk) + R"(,"Condition":{"Bool":{"aws:SecureTransport":"yes"}})"), kIdentity,
     "Statement 1: Invalid boolean in condition Bool aws:SecureTransport: \"yes\""},
    {"bad base64", doc(std::string(kOk) + R"(,"Condition":{"BinaryEquals":{"app:blob":"***"}})"), kIdentity,
     "Statement 1: Invalid base64 in condition BinaryEquals app:blob: \"***\""},
    {"bad ARN value", doc(std::string(kOk) + R"(,"Condition":{"ArnLike":{"aws:SourceArn":"topic-1"}})"), kIdentity,
     "Statement 1: Invalid ARN in condition ArnLike aws:SourceArn: \"topic-1\""},
    {"bad Null value", doc(std::string(kOk) + R"(,"Condition":{"Null":{"aws:TokenIssueTime":"maybe"}})"), kIdentity,
     "Statement 1: Invalid value in condition Null aws:TokenIssueTime: \"maybe\" (expected true or false)"},
    {"variable in a numeric condition",
     doc(std::string(kOk) + R"(,"Condition":{"NumericEquals":{"s3:max-keys":"${aws:PrincipalTag/max}"}})"), kIdentity,
     "Statement 1: Policy variables cannot be used with NumericEquals (s3:max-keys)"},
    {"bad variable in a condition",
     doc(std::string(kOk) + R"(,"Condition":{"StringEquals":{"aws:username":"${}"}})"), kIdentity,
     "Statement 1: Invalid value in condition StringEquals aws:username: invalid policy variable in \"${}\": empty "
     "variable name"},
};

class Malformed : public ::testing::TestWithParam<Bad> {};

TEST_P(Malformed, IsRefusedWithItsReason) {
  const Bad& bad = GetParam();
  auto p = Policy::compile(bad.document, {bad.kind, 10240});
  ASSERT_FALSE(p) << bad.document;
  EXPECT_EQ(p.error().message, bad.message);
  EXPECT_FALSE(validate(bad.document, {bad.kind, 10240}));
}

INSTANTIATE_TEST_SUITE_P(Policy, Malformed, ::testing::ValuesIn(kBad), [](const auto& row) {
  std::string name;
  for (char c : row.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
});

struct Good {
  std::string name;
  std::string document;
  PolicyKind kind;
};

const Good kGood[] = {
    {"RDS guide, one user", R"({
       "Version": "2012-10-17",
       "Statement": [
          {
             "Effect": "Allow",
             "Action": [
                 "rds-db:connect"
             ],
             "Resource": [
                 "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_user"
             ]
          }
       ]
    })",
     kIdentity},
    {"Statement as an object, no Version", R"({"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}})", kIdentity},
    {"version 2008-10-17", R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}})",
     kIdentity},
    {"Id and Sid", R"({"Version":"2012-10-17","Id":"cd3ad3d9-2776-4ef1-a904-4c229d1642ee",
       "Statement":[{"Sid":"1","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"*","Resource":"*"}]})",
     kIdentity},
    {"S3 home directories with variables", R"({
      "Version": "2012-10-17",
      "Statement": [
        {"Action": ["s3:ListBucket"], "Effect": "Allow", "Resource": ["arn:aws:s3:::mybucket"],
         "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow",
         "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}
      ]
    })",
     kIdentity},
    {"default value with an escaped quote",
     doc(R"("Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid, 'it''s anonymous'}")"), kIdentity},
    {"all condition families", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*",
       "Condition":{"StringLikeIfExists":{"aws:UserAgent":"aws-cli/*"},
                    "ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},
                    "NumericLessThanEquals":{"s3:max-keys":[10,"20.5"]},
                    "DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"},
                    "DateLessThan":{"aws:CurrentTime":["2030","2030-01","1893456000"]},
                    "Bool":{"aws:MultiFactorAuthPresent":true},
                    "BinaryEquals":{"app:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
                    "IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64","198.51.100.7"]},
                    "ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"},
                    "Null":{"aws:TokenIssueTime":"false"}}}})",
     kIdentity},
    {"trust policy for a service", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
       "Principal":{"Service":["ecs.amazonaws.com","elasticloadbalancing.amazonaws.com"]},"Action":"sts:AssumeRole"}]})",
     kTrust},
    {"trust policy for every principal form", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
       "Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/division/bob",
                           "arn:aws:iam::123456789012:role/ops","arn:aws:sts::123456789012:assumed-role/ops/session-1",
                           "arn:aws:sts::123456789012:federated-user/carol"],
                    "Federated":"arn:aws:iam::123456789012:saml-provider/corp"},
       "Action":["sts:AssumeRole","sts:TagSession"],
       "Condition":{"StringEquals":{"sts:ExternalId":"Unique"}}}]})",
     kTrust},
    {"trust policy with NotPrincipal", R"({"Version":"2012-10-17","Statement":[
       {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
       {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]},"Action":"sts:*"}]})",
     kTrust},
    {"resource-based policy", R"({"Version":"2012-10-17","Id":"Policy1","Statement":{"Effect":"Allow",
       "Principal":{"AWS":"999999999999"},"Action":"sns:*","Resource":"arn:aws:sns:us-east-2:123456789012:topic",
       "Condition":{"StringLike":{"sns:endpoint":"https://example.com/${aws:username}/"}}}})",
     kResource},
    {"latin-1 characters are allowed",
     doc(R"("Sid":"",)" + std::string(kOk) + R"(,"Condition":{"StringEquals":{"aws:username":"jos\u00e9 d\u00e9j\u00e0"}})"),
     kIdentity},
};

class WellFormed : public ::testing::TestWithParam<Good> {};

TEST_P(WellFormed, Compiles) {
  const Good& good = GetParam();
  auto p = Policy::compile(good.document, {good.kind, 10240});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)->kind(), good.kind);
  EXPECT_GE((*p)->statement_count(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Policy, WellFormed, ::testing::ValuesIn(kGood), [](const auto& row) {
  std::string name;
  for (char c : row.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
});

TEST(PolicyDocument, Metadata) {
  auto p = Policy::compile(R"({"Version":"2012-10-17","Id":"X","Statement":[
      {"Sid":"First","Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]})");
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->version(), "2012-10-17");
  EXPECT_TRUE((*p)->has_variables());
  EXPECT_EQ((*p)->id(), "X");
  ASSERT_EQ((*p)->statement_count(), 2u);
  EXPECT_EQ((*p)->sid(0), "First");
  EXPECT_EQ((*p)->sid(1), "");
  EXPECT_EQ((*p)->effect(0), Effect::kAllow);
  EXPECT_EQ((*p)->effect(1), Effect::kDeny);

  auto old = Policy::compile(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})");
  ASSERT_TRUE(old);
  EXPECT_EQ((*old)->version(), "2008-10-17");
  EXPECT_FALSE((*old)->has_variables());
}

TEST(PolicyDocument, SizeQuotaIgnoresWhiteSpace) {
  const std::string compact = doc(kOk);
  EXPECT_EQ(policy_size(compact), compact.size());
  std::string spaced;
  for (char c : compact) {
    spaced += c;
    if (c == ',' || c == '{' || c == '[') spaced += "\n    ";
  }
  EXPECT_EQ(policy_size(spaced), compact.size());
  EXPECT_EQ(policy_size("\"caf\xc3\xa9\""), 6u);  // characters, not bytes

  EXPECT_TRUE(Policy::compile(spaced, {kIdentity, compact.size()}));
  auto over = Policy::compile(spaced, {kIdentity, compact.size() - 1});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().message, "Cannot exceed quota for PolicySize: " + std::to_string(compact.size() - 1) +
                                      " (the document has " + std::to_string(compact.size()) +
                                      " characters, white space not counted)");
  // The defaults are AWS's quotas.
  EXPECT_EQ(ParseOptions{}.max_size, 6144u);
  EXPECT_EQ(kTrustPolicyMaxSize, 2048u);
  EXPECT_EQ(kRoleInlinePoliciesMaxSize, 10240u);
  std::string big = R"({"Version":"2012-10-17","Statement":[)";
  for (int i = 0; i < 200; ++i) big += std::string(i ? "," : "") + "{" + std::string(kOk) + "}";
  big += "]}";
  EXPECT_FALSE(Policy::compile(big));
  EXPECT_TRUE(Policy::compile(big, {kIdentity, 20000}));
  EXPECT_FALSE(Policy::compile(std::string(kMaxDocumentBytes + 1, ' '), {kIdentity, 1000000}));
}

}  // namespace
}  // namespace iamdb::policy
