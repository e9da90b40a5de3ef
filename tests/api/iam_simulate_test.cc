// The policy simulator through the Query API: decisions, matched statements and their sources,
// missing context values, context entry types, boundaries, pagination, and agreement with what
// the same principal is actually allowed to do.
#include <gtest/gtest.h>

#include "api/api_bench.h"

namespace iamdb::testing {
namespace {

using Names = std::vector<std::string>;

const std::string kDbUser = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/alice";
const std::string kOtherDbUser = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/bob";

std::string deny_policy(const std::string& action, const std::string& resource = "*") {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"No","Effect":"Deny","Action":")" + action +
         R"(","Resource":")" + resource + R"("}]})";
}

std::string connect_from(const std::string& cidr) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*",)"
         R"("Condition":{"IpAddress":{"aws:SourceIp":")" +
         cidr + R"("}}}]})";
}

class SimulateTest : public ::testing::Test {
 protected:
  // Params for one action on the given resources, with policies as PolicyInputList.
  static Params custom(const Names& policies, const std::string& action, const Names& resources = {}) {
    Params p = {{"ActionNames.member.1", action}};
    for (size_t i = 0; i < policies.size(); ++i)
      p.emplace_back("PolicyInputList.member." + std::to_string(i + 1), policies[i]);
    for (size_t i = 0; i < resources.size(); ++i)
      p.emplace_back("ResourceArns.member." + std::to_string(i + 1), resources[i]);
    return p;
  }
  static Params with(Params p, const Params& more) {
    p.insert(p.end(), more.begin(), more.end());
    return p;
  }
  // The n-th (from 0) EvaluationResults member.
  static const boost::property_tree::ptree& result(const ApiReply& r, size_t n) {
    auto it = r.result().get_child("EvaluationResults").begin();
    std::advance(it, static_cast<long>(n));
    return it->second;
  }
  static Names members(const boost::property_tree::ptree& result, const std::string& path,
                       const std::string& field = "") {
    Names out;
    const auto list = result.get_child_optional(path);
    if (!list) return out;
    for (const auto& [name, m] : *list)
      if (name == "member") out.push_back(field.empty() ? m.data() : m.get<std::string>(field, ""));
    return out;
  }

  ApiBench bench;
};

TEST_F(SimulateTest, CustomPolicyDecisionsAndTheirStatements) {
  struct Case {
    const char* name;
    Names policies;
    std::string resource;
    const char* decision;
    Names matched;  // SourcePolicyId of each matched statement
  };
  const Case cases[] = {
      {"allowed on its db user", {allow_policy("rds-db:connect", kDbUser)}, kDbUser, "allowed", {"PolicyInputList.1"}},
      {"not on another", {allow_policy("rds-db:connect", kDbUser)}, kOtherDbUser, "implicitDeny", {}},
      {"explicit deny wins",
       {allow_policy("rds-db:*"), deny_policy("rds-db:connect", kDbUser)},
       kDbUser,
       "explicitDeny",
       {"PolicyInputList.1", "PolicyInputList.2"}},
      {"deny elsewhere does not apply",
       {allow_policy("rds-db:*"), deny_policy("rds-db:connect", kOtherDbUser)},
       kDbUser,
       "allowed",
       {"PolicyInputList.1"}},
      {"actions match ignoring case", {allow_policy("RDS-DB:Connect")}, kDbUser, "allowed", {"PolicyInputList.1"}},
  };
  for (const Case& c : cases) {
    const ApiReply r = bench.admin("SimulateCustomPolicy", custom(c.policies, "rds-db:connect", {c.resource}));
    ASSERT_TRUE(r.ok()) << c.name << ": " << r;
    const auto& e = result(r, 0);
    EXPECT_EQ(e.get<std::string>("EvalActionName"), "rds-db:connect") << c.name;
    EXPECT_EQ(e.get<std::string>("EvalResourceName"), c.resource) << c.name;
    EXPECT_EQ(e.get<std::string>("EvalDecision"), c.decision) << c.name;
    EXPECT_EQ(members(e, "MatchedStatements", "SourcePolicyId"), c.matched) << c.name;
    for (const std::string& type : members(e, "MatchedStatements", "SourcePolicyType")) EXPECT_EQ(type, "none");
    EXPECT_EQ(r.get("IsTruncated"), "false");
  }
}

