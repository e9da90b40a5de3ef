// Managed policies and their versions and tags; attaching managed policies to users, groups and
// roles; and their inline policies. The attach/detach and inline actions are written once, for
// any `EntityKind`, and registered for all three kinds.
#include <algorithm>
#include <cstdio>

#include "api/actions.h"
#include "api/iam_entities.h"
#include "api/iam_xml.h"
#include "common/strings.h"
#include "common/time.h"
#include "iam/ids.h"
#include "policy/policy.h"

namespace iamdb::api {
namespace {

using iam::ManagedPolicy;
using iam::PolicyVersion;

// A pagination key that sorts versions by number (v2 before v10).
std::string version_key(std::string_view id) {
  long long n = 0;
  const size_t digits = id.find_first_not_of("0123456789", 1);
  parse_uint(id.substr(1, digits == std::string_view::npos ? std::string_view::npos : digits - 1), n);
  char key[24];
  std::snprintf(key, sizeof key, "%020lld", n);
  return key;
}

std::unexpected<ApiError> no_such_version(std::string_view arn, std::string_view version) {
  return no_such_entity("Policy " + std::string(arn) + " version " + std::string(version) +
                        " does not exist or is not attachable.");
}

// A managed-policy document: the model's rule, the engine's, and the PolicySize quota.
ApiResult<iam::Document> managed_document(const Context& ctx) {
  IAMDB_TRY(iam::Document doc, document_param(ctx, "PolicyDocument", iam::DocumentKind::kIdentity));
  const uint32_t quota = ctx.config().policy_limits.managed_bytes;
  if (policy::policy_size(doc.text) > quota)
    return limit_exceeded("Cannot exceed quota for PolicySize: " + std::to_string(quota));
  return doc;
}

void write_version(XmlWriter& out, const ManagedPolicy& p, const PolicyVersion& v, bool with_document) {
  if (with_document) out.leaf("Document", encoded_document(v.document.text));
  out.leaf("VersionId", v.id)
      .leaf_bool("IsDefaultVersion", v.id == p.default_version)
      .leaf("CreateDate", format_iso8601(v.created));
}

// Runs `edit(state, policy)` on the customer-managed policy `arn` after authorizing `action` on
// it; AWS-managed policies are refused.
template <class Edit>
ApiResult<void> edit_named_policy(Context& ctx, const std::string& arn, std::string_view action, Edit edit) {
  IAMDB_CHECK(ctx.authorize(action, arn));
  return ctx.update([&](iam::State& s) -> ApiResult<void> {
    const ManagedPolicy* p = s.find_policy(arn);
    if (!p) return no_such_policy(arn);
    if (is_aws_managed(*p)) return aws_managed_read_only(ctx, action, arn);
    return edit(s, *p);
  });
}

ApiResult<void> create_policy(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name("PolicyName", iam::kPolicyName));
  IAMDB_TRY(std::string path, ctx.path());
  IAMDB_TRY(iam::Document doc, managed_document(ctx));
  IAMDB_TRY(auto description, ctx.optional_name("Description", iam::kDescription));
  IAMDB_TRY(iam::Tags tags, ctx.tags());
  const std::string arn = iam::policy_arn(ctx.account(), path, name);
  IAMDB_CHECK(ctx.authorize("iam:CreatePolicy", arn));
  ManagedPolicy policy;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    // Names are unique within the account whatever the path, and regardless of case.
    for (const auto& [key, p] : s.policies)
      if (!is_aws_managed(*p) && iam::key_of(p->name) == iam::key_of(name))
        return already_exists("A policy called " + name + " already exists. Duplicate names are not allowed.");
    policy.arn = arn;
    policy.name = name;
    policy.id = iam::new_unique_id(iam::kPolicyIdPrefix);
    policy.path = path;
    policy.description = description.value_or("");
    policy.created = policy.updated = ctx.now();
    policy.default_version = "v1";
    policy.versions.push_back({"v1", doc, policy.created});
    policy.next_version = 2;
    policy.tags = tags;
    s.policies.emplace(arn, std::make_shared<const ManagedPolicy>(policy));
    return {};
  }));
  out.open("Policy");
  write_policy(out, policy, ctx.snapshot(), true);
  out.close();
  ctx.audit_detail = "created policy " + arn;
  return {};
}

