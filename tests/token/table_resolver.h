// Test support: a KeyResolver over a table of access keys, applying the rules the server's
// snapshot resolver applies (unknown, inactive, session token required, bound and unexpired).
// Shared by the token tests, the verify tool used by the integration tests, and the fuzz target.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "token/check.h"

namespace iamdb::token::testing {

struct KeyRecord {
  std::string secret;
  std::string session_token;  // non-empty: a temporary key that needs this token
  bool active = true;
  SystemTime session_expires = SystemTime::max();
};

class TableResolver final : public KeyResolver {
 public:
  void add(std::string access_key_id, KeyRecord record) {
    keys_[std::move(access_key_id)] = std::move(record);
  }

  std::expected<std::string_view, KeyRefusal> resolve(std::string_view access_key_id,
                                                      std::string_view session_token,
                                                      SystemTime now) override {
    ++calls_;
    const auto it = keys_.find(access_key_id);
    if (it == keys_.end()) return std::unexpected(KeyRefusal::kUnknownAccessKey);
    const KeyRecord& key = it->second;
    if (!key.active) return std::unexpected(KeyRefusal::kInactiveAccessKey);
    if (key.session_token.empty()) {
      if (!session_token.empty()) return std::unexpected(KeyRefusal::kInvalidSessionToken);
    } else {
      if (session_token.empty()) return std::unexpected(KeyRefusal::kMissingSessionToken);
      if (session_token != key.session_token)
        return std::unexpected(KeyRefusal::kInvalidSessionToken);
      if (now > key.session_expires) return std::unexpected(KeyRefusal::kSessionExpired);
    }
    return std::string_view(key.secret);
  }

  int calls() const { return calls_; }

 private:
  std::map<std::string, KeyRecord, std::less<>> keys_;
  int calls_ = 0;
};

}  // namespace iamdb::token::testing
