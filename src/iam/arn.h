// Amazon Resource Names of the things iamdb manages, in partition `aws` so that policies
// written for AWS match unchanged:
//   arn:aws:iam::ACCOUNT:user/PATH/NAME        arn:aws:iam::ACCOUNT:role/PATH/NAME
//   arn:aws:iam::ACCOUNT:group/PATH/NAME       arn:aws:iam::ACCOUNT:policy/PATH/NAME
//   arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
//   arn:aws:rds:REGION:ACCOUNT:db:IDENTIFIER
//   arn:aws:rds-db:REGION:ACCOUNT:dbuser:DBI_RESOURCE_ID/DB_USER
// Paths are `/` or `/a/b/` as IAM stores them. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace iamdb::iam {

inline constexpr std::string_view kPartition = "aws";

struct Arn {
  std::string partition, service, region, account, resource;
  std::string to_string() const;
};
// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the resource may contain ':'); nullopt if
// it has fewer parts or an empty partition, service or resource.
std::optional<Arn> parse_arn(std::string_view text);

std::string iam_arn(std::string_view account, std::string_view kind, std::string_view path, std::string_view name);
inline std::string user_arn(std::string_view account, std::string_view path, std::string_view name) {
  return iam_arn(account, "user", path, name);
}
inline std::string role_arn(std::string_view account, std::string_view path, std::string_view name) {
  return iam_arn(account, "role", path, name);
}
inline std::string group_arn(std::string_view account, std::string_view path, std::string_view name) {
  return iam_arn(account, "group", path, name);
}
inline std::string policy_arn(std::string_view account, std::string_view path, std::string_view name) {
  return iam_arn(account, "policy", path, name);
}
std::string assumed_role_arn(std::string_view account, std::string_view role, std::string_view session);
std::string account_root_arn(std::string_view account);
std::string db_instance_arn(std::string_view region, std::string_view account, std::string_view identifier);
std::string dbuser_arn(std::string_view region, std::string_view account, std::string_view dbi_resource_id,
                       std::string_view db_user);

// AWS-managed policies live in account "aws": arn:aws:iam::aws:policy/NAME.
inline constexpr std::string_view kAwsManagedPolicyPrefix = "arn:aws:iam::aws:policy/";

}  // namespace iamdb::iam
