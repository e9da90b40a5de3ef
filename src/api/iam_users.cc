// IAM users, their access keys, tags and permissions boundaries.
#include <algorithm>

#include "api/actions.h"
#include "api/iam_entities.h"
#include "api/iam_xml.h"
#include "common/strings.h"
#include "common/time.h"
#include "iam/arn.h"
#include "iam/ids.h"

namespace iamdb::api {
namespace {

constexpr size_t kMaxAccessKeysPerUser = 2;

// The user a request names, or (no UserName) the calling user, as AWS resolves it.
ApiResult<std::string> target_user_name(const Context& ctx) {
  if (auto name = ctx.optional("UserName")) {
    if (auto ok = iam::check(*name, iam::kUserName); !ok) return validation_error(ok.error().message);
    return std::move(*name);
  }
  if (ctx.caller().kind == iam::Caller::Kind::kRoleSession)
    return validation_error("Must specify userName when calling with non-User credentials");
  return ctx.caller().user->name;
}

ApiResult<void> create_user(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("UserName", iam::kUserName));
  IAMDB_TRY(std::string path, ctx.path());
  IAMDB_TRY(iam::Tags tags, ctx.tags());
  auto boundary = ctx.optional("PermissionsBoundary");
  IAMDB_CHECK(ctx.authorize("iam:CreateUser", iam::user_arn(ctx.account(), path, name)));
  iam::User user;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    if (s.find_user(name)) return already_exists("User with name " + name + " already exists.");
    if (boundary && !s.find_policy(*boundary)) return no_such_boundary(*boundary);
    user.name = name;
    user.id = iam::new_unique_id(iam::kUserIdPrefix);
    user.path = path;
    user.created = ctx.now();
    user.tags = tags;
    if (boundary) user.boundary_arn = *boundary;
    s.users.emplace(iam::key_of(name), std::make_shared<const iam::User>(user));
    return {};
  }));
  out.open("User");
  write_user(out, user, ctx.account(), true);
  out.close();
  ctx.audit_detail = "created user " + name;
  return {};
}

ApiResult<void> get_user(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, target_user_name(ctx));
  IAMDB_CHECK(ctx.authorize("iam:GetUser", arn_for<iam::User>(ctx, name)));
  const iam::User* u = ctx.state().find_user(name);
  if (!u) return no_such<iam::User>(name);
  out.open("User");
  write_user(out, *u, ctx.account(), true);
  out.close();
  return {};
}

ApiResult<void> list_users(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(auto page, ctx.page());
  const std::string prefix = ctx.optional("PathPrefix").value_or("/");
  IAMDB_CHECK(ctx.authorize("iam:ListUsers", "arn:aws:iam::" + ctx.account() + ":user/"));
  write_page(
      out, page, "Users", ctx.state().users, [](const auto& kv) { return kv.first; },
      [&](const auto& kv) { return kv.second->path.starts_with(prefix); },
      [&](XmlWriter& x, const auto& kv) { write_user(x, *kv.second, ctx.account(), false); });
  return {};
}

