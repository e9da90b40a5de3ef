// Groups through the Query API: membership, pagination, renames, delete conflicts, quotas.
#include <gtest/gtest.h>

#include "api/api_bench.h"

namespace iamdb::testing {
namespace {

class GroupsTest : public ::testing::Test {
 protected:
  ApiBench bench;
};

TEST_F(GroupsTest, CreateGetAndDuplicateNamesIgnoringCase) {
  const ApiReply created = bench.admin("CreateGroup", {{"GroupName", "Dev"}, {"Path", "/eng/"}});
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(created.get("Group.GroupName"), "Dev");
  EXPECT_EQ(created.get("Group.Arn"), "arn:aws:iam::123456789012:group/eng/Dev");
  EXPECT_TRUE(created.get("Group.GroupId").starts_with("AGPA"));

  const ApiReply again = bench.admin("CreateGroup", {{"GroupName", "dev"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code(), "EntityAlreadyExists");
  EXPECT_EQ(again.message(), "Group with name dev already exists.");

  const ApiReply got = bench.admin("GetGroup", {{"GroupName", "DEV"}});
  ASSERT_TRUE(got.ok()) << got;
  EXPECT_EQ(got.get("Group.GroupName"), "Dev");
  EXPECT_EQ(got.get("IsTruncated"), "false");
  EXPECT_TRUE(got.list("Users").empty());
}

TEST_F(GroupsTest, ParameterErrorsUseAwsWording) {
  expect_refusals(
      bench, "CreateGroup",
      {
          {"missing name",
           {},
           "ValidationError",
           "1 validation error detected: Value null at 'groupName' failed to satisfy constraint: Member must not be "
           "null"},
          {"bad characters",
           {{"GroupName", "a b"}},
           "ValidationError",
           "1 validation error detected: Value 'a b' at 'groupName' failed to satisfy constraint: Member must satisfy "
           "regular expression pattern: [\\w+=,.@-]+"},
          {"bad path", {{"GroupName", "g"}, {"Path", "eng"}}, "ValidationError", nullptr},
      });
  EXPECT_EQ(bench.admin("GetGroup", {{"GroupName", "nope"}}).message(), "The group with name nope cannot be found.");
}

TEST_F(GroupsTest, GetGroupPagesThroughMembersInNameOrder) {
  ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "g"}}).ok());
  for (const char* user : {"carol", "alice", "bob"}) {
    ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", user}}).ok());
    ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "g"}, {"UserName", user}}).ok());
  }
  const ApiReply first = bench.admin("GetGroup", {{"GroupName", "g"}, {"MaxItems", "2"}});
  ASSERT_TRUE(first.ok()) << first;
  EXPECT_EQ(first.list("Users", "UserName"), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(first.get("IsTruncated"), "true");
  const ApiReply rest =
      bench.admin("GetGroup", {{"GroupName", "g"}, {"MaxItems", "2"}, {"Marker", first.get("Marker")}});
  EXPECT_EQ(rest.list("Users", "UserName"), (std::vector<std::string>{"carol"}));
  EXPECT_EQ(rest.get("IsTruncated"), "false");
  EXPECT_EQ(rest.get("Group.GroupName"), "g");
}

TEST_F(GroupsTest, MembershipIsIdempotentAndRemovalNeedsAMember) {
  ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "g"}}).ok());
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  EXPECT_EQ(bench.admin("AddUserToGroup", {{"GroupName", "g"}, {"UserName", "ghost"}}).message(),
            "The user with name ghost cannot be found.");
  EXPECT_EQ(bench.admin("AddUserToGroup", {{"GroupName", "nope"}, {"UserName", "alice"}}).message(),
            "The group with name nope cannot be found.");
  ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "g"}, {"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "g"}, {"UserName", "ALICE"}}).ok());
  EXPECT_EQ(bench.admin("GetGroup", {{"GroupName", "g"}}).list("Users", "UserName"),
            (std::vector<std::string>{"alice"}));
  EXPECT_EQ(bench.admin("ListGroupsForUser", {{"UserName", "alice"}}).list("Groups", "GroupName"),
            (std::vector<std::string>{"g"}));

  ASSERT_TRUE(bench.admin("RemoveUserFromGroup", {{"GroupName", "g"}, {"UserName", "alice"}}).ok());
  const ApiReply again = bench.admin("RemoveUserFromGroup", {{"GroupName", "g"}, {"UserName", "alice"}});
  EXPECT_EQ(again.code(), "NoSuchEntity");
  EXPECT_TRUE(bench.admin("ListGroupsForUser", {{"UserName", "alice"}}).list("Groups").empty());
}

