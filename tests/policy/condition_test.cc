// Condition operators, one row per case: a Condition block on an Allow statement, the request's
// context keys, and whether the condition holds (the statement allows) or not.
#include <gtest/gtest.h>

#include "policy/evaluate.h"
#include "policy_testing.h"

namespace iamdb::policy {
namespace {

using namespace testing;

struct Row {
  std::string name;
  std::string condition;
  std::vector<std::string> context;
  bool holds;
};

const Row kRows[] = {
    // --- String operators.
    {"StringEquals matches", R"({"StringEquals":{"aws:username":"alice"}})", {"aws:username=alice"}, true},
    {"StringEquals is case-sensitive", R"({"StringEquals":{"aws:username":"alice"}})", {"aws:username=Alice"}, false},
    {"StringEquals takes no wildcards", R"({"StringEquals":{"aws:username":"al*"}})", {"aws:username=alice"}, false},
    {"StringEquals any of several values", R"({"StringEquals":{"aws:username":["bob","alice"]}})",
     {"aws:username=alice"}, true},
    {"StringEquals with the key absent", R"({"StringEquals":{"aws:username":"alice"}})", {}, false},
    {"StringEquals key names are case-insensitive", R"({"StringEquals":{"AWS:UserName":"alice"}})",
     {"aws:username=alice"}, true},
    {"StringNotEquals differs", R"({"StringNotEquals":{"aws:username":"bob"}})", {"aws:username=alice"}, true},
    {"StringNotEquals equal", R"({"StringNotEquals":{"aws:username":"alice"}})", {"aws:username=alice"}, false},
    {"StringNotEquals none of several", R"({"StringNotEquals":{"aws:username":["bob","carol"]}})",
     {"aws:username=alice"}, true},
    {"StringNotEquals one of several", R"({"StringNotEquals":{"aws:username":["bob","alice"]}})",
     {"aws:username=alice"}, false},
    {"StringNotEquals with the key absent", R"({"StringNotEquals":{"aws:username":"alice"}})", {}, true},
    {"StringEqualsIgnoreCase", R"({"StringEqualsIgnoreCase":{"aws:username":"ALICE"}})", {"aws:username=aLiCe"},
     true},
    {"StringEqualsIgnoreCase differs", R"({"StringEqualsIgnoreCase":{"aws:username":"ALICE"}})",
     {"aws:username=alicia"}, false},
    {"StringNotEqualsIgnoreCase equal", R"({"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}})",
     {"aws:username=alice"}, false},
    {"StringNotEqualsIgnoreCase differs", R"({"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}})",
     {"aws:username=bob"}, true},
    {"StringLike star", R"({"StringLike":{"aws:userid":"AIDA*"}})", {"aws:userid=AIDAJQABLZS4A3QDU576Q"}, true},
    {"StringLike question mark", R"({"StringLike":{"aws:username":"al?ce"}})", {"aws:username=alice"}, true},
    {"StringLike ? is one character", R"({"StringLike":{"aws:username":"al?ce"}})", {"aws:username=allice"}, false},
    {"StringLike * spans colons", R"({"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, true},
    {"StringLike is case-sensitive", R"({"StringLike":{"aws:username":"AL*"}})", {"aws:username=alice"}, false},
    {"StringLike ${*} is literal", R"({"StringLike":{"aws:username":"a${*}"}})", {"aws:username=abc"}, false},
    {"StringLike ${*} matches an asterisk", R"({"StringLike":{"aws:username":"a${*}"}})", {"aws:username=a*"}, true},
    {"StringLike empty value matches empty", R"({"StringLike":{"s3:prefix":["","home/"]}})", {"s3:prefix="}, true},
    {"StringNotLike", R"({"StringNotLike":{"aws:username":"adm*"}})", {"aws:username=alice"}, true},
    {"StringNotLike matching", R"({"StringNotLike":{"aws:username":"adm*"}})", {"aws:username=admin"}, false},
    {"StringNotLike with the key absent", R"({"StringNotLike":{"aws:username":"adm*"}})", {}, true},

    // --- Numeric operators.
    {"NumericEquals", R"({"NumericEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=10"}, true},
    {"NumericEquals decimal forms", R"({"NumericEquals":{"s3:max-keys":"10.0"}})", {"s3:max-keys=10"}, true},
    {"NumericEquals JSON number", R"({"NumericEquals":{"s3:max-keys":10}})", {"s3:max-keys=10"}, true},
    {"NumericEquals differs", R"({"NumericEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=11"}, false},
    {"NumericEquals not a number in the request", R"({"NumericEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=ten"},
     false},
    {"NumericNotEquals", R"({"NumericNotEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=11"}, true},
    {"NumericNotEquals equal", R"({"NumericNotEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=10"}, false},
    {"NumericNotEquals with the key absent", R"({"NumericNotEquals":{"s3:max-keys":"10"}})", {}, true},
    {"NumericLessThan", R"({"NumericLessThan":{"s3:max-keys":"10"}})", {"s3:max-keys=9.5"}, true},
    {"NumericLessThan equal", R"({"NumericLessThan":{"s3:max-keys":"10"}})", {"s3:max-keys=10"}, false},
    {"NumericLessThanEquals", R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=10"}, true},
    {"NumericLessThanEquals above", R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})", {"s3:max-keys=10.01"},
     false},
    {"NumericGreaterThan", R"({"NumericGreaterThan":{"s3:max-keys":"-1"}})", {"s3:max-keys=0"}, true},
    {"NumericGreaterThan equal", R"({"NumericGreaterThan":{"s3:max-keys":"0"}})", {"s3:max-keys=0"}, false},
    {"NumericGreaterThanEquals", R"({"NumericGreaterThanEquals":{"s3:max-keys":"0"}})", {"s3:max-keys=0"}, true},
    {"NumericGreaterThanEquals below", R"({"NumericGreaterThanEquals":{"s3:max-keys":"0"}})", {"s3:max-keys=-3"},
     false},
    {"NumericLessThan with the key absent", R"({"NumericLessThan":{"s3:max-keys":"10"}})", {}, false},

    // --- Date operators, ISO 8601 and epoch seconds on either side.
    {"DateEquals", R"({"DateEquals":{"aws:CurrentTime":"2026-06-15T08:30:07Z"}})",
     {"aws:CurrentTime=2026-06-15T08:30:07Z"}, true},
    {"DateEquals across time zones", R"({"DateEquals":{"aws:CurrentTime":"2026-06-15T10:30:07+02:00"}})",
     {"aws:CurrentTime=2026-06-15T08:30:07Z"}, true},
    {"DateEquals epoch against ISO", R"({"DateEquals":{"aws:CurrentTime":"1781512207"}})",
     {"aws:CurrentTime=2026-06-15T08:30:07Z"}, true},
    {"DateNotEquals", R"({"DateNotEquals":{"aws:CurrentTime":"2026-06-15T08:30:07Z"}})",
     {"aws:CurrentTime=2026-06-15T08:30:08Z"}, true},
    {"DateNotEquals equal", R"({"DateNotEquals":{"aws:CurrentTime":"2026-06-15T08:30:07Z"}})",
     {"aws:CurrentTime=2026-06-15T08:30:07Z"}, false},
    {"DateNotEquals with the key absent", R"({"DateNotEquals":{"aws:TokenIssueTime":"2026-06-15"}})", {}, true},
    {"DateLessThan", R"({"DateLessThan":{"aws:CurrentTime":"2026-07-01"}})", {"aws:CurrentTime=2026-06-30T23:59:59Z"},
     true},
    {"DateLessThan equal", R"({"DateLessThan":{"aws:CurrentTime":"2026-07-01"}})", {"aws:CurrentTime=2026-07-01T00:00:00Z"},
     false},
    {"DateLessThanEquals", R"({"DateLessThanEquals":{"aws:CurrentTime":"2026-07-01"}})",
     {"aws:CurrentTime=2026-07-01T00:00:00Z"}, true},
    {"DateGreaterThan", R"({"DateGreaterThan":{"aws:TokenIssueTime":"2026-06"}})",
     {"aws:TokenIssueTime=2026-06-01T00:00:01Z"}, true},
    {"DateGreaterThan equal", R"({"DateGreaterThan":{"aws:TokenIssueTime":"2026-06"}})",
     {"aws:TokenIssueTime=2026-06-01T00:00:00Z"}, false},
    {"DateGreaterThanEquals", R"({"DateGreaterThanEquals":{"aws:EpochTime":"2026-06-15T08:30:07.000Z"}})",
     {"aws:EpochTime=1781512207"}, true},
    {"DateGreaterThanEquals below", R"({"DateGreaterThanEquals":{"aws:EpochTime":1781512207}})",
     {"aws:EpochTime=1781512206"}, false},
    {"Date not a date in the request", R"({"DateLessThan":{"aws:CurrentTime":"2026-07-01"}})",
     {"aws:CurrentTime=yesterday"}, false},

    // --- Bool and BinaryEquals.
    {"Bool true", R"({"Bool":{"aws:SecureTransport":"true"}})", {"aws:SecureTransport=true"}, true},
    {"Bool JSON literal", R"({"Bool":{"aws:SecureTransport":true}})", {"aws:SecureTransport=true"}, true},
    {"Bool ignores case", R"({"Bool":{"aws:SecureTransport":"True"}})", {"aws:SecureTransport=TRUE"}, true},
    {"Bool false against true", R"({"Bool":{"aws:SecureTransport":"false"}})", {"aws:SecureTransport=true"}, false},
    {"Bool with the key absent", R"({"Bool":{"aws:MultiFactorAuthPresent":"false"}})", {}, false},
    {"Bool with a policy variable", R"({"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/tls}"}})",
     {"aws:SecureTransport=true", "aws:PrincipalTag/tls=true"}, true},
    {"BinaryEquals", R"({"BinaryEquals":{"app:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})",
     {"app:blob=BinaryValueInBase64"}, true},
    {"BinaryEquals differs", R"({"BinaryEquals":{"app:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})",
     {"app:blob=BinaryValueInBase65"}, false},

    // --- IP addresses.
    {"IpAddress IPv4 block", R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})", {"aws:SourceIp=203.0.113.255"},
     true},
    {"IpAddress IPv4 outside", R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})", {"aws:SourceIp=203.0.114.0"},
     false},
    {"IpAddress bare address is a /32", R"({"IpAddress":{"aws:SourceIp":"203.0.113.7"}})",
     {"aws:SourceIp=203.0.113.7"}, true},
    {"IpAddress bare address, another host", R"({"IpAddress":{"aws:SourceIp":"203.0.113.7"}})",
     {"aws:SourceIp=203.0.113.8"}, false},
    {"IpAddress odd prefix", R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/13"}})", {"aws:SourceIp=10.7.255.255"}, true},
    {"IpAddress odd prefix, outside", R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/13"}})", {"aws:SourceIp=10.8.0.0"},
     false},
    {"IpAddress IPv6 block", R"({"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}})",
     {"aws:SourceIp=2001:db8:1234:5678:abcd::1"}, true},
    {"IpAddress IPv6 outside", R"({"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}})",
     {"aws:SourceIp=2001:db8:1234:5679::1"}, false},
    {"IpAddress mixes IPv4 and IPv6", R"({"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8::/32"]}})",
     {"aws:SourceIp=2001:db8::5"}, true},
    {"IpAddress IPv4-mapped request address", R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})",
     {"aws:SourceIp=::ffff:203.0.113.9"}, true},
    {"IpAddress IPv4 block never holds IPv6", R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})",
     {"aws:SourceIp=2001:db8::5"}, false},
    {"IpAddress not an address in the request", R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})",
     {"aws:SourceIp=localhost"}, false},
    {"IpAddress with the key absent", R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})", {}, false},
    {"NotIpAddress outside", R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})", {"aws:SourceIp=192.0.2.1"}, true},
    {"NotIpAddress inside", R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})", {"aws:SourceIp=10.1.2.3"}, false},
    {"NotIpAddress with the key absent", R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})", {}, true},

    // --- ARN operators: each of the six components on its own.
    {"ArnEquals", R"({"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, true},
    {"ArnEquals takes wildcards too", R"({"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, true},
    {"ArnLike", R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-?"}})",
     {"aws:SourceArn=arn:aws:sns:us-east-2:123456789012:topic-1"}, true},
    {"ArnLike is case-sensitive", R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/Alice"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, false},
    {"ArnLike * stays within its component (AWS's example)",
     R"({"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}})",
     {"aws:SourceArn=arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}, false},
    {"StringLike * crosses components (AWS's example)",
     R"({"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}})",
     {"aws:SourceArn=arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}, true},
    {"ArnLike resource part may hold colons", R"({"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:*"}})",
     {"aws:SourceArn=arn:aws:logs:us-east-1:123456789012:log-group:/app:*"}, true},
    {"ArnLike not an ARN in the request", R"({"ArnLike":{"aws:SourceArn":"arn:*:*:*:*:*"}})",
     {"aws:SourceArn=not-an-arn"}, false},
    {"ArnNotEquals", R"({"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/bob"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, true},
    {"ArnNotLike matching", R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}})",
     {"aws:PrincipalArn=arn:aws:iam::123456789012:user/alice"}, false},
    {"ArnNotLike with the key absent", R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}})", {}, true},
    {"ArnEquals with a policy variable",
     R"({"ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:user/${aws:username}"}})",
     {"aws:username=alice", "aws:SourceArn=arn:aws:iam::123456789012:user/alice"}, true},

    // --- Null.
    {"Null true, key absent", R"({"Null":{"aws:TokenIssueTime":"true"}})", {}, true},
    {"Null true, key present", R"({"Null":{"aws:TokenIssueTime":"true"}})", {"aws:TokenIssueTime=2026-06-15"}, false},
    {"Null false, key present", R"({"Null":{"aws:TokenIssueTime":false}})", {"aws:TokenIssueTime=2026-06-15"}, true},
    {"Null false, key absent", R"({"Null":{"aws:TokenIssueTime":"false"}})", {}, false},

    // --- ...IfExists: a missing key makes the condition hold.
    {"StringEqualsIfExists absent", R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})", {}, true},
    {"StringEqualsIfExists present, equal", R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})",
     {"ec2:InstanceType=t2.micro"}, true},
    {"StringEqualsIfExists present, different", R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})",
     {"ec2:InstanceType=m5.large"}, false},
    {"StringNotEqualsIfExists present, equal", R"({"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ops"}})",
     {"aws:PrincipalTag/team=ops"}, false},
    {"StringLikeIfExists absent", R"({"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}})", {}, true},
    {"NumericLessThanIfExists absent", R"({"NumericLessThanIfExists":{"s3:max-keys":"10"}})", {}, true},
    {"NumericLessThanIfExists present, too big", R"({"NumericLessThanIfExists":{"s3:max-keys":"10"}})",
     {"s3:max-keys=20"}, false},
    {"DateLessThanIfExists absent", R"({"DateLessThanIfExists":{"aws:TokenIssueTime":"2026-01-01"}})", {}, true},
    {"BoolIfExists absent", R"({"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}})", {}, true},
    {"BoolIfExists present, false", R"({"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}})",
     {"aws:MultiFactorAuthPresent=false"}, false},
    {"IpAddressIfExists absent", R"({"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})", {}, true},
    {"NotIpAddressIfExists present, inside", R"({"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})",
     {"aws:SourceIp=10.0.0.1"}, false},
    {"ArnLikeIfExists absent", R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})", {}, true},
    {"BinaryEqualsIfExists absent", R"({"BinaryEqualsIfExists":{"app:blob":"AAEC"}})", {}, true},

    // --- Set qualifiers over multi-valued keys.
    {"ForAnyValue one in the set", R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}})",
     {"aws:TagKeys=[cost,team]"}, true},
    {"ForAnyValue none in the set", R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}})",
     {"aws:TagKeys=[cost,owner]"}, false},
    {"ForAnyValue empty set", R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}})", {"aws:TagKeys=[]"}, false},
    {"ForAnyValue key absent", R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}})", {}, false},
    {"ForAnyValue:StringLike", R"({"ForAnyValue:StringLike":{"aws:TagKeys":["te*"]}})", {"aws:TagKeys=[cost,team]"},
     true},
    {"ForAnyValue:StringNotEquals one outside", R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}})",
     {"aws:TagKeys=[env,cost]"}, true},
    {"ForAnyValue:StringNotEquals all inside", R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}})",
     {"aws:TagKeys=[env,team]"}, false},
    {"ForAllValues all in the set", R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}})",
     {"aws:TagKeys=[env,team]"}, true},
    {"ForAllValues one outside", R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})",
     {"aws:TagKeys=[env,owner]"}, false},
    {"ForAllValues empty set", R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}})", {"aws:TagKeys=[]"}, true},
    {"ForAllValues key absent", R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}})", {}, true},
    {"ForAllValues:StringNotEquals none forbidden", R"({"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}})",
     {"aws:TagKeys=[env,team]"}, true},
    {"ForAllValues:StringNotEquals one forbidden", R"({"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}})",
     {"aws:TagKeys=[env,owner]"}, false},
    {"ForAllValues:StringLike", R"({"ForAllValues:StringLike":{"dynamodb:Attributes":["Post*","Message"]}})",
     {"dynamodb:Attributes=[PostDateTime,Message]"}, true},
    {"ForAllValues:NumericLessThan", R"({"ForAllValues:NumericLessThan":{"app:sizes":"100"}})",
     {"app:sizes=[1,99,100]"}, false},
    {"ForAnyValue:IpAddress", R"({"ForAnyValue:IpAddress":{"app:hops":"10.0.0.0/8"}})",
     {"app:hops=[192.0.2.1,10.9.9.9]"}, true},
    {"ForAllValues:StringEqualsIfExists absent", R"({"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"env"}})", {},
     true},
    {"no qualifier on a multi-valued key: any value", R"({"StringEquals":{"aws:TagKeys":"team"}})",
     {"aws:TagKeys=[cost,team]"}, true},
    {"no qualifier, negated, on a multi-valued key: no value", R"({"StringNotEquals":{"aws:TagKeys":"team"}})",
     {"aws:TagKeys=[cost,team]"}, false},

    // --- Several keys and operators: all must hold.
    {"two keys, both hold", R"({"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-2"}})",
     {"aws:username=alice", "aws:RequestedRegion=us-east-2"}, true},
    {"two keys, one fails", R"({"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-2"}})",
     {"aws:username=alice", "aws:RequestedRegion=eu-west-1"}, false},
    {"two operators, both hold",
     R"({"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}})",
     {"aws:SecureTransport=true", "aws:SourceIp=192.0.2.10"}, true},
    {"two operators, one fails",
     R"({"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}})",
     {"aws:SecureTransport=false", "aws:SourceIp=192.0.2.10"}, false},
    {"empty Condition block", R"({})", {}, true},
};

