// Strict JSON reading for policy documents (internal to the policy module).
//
// Policies are untrusted text. Beyond RFC 8259 this reader refuses what IAM refuses or what
// would make a document ambiguous: duplicate keys in one object ("Individual elements must not
// contain multiple instances of the same key"), nesting deeper than any policy needs, and
// characters outside the set IAM allows in policy documents (tab, LF, CR, U+0020..U+00FF),
// also when they arrive as \u escapes. Numbers keep the text they were written with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace iamdb::policy::internal {

struct JsonMember;

struct JsonValue {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  std::string text;  // kString: the decoded string; kNumber: as written; kBool: "true"/"false"
  std::vector<JsonValue> items;     // kArray
  std::vector<JsonMember> members;  // kObject, in document order

  const JsonValue* find(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

inline constexpr size_t kMaxJsonDepth = 16;

Result<JsonValue> read_json(std::string_view text);

// The first character IAM does not allow in a policy document, as an error; success when
// there is none. `text` must be UTF-8.
Result<void> check_policy_characters(std::string_view text);

}  // namespace iamdb::policy::internal