TEST_F(GroupsTest, AUserBelongsToAtMostTenGroups) {
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  for (int i = 0; i < 11; ++i) {
    const std::string group = "g" + std::to_string(i);
    ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", group}}).ok());
    const ApiReply r = bench.admin("AddUserToGroup", {{"GroupName", group}, {"UserName", "alice"}});
    if (i < 10) {
      EXPECT_TRUE(r.ok()) << r;
    } else {
      EXPECT_EQ(r.code(), "LimitExceeded");
      EXPECT_EQ(r.message(), "Cannot exceed quota for GroupsPerUser: 10");
    }
  }
}

TEST_F(GroupsTest, RenameKeepsMembersPoliciesAndMovesThePath) {
  ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "old"}}).ok());
  ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "taken"}}).ok());
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "old"}, {"UserName", "alice"}}).ok());
  ASSERT_TRUE(
      bench
          .admin("PutGroupPolicy",
                 {{"GroupName", "old"}, {"PolicyName", "p"}, {"PolicyDocument", allow_policy("rds-db:connect")}})
          .ok());

  EXPECT_EQ(bench.admin("UpdateGroup", {{"GroupName", "old"}, {"NewGroupName", "TAKEN"}}).code(),
            "EntityAlreadyExists");
  const ApiReply renamed =
      bench.admin("UpdateGroup", {{"GroupName", "old"}, {"NewGroupName", "new"}, {"NewPath", "/x/"}});
  ASSERT_TRUE(renamed.ok()) << renamed;

  EXPECT_EQ(bench.admin("GetGroup", {{"GroupName", "old"}}).code(), "NoSuchEntity");
  const ApiReply got = bench.admin("GetGroup", {{"GroupName", "new"}});
  EXPECT_EQ(got.get("Group.Arn"), "arn:aws:iam::123456789012:group/x/new");
  EXPECT_EQ(got.list("Users", "UserName"), (std::vector<std::string>{"alice"}));
  EXPECT_EQ(bench.admin("ListGroupPolicies", {{"GroupName", "new"}}).list("PolicyNames"),
            (std::vector<std::string>{"p"}));
  // The user's permissions now come through the renamed group.
  const iam::PermissionSet* perms = bench.snapshot().user_permissions("alice");
  ASSERT_NE(perms, nullptr);
  ASSERT_EQ(perms->identity.size(), 1u);
  EXPECT_EQ(perms->identity[0].name, "group/new inline p");
  // And a restarted server sees the same.
  const iam::State stored = bench.reload();
  ASSERT_NE(stored.find_group("new"), nullptr);
  EXPECT_EQ(stored.find_group("old"), nullptr);
  EXPECT_EQ(stored.find_group("new")->members, (std::vector<std::string>{"alice"}));
}

