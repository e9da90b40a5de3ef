// What the IAM action files share about users, groups, roles and managed policies: lookups by
// kind, AWS's NoSuchEntity wording, copy-on-write edits, tag merging, and the parameter checks
// of policy ARNs, version ids and policy documents.
//
// Users, groups and roles are `iam::Principal`s; `EntityKind<T>` names what differs between the
// three (the noun in messages and ARNs, the word in action names, the name parameter, the
// table, the inline-policy quota), so that attach/detach, inline policies and simulation are
// written once for all of them.
//
// Edits replace the entity with a new object (the store writes exactly the entities that are
// new objects), so they run inside `Context::update` on the state it passes. Pure; any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/context.h"
#include "api/errors.h"
#include "config/config.h"
#include "iam/arn.h"
#include "iam/documents.h"
#include "iam/names.h"
#include "iam/state.h"

namespace iamdb::api {

template <class T>
struct EntityKind;

template <>
struct EntityKind<iam::User> {
  static constexpr std::string_view kNoun = "user";    // messages, ARNs
  static constexpr std::string_view kAction = "User";  // AttachUserPolicy, PoliciesPerUser
  static constexpr std::string_view kNameParam = "UserName";
  static constexpr const iam::TextRule& kNameRule = iam::kUserName;
  static constexpr iam::Table<iam::User> iam::State::*kTable = &iam::State::users;
  static uint32_t inline_quota(const config::PolicyLimits& limits) { return limits.user_inline_bytes; }
};

template <>
struct EntityKind<iam::Group> {
  static constexpr std::string_view kNoun = "group";
  static constexpr std::string_view kAction = "Group";
  static constexpr std::string_view kNameParam = "GroupName";
  static constexpr const iam::TextRule& kNameRule = iam::kGroupName;
  static constexpr iam::Table<iam::Group> iam::State::*kTable = &iam::State::groups;
  static uint32_t inline_quota(const config::PolicyLimits& limits) { return limits.group_inline_bytes; }
};

template <>
struct EntityKind<iam::Role> {
  static constexpr std::string_view kNoun = "role";
  static constexpr std::string_view kAction = "Role";
  static constexpr std::string_view kNameParam = "RoleName";
  static constexpr const iam::TextRule& kNameRule = iam::kRoleName;
  static constexpr iam::Table<iam::Role> iam::State::*kTable = &iam::State::roles;
  static uint32_t inline_quota(const config::PolicyLimits& limits) { return limits.role_inline_bytes; }
};

// AWS's quotas on managed policies per user/group/role and groups per user.
inline constexpr size_t kMaxAttachedPolicies = 10;
inline constexpr size_t kMaxGroupsPerUser = 10;
inline constexpr size_t kMaxPolicyVersions = 5;

// The entity named `name` (case-insensitively), or nullptr.
template <class T>
const T* find_entity(const iam::State& state, std::string_view name) {
  const auto& table = state.*EntityKind<T>::kTable;
  const auto it = table.find(iam::key_of(name));
  return it == table.end() ? nullptr : it->second.get();
}

template <class T>
std::unexpected<ApiError> no_such(std::string_view name) {
  return no_such_entity("The " + std::string(EntityKind<T>::kNoun) + " with name " + std::string(name) +
                        " cannot be found.");
}

template <class T>
std::string arn_of(std::string_view account, const T& entity) {
  return iam::iam_arn(account, EntityKind<T>::kNoun, entity.path, entity.name);
}

// The ARN a request about `name` is authorized against: the entity's own if it exists (its
// path is part of it), else the one it would have with path "/".
template <class T>
std::string arn_for(const Context& ctx, std::string_view name) {
  if (const T* e = find_entity<T>(ctx.state(), name)) return arn_of(ctx.account(), *e);
  return iam::iam_arn(ctx.account(), EntityKind<T>::kNoun, "/", name);
}

// "iam:" + verb + kind + noun, e.g. iam_action<iam::Role>("Attach", "Policy") is
// "iam:AttachRolePolicy".
template <class T>
std::string iam_action(std::string_view verb, std::string_view suffix = {}) {
  return "iam:" + std::string(verb) + std::string(EntityKind<T>::kAction) + std::string(suffix);
}

// Replaces the entity in `slot` with an edited copy (other states keep the original).
template <class T, class Edit>
void replace_edited(std::shared_ptr<const T>& slot, Edit edit) {
  auto copy = std::make_shared<T>(*slot);
  edit(*copy);
  slot = std::move(copy);
}

// Replaces the entity named `name` (which must exist in `state`) with an edited copy.
template <class T, class Edit>
void edit_entity(iam::State& state, std::string_view name, Edit edit) {
  replace_edited((state.*EntityKind<T>::kTable).at(iam::key_of(name)), edit);
}

// Runs `change(state, entity)` inside `ctx.update` on the entity the request names, after
// authorizing `action` (with context `keys`) on its ARN; NoSuchEntity when it does not exist.
template <class T, class Change>
ApiResult<void> change_entity(Context& ctx, const std::string& name, std::string_view action, Change change,
                              std::span<const std::pair<std::string_view, std::string_view>> keys = {}) {
  IAMDB_CHECK(ctx.authorize(action, arn_for<T>(ctx, name), keys));
  return ctx.update([&](iam::State& s) -> ApiResult<void> {
    const T* e = find_entity<T>(s, name);
    if (!e) return no_such<T>(name);
    return change(s, *e);
  });
}

// The same for the managed policy `arn`, which must exist in `state`.
template <class Edit>
void edit_policy(iam::State& state, std::string_view arn, Edit edit) {
  replace_edited(state.policies.find(arn)->second, edit);
}

// Parameter rules the IAM model spells out (arnType, policyVersionIdType).
bool is_policy_version_id(std::string_view s);  // v[1-9][0-9]*(\.[A-Za-z0-9-]*)?
inline constexpr iam::TextRule kPolicyArn{"policyArn", 20, 2048, "", [](std::string_view) { return true; }};
inline constexpr iam::TextRule kBoundaryArn{"permissionsBoundary", 20, 2048, "", [](std::string_view) { return true; }};
inline constexpr iam::TextRule kVersionId{"versionId", 1, std::numeric_limits<size_t>::max(),
                                          "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?", is_policy_version_id};

// A managed policy ARN parameter: length per the model, then the shape of an IAM policy ARN
// (InvalidInput "ARN x is not valid." otherwise).
ApiResult<std::string> policy_arn_param(const Context& ctx, std::string_view param = "PolicyArn",
                                        const iam::TextRule& rule = kPolicyArn);
// An optional enumerated parameter: ValidationError naming the allowed values.
ApiResult<std::optional<std::string>> enum_param(const Context& ctx, std::string_view param,
                                                 std::initializer_list<std::string_view> allowed);

// A policy document parameter, checked against the model's rule and compiled for `kind`
// (MalformedPolicyDocument with the engine's message). Quotas are the caller's: they depend on
// where the document goes.
ApiResult<iam::Document> document_param(const Context& ctx, std::string_view param, iam::DocumentKind kind);
// Tags and TagKeys of Tag*/Untag* actions, which require at least one.
ApiResult<iam::Tags> required_tags(const Context& ctx);
ApiResult<std::vector<std::string>> required_tag_keys(const Context& ctx);

// AWS-managed policies live in account "aws": their ARN says so, whatever else was kept.
inline bool is_aws_managed(const iam::ManagedPolicy& p) {
  return p.aws_managed || p.arn.starts_with(iam::kAwsManagedPolicyPrefix);
}

std::unexpected<ApiError> no_such_policy(std::string_view arn);  // "Policy ARN was not found."
// AWS-managed policies belong to AWS: any change is refused as AWS refuses it.
std::unexpected<ApiError> aws_managed_read_only(const Context& ctx, std::string_view action, std::string_view arn);

// `current` with `added` set (keys compare case-insensitively; a new value replaces the old),
// or LimitExceeded past 50 tags.
ApiResult<iam::Tags> merge_tags(iam::Tags current, const iam::Tags& added);
void remove_tags(iam::Tags& tags, const std::vector<std::string>& keys);
// ListRoleTags / ListPolicyTags: the tags, sorted by key, one page.
void write_tag_page(XmlWriter& out, const Context::Page& page, const iam::Tags& tags);

// NoSuchEntity for a permissions boundary that names no policy (AWS's wording).
std::unexpected<ApiError> no_such_boundary(std::string_view arn);

// Tag<Kind>, Untag<Kind>, List<Kind>Tags, Put/Delete<Kind>PermissionsBoundary: the same for users
// and roles, so written once and registered for both.
template <class T>
ApiResult<void> tag_entity(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name(EntityKind<T>::kNameParam, EntityKind<T>::kNameRule));
  IAMDB_TRY(iam::Tags tags, required_tags(ctx));
  return change_entity<T>(ctx, name, iam_action<T>("Tag"), [&](iam::State& s, const T& e) -> ApiResult<void> {
    IAMDB_TRY(iam::Tags merged, merge_tags(e.tags, tags));
    edit_entity<T>(s, name, [&](T& edited) { edited.tags = std::move(merged); });
    return {};
  });
}

