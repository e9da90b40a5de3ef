// Managed policies, their versions and tags; attaching them; inline policies and their quotas.
// The attach and inline rules are the same for users, groups and roles, so those tests run once
// per kind.
#include <gtest/gtest.h>

#include "api/api_bench.h"
#include "common/encoding.h"

namespace iamdb::testing {
namespace {

const std::string kReadOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess";

class PoliciesTest : public ::testing::Test {
 protected:
  ApiReply create_policy(const std::string& name, const std::string& document, Params extra = {}) {
    Params params = {{"PolicyName", name}, {"PolicyDocument", document}};
    for (auto& p : extra) params.push_back(std::move(p));
    return bench.admin("CreatePolicy", params);
  }

  ApiBench bench;
};

TEST_F(PoliciesTest, CreateAndGet) {
  const ApiReply created = create_policy("connect", allow_policy("rds-db:connect"),
                                         {{"Path", "/db/"},
                                          {"Description", "lets apps in"},
                                          {"Tags.member.1.Key", "owner"},
                                          {"Tags.member.1.Value", "ops"}});
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(created.get("Policy.Arn"), "arn:aws:iam::123456789012:policy/db/connect");
  EXPECT_EQ(created.get("Policy.DefaultVersionId"), "v1");
  EXPECT_EQ(created.get("Policy.AttachmentCount"), "0");
  EXPECT_EQ(created.get("Policy.IsAttachable"), "true");
  EXPECT_TRUE(created.get("Policy.PolicyId").starts_with("ANPA"));
  EXPECT_EQ(created.list("Policy.Tags", "Value"), (std::vector<std::string>{"ops"}));

  const ApiReply got = bench.admin("GetPolicy", {{"PolicyArn", created.get("Policy.Arn")}});
  EXPECT_EQ(got.get("Policy.Description"), "lets apps in");
  const ApiReply version =
      bench.admin("GetPolicyVersion", {{"PolicyArn", created.get("Policy.Arn")}, {"VersionId", "v1"}});
  EXPECT_EQ(percent_decode(version.get("PolicyVersion.Document")), allow_policy("rds-db:connect"));
  EXPECT_EQ(version.get("PolicyVersion.IsDefaultVersion"), "true");
}

TEST_F(PoliciesTest, CreateRefusesBadInput) {
  std::string large = allow_policy("s3:*", "*", 6145);
  expect_refusals(
      bench, "CreatePolicy",
      {
          {"malformed",
           {{"PolicyName", "p"}, {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[]})"}},
           "MalformedPolicyDocument",
           nullptr},
          {"over PolicySize",
           {{"PolicyName", "p"}, {"PolicyDocument", large}},
           "LimitExceeded",
           "Cannot exceed quota for PolicySize: 6144"},
          {"empty document",
           {{"PolicyName", "p"}, {"PolicyDocument", ""}},
           "ValidationError",
           "1 validation error detected: Value '' at 'policyDocument' failed to satisfy constraint: Member must have "
           "length greater than or equal to 1"},
          {"no document",
           {{"PolicyName", "p"}},
           "ValidationError",
           "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not "
           "be "
           "null"},
      });
  ASSERT_TRUE(create_policy("p", allow_policy("s3:*", "*", 6144)).ok());
  const ApiReply duplicate = create_policy("P", allow_policy("s3:*"), {{"Path", "/other/"}});
  EXPECT_EQ(duplicate.code(), "EntityAlreadyExists");
  EXPECT_EQ(duplicate.message(), "A policy called P already exists. Duplicate names are not allowed.");
}

TEST_F(PoliciesTest, PolicyArnsAreChecked) {
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", "arn:aws:iam::1:p/x"}}).code(), "ValidationError");
  const ApiReply not_policy = bench.admin("GetPolicy", {{"PolicyArn", "arn:aws:iam::123456789012:user/alice"}});
  EXPECT_EQ(not_policy.code(), "InvalidInput");
  EXPECT_EQ(not_policy.message(), "ARN arn:aws:iam::123456789012:user/alice is not valid.");
  const ApiReply missing = bench.admin("GetPolicy", {{"PolicyArn", local_policy_arn("nope")}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message(), "Policy arn:aws:iam::123456789012:policy/nope was not found.");
  EXPECT_EQ(bench.admin("GetPolicyVersion", {{"PolicyArn", kReadOnly}, {"VersionId", "1"}}).code(), "ValidationError");
  EXPECT_EQ(bench.admin("GetPolicyVersion", {{"PolicyArn", kReadOnly}, {"VersionId", "v9"}}).message(),
            "Policy arn:aws:iam::aws:policy/ReadOnlyAccess version v9 does not exist or is not attachable.");
}

TEST_F(PoliciesTest, VersionsFollowAwsRules) {
  const std::string arn = local_policy_arn("p");
  ASSERT_TRUE(create_policy("p", allow_policy("s3:Get*")).ok());
  for (int i = 2; i <= 5; ++i) {
    const ApiReply v =
        bench.admin("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", allow_policy("s3:Put*")}});
    ASSERT_TRUE(v.ok()) << v;
    EXPECT_EQ(v.get("PolicyVersion.VersionId"), "v" + std::to_string(i));
    EXPECT_EQ(v.get("PolicyVersion.IsDefaultVersion"), "false");
  }
  const ApiReply sixth =
      bench.admin("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", allow_policy("s3:*")}});
  EXPECT_EQ(sixth.code(), "LimitExceeded");
  EXPECT_EQ(sixth.message(),
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing "
            "version.");

  const ApiReply default_delete = bench.admin("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}});
  EXPECT_EQ(default_delete.code(), "DeleteConflict");
  EXPECT_EQ(default_delete.message(), "Cannot delete the default version of a policy.");
  ASSERT_TRUE(bench.admin("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v3"}}).ok());
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", arn}}).get("Policy.DefaultVersionId"), "v3");
  EXPECT_EQ(bench.admin("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v7"}}).code(), "NoSuchEntity");

  const ApiReply conflict = bench.admin("DeletePolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(conflict.code(), "DeleteConflict");
  EXPECT_EQ(conflict.message(),
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
            "The default version is deleted with the policy.");

  // Version numbers are never reused and list in numeric order (v10 after v9).
  for (const char* v : {"v1", "v2", "v4", "v5"})
    ASSERT_TRUE(bench.admin("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", v}}).ok()) << v;
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(
        bench.admin("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", allow_policy("s3:*")}}).ok());
  ASSERT_TRUE(bench.admin("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v6"}}).ok());
  const ApiReply made =
      bench.admin("CreatePolicyVersion",
                  {{"PolicyArn", arn}, {"PolicyDocument", allow_policy("s3:List*")}, {"SetAsDefault", "true"}});
  EXPECT_EQ(made.get("PolicyVersion.VersionId"), "v10");
  EXPECT_EQ(made.get("PolicyVersion.IsDefaultVersion"), "true");
  const ApiReply first = bench.admin("ListPolicyVersions", {{"PolicyArn", arn}, {"MaxItems", "3"}});
  EXPECT_EQ(first.list("Versions", "VersionId"), (std::vector<std::string>{"v3", "v7", "v8"}));
  const ApiReply rest = bench.admin("ListPolicyVersions", {{"PolicyArn", arn}, {"Marker", first.get("Marker")}});
  EXPECT_EQ(rest.list("Versions", "VersionId"), (std::vector<std::string>{"v9", "v10"}));
  EXPECT_EQ(rest.list("Versions", "IsDefaultVersion"), (std::vector<std::string>{"false", "true"}));

  // The default version is what authorization uses.
  const iam::State state = bench.reload();
  ASSERT_NE(state.find_policy(arn), nullptr);
  EXPECT_EQ(state.find_policy(arn)->default_version, "v10");
  EXPECT_EQ(state.find_policy(arn)->default_document().document.text, allow_policy("s3:List*"));
  EXPECT_EQ(state.find_policy(arn)->next_version, 11u);

  for (const char* v : {"v3", "v7", "v8", "v9"})
    ASSERT_TRUE(bench.admin("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", v}}).ok()) << v;
  EXPECT_TRUE(bench.admin("DeletePolicy", {{"PolicyArn", arn}}).ok());
  EXPECT_EQ(bench.reload().find_policy(arn), nullptr);
}

