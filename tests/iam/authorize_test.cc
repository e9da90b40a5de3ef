// Resolving credentials to callers and authorizing them with the context keys AWS would set.
#include "iam/authorize.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/time.h"
#include "crypto/digest.h"
#include "iam/arn.h"
#include "support/iam_fixture.h"

namespace iamdb::iam {
namespace {

const SystemTime kNow = *parse_iso8601("2026-11-27T10:00:00Z");

struct World {
  std::shared_ptr<const Snapshot> snapshot;
};

World make_world() {
  State s = testing::empty_state(kNow);
  User& alice = testing::add_user(s, "alice", kNow);
  alice.tags = {{"team", "db"}};
  alice.inline_policies.push_back({"own-user", testing::doc(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/${aws:username}"},
      {"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/team-${aws:PrincipalTag/team}"}]})")});
  testing::add_key(s, "alice", "AKIAALICE", "alice-secret", kNow);
  testing::add_key(s, "alice", "AKIAOFF", "off-secret", kNow, false);
  testing::add_user(s, "bob", kNow);
  testing::add_key(s, "bob", "AKIABOB", "bob-secret", kNow);

  auto group = std::make_shared<Group>();
  group->name = "readers";
  group->members = {"bob"};
  group->attached = {"arn:aws:iam::aws:policy/ReadOnlyAccess"};
  s.groups["readers"] = group;

  auto role = std::make_shared<Role>();
  role->name = "deploy";
  role->id = "AROADEPLOY";
  role->tags = {{"team", "ops"}};
  role->trust_policy = testing::doc(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}})",
                                    DocumentKind::kTrust);
  role->attached = {"arn:aws:iam::aws:policy/AdministratorAccess"};
  s.roles["deploy"] = role;

  auto session = std::make_shared<Session>();
  session->access_key_id = "ASIASESSION";
  session->secret = "session-secret";
  session->token_sha256 = hex_encode(crypto::sha256("the-token"));
  session->issued = kNow - std::chrono::minutes(5);
  session->expires = kNow + std::chrono::minutes(55);
  session->role = "deploy";
  session->session_name = "ci";
  session->session_tags = {{"team", "db"}};
  session->session_policy = testing::doc(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:*","Resource":"*"}})");
  s.sessions["ASIASESSION"] = session;
  return {Snapshot::build(std::make_shared<const State>(std::move(s)), 1)};
}

TEST(ResolveCaller, LongTermKeys) {
  const World w = make_world();
  auto alice = resolve_caller(*w.snapshot, "AKIAALICE", "", kNow);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(alice->secret, "alice-secret");
  EXPECT_EQ(resolve_caller(*w.snapshot, "AKIANOPE", "", kNow).error(), CredentialError::kUnknownAccessKey);
  EXPECT_EQ(resolve_caller(*w.snapshot, "AKIAOFF", "", kNow).error(), CredentialError::kInactiveAccessKey);
  EXPECT_EQ(resolve_caller(*w.snapshot, "AKIAALICE", "x", kNow).error(), CredentialError::kSessionTokenUnexpected);
}

TEST(ResolveCaller, RoleSessions) {
  const World w = make_world();
  auto c = resolve_caller(*w.snapshot, "ASIASESSION", "the-token", kNow);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arn, "arn:aws:sts::123456789012:assumed-role/deploy/ci");
  EXPECT_EQ(c->principal_arn, "arn:aws:iam::123456789012:role/deploy");
  EXPECT_EQ(c->user_id, "AROADEPLOY:ci");
  EXPECT_EQ(resolve_caller(*w.snapshot, "ASIASESSION", "", kNow).error(), CredentialError::kSessionTokenMissing);
  EXPECT_EQ(resolve_caller(*w.snapshot, "ASIASESSION", "the-tokem", kNow).error(), CredentialError::kSessionTokenInvalid);
  EXPECT_EQ(resolve_caller(*w.snapshot, "ASIASESSION", "the-token", kNow + std::chrono::hours(1)).error(),
            CredentialError::kSessionExpired);
}

struct Case {
  const char* name;
  const char* key;
  const char* token;
  const char* action;
  const char* resource;
  policy::Decision want;
};

class AuthorizeTable : public ::testing::TestWithParam<Case> {};

TEST_P(AuthorizeTable, Decides) {
  const Case& c = GetParam();
  const World w = make_world();
  auto caller = resolve_caller(*w.snapshot, c.key, c.token, kNow);
  ASSERT_TRUE(caller);
  AccessRequest req;
  req.action = c.action;
  req.resource = c.resource;
  req.now = kNow;
  const AccessResult r = authorize(*w.snapshot, *caller, req);
  EXPECT_EQ(r.evaluation.decision, c.want) << r.explanation;
}

constexpr const char* kAliceDb = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-X/alice";
constexpr const char* kTeamDb = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-X/team-db";
constexpr const char* kBobDb = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-X/bob";

INSTANTIATE_TEST_SUITE_P(
    Callers, AuthorizeTable,
    ::testing::Values(
        Case{"UsernameVariable", "AKIAALICE", "", "rds-db:connect", kAliceDb, policy::Decision::kAllowed},
        Case{"PrincipalTagVariable", "AKIAALICE", "", "rds-db:connect", kTeamDb, policy::Decision::kAllowed},
        Case{"OtherDbUser", "AKIAALICE", "", "rds-db:connect", kBobDb, policy::Decision::kImplicitDeny},
        Case{"GroupPolicyApplies", "AKIABOB", "", "iam:ListUsers", "arn:aws:iam::123456789012:user/",
             policy::Decision::kAllowed},
        Case{"GroupPolicyLimits", "AKIABOB", "", "iam:CreateUser", "arn:aws:iam::123456789012:user/x",
             policy::Decision::kImplicitDeny},
        Case{"SessionPolicyIntersects", "ASIASESSION", "the-token", "iam:CreateUser",
             "arn:aws:iam::123456789012:user/x", policy::Decision::kImplicitDeny},
        Case{"SessionPolicyAllows", "ASIASESSION", "the-token", "rds-db:connect", kBobDb, policy::Decision::kAllowed}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(PrincipalKeys, SessionTagsOverrideRoleTags) {
  const World w = make_world();
  auto c = resolve_caller(*w.snapshot, "ASIASESSION", "the-token", kNow);
  ASSERT_TRUE(c);
  const policy::RequestTime time(kNow);
  policy::ContextKeys keys;
  add_principal_keys(*c, time, keys);
  ASSERT_TRUE(keys.find("aws:PrincipalTag/team"));
  EXPECT_EQ(keys.find("aws:PrincipalTag/team")->values()[0], "db");
  EXPECT_EQ(keys.find("aws:userid")->values()[0], "AROADEPLOY:ci");
  EXPECT_EQ(keys.find("aws:PrincipalType")->values()[0], "AssumedRole");
  EXPECT_FALSE(keys.find("aws:username")) << "role sessions have no aws:username";
  EXPECT_EQ(keys.find("aws:TokenIssueTime")->values()[0], "2026-11-27T09:55:00Z");
}

}  // namespace
}  // namespace iamdb::iam
