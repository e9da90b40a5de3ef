// Builds IAM states for tests: users, roles, policies, keys and instances with fixed names,
// so that test tables read like the situations they describe.
#pragma once

#include <memory>
#include <string>

#include "iam/bootstrap.h"
#include "iam/documents.h"
#include "iam/ids.h"
#include "iam/state.h"

namespace iamdb::testing {

inline constexpr const char* kAccount = "123456789012";
inline constexpr const char* kRegion = "us-east-1";

inline iam::Document doc(const std::string& text, iam::DocumentKind kind = iam::DocumentKind::kIdentity) {
  auto d = iam::make_document(text, kind);
  if (!d) throw std::runtime_error("test policy does not compile: " + d.error().message);
  return std::move(*d);
}

// A state with the account, the AWS-managed policies and nothing else.
inline iam::State empty_state(SystemTime now) {
  iam::State s;
  s.account = {kAccount, kRegion};
  if (!iam::add_aws_managed_policies(s, now)) throw std::runtime_error("built-in policies");
  return s;
}

inline iam::User& add_user(iam::State& s, const std::string& name, SystemTime now) {
  auto u = std::make_shared<iam::User>();
  u->name = name;
  u->id = iam::new_unique_id(iam::kUserIdPrefix);
  u->created = now;
  iam::User& ref = *u;
  s.users[iam::key_of(name)] = std::move(u);
  return ref;
}

inline iam::AccessKey& add_key(iam::State& s, const std::string& user, const std::string& id, const std::string& secret,
                               SystemTime now, bool active = true) {
  auto k = std::make_shared<iam::AccessKey>();
  k->id = id;
  k->user = user;
  k->secret = secret;
  k->active = active;
  k->created = now;
  iam::AccessKey& ref = *k;
  s.access_keys[id] = std::move(k);
  return ref;
}

inline iam::Instance& add_instance(iam::State& s, const std::string& id, const std::string& host, uint16_t port,
                                   bool iam_enabled, SystemTime now) {
  auto i = std::make_shared<iam::Instance>();
  i->id = id;
  i->engine = "postgres";
  i->host = host;
  i->port = port;
  i->dbi_resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  i->iam_enabled = iam_enabled;
  i->created = now;
  iam::Instance& ref = *i;
  s.instances[id] = std::move(i);
  return ref;
}

}  // namespace iamdb::testing
