// AWS's policy evaluation logic, as a table: policies + request -> decision and the
// statements that decided it. Policies are named id1, id2... (identity), boundary, session1...,
// trust1... (role trust policies), res1... (other resource-based policies); "id2#1" is
// statement 1 of id2.
#include "policy/evaluate.h"

#include <gtest/gtest.h>

#include "policy_testing.h"

namespace iamdb::policy {
namespace {

using namespace testing;

constexpr auto kAllowed = Decision::kAllowed;
constexpr auto kExplicitDeny = Decision::kExplicitDeny;
constexpr auto kImplicitDeny = Decision::kImplicitDeny;

constexpr const char* kDbaRole = "arn:aws:iam::123456789012:role/dba";
constexpr const char* kOpsSession = "arn:aws:sts::123456789012:assumed-role/ops/alice-laptop";

struct Row {
  std::string name{};
  std::vector<std::string> identity{};
  std::string boundary{};  // empty: none
  std::vector<std::string> session{};
  std::vector<std::string> trust{};      // role trust policies (their Allow is required)
  std::vector<std::string> resources{};  // other resource-based policies
  std::string action = "rds-db:connect";
  std::string resource = dbuser("alice");
  std::string caller = kAlice;
  std::vector<std::string> context{};
  Decision expected = kImplicitDeny;
  std::string deciding{};  // deciding statements, see deciding_names()
  DenyReason reason = DenyReason::kNone;  // checked for implicit denies when set
};

std::string trust_policy(std::string_view principal, std::string_view extra = "") {
  std::string s = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" + std::string(principal) +
                  R"(,"Action":"sts:AssumeRole")";
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}]}";
}

const std::string kConnectAlice = allow("rds-db:connect", dbuser("alice"));
const std::string kAssumeDba = allow("sts:AssumeRole", kDbaRole);

