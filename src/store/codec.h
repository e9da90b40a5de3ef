// Entities to and from JSON documents, as every store keeps them. Secrets are sealed with
// AES-256-GCM under the master key, bound (as associated data) to the id they belong to, so
// a sealed secret copied to another row does not open. Policy documents are stored as the
// text the user submitted and compiled again on load.
//
// Pure apart from the randomness of sealing; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "crypto/aead.h"
#include "iam/model.h"

namespace iamdb::store {

class Codec {
 public:
  explicit Codec(crypto::AeadKey master_key) : key_(master_key) {}

  nlohmann::json encode(const iam::User& v) const;
  nlohmann::json encode(const iam::Group& v) const;
  nlohmann::json encode(const iam::Role& v) const;
  nlohmann::json encode(const iam::ManagedPolicy& v) const;
  nlohmann::json encode(const iam::AccessKey& v) const;
  nlohmann::json encode(const iam::Session& v) const;
  nlohmann::json encode(const iam::Instance& v) const;

  Result<iam::User> decode_user(const nlohmann::json& j) const;
  Result<iam::Group> decode_group(const nlohmann::json& j) const;
  Result<iam::Role> decode_role(const nlohmann::json& j) const;
  Result<iam::ManagedPolicy> decode_policy(const nlohmann::json& j) const;
  Result<iam::AccessKey> decode_access_key(const nlohmann::json& j) const;
  Result<iam::Session> decode_session(const nlohmann::json& j) const;
  Result<iam::Instance> decode_instance(const nlohmann::json& j) const;

 private:
  std::string seal(std::string_view secret, std::string_view bound_to) const;
  Result<std::string> open(const nlohmann::json& j, const char* field, std::string_view bound_to) const;

  crypto::AeadKey key_;
};

}  // namespace iamdb::store
