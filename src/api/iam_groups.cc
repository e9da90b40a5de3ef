// IAM groups and their members.
#include <algorithm>

#include "api/actions.h"
#include "api/iam_entities.h"
#include "api/iam_xml.h"
#include "iam/ids.h"

namespace iamdb::api {
namespace {

using iam::Group;
using iam::User;

bool is_member(const Group& group, std::string_view user_name) {
  const std::string key = iam::key_of(user_name);
  return std::any_of(group.members.begin(), group.members.end(),
                     [&](const std::string& m) { return iam::key_of(m) == key; });
}

ApiResult<void> create_group(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("GroupName", iam::kGroupName));
  IAMDB_TRY(std::string path, ctx.path());
  IAMDB_CHECK(ctx.authorize("iam:CreateGroup", iam::group_arn(ctx.account(), path, name)));
  Group group;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    if (s.find_group(name)) return already_exists("Group with name " + name + " already exists.");
    group.name = name;
    group.id = iam::new_unique_id(iam::kGroupIdPrefix);
    group.path = path;
    group.created = ctx.now();
    s.groups.emplace(iam::key_of(name), std::make_shared<const Group>(group));
    return {};
  }));
  out.open("Group");
  write_group(out, group, ctx.account());
  out.close();
  ctx.audit_detail = "created group " + name;
  return {};
}

ApiResult<void> get_group(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("GroupName", iam::kGroupName));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize("iam:GetGroup", arn_for<Group>(ctx, name)));
  const Group* g = ctx.state().find_group(name);
  if (!g) return no_such<Group>(name);
  out.open("Group");
  write_group(out, *g, ctx.account());
  out.close();
  // Members come in user-name order so that a Marker (the last user's key) resumes the list.
  std::vector<std::pair<std::string, const User*>> users;
  for (const std::string& m : g->members)
    if (const User* u = ctx.state().find_user(m)) users.emplace_back(iam::key_of(u->name), u);
  std::sort(users.begin(), users.end());
  write_page(
      out, page, "Users", users, [](const auto& kv) { return kv.first; }, [](const auto&) { return true; },
      [&](XmlWriter& x, const auto& kv) { write_user(x, *kv.second, ctx.account(), false); });
  return {};
}

ApiResult<void> list_groups(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_TRY(auto prefix, ctx.optional_name("PathPrefix", iam::kPathPrefix));
  IAMDB_CHECK(ctx.authorize("iam:ListGroups", "arn:aws:iam::" + ctx.account() + ":group/"));
  write_page(
      out, page, "Groups", ctx.state().groups, [](const auto& kv) { return kv.first; },
      [&](const auto& kv) { return kv.second->path.starts_with(prefix.value_or("/")); },
      [&](XmlWriter& x, const auto& kv) { write_group(x, *kv.second, ctx.account()); });
  return {};
}

ApiResult<void> list_groups_for_user(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string user, ctx.name("UserName", iam::kUserName));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize("iam:ListGroupsForUser", arn_for<User>(ctx, user)));
  if (!ctx.state().find_user(user)) return no_such<User>(user);
  write_page(
      out, page, "Groups", ctx.snapshot().groups_of(user), [](const Group* g) { return iam::key_of(g->name); },
      [](const Group*) { return true; }, [&](XmlWriter& x, const Group* g) { write_group(x, *g, ctx.account()); });
  return {};
}

