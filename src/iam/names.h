// IAM's rules for names, paths, descriptions and tags, with AWS's ValidationError wording
// ("1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint:
// Member must satisfy regular expression pattern: [\w+=,.@-]+"), so that clients show what
// AWS would. Pure.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/error.h"

namespace iamdb::iam {

struct TextRule {
  std::string_view field;    // the member name AWS reports, e.g. "userName"
  size_t min_length;
  size_t max_length;
  std::string_view pattern;  // shown in the message
  bool (*allowed)(std::string_view value);
};

Result<void> check(std::string_view value, const TextRule& rule);

bool is_name_chars(std::string_view s);         // [\w+=,.@-]+
bool is_path(std::string_view s);               // / or /printable-ascii/
bool is_printable_text(std::string_view s);     // no control characters
bool is_tag_text(std::string_view s);           // letters, digits, spaces, _ . : / = + - @
bool is_db_identifier(std::string_view s);      // RDS DBInstanceIdentifier rules

inline constexpr TextRule kUserName{"userName", 1, 64, "[\\w+=,.@-]+", is_name_chars};
inline constexpr TextRule kGroupName{"groupName", 1, 128, "[\\w+=,.@-]+", is_name_chars};
inline constexpr TextRule kRoleName{"roleName", 1, 64, "[\\w+=,.@-]+", is_name_chars};
inline constexpr TextRule kPolicyName{"policyName", 1, 128, "[\\w+=,.@-]+", is_name_chars};
inline constexpr TextRule kRoleSessionName{"roleSessionName", 2, 64, "[\\w+=,.@-]*", is_name_chars};
inline constexpr TextRule kPath{"path", 1, 512, "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", is_path};
inline constexpr TextRule kPathPrefix{"pathPrefix", 1, 512, "\\u002F[\\u0021-\\u007F]*",
                                      [](std::string_view s) { return s.starts_with('/'); }};
inline constexpr TextRule kDescription{"description", 0, 1000, "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
                                       is_printable_text};
inline constexpr TextRule kTagKey{"key", 1, 128, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", is_tag_text};
inline constexpr TextRule kTagValue{"value", 0, 256, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", is_tag_text};
inline constexpr TextRule kDbInstanceIdentifier{
    "DBInstanceIdentifier", 1, 63, "a letter, then letters, digits or single hyphens, not ending in a hyphen",
    is_db_identifier};

inline constexpr size_t kMaxTags = 50;

}  // namespace iamdb::iam