class ConditionTable : public ::testing::TestWithParam<Row> {};

TEST_P(ConditionTable, Holds) {
  const Row& row = GetParam();
  const auto policy = must_compile(allow("rds-db:connect", "*", row.condition));
  ASSERT_TRUE(policy);
  const std::vector<NamedPolicy> identity = {{"p", policy.get()}};
  const RequestBuilder rb("rds-db:connect", dbuser("alice"), kAlice, row.context);
  const Evaluation e = evaluate({.identity = identity}, rb.request());
  EXPECT_EQ(e.decision == Decision::kAllowed, row.holds) << row.condition;

  // The same condition on a Deny statement denies exactly when it holds.
  const auto denying = must_compile(deny("rds-db:connect", "*", row.condition));
  const std::vector<NamedPolicy> both = {{"p", policy.get()}, {"d", denying.get()}};
  const Evaluation d = evaluate({.identity = both}, rb.request());
  EXPECT_EQ(d.decision, row.holds ? Decision::kExplicitDeny : Decision::kImplicitDeny);
}

INSTANTIATE_TEST_SUITE_P(Policy, ConditionTable, ::testing::ValuesIn(kRows), [](const auto& row) {
  std::string name;
  for (char c : row.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
});

}  // namespace
}  // namespace iamdb::policy
