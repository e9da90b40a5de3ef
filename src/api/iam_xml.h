// XML shapes of IAM entities as the IAM API returns them (User, Group, Role, Policy,
// AccessKeyMetadata, ...), shared by the IAM action files. Dates are ISO 8601 UTC.
#pragma once

#include <string_view>

#include "api/xml.h"
#include "iam/state.h"

namespace iamdb::api {

void write_tags(XmlWriter& xml, const iam::Tags& tags, std::string_view element = "Tags");
void write_user(XmlWriter& xml, const iam::User& user, std::string_view account, bool with_tags);
void write_group(XmlWriter& xml, const iam::Group& group, std::string_view account);
void write_role(XmlWriter& xml, const iam::Role& role, std::string_view account, bool full);
void write_policy(XmlWriter& xml, const iam::ManagedPolicy& policy, const iam::Snapshot& snapshot, bool with_tags);
void write_access_key_metadata(XmlWriter& xml, const iam::AccessKey& key);
void write_boundary(XmlWriter& xml, const std::string& boundary_arn);

// Text inside the element the writer is in (list members that are plain strings).
void write_text(XmlWriter& xml, std::string_view text);

// Policy documents travel URL-encoded in IAM responses (the CLI decodes them).
std::string encoded_document(std::string_view text);

}  // namespace iamdb::api