ApiResult<void> get_policy(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_CHECK(ctx.authorize("iam:GetPolicy", arn));
  const ManagedPolicy* p = ctx.state().find_policy(arn);
  if (!p) return no_such_policy(arn);
  out.open("Policy");
  write_policy(out, *p, ctx.snapshot(), true);
  out.close();
  return {};
}

ApiResult<void> list_policies(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_TRY(auto scope, enum_param(ctx, "Scope", {"All", "AWS", "Local"}));
  IAMDB_TRY(auto usage, enum_param(ctx, "PolicyUsageFilter", {"PermissionsPolicy", "PermissionsBoundary"}));
  IAMDB_TRY(auto only_attached, ctx.boolean("OnlyAttached"));
  IAMDB_TRY(auto prefix, ctx.optional_name("PathPrefix", iam::kPathPrefix));
  IAMDB_CHECK(ctx.authorize("iam:ListPolicies", "arn:aws:iam::" + ctx.account() + ":policy/"));
  const iam::Snapshot& snap = ctx.snapshot();
  // Any managed policy may serve either purpose, so the usage filter narrows only what
  // OnlyAttached counts: attachments (as AttachmentCount does) or use as a boundary.
  const bool boundaries = usage == "PermissionsBoundary";
  const auto keep = [&](const auto& kv) {
    const ManagedPolicy& p = *kv.second;
    if (scope == "AWS" && !is_aws_managed(p)) return false;
    if (scope == "Local" && is_aws_managed(p)) return false;
    if (!p.path.starts_with(prefix.value_or("/"))) return false;
    if (only_attached.value_or(false))
      return (boundaries ? snap.boundary_usage_count(p.arn) : snap.attachment_count(p.arn)) > 0;
    return true;
  };
  write_page(
      out, page, "Policies", ctx.state().policies, [](const auto& kv) { return kv.first; }, keep,
      [&](XmlWriter& x, const auto& kv) { write_policy(x, *kv.second, snap, false); });
  return {};
}

ApiResult<void> delete_policy(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_CHECK(
      edit_named_policy(ctx, arn, "iam:DeletePolicy", [&](iam::State& s, const ManagedPolicy& p) -> ApiResult<void> {
        const PolicyUse use = policy_use(s, arn);
        if (use.attached > 0) return delete_conflict("Cannot delete a policy attached to entities.");
        if (use.boundary > 0) return delete_conflict("Cannot delete a policy used as a permissions boundary.");
        if (p.versions.size() > 1)
          return delete_conflict(
              "This policy has more than one version. Before you delete a policy, you must delete the "
              "policy's versions. The default version is deleted with the policy.");
        s.policies.erase(arn);
        return {};
      }));
  ctx.audit_detail = "deleted policy " + arn;
  return {};
}

ApiResult<void> create_policy_version(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(iam::Document doc, managed_document(ctx));
  IAMDB_TRY(auto set_default, ctx.boolean("SetAsDefault"));
  ManagedPolicy updated;
  PolicyVersion version;
  IAMDB_CHECK(edit_named_policy(
      ctx, arn, "iam:CreatePolicyVersion", [&](iam::State& s, const ManagedPolicy& p) -> ApiResult<void> {
        if (p.versions.size() >= kMaxPolicyVersions)
          return limit_exceeded("A managed policy can have up to " + std::to_string(kMaxPolicyVersions) +
                                " versions. Before you create a new version, you must delete an existing version.");
        edit_policy(s, arn, [&](ManagedPolicy& e) {
          version = {"v" + std::to_string(e.next_version++), doc, ctx.now()};
          e.versions.push_back(version);
          e.updated = version.created;
          if (set_default.value_or(false)) e.default_version = version.id;
          updated = e;
        });
        return {};
      }));
  out.open("PolicyVersion");
  write_version(out, updated, version, false);
  out.close();
  ctx.audit_detail = "created version " + version.id + " of policy " + arn;
  return {};
}