template <class T>
ApiResult<void> untag_entity(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name(EntityKind<T>::kNameParam, EntityKind<T>::kNameRule));
  IAMDB_TRY(auto keys, required_tag_keys(ctx));
  return change_entity<T>(ctx, name, iam_action<T>("Untag"), [&](iam::State& s, const T&) -> ApiResult<void> {
    edit_entity<T>(s, name, [&](T& e) { remove_tags(e.tags, keys); });
    return {};
  });
}

template <class T>
ApiResult<void> list_entity_tags(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string name, ctx.name(EntityKind<T>::kNameParam, EntityKind<T>::kNameRule));
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_CHECK(ctx.authorize(iam_action<T>("List", "Tags"), arn_for<T>(ctx, name)));
  const T* e = find_entity<T>(ctx.state(), name);
  if (!e) return no_such<T>(name);
  write_tag_page(out, page, e->tags);
  return {};
}

template <class T>
ApiResult<void> put_entity_boundary(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name(EntityKind<T>::kNameParam, EntityKind<T>::kNameRule));
  IAMDB_TRY(std::string arn, policy_arn_param(ctx, "PermissionsBoundary", kBoundaryArn));
  const std::pair<std::string_view, std::string_view> keys[] = {{"iam:PermissionsBoundary", arn}};
  return change_entity<T>(
      ctx, name, iam_action<T>("Put", "PermissionsBoundary"),
      [&](iam::State& s, const T&) -> ApiResult<void> {
        if (!s.find_policy(arn)) return no_such_boundary(arn);
        edit_entity<T>(s, name, [&](T& e) { e.boundary_arn = arn; });
        return {};
      },
      keys);
}

template <class T>
ApiResult<void> delete_entity_boundary(Context& ctx, XmlWriter&) {
  IAMDB_TRY(std::string name, ctx.name(EntityKind<T>::kNameParam, EntityKind<T>::kNameRule));
  return change_entity<T>(ctx, name, iam_action<T>("Delete", "PermissionsBoundary"),
                          [&](iam::State& s, const T&) -> ApiResult<void> {
                            edit_entity<T>(s, name, [&](T& e) { e.boundary_arn.clear(); });
                            return {};
                          });
}

// How many users, groups and roles have `arn` attached, and use it as their boundary.
struct PolicyUse {
  size_t attached = 0;
  size_t boundary = 0;
};
PolicyUse policy_use(const iam::State& state, std::string_view arn);

}  // namespace iamdb::api
