// IAM roles: trust policies, descriptions, session limits, tags and permissions boundaries.
#include "api/actions.h"
#include "api/iam_entities.h"
#include "api/iam_xml.h"
#include "iam/ids.h"
#include "policy/policy.h"

namespace iamdb::api {
namespace {

using iam::Role;

constexpr long long kMinSessionDuration = 3600;
constexpr long long kMaxSessionDuration = 43200;

// A trust policy parameter: the model's rule, the ACLSizePerRole quota, then the engine's
// rules for trust policies.
ApiResult<iam::Document> trust_policy(const Context& ctx, std::string_view param) {
  IAMDB_TRY(iam::Document doc, document_param(ctx, param, iam::DocumentKind::kTrust));
  const uint32_t quota = ctx.config().policy_limits.trust_bytes;
  if (policy::policy_size(doc.text) > quota)
    return limit_exceeded("Cannot exceed quota for ACLSizePerRole: " + std::to_string(quota));
  return doc;
}

ApiResult<void> create_role(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_TRY(std::string path, ctx.path());
  IAMDB_TRY(iam::Document trust, trust_policy(ctx, "AssumeRolePolicyDocument"));
  IAMDB_TRY(auto description, ctx.optional_name("Description", iam::kDescription));
  IAMDB_TRY(auto max_session, ctx.integer("MaxSessionDuration", kMinSessionDuration, kMaxSessionDuration));
  IAMDB_TRY(iam::Tags tags, ctx.tags());
  std::optional<std::string> boundary;
  if (ctx.params().has("PermissionsBoundary")) {
    IAMDB_TRY(boundary, policy_arn_param(ctx, "PermissionsBoundary", kBoundaryArn));
  }
  std::vector<std::pair<std::string_view, std::string_view>> keys;
  if (boundary) keys.emplace_back("iam:PermissionsBoundary", *boundary);
  IAMDB_CHECK(ctx.authorize("iam:CreateRole", iam::role_arn(ctx.account(), path, name), keys));
  Role role;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    if (s.find_role(name)) return already_exists("Role with name " + name + " already exists.");
    if (boundary && !s.find_policy(*boundary)) return no_such_boundary(*boundary);
    role.name = name;
    role.id = iam::new_unique_id(iam::kRoleIdPrefix);
    role.path = path;
    role.created = ctx.now();
    role.trust_policy = trust;
    role.description = description.value_or("");
    role.max_session_duration = static_cast<uint32_t>(max_session.value_or(kMinSessionDuration));
    role.tags = tags;
    role.boundary_arn = boundary.value_or("");
    s.roles.emplace(iam::key_of(name), std::make_shared<const Role>(role));
    return {};
  }));
  out.open("Role");
  write_role(out, role, ctx.account(), true);
  out.close();
  ctx.audit_detail = "created role " + name;
  return {};
}

ApiResult<void> get_role(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_CHECK(ctx.authorize("iam:GetRole", arn_for<Role>(ctx, name)));
  const Role* r = ctx.state().find_role(name);
  if (!r) return no_such<Role>(name);
  out.open("Role");
  write_role(out, *r, ctx.account(), true);
  out.close();
  return {};
}

ApiResult<void> list_roles(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_TRY(auto prefix, ctx.optional_name("PathPrefix", iam::kPathPrefix));
  IAMDB_CHECK(ctx.authorize("iam:ListRoles", "arn:aws:iam::" + ctx.account() + ":role/"));
  write_page(
      out, page, "Roles", ctx.state().roles, [](const auto& kv) { return kv.first; },
      [&](const auto& kv) { return kv.second->path.starts_with(prefix.value_or("/")); },
      [&](XmlWriter& x, const auto& kv) { write_role(x, *kv.second, ctx.account(), false); });
  return {};
}

ApiResult<void> update_role(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_TRY(auto description, ctx.optional_name("Description", iam::kDescription));
  IAMDB_TRY(auto max_session, ctx.integer("MaxSessionDuration", kMinSessionDuration, kMaxSessionDuration));
  IAMDB_CHECK(change_entity<Role>(ctx, name, "iam:UpdateRole", [&](iam::State& s, const Role&) -> ApiResult<void> {
    edit_entity<Role>(s, name, [&](Role& r) {
      if (description) r.description = *description;
      if (max_session) r.max_session_duration = static_cast<uint32_t>(*max_session);
    });
    return {};
  }));
  return {};
}

ApiResult<void> update_role_description(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_TRY(std::string description, ctx.name("Description", iam::kDescription));
  Role updated;
  IAMDB_CHECK(
      change_entity<Role>(ctx, name, "iam:UpdateRoleDescription", [&](iam::State& s, const Role&) -> ApiResult<void> {
        edit_entity<Role>(s, name, [&](Role& r) {
          r.description = description;
          updated = r;
        });
        return {};
      }));
  out.open("Role");
  write_role(out, updated, ctx.account(), true);
  out.close();
  return {};
}

ApiResult<void> update_assume_role_policy(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_TRY(iam::Document trust, trust_policy(ctx, "PolicyDocument"));
  IAMDB_CHECK(
      change_entity<Role>(ctx, name, "iam:UpdateAssumeRolePolicy", [&](iam::State& s, const Role&) -> ApiResult<void> {
        edit_entity<Role>(s, name, [&](Role& r) { r.trust_policy = trust; });
        return {};
      }));
  ctx.audit_detail = "replaced the trust policy of role " + name;
  return {};
}

ApiResult<void> delete_role(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name("RoleName", iam::kRoleName));
  IAMDB_CHECK(change_entity<Role>(ctx, name, "iam:DeleteRole", [&](iam::State& s, const Role& r) -> ApiResult<void> {
    if (!r.inline_policies.empty()) return delete_conflict("Cannot delete entity, must delete policies first.");
    if (!r.attached.empty()) return delete_conflict("Cannot delete entity, must detach all policies first.");
    // Sessions name their role; a role created later under the same name must not inherit them.
    std::erase_if(s.sessions, [&](const auto& kv) {
      return kv.second->kind == iam::Session::Kind::kAssumedRole && iam::key_of(kv.second->role) == iam::key_of(name);
    });
    s.roles.erase(iam::key_of(name));
    return {};
  }));
  ctx.audit_detail = "deleted role " + name;
  return {};
}

}  // namespace

void register_iam_role_actions(ActionTable& t) {
  t.add("iam", "CreateRole", create_role);
  t.add("iam", "GetRole", get_role);
  t.add("iam", "ListRoles", list_roles);
  t.add("iam", "UpdateRole", update_role);
  t.add("iam", "UpdateRoleDescription", update_role_description);
  t.add("iam", "UpdateAssumeRolePolicy", update_assume_role_policy);
  t.add("iam", "DeleteRole", delete_role);
  t.add("iam", "TagRole", tag_entity<Role>);
  t.add("iam", "UntagRole", untag_entity<Role>);
  t.add("iam", "ListRoleTags", list_entity_tags<Role>);
  t.add("iam", "PutRolePermissionsBoundary", put_entity_boundary<Role>);
  t.add("iam", "DeleteRolePermissionsBoundary", delete_entity_boundary<Role>);
}

}  // namespace iamdb::api
