// IAM entity XML.
#include "api/iam_xml.h"

#include "common/encoding.h"
#include "common/time.h"
#include "iam/arn.h"

namespace iamdb::api {

std::string encoded_document(std::string_view text) { return uri_encode(text); }

void write_text(XmlWriter& xml, std::string_view text) {
  std::string escaped;
  xml_escape_append(escaped, text);
  xml.raw(escaped);
}

void write_tags(XmlWriter& xml, const iam::Tags& tags, std::string_view element) {
  xml.open(element);
  for (const auto& t : tags) xml.open("member").leaf("Key", t.key).leaf("Value", t.value).close();
  xml.close();
}

void write_boundary(XmlWriter& xml, const std::string& boundary_arn) {
  if (boundary_arn.empty()) return;
  xml.open("PermissionsBoundary")
      .leaf("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
      .leaf("PermissionsBoundaryArn", boundary_arn)
      .close();
}

void write_user(XmlWriter& xml, const iam::User& user, std::string_view account, bool with_tags) {
  xml.leaf("Path", user.path)
      .leaf("UserName", user.name)
      .leaf("UserId", user.id)
      .leaf("Arn", iam::user_arn(account, user.path, user.name))
      .leaf("CreateDate", format_iso8601(user.created));
  write_boundary(xml, user.boundary_arn);
  if (with_tags && !user.tags.empty()) write_tags(xml, user.tags);
}

void write_group(XmlWriter& xml, const iam::Group& group, std::string_view account) {
  xml.leaf("Path", group.path)
      .leaf("GroupName", group.name)
      .leaf("GroupId", group.id)
      .leaf("Arn", iam::group_arn(account, group.path, group.name))
      .leaf("CreateDate", format_iso8601(group.created));
}

void write_role(XmlWriter& xml, const iam::Role& role, std::string_view account, bool full) {
  xml.leaf("Path", role.path)
      .leaf("RoleName", role.name)
      .leaf("RoleId", role.id)
      .leaf("Arn", iam::role_arn(account, role.path, role.name))
      .leaf("CreateDate", format_iso8601(role.created))
      .leaf("AssumeRolePolicyDocument", encoded_document(role.trust_policy.text));
  if (!role.description.empty()) xml.leaf("Description", role.description);
  xml.leaf("MaxSessionDuration", role.max_session_duration);
  if (full) {
    write_boundary(xml, role.boundary_arn);
    if (!role.tags.empty()) write_tags(xml, role.tags);
  }
}

void write_policy(XmlWriter& xml, const iam::ManagedPolicy& p, const iam::Snapshot& snapshot, bool with_tags) {
  xml.leaf("PolicyName", p.name)
      .leaf("PolicyId", p.id)
      .leaf("Arn", p.arn)
      .leaf("Path", p.path)
      .leaf("DefaultVersionId", p.default_version)
      .leaf("AttachmentCount", snapshot.attachment_count(p.arn))
      .leaf("PermissionsBoundaryUsageCount", snapshot.boundary_usage_count(p.arn))
      .leaf_bool("IsAttachable", true);
  if (!p.description.empty()) xml.leaf("Description", p.description);
  xml.leaf("CreateDate", format_iso8601(p.created)).leaf("UpdateDate", format_iso8601(p.updated));
  if (with_tags && !p.tags.empty()) write_tags(xml, p.tags);
}

void write_access_key_metadata(XmlWriter& xml, const iam::AccessKey& key) {
  xml.leaf("UserName", key.user)
      .leaf("AccessKeyId", key.id)
      .leaf("Status", key.active ? "Active" : "Inactive")
      .leaf("CreateDate", format_iso8601(key.created));
}

}  // namespace iamdb::api