TEST_F(SimulateTest, ContextEntriesAndMissingContextValues) {
  const Params ip = {{"ContextEntries.member.1.ContextKeyName", "aws:SourceIp"},
                     {"ContextEntries.member.1.ContextKeyValues.member.1", "10.1.2.3"},
                     {"ContextEntries.member.1.ContextKeyType", "ip"}};
  ApiReply r = bench.admin("SimulateCustomPolicy", custom({connect_from("10.0.0.0/8")}, "rds-db:connect"));
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(result(r, 0).get<std::string>("EvalResourceName"), "*");
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "implicitDeny");
  EXPECT_EQ(members(result(r, 0), "MissingContextValues"), (Names{"aws:SourceIp"}));

  r = bench.admin("SimulateCustomPolicy", with(custom({connect_from("10.0.0.0/8")}, "rds-db:connect"), ip));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
  EXPECT_TRUE(members(result(r, 0), "MissingContextValues").empty());
  r = bench.admin("SimulateCustomPolicy", with(custom({connect_from("192.168.0.0/16")}, "rds-db:connect"), ip));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "implicitDeny");

  // Policy variables in resources need their keys too, and take them from the entries.
  const std::string own_user = allow_policy("rds-db:connect", "arn:aws:rds-db:*:*:dbuser:*/${aws:username}");
  r = bench.admin("SimulateCustomPolicy", custom({own_user}, "rds-db:connect", {kDbUser}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "implicitDeny");
  EXPECT_EQ(members(result(r, 0), "MissingContextValues"), (Names{"aws:username"}));
  r = bench.admin("SimulateCustomPolicy", with(custom({own_user}, "rds-db:connect", {kDbUser, kOtherDbUser}),
                                               {{"ContextEntries.member.1.ContextKeyName", "aws:username"},
                                                {"ContextEntries.member.1.ContextKeyValues.member.1", "alice"},
                                                {"ContextEntries.member.1.ContextKeyType", "string"}}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
  EXPECT_EQ(result(r, 1).get<std::string>("EvalDecision"), "implicitDeny");

  // Multi-valued keys take list types.
  const std::string any_tag =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"*",)"
      R"("Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}}]})";
  r = bench.admin("SimulateCustomPolicy", with(custom({any_tag}, "iam:TagUser"),
                                               {{"ContextEntries.member.1.ContextKeyName", "aws:TagKeys"},
                                                {"ContextEntries.member.1.ContextKeyValues.member.1", "owner"},
                                                {"ContextEntries.member.1.ContextKeyValues.member.2", "team"},
                                                {"ContextEntries.member.1.ContextKeyType", "stringList"}}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
}

TEST_F(SimulateTest, BadInputIsRefusedWithAReason) {
  const std::string p = allow_policy("s3:*");
  expect_refusals(
      bench, "SimulateCustomPolicy",
      {
          {"no policies", {{"ActionNames.member.1", "s3:GetObject"}}, "ValidationError"},
          {"no actions", {{"PolicyInputList.member.1", p}}, "ValidationError"},
          {"malformed policy", custom({"{\"Statement\":[]}"}, "s3:GetObject"), "MalformedPolicyDocument"},
          {"unknown key type",
           with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.1.ContextKeyName", "k"},
                                              {"ContextEntries.member.1.ContextKeyValues.member.1", "v"},
                                              {"ContextEntries.member.1.ContextKeyType", "text"}}),
           "ValidationError"},
          {"value not of its type",
           with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.1.ContextKeyName", "aws:SourceIp"},
                                              {"ContextEntries.member.1.ContextKeyValues.member.1", "not-an-ip"},
                                              {"ContextEntries.member.1.ContextKeyType", "ip"}}),
           "InvalidInput"},
          {"two values for a single-valued type",
           with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.1.ContextKeyName", "k"},
                                              {"ContextEntries.member.1.ContextKeyValues.member.1", "a"},
                                              {"ContextEntries.member.1.ContextKeyValues.member.2", "b"},
                                              {"ContextEntries.member.1.ContextKeyType", "string"}}),
           "InvalidInput"},
          {"entry without a name",
           with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.1.ContextKeyValues.member.1", "a"}}),
           "InvalidInput"},
          {"entries with a gap", with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.2.ContextKeyName", "k"}}),
           "ValidationError"},
          {"unknown entry field", with(custom({p}, "s3:GetObject"), {{"ContextEntries.member.1.Name", "k"}}),
           "ValidationError"},
          {"two boundaries",
           with(custom({p}, "s3:GetObject"), {{"PermissionsBoundaryPolicyInputList.member.1", p},
                                              {"PermissionsBoundaryPolicyInputList.member.2", p}}),
           "InvalidInput"},
          {"resource policy without a caller",
           with(custom({p}, "s3:GetObject"),
                {{"ResourcePolicy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
                                    R"("Action":"s3:*","Resource":"*"}]})"}}),
           "InvalidInput"},
          {"marker out of range", with(custom({p}, "s3:GetObject"), {{"Marker", "5"}}), "ValidationError"},
      });
  const ApiReply malformed = bench.admin("SimulateCustomPolicy", custom({p, "[]"}, "s3:GetObject"));
  EXPECT_TRUE(malformed.message().starts_with("PolicyInputList.2: ")) << malformed;
}