ApiResult<void> update_user(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("UserName", iam::kUserName));
  IAMDB_TRY(auto new_name, ctx.optional_name("NewUserName", iam::kUserName));
  std::optional<std::string> new_path;
  if (ctx.params().has("NewPath")) {
    IAMDB_TRY(new_path, ctx.path("NewPath"));
  }
  IAMDB_CHECK(ctx.authorize("iam:UpdateUser", arn_for<iam::User>(ctx, name)));
  return ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::User* u = s.find_user(name);
    if (!u) return no_such<iam::User>(name);
    const std::string old_key = iam::key_of(name);
    const std::string old_name = u->name;
    if (new_name && iam::key_of(*new_name) != old_key && s.find_user(*new_name))
      return already_exists("User with name " + *new_name + " already exists.");
    auto copy = std::make_shared<iam::User>(*u);
    if (new_path) copy->path = *new_path;
    if (new_name) copy->name = *new_name;
    s.users.erase(old_key);
    s.users.emplace(iam::key_of(copy->name), copy);
    if (new_name) {
      // Keys and group memberships name the user: follow the rename.
      for (auto& [id, key] : s.access_keys) {
        if (iam::key_of(key->user) != old_key) continue;
        auto k = std::make_shared<iam::AccessKey>(*key);
        k->user = *new_name;
        key = std::move(k);
      }
      for (auto& [gkey, group] : s.groups) {
        auto it = std::find_if(group->members.begin(), group->members.end(),
                               [&](const std::string& m) { return iam::key_of(m) == old_key; });
        if (it == group->members.end()) continue;
        auto g = std::make_shared<iam::Group>(*group);
        g->members[static_cast<size_t>(it - group->members.begin())] = *new_name;
        group = std::move(g);
      }
    }
    return {};
  });
}

ApiResult<void> delete_user(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("UserName", iam::kUserName));
  IAMDB_CHECK(ctx.authorize("iam:DeleteUser", arn_for<iam::User>(ctx, name)));
  return ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::User* u = s.find_user(name);
    if (!u) return no_such<iam::User>(name);
    for (const auto& [id, key] : s.access_keys)
      if (iam::key_of(key->user) == iam::key_of(name))
        return delete_conflict("Cannot delete entity, must delete access keys first.");
    if (!u->inline_policies.empty()) return delete_conflict("Cannot delete entity, must delete policies first.");
    if (!u->attached.empty()) return delete_conflict("Cannot delete entity, must detach all policies first.");
    for (const auto& [gkey, group] : s.groups)
      for (const std::string& m : group->members)
        if (iam::key_of(m) == iam::key_of(name))
          return delete_conflict("Cannot delete entity, must remove users from group first.");
    s.users.erase(iam::key_of(name));
    return {};
  });
}

ApiResult<void> create_access_key(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, target_user_name(ctx));
  IAMDB_CHECK(ctx.authorize("iam:CreateAccessKey", arn_for<iam::User>(ctx, name)));
  iam::AccessKey key;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::User* u = s.find_user(name);
    if (!u) return no_such<iam::User>(name);
    const size_t existing = static_cast<size_t>(std::count_if(s.access_keys.begin(), s.access_keys.end(), [&](const auto& kv) {
      return iam::key_of(kv.second->user) == iam::key_of(name);
    }));
    if (existing >= kMaxAccessKeysPerUser)
      return limit_exceeded("Cannot exceed quota for AccessKeysPerUser: " + std::to_string(kMaxAccessKeysPerUser));
    key.id = iam::new_access_key_id(false);
    key.user = u->name;
    key.secret = iam::new_secret_access_key();
    key.created = ctx.now();
    s.access_keys.emplace(key.id, std::make_shared<const iam::AccessKey>(key));
    return {};
  }));
  out.open("AccessKey");
  write_access_key_metadata(out, key);
  out.leaf("SecretAccessKey", key.secret);
  out.close();
  ctx.audit_detail = "created access key " + key.id + " for user " + key.user;
  return {};
}

ApiResult<void> list_access_keys(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, target_user_name(ctx));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize("iam:ListAccessKeys", arn_for<iam::User>(ctx, name)));
  if (!ctx.state().find_user(name)) return no_such<iam::User>(name);
  write_page(
      out, page, "AccessKeyMetadata", ctx.state().access_keys, [](const auto& kv) { return kv.first; },
      [&](const auto& kv) { return iam::key_of(kv.second->user) == iam::key_of(name); },
      [&](XmlWriter& x, const auto& kv) { write_access_key_metadata(x, *kv.second); });
  out.leaf("UserName", ctx.state().find_user(name)->name);
  return {};
}

