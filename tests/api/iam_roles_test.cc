// Roles through the Query API: trust policies and their quota, session limits, descriptions,
// tags, boundaries, delete conflicts, and what deleting a role does to its sessions.
#include <gtest/gtest.h>

#include "api/api_bench.h"
#include "common/encoding.h"

namespace iamdb::testing {
namespace {

const std::string kAdminArn = "arn:aws:iam::123456789012:user/admin";

class RolesTest : public ::testing::Test {
 protected:
  ApiReply create_role(const std::string& name, Params extra = {}) {
    Params params = {{"RoleName", name}, {"AssumeRolePolicyDocument", trust_policy_for(kAdminArn)}};
    for (auto& p : extra) params.push_back(std::move(p));
    return bench.admin("CreateRole", params);
  }

  ApiBench bench;
};

TEST_F(RolesTest, CreateReturnsTheRoleWithItsTrustPolicyEncoded) {
  const ApiReply r = create_role("deploy", {{"Path", "/ci/"},
                                            {"Description", "CI deployments"},
                                            {"MaxSessionDuration", "7200"},
                                            {"Tags.member.1.Key", "team"},
                                            {"Tags.member.1.Value", "db"}});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.get("Role.Arn"), "arn:aws:iam::123456789012:role/ci/deploy");
  EXPECT_TRUE(r.get("Role.RoleId").starts_with("AROA"));
  EXPECT_EQ(r.get("Role.Description"), "CI deployments");
  EXPECT_EQ(r.get("Role.MaxSessionDuration"), "7200");
  EXPECT_EQ(percent_decode(r.get("Role.AssumeRolePolicyDocument")), trust_policy_for(kAdminArn));
  EXPECT_EQ(r.list("Role.Tags", "Key"), (std::vector<std::string>{"team"}));