TEST_F(SimulateTest, BoundariesLimitAndSayWhetherTheyAllowed) {
  const Params boundary = {{"PermissionsBoundaryPolicyInputList.member.1", allow_policy("s3:Get*")}};
  ApiReply r = bench.admin("SimulateCustomPolicy", with(custom({allow_policy("s3:*")}, "s3:GetObject"), boundary));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
  EXPECT_EQ(result(r, 0).get<std::string>("PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary"), "true");
  EXPECT_EQ(members(result(r, 0), "MatchedStatements", "SourcePolicyId"),
            (Names{"PolicyInputList.1", "PermissionsBoundaryPolicyInputList.1"}));
  r = bench.admin("SimulateCustomPolicy", with(custom({allow_policy("s3:*")}, "s3:PutObject"), boundary));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "implicitDeny");
  EXPECT_EQ(result(r, 0).get<std::string>("PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary"), "false");
  r = bench.admin("SimulateCustomPolicy", custom({allow_policy("s3:*")}, "s3:PutObject"));
  EXPECT_FALSE(result(r, 0).get_child_optional("PermissionsBoundaryDecisionDetail"));
}

TEST_F(SimulateTest, ResultsPageOverActionsTimesResources) {
  Params p = custom({allow_policy("s3:Get*")}, "s3:GetObject", {"arn:aws:s3:::a/1", "arn:aws:s3:::b/2"});
  p.emplace_back("ActionNames.member.2", "s3:PutObject");
  p.emplace_back("ActionNames.member.3", "s3:GetBucketPolicy");
  const ApiReply first = bench.admin("SimulateCustomPolicy", with(p, {{"MaxItems", "4"}}));
  ASSERT_TRUE(first.ok()) << first;
  EXPECT_EQ(first.list("EvaluationResults", "EvalActionName"),
            (Names{"s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:PutObject"}));
  EXPECT_EQ(first.list("EvaluationResults", "EvalDecision"),
            (Names{"allowed", "allowed", "implicitDeny", "implicitDeny"}));
  ASSERT_EQ(first.get("IsTruncated"), "true");
  const ApiReply rest =
      bench.admin("SimulateCustomPolicy", with(p, {{"MaxItems", "4"}, {"Marker", first.get("Marker")}}));
  EXPECT_EQ(rest.list("EvaluationResults", "EvalResourceName"), (Names{"arn:aws:s3:::a/1", "arn:aws:s3:::b/2"}));
  EXPECT_EQ(rest.get("IsTruncated"), "false");
}

