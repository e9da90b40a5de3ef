// Small ASCII string helpers used across modules. Locale-independent and pure: AWS's
// case-insensitive comparisons (header names, host names, IAM action names) are ASCII-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iamdb {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// Strips spaces, tabs, CR and LF from both ends.
std::string_view trim(std::string_view s);

// Splits on every occurrence of `sep`; "a,,b" gives {"a", "", "b"}; "" gives {""}.
std::vector<std::string_view> split(std::string_view s, char sep);

std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Parses a whole string as a non-negative decimal integer that fits in `long long`.
bool parse_uint(std::string_view s, long long& out);

}  // namespace iamdb