  const ApiReply got = bench.admin("GetRole", {{"RoleName", "DEPLOY"}});
  EXPECT_EQ(got.get("Role.RoleName"), "deploy");
  EXPECT_EQ(create_role("Deploy").code(), "EntityAlreadyExists");
  EXPECT_EQ(bench.admin("GetRole", {{"RoleName", "other"}}).message(), "The role with name other cannot be found.");
}

TEST_F(RolesTest, CreateRefusesBadInput) {
  const std::string identity_policy = allow_policy("s3:GetObject");
  std::string large_trust = trust_policy_for(kAdminArn);
  large_trust.insert(large_trust.find("\"Effect\""), "\"Sid\":\"" + std::string(2100, 'x') + "\",");
  expect_refusals(
      bench, "CreateRole",
      {
          {"trust policy without Principal",
           {{"RoleName", "r"}, {"AssumeRolePolicyDocument", identity_policy}},
           "MalformedPolicyDocument",
           nullptr},
          {"trust policy over ACLSizePerRole",
           {{"RoleName", "r"}, {"AssumeRolePolicyDocument", large_trust}},
           "LimitExceeded",
           "Cannot exceed quota for ACLSizePerRole: 2048"},
          {"session shorter than an hour",
           {{"RoleName", "r"},
            {"AssumeRolePolicyDocument", trust_policy_for(kAdminArn)},
            {"MaxSessionDuration", "3599"}},
           "ValidationError",
           "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member "
           "must "
           "have value greater than or equal to 3600"},
          {"session longer than twelve hours",
           {{"RoleName", "r"},
            {"AssumeRolePolicyDocument", trust_policy_for(kAdminArn)},
            {"MaxSessionDuration", "43201"}},
           "ValidationError",
           nullptr},
          {"no trust policy",
           {{"RoleName", "r"}},
           "ValidationError",
           "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member "
           "must not be null"},
          {"boundary that does not exist",
           {{"RoleName", "r"},
            {"AssumeRolePolicyDocument", trust_policy_for(kAdminArn)},
            {"PermissionsBoundary", local_policy_arn("missing")}},
           "NoSuchEntity",
           "Scope ARN: arn:aws:iam::123456789012:policy/missing does not exist or is not attachable."},
          {"boundary that is not a policy ARN",
           {{"RoleName", "r"},
            {"AssumeRolePolicyDocument", trust_policy_for(kAdminArn)},
            {"PermissionsBoundary", kAdminArn}},
           "InvalidInput",
           "ARN arn:aws:iam::123456789012:user/admin is not valid."},
      });
  EXPECT_EQ(bench.admin("ListRoles").list("Roles"), std::vector<std::string>{});
}

TEST_F(RolesTest, TrustQuotaFollowsTheConfiguration) {
  bench.config().policy_limits.trust_bytes = 4096;
  std::string trust = trust_policy_for(kAdminArn);
  trust.insert(trust.find("\"Effect\""), "\"Sid\":\"" + std::string(3000, 'x') + "\",");
  EXPECT_TRUE(create_role("r").ok());
  EXPECT_TRUE(bench.admin("UpdateAssumeRolePolicy", {{"RoleName", "r"}, {"PolicyDocument", trust}}).ok());
  bench.config().policy_limits.trust_bytes = 2048;
  EXPECT_EQ(bench.admin("UpdateAssumeRolePolicy", {{"RoleName", "r"}, {"PolicyDocument", trust}}).code(),
            "LimitExceeded");
}

TEST_F(RolesTest, UpdatesChangeOnlyWhatTheyName) {
  ASSERT_TRUE(create_role("r", {{"Description", "first"}}).ok());
  const ApiReply updated = bench.admin("UpdateRole", {{"RoleName", "r"}, {"MaxSessionDuration", "43200"}});
  ASSERT_TRUE(updated.ok()) << updated;
  // botocore parses UpdateRole's (empty) result element and fails without it.
  EXPECT_TRUE(updated.doc.get_child_optional("UpdateRoleResponse.UpdateRoleResult")) << updated;
  ApiReply got = bench.admin("GetRole", {{"RoleName", "r"}});
  EXPECT_EQ(got.get("Role.MaxSessionDuration"), "43200");
  EXPECT_EQ(got.get("Role.Description"), "first");

  const ApiReply described = bench.admin("UpdateRoleDescription", {{"RoleName", "r"}, {"Description", "second"}});
  ASSERT_TRUE(described.ok()) << described;
  EXPECT_EQ(described.get("Role.Description"), "second");
  EXPECT_EQ(described.get("Role.MaxSessionDuration"), "43200");

  const std::string trust = trust_policy_for("arn:aws:iam::123456789012:user/someone");
  ASSERT_TRUE(bench.admin("UpdateAssumeRolePolicy", {{"RoleName", "r"}, {"PolicyDocument", trust}}).ok());
  EXPECT_EQ(bench.admin("UpdateAssumeRolePolicy", {{"RoleName", "r"}, {"PolicyDocument", "{"}}).code(),
            "MalformedPolicyDocument");
  got = bench.admin("GetRole", {{"RoleName", "r"}});
  EXPECT_EQ(percent_decode(got.get("Role.AssumeRolePolicyDocument")), trust);
  EXPECT_EQ(bench.reload().find_role("r")->trust_policy.text, trust);
}

TEST_F(RolesTest, TagsMergeIgnoringCaseAndPage) {
  ASSERT_TRUE(create_role("r").ok());
  ASSERT_TRUE(bench
                  .admin("TagRole", {{"RoleName", "r"},
                                     {"Tags.member.1.Key", "b"},
                                     {"Tags.member.1.Value", "1"},
                                     {"Tags.member.2.Key", "a"},
                                     {"Tags.member.2.Value", "2"}})
                  .ok());
  ASSERT_TRUE(
      bench.admin("TagRole", {{"RoleName", "r"}, {"Tags.member.1.Key", "B"}, {"Tags.member.1.Value", "3"}}).ok());
  const ApiReply page = bench.admin("ListRoleTags", {{"RoleName", "r"}, {"MaxItems", "1"}});
  EXPECT_EQ(page.list("Tags", "Key"), (std::vector<std::string>{"a"}));
  ASSERT_EQ(page.get("IsTruncated"), "true");
  const ApiReply rest = bench.admin("ListRoleTags", {{"RoleName", "r"}, {"Marker", page.get("Marker")}});
  EXPECT_EQ(rest.list("Tags", "Key"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(rest.list("Tags", "Value"), (std::vector<std::string>{"3"}));

  EXPECT_EQ(bench.admin("TagRole", {{"RoleName", "r"}}).code(), "ValidationError");
  Params many = {{"RoleName", "r"}};
  for (int i = 0; i < 49; ++i) {
    many.emplace_back("Tags.member." + std::to_string(i + 1) + ".Key", "k" + std::to_string(i));
    many.emplace_back("Tags.member." + std::to_string(i + 1) + ".Value", "v");
  }
  const ApiReply over = bench.admin("TagRole", many);
  EXPECT_EQ(over.code(), "LimitExceeded");
  EXPECT_EQ(over.message(), "The number of tags has reached the maximum limit.");

  ASSERT_TRUE(bench.admin("UntagRole", {{"RoleName", "r"}, {"TagKeys.member.1", "A"}}).ok());
  EXPECT_EQ(bench.admin("ListRoleTags", {{"RoleName", "r"}}).list("Tags", "Key"), (std::vector<std::string>{"b"}));
  // Role tags are the principal tags of the role's sessions.
  const iam::PermissionSet* perms = bench.snapshot().role_permissions("r");
  ASSERT_NE(perms, nullptr);
  EXPECT_EQ(perms->principal_tags, (std::vector<std::pair<std::string, std::string>>{{"aws:PrincipalTag/b", "3"}}));
}

TEST_F(RolesTest, BoundaryIsSetAndRemoved) {
  const std::string boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  ASSERT_TRUE(create_role("r").ok());
  EXPECT_EQ(
      bench.admin("PutRolePermissionsBoundary", {{"RoleName", "r"}, {"PermissionsBoundary", local_policy_arn("x")}})
          .code(),
      "NoSuchEntity");
  ASSERT_TRUE(bench.admin("PutRolePermissionsBoundary", {{"RoleName", "r"}, {"PermissionsBoundary", boundary}}).ok());
  ApiReply got = bench.admin("GetRole", {{"RoleName", "r"}});
  EXPECT_EQ(got.get("Role.PermissionsBoundary.PermissionsBoundaryArn"), boundary);
  EXPECT_EQ(got.get("Role.PermissionsBoundary.PermissionsBoundaryType"), "PermissionsBoundaryPolicy");
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", boundary}}).get("Policy.PermissionsBoundaryUsageCount"), "1");

  ASSERT_TRUE(bench.admin("DeleteRolePermissionsBoundary", {{"RoleName", "r"}}).ok());
  got = bench.admin("GetRole", {{"RoleName", "r"}});
  EXPECT_EQ(got.get("Role.PermissionsBoundary.PermissionsBoundaryArn"), "");
  EXPECT_EQ(bench.reload().find_role("r")->boundary_arn, "");
}

TEST_F(RolesTest, DeleteConflictsWhilePoliciesRemain) {
  const std::string managed = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  ASSERT_TRUE(create_role("r").ok());
  ASSERT_TRUE(bench
                  .admin("PutRolePolicy",
                         {{"RoleName", "r"}, {"PolicyName", "p"}, {"PolicyDocument", allow_policy("rds-db:connect")}})
                  .ok());
  ASSERT_TRUE(bench.admin("AttachRolePolicy", {{"RoleName", "r"}, {"PolicyArn", managed}}).ok());
  EXPECT_EQ(bench.admin("DeleteRole", {{"RoleName", "r"}}).message(),
            "Cannot delete entity, must delete policies first.");
  ASSERT_TRUE(bench.admin("DeleteRolePolicy", {{"RoleName", "r"}, {"PolicyName", "p"}}).ok());
  EXPECT_EQ(bench.admin("DeleteRole", {{"RoleName", "r"}}).message(),
            "Cannot delete entity, must detach all policies first.");
  ASSERT_TRUE(bench.admin("DetachRolePolicy", {{"RoleName", "r"}, {"PolicyArn", managed}}).ok());
  EXPECT_TRUE(bench.admin("DeleteRole", {{"RoleName", "r"}}).ok());
  EXPECT_EQ(bench.admin("DeleteRole", {{"RoleName", "r"}}).code(), "NoSuchEntity");
}

TEST_F(RolesTest, SessionsOfADeletedRoleDoNotComeBackWithANewRoleOfTheSameName) {
  ASSERT_TRUE(create_role("r").ok());
  const ApiReply assumed =
      bench.call(bench.admin_credentials(), "AssumeRole",
                 {{"RoleArn", "arn:aws:iam::123456789012:role/r"}, {"RoleSessionName", "s1"}}, "sts");
  ASSERT_TRUE(assumed.ok()) << assumed;
  const sigv4::Credentials session{assumed.get("Credentials.AccessKeyId"), assumed.get("Credentials.SecretAccessKey"),
                                   assumed.get("Credentials.SessionToken")};
  EXPECT_TRUE(bench.call(session, "GetCallerIdentity", {}, "sts").ok());

  ASSERT_TRUE(bench.admin("DeleteRole", {{"RoleName", "r"}}).ok());
  ASSERT_TRUE(create_role("r").ok());
  const ApiReply after = bench.call(session, "GetCallerIdentity", {}, "sts");
  EXPECT_EQ(after.status, 403);
  EXPECT_EQ(after.code(), "InvalidClientTokenId");
}

TEST_F(RolesTest, ListRolesPagesInNameOrder) {
  for (const char* name : {"c", "a", "b"}) ASSERT_TRUE(create_role(name, {{"Path", "/svc/"}}).ok());
  ASSERT_TRUE(create_role("z").ok());
  const ApiReply first = bench.admin("ListRoles", {{"MaxItems", "2"}, {"PathPrefix", "/svc/"}});
  EXPECT_EQ(first.list("Roles", "RoleName"), (std::vector<std::string>{"a", "b"}));
  const ApiReply rest =
      bench.admin("ListRoles", {{"MaxItems", "2"}, {"PathPrefix", "/svc/"}, {"Marker", first.get("Marker")}});
  EXPECT_EQ(rest.list("Roles", "RoleName"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(rest.get("IsTruncated"), "false");
}

}  // namespace
}  // namespace iamdb::testing
