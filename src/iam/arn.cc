// Building and splitting ARNs.
#include "iam/arn.h"

namespace iamdb::iam {

std::string Arn::to_string() const {
  return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource;
}

std::optional<Arn> parse_arn(std::string_view text) {
  Arn arn;
  std::string* fields[] = {&arn.partition, &arn.service, &arn.region, &arn.account};
  if (!text.starts_with("arn:")) return std::nullopt;
  text.remove_prefix(4);
  for (std::string* field : fields) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    *field = std::string(text.substr(0, colon));
    text.remove_prefix(colon + 1);
  }
  arn.resource = std::string(text);
  if (arn.partition.empty() || arn.service.empty() || arn.resource.empty()) return std::nullopt;
  return arn;
}

std::string iam_arn(std::string_view account, std::string_view kind, std::string_view path, std::string_view name) {
  std::string out = "arn:aws:iam::";
  out.append(account).append(":").append(kind).append(path.empty() ? "/" : path).append(name);
  return out;
}

std::string assumed_role_arn(std::string_view account, std::string_view role, std::string_view session) {
  std::string out = "arn:aws:sts::";
  out.append(account).append(":assumed-role/").append(role).append("/").append(session);
  return out;
}

std::string account_root_arn(std::string_view account) {
  return "arn:aws:iam::" + std::string(account) + ":root";
}

std::string db_instance_arn(std::string_view region, std::string_view account, std::string_view identifier) {
  std::string out = "arn:aws:rds:";
  out.append(region).append(":").append(account).append(":db:").append(identifier);
  return out;
}

std::string dbuser_arn(std::string_view region, std::string_view account, std::string_view dbi_resource_id,
                       std::string_view db_user) {
  std::string out = "arn:aws:rds-db:";
  out.append(region).append(":").append(account).append(":dbuser:").append(dbi_resource_id).append("/").append(db_user);
  return out;
}

}  // namespace iamdb::iam