ApiResult<void> get_policy_version(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(std::string id, ctx.name("VersionId", kVersionId));
  IAMDB_CHECK(ctx.authorize("iam:GetPolicyVersion", arn));
  const ManagedPolicy* p = ctx.state().find_policy(arn);
  if (!p) return no_such_policy(arn);
  const PolicyVersion* v = p->find_version(id);
  if (!v) return no_such_version(arn, id);
  out.open("PolicyVersion");
  write_version(out, *p, *v, true);
  out.close();
  return {};
}

ApiResult<void> list_policy_versions(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize("iam:ListPolicyVersions", arn));
  const ManagedPolicy* p = ctx.state().find_policy(arn);
  if (!p) return no_such_policy(arn);
  std::vector<const PolicyVersion*> versions;
  for (const PolicyVersion& v : p->versions) versions.push_back(&v);
  std::sort(versions.begin(), versions.end(),
            [](const PolicyVersion* a, const PolicyVersion* b) { return version_key(a->id) < version_key(b->id); });
  write_page(
      out, page, "Versions", versions, [](const PolicyVersion* v) { return version_key(v->id); },
      [](const PolicyVersion*) { return true; },
      [&](XmlWriter& x, const PolicyVersion* v) { write_version(x, *p, *v, false); });
  return {};
}

ApiResult<void> delete_policy_version(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(std::string id, ctx.name("VersionId", kVersionId));
  IAMDB_CHECK(edit_named_policy(ctx, arn, "iam:DeletePolicyVersion",
                                [&](iam::State& s, const ManagedPolicy& p) -> ApiResult<void> {
                                  if (!p.find_version(id)) return no_such_version(arn, id);
                                  if (p.default_version == id)
                                    return delete_conflict("Cannot delete the default version of a policy.");
                                  edit_policy(s, arn, [&](ManagedPolicy& e) {
                                    std::erase_if(e.versions, [&](const PolicyVersion& v) { return v.id == id; });
                                  });
                                  return {};
                                }));
  ctx.audit_detail = "deleted version " + id + " of policy " + arn;
  return {};
}

ApiResult<void> set_default_policy_version(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(std::string id, ctx.name("VersionId", kVersionId));
  IAMDB_CHECK(edit_named_policy(ctx, arn, "iam:SetDefaultPolicyVersion",
                                [&](iam::State& s, const ManagedPolicy& p) -> ApiResult<void> {
                                  if (!p.find_version(id)) return no_such_version(arn, id);
                                  edit_policy(s, arn, [&](ManagedPolicy& e) { e.default_version = id; });
                                  return {};
                                }));
  ctx.audit_detail = "policy " + arn + " now uses version " + id;
  return {};
}

ApiResult<void> tag_policy(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(iam::Tags tags, required_tags(ctx));
  return edit_named_policy(ctx, arn, "iam:TagPolicy", [&](iam::State& s, const ManagedPolicy& p) -> ApiResult<void> {
    IAMDB_TRY(iam::Tags merged, merge_tags(p.tags, tags));
    edit_policy(s, arn, [&](ManagedPolicy& e) { e.tags = std::move(merged); });
    return {};
  });
}

ApiResult<void> untag_policy(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(auto keys, required_tag_keys(ctx));
  return edit_named_policy(ctx, arn, "iam:UntagPolicy", [&](iam::State& s, const ManagedPolicy&) -> ApiResult<void> {
    edit_policy(s, arn, [&](ManagedPolicy& e) { remove_tags(e.tags, keys); });
    return {};
  });
}

ApiResult<void> list_policy_tags(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize("iam:ListPolicyTags", arn));
  const ManagedPolicy* p = ctx.state().find_policy(arn);
  if (!p) return no_such_policy(arn);
  write_tag_page(out, page, p->tags);
  return {};
}

// --- Managed policies attached to users, groups and roles ---

