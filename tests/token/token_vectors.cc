// Loader for the RDS auth token vectors.
#include "token/token_vectors.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/time.h"

namespace iamdb::token::testing {

std::vector<TokenVector> load_token_vectors() {
  std::ifstream in(std::string(IAMDB_VECTORS_DIR) + "/rds-auth-tokens.json");
  const auto json = nlohmann::json::parse(in);
  std::vector<TokenVector> out;
  for (const auto& c : json.at("cases")) {
    TokenVector v;
    v.host = c.at("host");
    v.port = c.at("port");
    v.region = c.at("region");
    v.user = c.at("user");
    v.access_key_id = c.at("access_key_id");
    v.secret_access_key = c.at("secret_access_key");
    if (!c.at("session_token").is_null()) v.session_token = c.at("session_token");
    v.time = *parse_iso8601(c.at("time").get<std::string>());
    v.expires = c.at("expires");
    v.token = c.at("token");
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace iamdb::token::testing