TEST_F(PoliciesTest, DeleteConflictsWhileAttachedOrABoundary) {
  const std::string arn = local_policy_arn("p");
  ASSERT_TRUE(create_policy("p", allow_policy("s3:*")).ok());
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench.admin("AttachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}}).ok());
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", arn}}).get("Policy.AttachmentCount"), "1");
  EXPECT_EQ(bench.admin("DeletePolicy", {{"PolicyArn", arn}}).message(),
            "Cannot delete a policy attached to entities.");
  ASSERT_TRUE(bench.admin("DetachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", arn}}).ok());
  ASSERT_TRUE(bench.admin("PutUserPermissionsBoundary", {{"UserName", "alice"}, {"PermissionsBoundary", arn}}).ok());
  const ApiReply boundary = bench.admin("DeletePolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(boundary.code(), "DeleteConflict");
  EXPECT_EQ(boundary.message(), "Cannot delete a policy used as a permissions boundary.");
  ASSERT_TRUE(bench.admin("DeleteUserPermissionsBoundary", {{"UserName", "alice"}}).ok());
  EXPECT_TRUE(bench.admin("DeletePolicy", {{"PolicyArn", arn}}).ok());
}

TEST_F(PoliciesTest, AwsManagedPoliciesAreReadOnly) {
  struct Case {
    const char* action;
    Params params;
  };
  const Case cases[] = {
      {"CreatePolicyVersion", {{"PolicyArn", kReadOnly}, {"PolicyDocument", allow_policy("*")}}},
      {"DeletePolicy", {{"PolicyArn", kReadOnly}}},
      {"SetDefaultPolicyVersion", {{"PolicyArn", kReadOnly}, {"VersionId", "v1"}}},
      {"DeletePolicyVersion", {{"PolicyArn", kReadOnly}, {"VersionId", "v1"}}},
      {"TagPolicy", {{"PolicyArn", kReadOnly}, {"Tags.member.1.Key", "k"}, {"Tags.member.1.Value", "v"}}},
      {"UntagPolicy", {{"PolicyArn", kReadOnly}, {"TagKeys.member.1", "k"}}},
  };
  for (const Case& c : cases) {
    const ApiReply r = bench.admin(c.action, c.params);
    EXPECT_EQ(r.status, 403) << c.action;
    EXPECT_EQ(r.code(), "AccessDenied") << c.action;
  }
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", kReadOnly}}).get("Policy.DefaultVersionId"), "v1");
}