class SimulatePrincipalTest : public SimulateTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}, {"Path", "/apps/"}}).ok());
    ASSERT_TRUE(bench
                    .admin("PutUserPolicy", {{"UserName", "alice"},
                                             {"PolicyName", "own"},
                                             {"PolicyDocument", allow_policy("rds-db:connect", kDbUser)}})
                    .ok());
    ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "readers"}}).ok());
    ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "readers"}, {"UserName", "alice"}}).ok());
    ASSERT_TRUE(bench
                    .admin("PutGroupPolicy", {{"GroupName", "readers"},
                                              {"PolicyName", "no-bob"},
                                              {"PolicyDocument", deny_policy("rds-db:connect", kOtherDbUser)}})
                    .ok());
    ASSERT_TRUE(
        bench.admin("CreatePolicy", {{"PolicyName", "connect-all"}, {"PolicyDocument", allow_policy("rds-db:*")}})
            .ok());
    ASSERT_TRUE(
        bench.admin("AttachGroupPolicy", {{"GroupName", "readers"}, {"PolicyArn", local_policy_arn("connect-all")}})
            .ok());
    ASSERT_TRUE(bench
                    .admin("AttachUserPolicy",
                           {{"UserName", "alice"}, {"PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}})
                    .ok());
  }
  static Params principal(const std::string& source, const std::string& action, const Names& resources = {}) {
    Params p = custom({}, action, resources);
    p.emplace_back("PolicySourceArn", source);
    return p;
  }

  const std::string alice = "arn:aws:iam::123456789012:user/apps/alice";
};

TEST_F(SimulatePrincipalTest, UserPoliciesComeFromTheUserAndItsGroups) {
  const ApiReply r =
      bench.admin("SimulatePrincipalPolicy", principal(alice, "rds-db:connect", {kDbUser, kOtherDbUser}));
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
  EXPECT_EQ(members(result(r, 0), "MatchedStatements", "SourcePolicyId"), (Names{"own", "connect-all"}));
  EXPECT_EQ(members(result(r, 0), "MatchedStatements", "SourcePolicyType"), (Names{"user", "user-managed"}));
  EXPECT_EQ(result(r, 1).get<std::string>("EvalDecision"), "explicitDeny");
  EXPECT_EQ(members(result(r, 1), "MatchedStatements", "SourcePolicyId"), (Names{"no-bob", "connect-all"}));
  EXPECT_EQ(members(result(r, 1), "MatchedStatements", "SourcePolicyType"), (Names{"group", "user-managed"}));

  const ApiReply iam = bench.admin("SimulatePrincipalPolicy", principal(alice, "iam:GetUser"));
  EXPECT_EQ(members(result(iam, 0), "MatchedStatements", "SourcePolicyId"), (Names{"IAMReadOnlyAccess"}));
  EXPECT_EQ(members(result(iam, 0), "MatchedStatements", "SourcePolicyType"), (Names{"aws-managed"}));

  // Extra input policies join the user's own.
  const ApiReply extra =
      bench.admin("SimulatePrincipalPolicy",
                  with(principal(alice, "s3:GetObject"), {{"PolicyInputList.member.1", allow_policy("s3:*")}}));
  EXPECT_EQ(result(extra, 0).get<std::string>("EvalDecision"), "allowed");
}

TEST_F(SimulatePrincipalTest, BoundariesOfTheEntityOrGivenInstead) {
  ASSERT_TRUE(bench
                  .admin("PutUserPermissionsBoundary",
                         {{"UserName", "alice"}, {"PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess"}})
                  .ok());
  ApiReply r = bench.admin("SimulatePrincipalPolicy", principal(alice, "rds-db:connect", {kDbUser}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "implicitDeny");
  EXPECT_EQ(result(r, 0).get<std::string>("PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary"), "false");
  r = bench.admin("SimulatePrincipalPolicy",
                  with(principal(alice, "rds-db:connect", {kDbUser}),
                       {{"PermissionsBoundaryPolicyInputList.member.1", allow_policy("rds-db:connect")}}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
}

TEST_F(SimulatePrincipalTest, GroupsAndRolesAreSourcesToo) {
  ApiReply r = bench.admin("SimulatePrincipalPolicy", principal("arn:aws:iam::123456789012:group/readers",
                                                                "rds-db:connect", {kDbUser, kOtherDbUser}));
  EXPECT_EQ(r.list("EvaluationResults", "EvalDecision"), (Names{"allowed", "explicitDeny"}));
  ASSERT_TRUE(bench
                  .admin("CreateRole", {{"RoleName", "app"},
                                        {"AssumeRolePolicyDocument", trust_policy_for(alice)},
                                        {"PermissionsBoundary", local_policy_arn("connect-all")}})
                  .ok());
  ASSERT_TRUE(bench
                  .admin("PutRolePolicy", {{"RoleName", "app"},
                                           {"PolicyName", "inline"},
                                           {"PolicyDocument", allow_policy("rds-db:connect", kDbUser)}})
                  .ok());
  r = bench.admin("SimulatePrincipalPolicy",
                  principal("arn:aws:iam::123456789012:role/app", "rds-db:connect", {kDbUser}));
  EXPECT_EQ(result(r, 0).get<std::string>("EvalDecision"), "allowed");
  EXPECT_EQ(members(result(r, 0), "MatchedStatements", "SourcePolicyType"), (Names{"role", "user-managed"}));

  struct Case {
    const char* source;
    const char* code;
    const char* message;
  };
  const Case cases[] = {
      {"arn:aws:iam::123456789012:user/nobody", "NoSuchEntity", "The user with name nobody cannot be found."},
      {"arn:aws:iam::123456789012:user/alice", "NoSuchEntity", "The user with name alice cannot be found."},
      {"arn:aws:iam::123456789012:role/other", "NoSuchEntity", "The role with name other cannot be found."},
      {"arn:aws:iam::123456789012:policy/connect-all", "InvalidInput", nullptr},
      {"arn:aws:s3:::bucket-with-a-long-name", "InvalidInput", nullptr},
  };
  for (const Case& c : cases) {
    const ApiReply e = bench.admin("SimulatePrincipalPolicy", principal(c.source, "rds-db:connect"));
    EXPECT_EQ(e.code(), c.code) << c.source;
    if (c.message) {
      EXPECT_EQ(e.message(), c.message) << c.source;
    }
  }
}

TEST_F(SimulatePrincipalTest, AgreesWithWhatThePrincipalMayActuallyDo) {
  const sigv4::Credentials dev = bench.user_with_key("dev");
  ASSERT_TRUE(
      bench
          .admin("PutUserPolicy", {{"UserName", "dev"},
                                   {"PolicyName", "team"},
                                   {"PolicyDocument", allow_policy("iam:CreateGroup", "arn:aws:iam::*:group/team/*")}})
          .ok());
  const std::string dev_arn = "arn:aws:iam::123456789012:user/dev";
  struct Case {
    const char* path;
    const char* group_arn;
  };
  const Case cases[] = {{"/team/", "arn:aws:iam::123456789012:group/team/g1"},
                        {"/", "arn:aws:iam::123456789012:group/g2"}};
  for (const Case& c : cases) {
    const ApiReply sim = bench.admin("SimulatePrincipalPolicy", principal(dev_arn, "iam:CreateGroup", {c.group_arn}));
    const std::string name = std::string(c.group_arn).substr(std::string(c.group_arn).rfind('/') + 1);
    const ApiReply real = bench.call(dev, "CreateGroup", {{"GroupName", name}, {"Path", c.path}});
    EXPECT_EQ(result(sim, 0).get<std::string>("EvalDecision") == "allowed", real.ok()) << c.group_arn << real;
  }
}

TEST_F(SimulatePrincipalTest, SimulatingNeedsPermissionOnTheSource) {
  const sigv4::Credentials dev = bench.user_with_key("dev");
  EXPECT_EQ(bench.call(dev, "SimulatePrincipalPolicy", principal(alice, "s3:GetObject")).code(), "AccessDenied");
  EXPECT_EQ(bench.call(dev, "SimulateCustomPolicy", custom({allow_policy("s3:*")}, "s3:GetObject")).code(),
            "AccessDenied");
  ASSERT_TRUE(bench
                  .admin("PutUserPolicy",
                         {{"UserName", "dev"},
                          {"PolicyName", "self"},
                          {"PolicyDocument", allow_policy("iam:SimulatePrincipalPolicy", "arn:aws:iam::*:user/dev")}})
                  .ok());
  EXPECT_TRUE(
      bench.call(dev, "SimulatePrincipalPolicy", principal("arn:aws:iam::123456789012:user/dev", "s3:GetObject")).ok());
  EXPECT_EQ(bench.call(dev, "SimulatePrincipalPolicy", principal(alice, "s3:GetObject")).code(), "AccessDenied");
}

}  // namespace
}  // namespace iamdb::testing
