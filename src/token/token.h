// RDS IAM auth tokens (DESIGN.md section 2, "Token"): a SigV4 presigned `GET` URL for service
// `rds-db` with its scheme removed,
//   host:port/?Action=connect&DBUser=U&X-Amz-Algorithm=...&X-Amz-Signature=HEX
// built byte for byte as botocore's `generate_db_auth_token` builds it: botocore signs the URL
// `https://host:port`, so the signed `host` header is the lower-cased host with the port, which
// is left out for 443; the token text keeps the host as given and always carries the port.
//
// Pure functions; any thread. Checking tokens is in token/check.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "sigv4/signer.h"

namespace iamdb::token {

inline constexpr std::string_view kService = "rds-db";
inline constexpr std::string_view kAction = "connect";
inline constexpr std::chrono::seconds kDefaultExpires{900};
inline constexpr std::chrono::seconds kMaxExpires{900};

struct TokenSpec {
  std::string host;  // as the client names the instance; IPv6 in brackets: "[::1]"
  uint16_t port = 0;
  std::string region;
  std::string db_user;
  std::chrono::seconds expires = kDefaultExpires;
};

// The token for `spec`, signed with `credentials` at `now` (whole seconds).
std::string build_token(const TokenSpec& spec, const sigv4::Credentials& credentials,
                        SystemTime now);

// The `host` header value botocore signs for host:port: "db.example.com:5432", "[::1]:5432",
// "db.example.com" for port 443.
std::string botocore_signed_host(std::string_view host, uint16_t port);

}  // namespace iamdb::token