// The key a request names, checked to belong to the request's user.
ApiResult<std::pair<std::string, std::string>> named_key(const Context& ctx) {
  IAMDB_TRY(std::string name, target_user_name(ctx));
  IAMDB_TRY(std::string id, ctx.required("AccessKeyId"));
  return std::pair{std::move(name), std::move(id)};
}

ApiResult<void> update_access_key(Context& ctx, XmlWriter&) {
  IAMDB_TRY(auto named, named_key(ctx));
  const auto& [name, id] = named;
  IAMDB_TRY(std::string status, ctx.required("Status"));
  if (status != "Active" && status != "Inactive")
    return validation_error("1 validation error detected: Value '" + status +
                            "' at 'status' failed to satisfy constraint: Member must satisfy enum value set: "
                            "[Active, Inactive]");
  IAMDB_CHECK(ctx.authorize("iam:UpdateAccessKey", arn_for<iam::User>(ctx, name)));
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::AccessKey* k = s.find_access_key(id);
    if (!k || iam::key_of(k->user) != iam::key_of(name))
      return no_such_entity("The Access Key with id " + id + " cannot be found.");
    auto copy = std::make_shared<iam::AccessKey>(*k);
    copy->active = status == "Active";
    s.access_keys[id] = std::move(copy);
    return {};
  }));
  ctx.audit_detail = "access key " + id + " is now " + status;
  return {};
}

ApiResult<void> delete_access_key(Context& ctx, XmlWriter&) {
  IAMDB_TRY(auto named, named_key(ctx));
  const auto& [name, id] = named;
  IAMDB_CHECK(ctx.authorize("iam:DeleteAccessKey", arn_for<iam::User>(ctx, name)));
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::AccessKey* k = s.find_access_key(id);
    if (!k || iam::key_of(k->user) != iam::key_of(name))
      return no_such_entity("The Access Key with id " + id + " cannot be found.");
    s.access_keys.erase(id);
    return {};
  }));
  ctx.audit_detail = "deleted access key " + id;
  return {};
}

ApiResult<void> get_access_key_last_used(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string id, ctx.required("AccessKeyId"));
  const iam::AccessKey* k = ctx.state().find_access_key(id);
  if (!k) return api_error(403, "AccessDenied", "The access key " + id + " does not exist in this account.");
  IAMDB_CHECK(ctx.authorize("iam:GetAccessKeyLastUsed", arn_for<iam::User>(ctx, k->user)));
  out.leaf("UserName", k->user).open("AccessKeyLastUsed");
  if (const auto use = ctx.last_key_use(id)) {
    out.leaf("LastUsedDate", format_iso8601(use->when)).leaf("ServiceName", use->service).leaf("Region", use->region);
  } else {
    out.leaf("ServiceName", "N/A").leaf("Region", "N/A");
  }
  out.close();
  return {};
}

}  // namespace

void register_iam_user_actions(ActionTable& t) {
  t.add("iam", "CreateUser", create_user);
  t.add("iam", "GetUser", get_user);
  t.add("iam", "ListUsers", list_users);
  t.add("iam", "UpdateUser", update_user);
  t.add("iam", "DeleteUser", delete_user);
  t.add("iam", "TagUser", tag_entity<iam::User>);
  t.add("iam", "UntagUser", untag_entity<iam::User>);
  t.add("iam", "ListUserTags", list_entity_tags<iam::User>);
  t.add("iam", "PutUserPermissionsBoundary", put_entity_boundary<iam::User>);
  t.add("iam", "DeleteUserPermissionsBoundary", delete_entity_boundary<iam::User>);
  t.add("iam", "CreateAccessKey", create_access_key);
  t.add("iam", "ListAccessKeys", list_access_keys);
  t.add("iam", "UpdateAccessKey", update_access_key);
  t.add("iam", "DeleteAccessKey", delete_access_key);
  t.add("iam", "GetAccessKeyLastUsed", get_access_key_last_used);
}

}  // namespace iamdb::api