template <class T>
ApiResult<void> attach_policy(Context& ctx, XmlWriter&) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  const std::pair<std::string_view, std::string_view> keys[] = {{"iam:PolicyARN", arn}};
  IAMDB_CHECK(change_entity<T>(
      ctx, name, iam_action<T>("Attach", "Policy"),
      [&](iam::State& s, const T& e) -> ApiResult<void> {
        if (!s.find_policy(arn)) return no_such_entity("Policy " + arn + " does not exist or is not attachable.");
        if (e.is_attached(arn)) return {};
        if (e.attached.size() >= kMaxAttachedPolicies)
          return limit_exceeded("Cannot exceed quota for PoliciesPer" + std::string(K::kAction) + ": " +
                                std::to_string(kMaxAttachedPolicies));
        edit_entity<T>(s, name, [&](T& t) { t.attached.push_back(arn); });
        return {};
      },
      keys));
  ctx.audit_detail = "attached " + arn + " to " + std::string(K::kNoun) + " " + name;
  return {};
}

template <class T>
ApiResult<void> detach_policy(Context& ctx, XmlWriter&) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(std::string arn, policy_arn_param(ctx));
  const std::pair<std::string_view, std::string_view> keys[] = {{"iam:PolicyARN", arn}};
  IAMDB_CHECK(change_entity<T>(
      ctx, name, iam_action<T>("Detach", "Policy"),
      [&](iam::State& s, const T& e) -> ApiResult<void> {
        if (!e.is_attached(arn)) return no_such_policy(arn);
        edit_entity<T>(s, name, [&](T& t) { std::erase(t.attached, arn); });
        return {};
      },
      keys));
  ctx.audit_detail = "detached " + arn + " from " + std::string(K::kNoun) + " " + name;
  return {};
}

template <class T>
ApiResult<void> list_attached_policies(Context& ctx, XmlWriter& out) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(auto prefix, ctx.optional_name("PathPrefix", iam::kPathPrefix));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize(iam_action<T>("ListAttached", "Policies"), arn_for<T>(ctx, name)));
  const T* e = find_entity<T>(ctx.state(), name);
  if (!e) return no_such<T>(name);
  std::vector<const ManagedPolicy*> attached;
  for (const std::string& arn : e->attached)
    if (const ManagedPolicy* p = ctx.state().find_policy(arn)) attached.push_back(p);
  std::sort(attached.begin(), attached.end(),
            [](const ManagedPolicy* a, const ManagedPolicy* b) { return a->arn < b->arn; });
  write_page(
      out, page, "AttachedPolicies", attached, [](const ManagedPolicy* p) { return p->arn; },
      [&](const ManagedPolicy* p) { return p->path.starts_with(prefix.value_or("/")); },
      [](XmlWriter& x, const ManagedPolicy* p) { x.leaf("PolicyName", p->name).leaf("PolicyArn", p->arn); });
  return {};
}

// --- Inline policies of users, groups and roles ---

template <class T>
std::unexpected<ApiError> no_such_inline(std::string_view policy_name) {
  return no_such_entity("The " + std::string(EntityKind<T>::kNoun) + " policy with name " + std::string(policy_name) +
                        " cannot be found.");
}

template <class T>
ApiResult<void> put_inline_policy(Context& ctx, XmlWriter&) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(std::string policy_name, ctx.name("PolicyName", iam::kPolicyName));
  IAMDB_TRY(iam::Document doc, document_param(ctx, "PolicyDocument", iam::DocumentKind::kIdentity));
  IAMDB_CHECK(
      change_entity<T>(ctx, name, iam_action<T>("Put", "Policy"), [&](iam::State& s, const T& e) -> ApiResult<void> {
        // The quota covers all of the entity's inline policies together, the replaced one excepted.
        size_t total = policy::policy_size(doc.text);
        for (const iam::InlinePolicy& p : e.inline_policies)
          if (p.name != policy_name) total += policy::policy_size(p.document.text);
        const uint32_t quota = K::inline_quota(ctx.config().policy_limits);
        if (total > quota)
          return limit_exceeded("Maximum policy size of " + std::to_string(quota) + " bytes exceeded for " +
                                std::string(K::kNoun) + " " + e.name);
        edit_entity<T>(s, name, [&](T& t) {
          auto& list = t.inline_policies;
          const auto at = std::lower_bound(list.begin(), list.end(), policy_name,
                                           [](const iam::InlinePolicy& p, const std::string& n) { return p.name < n; });
          if (at != list.end() && at->name == policy_name)
            at->document = doc;
          else
            list.insert(at, iam::InlinePolicy{policy_name, doc});
        });
        return {};
      }));
  ctx.audit_detail = "put inline policy " + policy_name + " on " + std::string(K::kNoun) + " " + name;
  return {};
}

