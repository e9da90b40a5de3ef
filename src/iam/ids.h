// Identifiers in AWS's shapes: unique ids (`AIDA` + 17 characters for users, `AROA` roles,
// `AGPA` groups, `ANPA` managed policies), access key ids (`AKIA`/`ASIA` + 16), secret access
// keys (40 characters), session tokens, and RDS `DbiResourceId`s (`db-` + 26). Random, from
// the system's CSPRNG; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace iamdb::iam {

inline constexpr std::string_view kUserIdPrefix = "AIDA";
inline constexpr std::string_view kRoleIdPrefix = "AROA";
inline constexpr std::string_view kGroupIdPrefix = "AGPA";
inline constexpr std::string_view kPolicyIdPrefix = "ANPA";
inline constexpr std::string_view kLongTermKeyPrefix = "AKIA";
inline constexpr std::string_view kTemporaryKeyPrefix = "ASIA";

std::string new_unique_id(std::string_view prefix);  // prefix + 17
std::string new_access_key_id(bool temporary);       // AKIA/ASIA + 16
std::string new_secret_access_key();                 // 40 of [A-Za-z0-9+/]
std::string new_session_token();                     // 128 url-safe base64 characters, opaque
std::string new_dbi_resource_id();                   // db- + 26 upper-case letters and digits
std::string new_account_id();                        // 12 digits, not starting with 0

bool is_temporary_key_id(std::string_view access_key_id);

}  // namespace iamdb::iam