ApiResult<void> update_group(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("GroupName", iam::kGroupName));
  IAMDB_TRY(auto new_name, ctx.optional_name("NewGroupName", iam::kGroupName));
  std::optional<std::string> new_path;
  if (ctx.params().has("NewPath")) {
    IAMDB_TRY(new_path, ctx.path("NewPath"));
  }
  const std::string old_arn = arn_for<Group>(ctx, name);
  IAMDB_CHECK(ctx.authorize("iam:UpdateGroup", old_arn));
  // Renaming or moving needs permission on the group's new ARN as well, as in AWS.
  if (const Group* g = ctx.state().find_group(name); g && (new_name || new_path)) {
    const std::string new_arn = iam::group_arn(ctx.account(), new_path.value_or(g->path), new_name.value_or(g->name));
    if (new_arn != old_arn) {
      IAMDB_CHECK(ctx.authorize("iam:UpdateGroup", new_arn));
    }
  }
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const Group* g = s.find_group(name);
    if (!g) return no_such<Group>(name);
    if (new_name && iam::key_of(*new_name) != iam::key_of(name) && s.find_group(*new_name))
      return already_exists("Group with name " + *new_name + " already exists.");
    auto copy = std::make_shared<Group>(*g);
    if (new_path) copy->path = *new_path;
    if (new_name) copy->name = *new_name;
    s.groups.erase(iam::key_of(name));
    s.groups.emplace(iam::key_of(copy->name), std::move(copy));
    return {};
  }));
  ctx.audit_detail = "updated group " + name;
  return {};
}

ApiResult<void> delete_group(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("GroupName", iam::kGroupName));
  IAMDB_CHECK(change_entity<Group>(ctx, name, "iam:DeleteGroup", [&](iam::State& s, const Group& g) -> ApiResult<void> {
    if (!g.members.empty()) return delete_conflict("Cannot delete entity, must remove users from group first.");
    if (!g.inline_policies.empty()) return delete_conflict("Cannot delete entity, must delete policies first.");
    if (!g.attached.empty()) return delete_conflict("Cannot delete entity, must detach all policies first.");
    s.groups.erase(iam::key_of(name));
    return {};
  }));
  ctx.audit_detail = "deleted group " + name;
  return {};
}

ApiResult<void> add_user_to_group(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string group, ctx.name("GroupName", iam::kGroupName));
  IAMDB_TRY(std::string user, ctx.name("UserName", iam::kUserName));
  IAMDB_CHECK(
      change_entity<Group>(ctx, group, "iam:AddUserToGroup", [&](iam::State& s, const Group& g) -> ApiResult<void> {
        const User* u = s.find_user(user);
        if (!u) return no_such<User>(user);
        if (is_member(g, user)) return {};
        const auto groups = std::count_if(s.groups.begin(), s.groups.end(),
                                          [&](const auto& kv) { return is_member(*kv.second, user); });
        if (static_cast<size_t>(groups) >= kMaxGroupsPerUser)
          return limit_exceeded("Cannot exceed quota for GroupsPerUser: " + std::to_string(kMaxGroupsPerUser));
        const std::string member = u->name;
        edit_entity<Group>(s, group, [&](Group& e) { e.members.push_back(member); });
        return {};
      }));
  ctx.audit_detail = "added user " + user + " to group " + group;
  return {};
}

ApiResult<void> remove_user_from_group(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string group, ctx.name("GroupName", iam::kGroupName));
  IAMDB_TRY(std::string user, ctx.name("UserName", iam::kUserName));
  IAMDB_CHECK(change_entity<Group>(
      ctx, group, "iam:RemoveUserFromGroup", [&](iam::State& s, const Group& g) -> ApiResult<void> {
        if (!s.find_user(user) || !is_member(g, user)) return no_such<User>(user);
        edit_entity<Group>(s, group, [&](Group& e) {
          std::erase_if(e.members, [&](const std::string& m) { return iam::key_of(m) == iam::key_of(user); });
        });
        return {};
      }));
  ctx.audit_detail = "removed user " + user + " from group " + group;
  return {};
}

}  // namespace

void register_iam_group_actions(ActionTable& t) {
  t.add("iam", "CreateGroup", create_group);
  t.add("iam", "GetGroup", get_group);
  t.add("iam", "ListGroups", list_groups);
  t.add("iam", "ListGroupsForUser", list_groups_for_user);
  t.add("iam", "UpdateGroup", update_group);
  t.add("iam", "DeleteGroup", delete_group);
  t.add("iam", "AddUserToGroup", add_user_to_group);
  t.add("iam", "RemoveUserFromGroup", remove_user_from_group);
}

}  // namespace iamdb::api
