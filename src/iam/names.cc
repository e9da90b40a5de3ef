// Validation of IAM names and texts.
#include "iam/names.h"

#include <string>

namespace iamdb::iam {
namespace {

bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string shown(std::string_view value) {
  // AWS echoes the value; keep the message bounded.
  return value.size() > 128 ? std::string(value.substr(0, 128)) + "..." : std::string(value);
}

}  // namespace

bool is_name_chars(std::string_view s) {
  for (unsigned char c : s)
    if (!is_word(c) && c != '+' && c != '=' && c != ',' && c != '.' && c != '@' && c != '-') return false;
  return true;
}

bool is_path(std::string_view s) {
  if (s == "/") return true;
  if (s.size() < 3 || s.front() != '/' || s.back() != '/') return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

bool is_printable_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

bool is_tag_text(std::string_view s) {
  for (unsigned char c : s) {
    // Non-ASCII bytes belong to UTF-8 letters and digits, which tags allow.
    if (c >= 0x80 || is_word(c) || c == ' ' || c == '.' || c == ':' || c == '/' || c == '=' || c == '+' ||
        c == '-' || c == '@')
      continue;
    return false;
  }
  return true;
}

bool is_db_identifier(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) || s.back() == '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && i > 0 && s[i - 1] == '-')) return false;
  }
  return true;
}

Result<void> check(std::string_view value, const TextRule& rule) {
  const std::string head = "1 validation error detected: Value '" + shown(value) + "' at '" + std::string(rule.field) +
                           "' failed to satisfy constraint: Member must ";
  if (value.size() < rule.min_length)
    return fail(head, "have length greater than or equal to ", std::to_string(rule.min_length));
  if (value.size() > rule.max_length)
    return fail(head, "have length less than or equal to ", std::to_string(rule.max_length));
  if (!rule.allowed(value)) return fail(head, "satisfy regular expression pattern: ", rule.pattern);
  return {};
}

}  // namespace iamdb::iam
