// Random identifiers in AWS's formats.
#include "iam/ids.h"

#include "crypto/base64.h"
#include "crypto/random.h"

namespace iamdb::iam {

std::string new_unique_id(std::string_view prefix) {
  return std::string(prefix) + crypto::random_string(crypto::kUpperAlnum, 17);
}

std::string new_access_key_id(bool temporary) {
  return std::string(temporary ? kTemporaryKeyPrefix : kLongTermKeyPrefix) +
         crypto::random_string(crypto::kUpperAlnum, 16);
}

std::string new_secret_access_key() {
  return crypto::random_string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

std::string new_session_token() { return crypto::base64url_encode(crypto::random_bytes(96)); }

std::string new_dbi_resource_id() { return "db-" + crypto::random_string(crypto::kUpperAlnum, 26); }

std::string new_account_id() {
  return crypto::random_string("123456789", 1) + crypto::random_string("0123456789", 11);
}

bool is_temporary_key_id(std::string_view access_key_id) {
  return access_key_id.starts_with(kTemporaryKeyPrefix);
}

}  // namespace iamdb::iam