TEST_F(GroupsTest, DeleteConflictsUntilTheGroupIsEmpty) {
  ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", "g"}}).ok());
  ASSERT_TRUE(bench.admin("CreateUser", {{"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench.admin("AddUserToGroup", {{"GroupName", "g"}, {"UserName", "alice"}}).ok());
  ASSERT_TRUE(bench
                  .admin("PutGroupPolicy",
                         {{"GroupName", "g"}, {"PolicyName", "p"}, {"PolicyDocument", allow_policy("iam:Get*")}})
                  .ok());
  const std::string admin_access = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  ASSERT_TRUE(bench.admin("AttachGroupPolicy", {{"GroupName", "g"}, {"PolicyArn", admin_access}}).ok());

  struct Step {
    const char* message;  // DeleteGroup's refusal before the step
    const char* action;
    Params params;
  };
  const Step steps[] = {
      {"Cannot delete entity, must remove users from group first.",
       "RemoveUserFromGroup",
       {{"GroupName", "g"}, {"UserName", "alice"}}},
      {"Cannot delete entity, must delete policies first.",
       "DeleteGroupPolicy",
       {{"GroupName", "g"}, {"PolicyName", "p"}}},
      {"Cannot delete entity, must detach all policies first.",
       "DetachGroupPolicy",
       {{"GroupName", "g"}, {"PolicyArn", admin_access}}},
  };
  for (const Step& s : steps) {
    const ApiReply refused = bench.admin("DeleteGroup", {{"GroupName", "g"}});
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(refused.code(), "DeleteConflict");
    EXPECT_EQ(refused.message(), s.message);
    ASSERT_TRUE(bench.admin(s.action, s.params).ok()) << s.action;
  }
  EXPECT_TRUE(bench.admin("DeleteGroup", {{"GroupName", "g"}}).ok());
  EXPECT_EQ(bench.admin("GetGroup", {{"GroupName", "g"}}).code(), "NoSuchEntity");
  EXPECT_EQ(bench.reload().find_group("g"), nullptr);
}

TEST_F(GroupsTest, ListGroupsFiltersByPathAndPages) {
  for (const auto& [name, path] : {std::pair{"a", "/"}, {"b", "/eng/"}, {"c", "/eng/db/"}, {"d", "/ops/"}})
    ASSERT_TRUE(bench.admin("CreateGroup", {{"GroupName", name}, {"Path", path}}).ok());
  EXPECT_EQ(bench.admin("ListGroups", {{"PathPrefix", "/eng/"}}).list("Groups", "GroupName"),
            (std::vector<std::string>{"b", "c"}));
  const ApiReply first = bench.admin("ListGroups", {{"MaxItems", "3"}});
  EXPECT_EQ(first.list("Groups", "GroupName"), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(first.get("IsTruncated"), "true");
  EXPECT_EQ(bench.admin("ListGroups", {{"Marker", first.get("Marker")}}).list("Groups", "GroupName"),
            (std::vector<std::string>{"d"}));
  EXPECT_EQ(bench.admin("ListGroups", {{"MaxItems", "0"}}).code(), "ValidationError");
}

TEST_F(GroupsTest, CallersNeedPermissionOnTheGroupAndOnItsNewName) {
  const sigv4::Credentials dev = bench.user_with_key("dev");
  ASSERT_TRUE(
      bench
          .admin("PutUserPolicy", {{"UserName", "dev"},
                                   {"PolicyName", "groups"},
                                   {"PolicyDocument", allow_policy("iam:*Group", "arn:aws:iam::*:group/team/*")}})
          .ok());
  const ApiReply denied = bench.call(dev, "CreateGroup", {{"GroupName", "g"}});
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.code(), "AccessDenied");
  EXPECT_EQ(denied.message(),
            "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateGroup on resource: "
            "arn:aws:iam::123456789012:group/g because no identity-based policy allows the iam:CreateGroup action");
  ASSERT_TRUE(bench.call(dev, "CreateGroup", {{"GroupName", "g"}, {"Path", "/team/"}}).ok());
  // Moving the group out of /team/ needs iam:UpdateGroup on where it goes.
  EXPECT_EQ(bench.call(dev, "UpdateGroup", {{"GroupName", "g"}, {"NewPath", "/"}}).code(), "AccessDenied");
  EXPECT_TRUE(bench.call(dev, "UpdateGroup", {{"GroupName", "g"}, {"NewGroupName", "h"}}).ok());
  EXPECT_EQ(bench.admin("GetGroup", {{"GroupName", "h"}}).get("Group.Path"), "/team/");
}

}  // namespace
}  // namespace iamdb::testing