TEST_F(PoliciesTest, ListPoliciesFiltersByScopeAttachmentAndPath) {
  ASSERT_TRUE(create_policy("a", allow_policy("s3:*")).ok());
  ASSERT_TRUE(create_policy("b", allow_policy("s3:*"), {{"Path", "/team/"}}).ok());
  ASSERT_TRUE(create_policy("c", allow_policy("s3:*")).ok());
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench.admin("AttachUserPolicy", {{"UserName", "alice"}, {"PolicyArn", local_policy_arn("a")}}).ok());
  ASSERT_TRUE(
      bench.admin("PutUserPermissionsBoundary", {{"UserName", "alice"}, {"PermissionsBoundary", local_policy_arn("c")}})
          .ok());

  using Names = std::vector<std::string>;
  struct Case {
    const char* name;
    Params params;
    Names expected;
  };
  const Case cases[] = {
      // In ARN order: the path comes before the name.
      {"local", {{"Scope", "Local"}}, {"a", "c", "b"}},
      {"aws", {{"Scope", "AWS"}}, {"AdministratorAccess", "IAMFullAccess", "IAMReadOnlyAccess", "ReadOnlyAccess"}},
      {"attached", {{"OnlyAttached", "true"}}, {"a", "AdministratorAccess"}},
      {"boundaries", {{"OnlyAttached", "true"}, {"PolicyUsageFilter", "PermissionsBoundary"}}, {"c"}},
      {"path", {{"PathPrefix", "/team/"}}, {"b"}},
  };
  for (const Case& c : cases) {
    const ApiReply r = bench.admin("ListPolicies", c.params);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r;
    EXPECT_EQ(r.list("Policies", "PolicyName"), c.expected) << c.name;
  }
  const ApiReply bad = bench.admin("ListPolicies", {{"Scope", "Mine"}});
  EXPECT_EQ(bad.code(), "ValidationError");
  EXPECT_EQ(bad.message(),
            "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy "
            "enum value set: [All, AWS, Local]");
  const ApiReply first = bench.admin("ListPolicies", {{"Scope", "Local"}, {"MaxItems", "2"}});
  EXPECT_EQ(first.list("Policies", "PolicyName"), (Names{"a", "c"}));
  EXPECT_EQ(
      bench.admin("ListPolicies", {{"Scope", "Local"}, {"Marker", first.get("Marker")}}).list("Policies", "PolicyName"),
      (Names{"b"}));
}

TEST_F(PoliciesTest, PolicyTags) {
  const std::string arn = local_policy_arn("p");
  ASSERT_TRUE(create_policy("p", allow_policy("s3:*")).ok());
  ASSERT_TRUE(
      bench.admin("TagPolicy", {{"PolicyArn", arn}, {"Tags.member.1.Key", "k"}, {"Tags.member.1.Value", "v"}}).ok());
  EXPECT_EQ(bench.admin("ListPolicyTags", {{"PolicyArn", arn}}).list("Tags", "Value"), (std::vector<std::string>{"v"}));
  ASSERT_TRUE(bench.admin("UntagPolicy", {{"PolicyArn", arn}, {"TagKeys.member.1", "K"}}).ok());
  EXPECT_TRUE(bench.admin("ListPolicyTags", {{"PolicyArn", arn}}).list("Tags").empty());
  EXPECT_EQ(bench.admin("UntagPolicy", {{"PolicyArn", arn}}).code(), "ValidationError");
  EXPECT_EQ(bench.admin("ListPolicyTags", {{"PolicyArn", local_policy_arn("q")}}).code(), "NoSuchEntity");
}