template <class T>
ApiResult<void> get_inline_policy(Context& ctx, XmlWriter& out) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(std::string policy_name, ctx.name("PolicyName", iam::kPolicyName));
  IAMDB_CHECK(ctx.authorize(iam_action<T>("Get", "Policy"), arn_for<T>(ctx, name)));
  const T* e = find_entity<T>(ctx.state(), name);
  if (!e) return no_such<T>(name);
  const iam::InlinePolicy* p = e->find_inline(policy_name);
  if (!p) return no_such_inline<T>(policy_name);
  out.leaf(K::kNameParam, e->name)
      .leaf("PolicyName", p->name)
      .leaf("PolicyDocument", encoded_document(p->document.text));
  return {};
}

template <class T>
ApiResult<void> list_inline_policies(Context& ctx, XmlWriter& out) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize(iam_action<T>("List", "Policies"), arn_for<T>(ctx, name)));
  const T* e = find_entity<T>(ctx.state(), name);
  if (!e) return no_such<T>(name);
  write_page(
      out, page, "PolicyNames", e->inline_policies, [](const iam::InlinePolicy& p) { return p.name; },
      [](const iam::InlinePolicy&) { return true; },
      [](XmlWriter& x, const iam::InlinePolicy& p) { write_text(x, p.name); });
  return {};
}

template <class T>
ApiResult<void> delete_inline_policy(Context& ctx, XmlWriter&) {
  using K = EntityKind<T>;
  IAMDB_TRY(std::string name, ctx.name(K::kNameParam, K::kNameRule));
  IAMDB_TRY(std::string policy_name, ctx.name("PolicyName", iam::kPolicyName));
  IAMDB_CHECK(
      change_entity<T>(ctx, name, iam_action<T>("Delete", "Policy"), [&](iam::State& s, const T& e) -> ApiResult<void> {
        if (!e.find_inline(policy_name)) return no_such_inline<T>(policy_name);
        edit_entity<T>(s, name, [&](T& t) {
          std::erase_if(t.inline_policies, [&](const iam::InlinePolicy& p) { return p.name == policy_name; });
        });
        return {};
      }));
  ctx.audit_detail = "deleted inline policy " + policy_name + " of " + std::string(K::kNoun) + " " + name;
  return {};
}

template <class T>
void register_principal_policy_actions(ActionTable& t) {
  const std::string kind(EntityKind<T>::kAction);
  t.add("iam", "Attach" + kind + "Policy", attach_policy<T>);
  t.add("iam", "Detach" + kind + "Policy", detach_policy<T>);
  t.add("iam", "ListAttached" + kind + "Policies", list_attached_policies<T>);
  t.add("iam", "Put" + kind + "Policy", put_inline_policy<T>);
  t.add("iam", "Get" + kind + "Policy", get_inline_policy<T>);
  t.add("iam", "List" + kind + "Policies", list_inline_policies<T>);
  t.add("iam", "Delete" + kind + "Policy", delete_inline_policy<T>);
}

}  // namespace

void register_iam_policy_actions(ActionTable& t) {
  t.add("iam", "CreatePolicy", create_policy);
  t.add("iam", "GetPolicy", get_policy);
  t.add("iam", "ListPolicies", list_policies);
  t.add("iam", "DeletePolicy", delete_policy);
  t.add("iam", "CreatePolicyVersion", create_policy_version);
  t.add("iam", "GetPolicyVersion", get_policy_version);
  t.add("iam", "ListPolicyVersions", list_policy_versions);
  t.add("iam", "DeletePolicyVersion", delete_policy_version);
  t.add("iam", "SetDefaultPolicyVersion", set_default_policy_version);
  t.add("iam", "TagPolicy", tag_policy);
  t.add("iam", "UntagPolicy", untag_policy);
  t.add("iam", "ListPolicyTags", list_policy_tags);
  register_principal_policy_actions<iam::User>(t);
  register_principal_policy_actions<iam::Group>(t);
  register_principal_policy_actions<iam::Role>(t);
}

}  // namespace iamdb::api