const Row kRows[] = {
    // --- The rds-db:connect examples of the RDS user guide ("Creating and using an IAM policy
    // for IAM database access").
    {.name = "rds: one database user on one instance",
     .identity = {allow("rds-db:connect",
                        "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_user")},
     .resource = "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_user",
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: one database user, another user is refused",
     .identity = {allow("rds-db:connect",
                        "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_user")},
     .resource = "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_admin",
     .reason = DenyReason::kNoAllow},
    {.name = "rds: one database user, another instance is refused",
     .identity = {allow("rds-db:connect",
                        "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ABCDEFGHIJKL01234/db_user")},
     .resource = "arn:aws:rds-db:us-east-2:1234567890:dbuser:db-ZZZZZZZZZZZZ99999/db_user"},
    {.name = "rds: two database users in one instance",
     .identity = {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["rds-db:connect"],
        "Resource":["arn:aws:rds-db:us-east-2:123456789012:dbuser:db-ABCDEFGHIJKL01234/jane_doe",
                    "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-ABCDEFGHIJKL01234/mary_roe"]}]})"},
     .resource = "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-ABCDEFGHIJKL01234/mary_roe",
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: all users of all instances of one account and region",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/*")},
     .resource = dbuser("anyone", "db-ANOTHERINSTANCE0000000000"),
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: all users of all instances, but not in another region",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/*")},
     .resource = dbuser("alice", kDbi, "eu-west-1")},
    {.name = "rds: one user on every instance",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/jane_doe")},
     .resource = dbuser("jane_doe", "db-ANOTHERINSTANCE0000000000"),
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: one user on every instance, another user refused",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/jane_doe")},
     .resource = dbuser("john_doe")},
    {.name = "rds: ${aws:username} maps each IAM user to the same database user",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}")},
     .context = {"aws:username=alice"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: ${aws:username} does not reach another database user",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}")},
     .resource = dbuser("postgres"),
     .context = {"aws:username=alice"}},
    {.name = "rds: ${aws:username} has no value for a role session",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}")},
     .caller = kOpsSession},
    {.name = "rds: source IP inside the allowed range",
     .identity = {allow("rds-db:connect", dbuser("alice"), R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})")},
     .context = {"aws:SourceIp=203.0.113.77"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: source IP outside the allowed range",
     .identity = {allow("rds-db:connect", dbuser("alice"), R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})")},
     .context = {"aws:SourceIp=198.51.100.1"}},
    {.name = "rds: deny connections from outside the corporate network",
     .identity = {kConnectAlice,
                  deny("rds-db:connect", "*", R"({"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}})")},
     .context = {"aws:SourceIp=2001:db9::1"},
     .expected = kExplicitDeny,
     .deciding = "id2#1"},
    {.name = "rds: time window, inside",
     .identity = {allow("rds-db:connect", dbuser("alice"),
                        R"({"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"},
                            "DateLessThan":{"aws:CurrentTime":"2026-07-01T00:00:00Z"}})")},
     .context = {"aws:CurrentTime=2026-06-15T08:30:07Z"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: time window, after it closed",
     .identity = {allow("rds-db:connect", dbuser("alice"),
                        R"({"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"},
                            "DateLessThan":{"aws:CurrentTime":"2026-07-01T00:00:00Z"}})")},
     .context = {"aws:CurrentTime=2026-07-01T00:00:00Z"}},
    {.name = "rds: time window on aws:EpochTime",
     .identity = {allow("rds-db:connect", dbuser("alice"), R"({"DateLessThan":{"aws:EpochTime":1782864000}})")},
     .context = {"aws:EpochTime=1781512207"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "rds: TLS required by an explicit deny",
     .identity = {kConnectAlice, deny("rds-db:*", "*", R"({"Bool":{"aws:SecureTransport":"false"}})")},
     .context = {"aws:SecureTransport=false"},
     .expected = kExplicitDeny,
     .deciding = "id2#1"},
    {.name = "rds: TLS present, the deny does not apply",
     .identity = {kConnectAlice, deny("rds-db:*", "*", R"({"Bool":{"aws:SecureTransport":"false"}})")},
     .context = {"aws:SecureTransport=true"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "nothing at all is an implicit deny", .reason = DenyReason::kNoAllow},

    // --- Actions: case-insensitive globs.
    {.name = "action: case-insensitive",
     .identity = {allow("RDS-DB:Connect", dbuser("alice"))},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "action: service wildcard", .identity = {allow("rds-db:*", "*")}, .expected = kAllowed, .deciding = "id1#1"},
    {.name = "action: prefix wildcard", .identity = {allow("rds-db:Conn*", "*")}, .expected = kAllowed, .deciding = "id1#1"},
    {.name = "action: single-character wildcard",
     .identity = {allow("rds-db:c?nnect", "*")},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "action: everything", .identity = {allow("*", "*")}, .expected = kAllowed, .deciding = "id1#1"},
    {.name = "action: rds:* is not rds-db:connect", .identity = {allow("rds:*", "*")}},
    {.name = "action: a longer action does not match a shorter pattern",
     .identity = {allow("rds-db:connect", "*")},
     .action = "rds-db:connectX"},
    {.name = "NotAction: everything but IAM allows rds-db:connect",
     .identity = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}})"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "NotAction: everything but IAM does not allow iam:CreateUser",
     .identity = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}})"},
     .action = "iam:CreateUser",
     .resource = "arn:aws:iam::123456789012:user/bob"},
    {.name = "NotAction in a Deny: deny all but rds-db",
     .identity = {allow("*", "*"),
                  R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"rds-db:*","Resource":"*"}})"},
     .action = "iam:DeleteUser",
     .resource = "arn:aws:iam::123456789012:user/bob",
     .expected = kExplicitDeny,
     .deciding = "id2#1"},

    // --- Resources: case-sensitive, wildcards within segments.
    {.name = "resource: user name is case-sensitive", .identity = {allow("rds-db:connect", dbuser("Alice"))}},
    {.name = "resource: ? matches one character",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/alic?")},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "resource: * inside a segment",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:us-*-2:123456789012:dbuser:db-12*/alice")},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "resource: list, second entry matches",
     .identity = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect",
        "Resource":["arn:aws:rds-db:us-east-2:123456789012:dbuser:*/bob","arn:aws:rds-db:us-east-2:123456789012:dbuser:*/alice"]}})"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "NotResource: deny every database user but alice, for bob",
     .identity = {allow("rds-db:connect", "*"),
                  R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"rds-db:connect",
                      "NotResource":"arn:aws:rds-db:*:*:dbuser:*/alice"}})"},
     .resource = dbuser("bob"),
     .expected = kExplicitDeny,
     .deciding = "id2#1"},
    {.name = "NotResource: deny every database user but alice, for alice",
     .identity = {allow("rds-db:connect", "*"),
                  R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"rds-db:connect",
                      "NotResource":"arn:aws:rds-db:*:*:dbuser:*/alice"}})"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "NotResource in an Allow",
     .identity = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect",
                     "NotResource":"arn:aws:rds-db:*:*:dbuser:*/postgres"}})"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "NotResource in an Allow, the excluded resource",
     .identity = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect",
                     "NotResource":"arn:aws:rds-db:*:*:dbuser:*/postgres"}})"},
     .resource = dbuser("postgres")},

    // --- Deny beats allow, whichever policy carries it.
    {.name = "deny in another policy beats allow",
     .identity = {kConnectAlice, deny("rds-db:connect", dbuser("alice"))},
     .expected = kExplicitDeny,
     .deciding = "id2#1"},
    {.name = "deny in the same policy beats allow",
     .identity = {R"({"Version":"2012-10-17","Statement":[
        {"Sid":"Connect","Effect":"Allow","Action":"rds-db:connect","Resource":"*"},
        {"Sid":"NoPostgres","Effect":"Deny","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/postgres"}]})"},
     .resource = dbuser("postgres"),
     .expected = kExplicitDeny,
     .deciding = "id1#2"},
    {.name = "a deny that does not match leaves the allow",
     .identity = {kConnectAlice, deny("rds-db:connect", dbuser("bob"))},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "first matching allow is named",
     .identity = {allow("rds-db:connect", "*"), kConnectAlice},
     .expected = kAllowed,
     .deciding = "id1#1"},

    // --- Permissions boundaries: the intersection.
    {.name = "boundary allows too",
     .identity = {kConnectAlice},
     .boundary = allow("rds-db:*", "*"),
     .expected = kAllowed,
     .deciding = "id1#1,boundary#1"},
    {.name = "boundary does not allow",
     .identity = {kConnectAlice},
     .boundary = allow("iam:*", "*"),
     .deciding = "id1#1",
     .reason = DenyReason::kBoundary},
    {.name = "boundary alone grants nothing",
     .boundary = allow("rds-db:*", "*"),
     .reason = DenyReason::kNoAllow},
    {.name = "deny in the boundary",
     .identity = {kConnectAlice},
     .boundary = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
                    {"Effect":"Deny","Action":"rds-db:connect","Resource":"*"}]})",
     .expected = kExplicitDeny,
     .deciding = "boundary#2"},

    // --- Session policies: the intersection with the role's policies.
    {.name = "session policy allows too",
     .identity = {allow("rds-db:connect", "*")},
     .session = {kConnectAlice},
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "id1#1,session1#1"},
    {.name = "session policy narrows",
     .identity = {allow("rds-db:connect", "*")},
     .session = {allow("rds-db:connect", dbuser("bob"))},
     .caller = kOpsSession,
     .deciding = "id1#1",
     .reason = DenyReason::kSessionPolicy},
    {.name = "any of several session policies",
     .identity = {allow("rds-db:connect", "*")},
     .session = {allow("rds-db:connect", dbuser("bob")), kConnectAlice},
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "id1#1,session2#1"},
    {.name = "session policy alone grants nothing",
     .session = {kConnectAlice},
     .caller = kOpsSession,
     .reason = DenyReason::kNoAllow},
    {.name = "boundary and session policy together",
     .identity = {allow("rds-db:connect", "*")},
     .boundary = allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/*"),
     .session = {kConnectAlice},
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "id1#1,boundary#1,session1#1"},
    {.name = "deny in a session policy",
     .identity = {allow("rds-db:connect", "*")},
     .session = {deny("*", "*")},
     .caller = kOpsSession,
     .expected = kExplicitDeny,
     .deciding = "session1#1"},

    // --- Role trust policies for sts:AssumeRole.
    {.name = "trust: the user is named, no identity policy needed (same account)",
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:user/alice"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: the account is named, the identity policy must allow",
     .trust = {trust_policy(R"({"AWS":"123456789012"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .reason = DenyReason::kNoAllow},
    {.name = "trust: the account root ARN is named and the identity policy allows",
     .identity = {kAssumeDba},
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:root"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kAllowed,
     .deciding = "id1#1,trust1#1"},
    {.name = "trust: identity allows but the trust policy names someone else",
     .identity = {kAssumeDba},
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:user/bob"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .reason = DenyReason::kResourcePolicy},
    {.name = "trust: a user of another account must also be allowed at home",
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::999999999999:user/carol"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = "arn:aws:iam::999999999999:user/carol",
     .reason = DenyReason::kNoAllow},
    {.name = "trust: a user of another account allowed at home",
     .identity = {kAssumeDba},
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::999999999999:user/carol"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = "arn:aws:iam::999999999999:user/carol",
     .expected = kAllowed,
     .deciding = "id1#1,trust1#1"},
    {.name = "trust: everyone, with an external id condition met",
     .trust = {trust_policy(R"("*")", R"("Condition":{"StringEquals":{"sts:ExternalId":"Unique-1"}})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .context = {"sts:ExternalId=Unique-1"},
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: everyone, with an external id condition not met",
     .trust = {trust_policy(R"({"AWS":"*"})", R"("Condition":{"StringEquals":{"sts:ExternalId":"Unique-1"}})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .reason = DenyReason::kResourcePolicy},
    {.name = "trust: a service principal",
     .trust = {trust_policy(R"({"Service":["ecs.amazonaws.com","ec2.amazonaws.com"]})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = "service:ec2.amazonaws.com",
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: a federated principal is kept as a string",
     .trust = {trust_policy(R"({"Federated":"accounts.google.com"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = "federated:accounts.google.com",
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: a service principal does not match an AWS caller",
     .trust = {trust_policy(R"({"Service":"ec2.amazonaws.com"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .reason = DenyReason::kResourcePolicy},
    {.name = "trust: a role session named by its role (role chaining)",
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:role/ops"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: named by role, but the session policy does not allow it",
     .session = {allow("rds-db:connect", "*")},
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:role/ops"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = kOpsSession,
     .deciding = "trust1#1",
     .reason = DenyReason::kSessionPolicy},
    {.name = "trust: named by session ARN, not limited by the session policy",
     .session = {allow("rds-db:connect", "*")},
     .trust = {trust_policy(R"({"AWS":"arn:aws:sts::123456789012:assumed-role/ops/alice-laptop"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: named by user ARN, not limited by the boundary",
     .boundary = allow("rds-db:*", "*"),
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:user/alice"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kAllowed,
     .deciding = "trust1#1"},
    {.name = "trust: an explicit deny in the caller's policies wins",
     .identity = {deny("sts:AssumeRole", "*")},
     .trust = {trust_policy(R"({"AWS":"arn:aws:iam::123456789012:user/alice"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kExplicitDeny,
     .deciding = "id1#1"},
    {.name = "trust: NotPrincipal deny spares only the listed user and account",
     .identity = {kAssumeDba},
     .trust = {R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},
        {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]},"Action":"sts:AssumeRole"}]})"},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kExplicitDeny,
     .deciding = "trust1#2"},
    {.name = "trust: NotPrincipal deny does not apply to the listed user",
     .identity = {kAssumeDba},
     .trust = {R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},
        {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","123456789012"]},"Action":"sts:AssumeRole"}]})"},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kAllowed,
     .deciding = "id1#1,trust1#1"},
    {.name = "trust: NotPrincipal without the account still denies (AWS's advice)",
     .identity = {kAssumeDba},
     .trust = {R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},
        {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]})"},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .expected = kExplicitDeny,
     .deciding = "trust1#2"},
    {.name = "trust: anonymous callers match only \"*\"",
     .trust = {trust_policy(R"({"AWS":"123456789012"})")},
     .action = "sts:AssumeRole",
     .resource = kDbaRole,
     .caller = "anonymous",
     .reason = DenyReason::kResourcePolicy},

    // --- Other resource-based policies: an Allow for the caller suffices in one account.
    {.name = "resource policy grants the user directly",
     .resources = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},
                      "Action":"rds-db:connect","Resource":"*"}})"},
     .expected = kAllowed,
     .deciding = "res1#1"},
    {.name = "resource policy that names the account delegates to identity policies",
     .resources = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},
                      "Action":"rds-db:connect","Resource":"*"}})"},
     .reason = DenyReason::kNoAllow},
    {.name = "identity policy alone suffices when the resource policy is not required",
     .identity = {kConnectAlice},
     .resources = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},
                      "Action":"rds-db:connect","Resource":"*"}})"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "resource policy for another account's resource is not enough alone",
     .resources = {R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
                      "Action":"rds-db:connect","Resource":"*"}})"},
     .resource = dbuser("alice", kDbi, "us-east-2", "999999999999")},

    // --- Policy variables.
    {.name = "variable: ${aws:userid}",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:userid}")},
     .resource = dbuser("AIDAJQABLZS4A3QDU576Q"),
     .context = {"aws:userid=AIDAJQABLZS4A3QDU576Q"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: ${aws:PrincipalTag/dbuser}",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:PrincipalTag/dbuser}")},
     .resource = dbuser("reporting"),
     .context = {"aws:PrincipalTag/dbuser=reporting"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: key names are case-insensitive",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${AWS:UserName}")},
     .context = {"aws:username=alice"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: default value when the key is absent",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:username, 'guest'}")},
     .resource = dbuser("guest"),
     .caller = kOpsSession,
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: the value wins over the default",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:username, 'guest'}")},
     .resource = dbuser("guest"),
     .context = {"aws:username=alice"}},
    {.name = "variable: ${*} is a literal asterisk, not a wildcard",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/a${*}")},
     .resource = dbuser("a*"),
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: ${*} does not match other characters",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/a${*}")},
     .resource = dbuser("abc")},
    {.name = "variable: ${?} is a literal question mark",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/who${?}")},
     .resource = dbuser("who?"),
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: ${?} does not match another character",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/who${?}")},
     .resource = dbuser("whom")},
    {.name = "variable: ${$} is a literal dollar sign",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${$}{aws:username}")},
     .resource = dbuser("${aws:username}"),
     .context = {"aws:username=alice"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: a multi-valued key has no single value",
     .identity = {allow("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:username}")},
     .context = {"aws:username=[alice]"}},
    {.name = "variable: in a condition value",
     .identity = {allow("rds-db:connect", "*", R"({"StringEquals":{"aws:PrincipalTag/owner":"${aws:username}"}})")},
     .context = {"aws:username=alice", "aws:PrincipalTag/owner=alice"},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: unresolved in a Deny makes the deny not apply",
     .identity = {kConnectAlice, deny("rds-db:connect", "*", R"({"StringNotEquals":{"aws:PrincipalTag/owner":"${aws:username}"}})")},
     .expected = kAllowed,
     .deciding = "id1#1"},
    {.name = "variable: version 2008-10-17 has no variables, the text is literal",
     .identity = {R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect",
                     "Resource":"arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}"}})"},
     .context = {"aws:username=alice"}},
    {.name = "variable: version 2008-10-17 literal text matches itself",
     .identity = {R"({"Statement":{"Effect":"Allow","Action":"rds-db:connect",
                     "Resource":"arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}"}})"},
     .resource = dbuser("${aws:username}"),
     .context = {"aws:username=alice"},
     .expected = kAllowed,
     .deciding = "id1#1"},
};

class EvaluateTable : public ::testing::TestWithParam<Row> {};

TEST_P(EvaluateTable, Decides) {
  const Row& row = GetParam();
  std::vector<std::shared_ptr<const Policy>> keep;
  const auto named = [&keep](std::string name, const std::string& doc, PolicyKind kind) {
    keep.push_back(must_compile(doc, kind));
    return NamedPolicy{std::move(name), keep.back().get()};
  };
  std::vector<NamedPolicy> identity, session, resource;
  for (size_t i = 0; i < row.identity.size(); ++i)
    identity.push_back(named("id" + std::to_string(i + 1), row.identity[i], PolicyKind::kIdentity));
  for (size_t i = 0; i < row.session.size(); ++i)
    session.push_back(named("session" + std::to_string(i + 1), row.session[i], PolicyKind::kIdentity));
  for (size_t i = 0; i < row.trust.size(); ++i)
    resource.push_back(named("trust" + std::to_string(i + 1), row.trust[i], PolicyKind::kTrust));
  for (size_t i = 0; i < row.resources.size(); ++i)
    resource.push_back(named("res" + std::to_string(i + 1), row.resources[i], PolicyKind::kResource));
  std::optional<NamedPolicy> boundary;
  if (!row.boundary.empty()) boundary = named("boundary", row.boundary, PolicyKind::kIdentity);

  PolicySet set;
  set.identity = identity;
  set.session = session;
  set.resource = resource;
  set.boundary = boundary ? &*boundary : nullptr;
  set.resource_policy_required = !row.trust.empty();

  const RequestBuilder rb(row.action, row.resource, row.caller, row.context);
  const Evaluation e = evaluate(set, rb.request());
  EXPECT_EQ(to_string(e.decision), to_string(row.expected)) << describe(e, rb.request());
  EXPECT_EQ(deciding_names(e), row.deciding) << describe(e, rb.request());
  if (row.expected == kImplicitDeny && row.reason != DenyReason::kNone) {
    EXPECT_EQ(e.reason, row.reason);
  }

  // The variant that lists every matched statement decides the same way.
  std::vector<StatementRef> matched;
  const Evaluation full = evaluate(set, rb.request(), matched);
  EXPECT_EQ(full.decision, e.decision);
  if (e.decision != kExplicitDeny) {
    EXPECT_EQ(deciding_names(full), deciding_names(e));
  }
  for (const StatementRef& ref : e.deciding()) {
    if (ref.role == PolicyRole::kBoundary || ref.role == PolicyRole::kSession || ref.role == PolicyRole::kIdentity ||
        ref.role == PolicyRole::kResource) {
      bool listed = false;
      for (const StatementRef& m : matched) listed = listed || (m.policy == ref.policy && m.index == ref.index);
      EXPECT_TRUE(listed) << describe(ref) << " decided but is not among the matched statements";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policy, EvaluateTable, ::testing::ValuesIn(kRows), [](const auto& row) {
  std::string name;
  for (char c : row.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
});

TEST(Evaluate, MissingBoundaryPolicyFailsClosed) {
  const auto p = must_compile(allow("rds-db:connect", "*"));
  const std::vector<NamedPolicy> identity = {{"id1", p.get()}};
  const NamedPolicy boundary{"arn:aws:iam::123456789012:policy/gone (missing)", nullptr};
  const RequestBuilder rb("rds-db:connect", dbuser("alice"), kAlice, {});
  const Evaluation e = evaluate({.identity = identity, .boundary = &boundary}, rb.request());
  EXPECT_EQ(e.decision, kImplicitDeny);
  EXPECT_EQ(e.reason, DenyReason::kBoundary);
}

TEST(Evaluate, MatchedStatementsListEveryApplyingStatement) {
  const auto p1 = must_compile(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"A","Effect":"Allow","Action":"rds-db:connect","Resource":"*"},
      {"Sid":"B","Effect":"Allow","Action":"iam:*","Resource":"*"},
      {"Sid":"C","Effect":"Deny","Action":"rds-db:*","Resource":"arn:aws:rds-db:*:*:dbuser:*/alice"}]})");
  const auto p2 = must_compile(deny("*", "*"));
  const std::vector<NamedPolicy> identity = {{"p1", p1.get()}, {"p2", p2.get()}};
  const RequestBuilder rb("rds-db:connect", dbuser("alice"), kAlice, {});
  std::vector<StatementRef> matched;
  const Evaluation e = evaluate({.identity = identity}, rb.request(), matched);
  EXPECT_EQ(e.decision, kExplicitDeny);
  EXPECT_EQ(deciding_names(e), "p1#3,p2#1");
  ASSERT_EQ(matched.size(), 3u);
  EXPECT_EQ(matched[0].sid(), "A");
  EXPECT_EQ(matched[1].sid(), "C");
  EXPECT_EQ(matched[2].policy_name(), "p2");
  // Without the list, evaluation stops at the first Deny.
  EXPECT_EQ(deciding_names(evaluate({.identity = identity}, rb.request())), "p1#3");
}