// --- The same rules for users, groups and roles ---

struct Kind {
  const char* name;        // "User"
  const char* name_param;  // "UserName"
  uint32_t default_quota;  // inline policy bytes
  std::string quota_noun;  // in the LimitExceeded message
};

std::ostream& operator<<(std::ostream& os, const Kind& k) { return os << k.name; }

class PrincipalPoliciesTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    const Kind& k = GetParam();
    if (std::string(k.name) == "User") {
      ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "e"}}).ok());
    } else if (std::string(k.name) == "Group") {
      ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "e"}}).ok());
    } else {
      ASSERT_TRUE(bench
                      .admin("CreateRole",
                             {{"RoleName", "e"},
                              {"AssumeRolePolicyDocument", trust_policy_for("arn:aws:iam::123456789012:user/admin")}})
                      .ok());
    }
  }
  ApiReply act(const std::string& verb, const std::string& suffix, Params params) {
    params.emplace_back(GetParam().name_param, "e");
    return bench.admin(verb + GetParam().name + suffix, params);
  }

  ApiBench bench;
};

TEST_P(PrincipalPoliciesTest, AttachesUpToTenManagedPolicies) {
  for (int i = 0; i < 11; ++i)
    ASSERT_TRUE(
        bench.admin("CreatePolicy", {{"PolicyName", "p" + std::to_string(i)}, {"PolicyDocument", allow_policy("s3:*")}})
            .ok());
  const ApiReply missing = act("Attach", "Policy", {{"PolicyArn", local_policy_arn("missing")}});
  EXPECT_EQ(missing.code(), "NoSuchEntity");
  EXPECT_EQ(missing.message(), "Policy arn:aws:iam::123456789012:policy/missing does not exist or is not attachable.");
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(act("Attach", "Policy", {{"PolicyArn", local_policy_arn("p" + std::to_string(i))}}).ok());
  // Attaching again changes nothing and does not count twice.
  EXPECT_TRUE(act("Attach", "Policy", {{"PolicyArn", local_policy_arn("p0")}}).ok());
  const ApiReply over = act("Attach", "Policy", {{"PolicyArn", local_policy_arn("p10")}});
  EXPECT_EQ(over.code(), "LimitExceeded");
  EXPECT_EQ(over.message(), "Cannot exceed quota for PoliciesPer" + std::string(GetParam().name) + ": 10");

  const ApiReply page = act("ListAttached", "Policies", {{"MaxItems", "4"}});
  EXPECT_EQ(page.list("AttachedPolicies", "PolicyName"), (std::vector<std::string>{"p0", "p1", "p2", "p3"}));
  const ApiReply rest = act("ListAttached", "Policies", {{"Marker", page.get("Marker")}});
  EXPECT_EQ(rest.list("AttachedPolicies", "PolicyArn").size(), 6u);
  EXPECT_EQ(bench.admin("GetPolicy", {{"PolicyArn", local_policy_arn("p0")}}).get("Policy.AttachmentCount"), "1");

  ASSERT_TRUE(act("Detach", "Policy", {{"PolicyArn", local_policy_arn("p0")}}).ok());
  const ApiReply again = act("Detach", "Policy", {{"PolicyArn", local_policy_arn("p0")}});
  EXPECT_EQ(again.code(), "NoSuchEntity");
  EXPECT_EQ(again.message(), "Policy arn:aws:iam::123456789012:policy/p0 was not found.");
  EXPECT_TRUE(act("Attach", "Policy", {{"PolicyArn", local_policy_arn("p10")}}).ok());
}

