// Test support: the RDS auth token vectors (`rds-auth-tokens.json`, made by botocore's
// generate_db_auth_token with a frozen clock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace iamdb::token::testing {

struct TokenVector {
  std::string host;
  uint16_t port;
  std::string region;
  std::string user;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when the vector has none
  SystemTime time;
  long long expires;
  std::string token;
};

std::vector<TokenVector> load_token_vectors();

}  // namespace iamdb::token::testing