TEST(Evaluate, Explanations) {
  const auto p = must_compile(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"Connect","Effect":"Allow","Action":"rds-db:connect","Resource":"*"},
      {"Effect":"Deny","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/postgres"}]})");
  const auto b = must_compile(allow("iam:*", "*"));
  const std::vector<NamedPolicy> identity = {{"user/alice inline db", p.get()}};
  const NamedPolicy boundary{"arn:aws:iam::123456789012:policy/iam-only", b.get()};

  const RequestBuilder alice("rds-db:connect", dbuser("alice"), kAlice, {});
  EXPECT_EQ(describe(evaluate({.identity = identity}, alice.request()), alice.request()),
            "allowed by \"user/alice inline db\" statement 1 (Sid Connect)");
  const RequestBuilder pg("rds-db:connect", dbuser("postgres"), kAlice, {});
  EXPECT_EQ(describe(evaluate({.identity = identity}, pg.request()), pg.request()),
            "explicitly denied by \"user/alice inline db\" statement 2");
  EXPECT_EQ(describe(evaluate({.identity = identity, .boundary = &boundary}, alice.request()), alice.request()),
            "implicitly denied: \"user/alice inline db\" statement 1 (Sid Connect) allows it, but the permissions "
            "boundary does not");
  EXPECT_EQ(describe(evaluate({}, alice.request()), alice.request()),
            "implicitly denied: no statement allows rds-db:connect on " + dbuser("alice"));
  EXPECT_EQ(to_string(Decision::kAllowed), "allowed");
  EXPECT_EQ(to_string(Decision::kExplicitDeny), "explicitDeny");
  EXPECT_EQ(to_string(Decision::kImplicitDeny), "implicitDeny");
}

TEST(Evaluate, ContextTimeKeysFromAClock) {
  const ManualClock clock(SystemTime{} + std::chrono::seconds(1781512207));
  const RequestTime time(clock.now());
  EXPECT_EQ(time.current_time(), "2026-06-15T08:30:07Z");
  EXPECT_EQ(time.epoch_time(), "1781512207");
  const auto p = must_compile(allow("rds-db:connect", "*", R"({"DateLessThan":{"aws:CurrentTime":"2026-06-15T08:30:08Z"},
                                                            "NumericGreaterThanEquals":{"aws:EpochTime":"1781512207"}})"));
  const std::vector<NamedPolicy> identity = {{"p", p.get()}};
  const std::string resource = dbuser("alice");
  Request request{"rds-db:connect", resource, {PrincipalType::kAws, kAlice, kAccount, {}}, {}};
  time.add_to(request.context);
  EXPECT_EQ(evaluate({.identity = identity}, request).decision, kAllowed);
}

}  // namespace
}  // namespace iamdb::policy