TEST_P(PrincipalPoliciesTest, InlinePoliciesShareOneQuota) {
  const uint32_t quota = GetParam().default_quota;
  const std::string half = allow_policy("s3:*", "*", quota / 2);
  const std::string rest = allow_policy("s3:*", "*", quota - quota / 2);
  ASSERT_TRUE(act("Put", "Policy", {{"PolicyName", "one"}, {"PolicyDocument", half}}).ok());
  ASSERT_TRUE(act("Put", "Policy", {{"PolicyName", "two"}, {"PolicyDocument", rest}}).ok());
  // Exactly at the quota; one more character is over it.
  const ApiReply over = act("Put", "Policy", {{"PolicyName", "three"}, {"PolicyDocument", allow_policy("s3:*")}});
  EXPECT_EQ(over.code(), "LimitExceeded");
  EXPECT_EQ(over.message(),
            "Maximum policy size of " + std::to_string(quota) + " bytes exceeded for " + GetParam().quota_noun + " e");
  // Replacing a policy counts its new size instead of its old one.
  EXPECT_TRUE(act("Put", "Policy", {{"PolicyName", "two"}, {"PolicyDocument", rest}}).ok());
  // White space does not count.
  EXPECT_TRUE(act("Put", "Policy", {{"PolicyName", "two"}, {"PolicyDocument", rest + "\n  "}}).ok());
  EXPECT_EQ(act("Put", "Policy", {{"PolicyName", "two"}, {"PolicyDocument", allow_policy("s3:*", "*", quota)}}).code(),
            "LimitExceeded");
  EXPECT_EQ(
      act("Put", "Policy", {{"PolicyName", "bad"}, {"PolicyDocument", R"({"Statement":{"Effect":"Allow"}})"}}).code(),
      "MalformedPolicyDocument");

  const ApiReply got = act("Get", "Policy", {{"PolicyName", "one"}});
  EXPECT_EQ(got.get(std::string(GetParam().name_param)), "e");
  EXPECT_EQ(got.get("PolicyName"), "one");
  EXPECT_EQ(percent_decode(got.get("PolicyDocument")), half);
  const ApiReply missing = act("Get", "Policy", {{"PolicyName", "nope"}});
  EXPECT_EQ(missing.message(), "The " + GetParam().quota_noun + " policy with name nope cannot be found.");

  const ApiReply page = act("List", "Policies", {{"MaxItems", "1"}});
  EXPECT_EQ(page.list("PolicyNames"), (std::vector<std::string>{"one"}));
  EXPECT_EQ(act("List", "Policies", {{"Marker", page.get("Marker")}}).list("PolicyNames"),
            (std::vector<std::string>{"two"}));
  ASSERT_TRUE(act("Delete", "Policy", {{"PolicyName", "one"}}).ok());
  EXPECT_EQ(act("Delete", "Policy", {{"PolicyName", "one"}}).code(), "NoSuchEntity");
  EXPECT_EQ(act("List", "Policies", {}).list("PolicyNames"), (std::vector<std::string>{"two"}));
}

TEST_P(PrincipalPoliciesTest, QuotasFollowTheConfiguration) {
  auto& limits = bench.config().policy_limits;
  limits.user_inline_bytes = limits.group_inline_bytes = limits.role_inline_bytes = 200;
  EXPECT_EQ(act("Put", "Policy", {{"PolicyName", "p"}, {"PolicyDocument", allow_policy("s3:*", "*", 201)}}).message(),
            "Maximum policy size of 200 bytes exceeded for " + GetParam().quota_noun + " e");
  EXPECT_TRUE(act("Put", "Policy", {{"PolicyName", "p"}, {"PolicyDocument", allow_policy("s3:*", "*", 200)}}).ok());
}

TEST_P(PrincipalPoliciesTest, MissingEntityAndChangesSurviveARestart) {
  EXPECT_EQ(
      bench
          .admin(std::string("Put") + GetParam().name + "Policy",
                 {{GetParam().name_param, "ghost"}, {"PolicyName", "p"}, {"PolicyDocument", allow_policy("s3:*")}})
          .message(),
      "The " + GetParam().quota_noun + " with name ghost cannot be found.");
  ASSERT_TRUE(act("Put", "Policy", {{"PolicyName", "p"}, {"PolicyDocument", allow_policy("s3:*")}}).ok());
  ASSERT_TRUE(act("Attach", "Policy", {{"PolicyArn", kReadOnly}}).ok());
  const iam::State state = bench.reload();
  const iam::Principal* p = nullptr;
  if (std::string(GetParam().name) == "User")
    p = state.find_user("e");
  else if (std::string(GetParam().name) == "Group")
    p = state.find_group("e");
  else
    p = state.find_role("e");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->inline_policies.size(), 1u);
  EXPECT_EQ(p->inline_policies[0].document.text, allow_policy("s3:*"));
  EXPECT_EQ(p->attached, (std::vector<std::string>{kReadOnly}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, PrincipalPoliciesTest,
                         ::testing::Values(Kind{"User", "UserName", 2048, "user"},
                                           Kind{"Group", "GroupName", 5120, "group"},
                                           Kind{"Role", "RoleName", 10240, "role"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace iamdb::testing
