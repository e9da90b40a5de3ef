// Lookups over the IAM state and the derived indexes of a snapshot.
#include "iam/state.h"

#include <algorithm>

#include "common/strings.h"

namespace iamdb::iam {
namespace {

template <class T>
const T* find(const Table<T>& table, std::string_view key) {
  const auto it = table.find(key);
  return it == table.end() ? nullptr : it->second.get();
}

void add_principal_policies(const State& state, const Principal& p, std::string_view kind, PermissionSet& out) {
  for (const InlinePolicy& ip : p.inline_policies) {
    if (ip.document.compiled)
      out.identity.push_back({std::string(kind) + "/" + p.name + " inline " + ip.name, ip.document.compiled.get()});
  }
  for (const std::string& arn : p.attached) {
    if (const ManagedPolicy* mp = state.find_policy(arn)) {
      const PolicyVersion& v = mp->default_document();
      if (v.document.compiled) out.identity.push_back({arn, v.document.compiled.get()});
    }
  }
}

std::optional<policy::NamedPolicy> boundary_of(const State& state, const std::string& arn) {
  if (arn.empty()) return std::nullopt;
  const ManagedPolicy* mp = state.find_policy(arn);
  // A boundary that names a policy which no longer exists allows nothing: fail closed.
  if (!mp) return policy::NamedPolicy{arn + " (missing)", nullptr};
  return policy::NamedPolicy{arn, mp->default_document().document.compiled.get()};
}

}  // namespace

std::string key_of(std::string_view name) { return to_lower(name); }

const InlinePolicy* Principal::find_inline(std::string_view policy_name) const {
  for (const InlinePolicy& p : inline_policies)
    if (p.name == policy_name) return &p;
  return nullptr;
}

bool Principal::is_attached(std::string_view arn) const {
  return std::find(attached.begin(), attached.end(), arn) != attached.end();
}

const PolicyVersion* ManagedPolicy::find_version(std::string_view version_id) const {
  for (const PolicyVersion& v : versions)
    if (v.id == version_id) return &v;
  return nullptr;
}

const PolicyVersion& ManagedPolicy::default_document() const {
  const PolicyVersion* v = find_version(default_version);
  return v ? *v : versions.front();
}

const User* State::find_user(std::string_view name) const { return find(users, key_of(name)); }
const Group* State::find_group(std::string_view name) const { return find(groups, key_of(name)); }
const Role* State::find_role(std::string_view name) const { return find(roles, key_of(name)); }
const ManagedPolicy* State::find_policy(std::string_view arn) const { return find(policies, arn); }
const AccessKey* State::find_access_key(std::string_view id) const { return find(access_keys, id); }
const Session* State::find_session(std::string_view access_key_id) const { return find(sessions, access_key_id); }
const Instance* State::find_instance(std::string_view identifier) const {
  return find(instances, key_of(identifier));
}

std::shared_ptr<const Snapshot> Snapshot::build(std::shared_ptr<const State> state, uint64_t version) {
  auto snap = std::make_shared<Snapshot>();
  snap->state_ = std::move(state);
  snap->version_ = version;
  const State& s = *snap->state_;
  for (const auto& [key, group] : s.groups) {
    for (const std::string& member : group->members) snap->user_groups_[key_of(member)].push_back(group.get());
    for (const std::string& arn : group->attached) ++snap->attachment_counts_[arn];
  }
  for (const auto& [key, user] : s.users) {
    for (const std::string& arn : user->attached) ++snap->attachment_counts_[arn];
    if (!user->boundary_arn.empty()) ++snap->boundary_counts_[user->boundary_arn];
    PermissionSet& set = snap->user_permissions_[key];
    add_principal_policies(s, *user, "user", set);
    if (const auto it = snap->user_groups_.find(key); it != snap->user_groups_.end())
      for (const Group* g : it->second) add_principal_policies(s, *g, "group", set);
    set.boundary = boundary_of(s, user->boundary_arn);
    for (const Tag& t : user->tags) set.principal_tags.emplace_back("aws:PrincipalTag/" + t.key, t.value);
  }
  for (const auto& [key, role] : s.roles) {
    for (const std::string& arn : role->attached) ++snap->attachment_counts_[arn];
    if (!role->boundary_arn.empty()) ++snap->boundary_counts_[role->boundary_arn];
    PermissionSet& set = snap->role_permissions_[key];
    add_principal_policies(s, *role, "role", set);
    set.boundary = boundary_of(s, role->boundary_arn);
    for (const Tag& t : role->tags) set.principal_tags.emplace_back("aws:PrincipalTag/" + t.key, t.value);
  }
  return snap;
}

const std::vector<const Group*>& Snapshot::groups_of(std::string_view user_name) const {
  static const std::vector<const Group*> kNone;
  const auto it = user_groups_.find(key_of(user_name));
  return it == user_groups_.end() ? kNone : it->second;
}

uint32_t Snapshot::attachment_count(std::string_view policy_arn) const {
  const auto it = attachment_counts_.find(std::string(policy_arn));
  return it == attachment_counts_.end() ? 0 : it->second;
}

uint32_t Snapshot::boundary_usage_count(std::string_view policy_arn) const {
  const auto it = boundary_counts_.find(std::string(policy_arn));
  return it == boundary_counts_.end() ? 0 : it->second;
}

const PermissionSet* Snapshot::user_permissions(std::string_view user_name) const {
  const auto it = user_permissions_.find(key_of(user_name));
  return it == user_permissions_.end() ? nullptr : &it->second;
}

const PermissionSet* Snapshot::role_permissions(std::string_view role_name) const {
  const auto it = role_permissions_.find(key_of(role_name));
  return it == role_permissions_.end() ? nullptr : &it->second;
}

}  // namespace iamdb::iam
