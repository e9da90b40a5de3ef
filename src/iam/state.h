// The whole IAM state of one iamdb installation at one moment, and the snapshot the data
// plane reads.
//
// `State` holds tables of immutable entities. The writer (the API, one request at a time)
// copies the current state — a copy shares every entity, so it costs one pointer per entity —
// changes the copy, makes it durable in the store, and publishes it. Readers hold a
// `std::shared_ptr<const Snapshot>` and never lock: a snapshot does not change after
// `Snapshot::build`, and it stays valid for as long as anyone holds it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "iam/model.h"
#include "policy/evaluate.h"

namespace iamdb::iam {

template <class T>
using Table = std::map<std::string, std::shared_ptr<const T>, std::less<>>;

struct Account {
  std::string id;      // 12 digits
  std::string region;  // e.g. us-east-1
};

struct State {
  Account account;
  Table<User> users;              // key: lower-cased name
  Table<Group> groups;            // key: lower-cased name
  Table<Role> roles;              // key: lower-cased name
  Table<ManagedPolicy> policies;  // key: ARN (customer and AWS managed)
  Table<AccessKey> access_keys;   // key: access key id
  Table<Session> sessions;        // key: access key id (ASIA...)
  Table<Instance> instances;      // key: lower-cased identifier

  const User* find_user(std::string_view name) const;
  const Group* find_group(std::string_view name) const;
  const Role* find_role(std::string_view name) const;
  const ManagedPolicy* find_policy(std::string_view arn) const;
  const AccessKey* find_access_key(std::string_view id) const;
  const Session* find_session(std::string_view access_key_id) const;
  const Instance* find_instance(std::string_view identifier) const;
};

// Lower-cased table key for a name.
std::string key_of(std::string_view name);

// Everything the policy engine needs about one user's or role's permissions. The policies
// point into the snapshot's state; names are what explanations show
// (e.g. "user/alice inline db-access", "arn:aws:iam::123456789012:policy/rds-connect").
struct PermissionSet {
  std::vector<policy::NamedPolicy> identity;  // inline, attached managed, and (users) groups'
  std::optional<policy::NamedPolicy> boundary;
  // aws:PrincipalTag/KEY -> value, from the user's or role's tags.
  std::vector<std::pair<std::string, std::string>> principal_tags;
};

class Snapshot {
 public:
  static std::shared_ptr<const Snapshot> build(std::shared_ptr<const State> state, uint64_t version);

  const State& state() const { return *state_; }
  std::shared_ptr<const State> state_ptr() const { return state_; }
  uint64_t version() const { return version_; }

  // Groups the user belongs to, in group-name order.
  const std::vector<const Group*>& groups_of(std::string_view user_name) const;
  // Number of users, groups and roles a managed policy is attached to (as a policy), and
  // used as a permissions boundary by.
  uint32_t attachment_count(std::string_view policy_arn) const;
  uint32_t boundary_usage_count(std::string_view policy_arn) const;

  const PermissionSet* user_permissions(std::string_view user_name) const;
  const PermissionSet* role_permissions(std::string_view role_name) const;

 private:
  std::shared_ptr<const State> state_;
  uint64_t version_ = 0;
  std::unordered_map<std::string, std::vector<const Group*>> user_groups_;
  std::unordered_map<std::string, uint32_t> attachment_counts_;
  std::unordered_map<std::string, uint32_t> boundary_counts_;
  std::unordered_map<std::string, PermissionSet> user_permissions_;
  std::unordered_map<std::string, PermissionSet> role_permissions_;
};

}  // namespace iamdb::iam
