// Byte encodings used on AWS's wire: hex, RFC 3986 percent-encoding as SigV4 applies it, and
// `application/x-www-form-urlencoded` decoding for Query API bodies. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iamdb {

// Lower-case hex, as SigV4 writes hashes and signatures.
std::string hex_encode(std::span<const uint8_t> bytes);
inline std::string hex_encode(std::string_view bytes) {
  return hex_encode(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}
// Accepts upper- and lower-case digits; nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);
// True if `s` is non-empty and every character is 0-9 or a-f.
bool is_lower_hex(std::string_view s);

// RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) pass through; every other byte becomes
// %XX with upper-case hex. With `keep_slash`, '/' also passes through (SigV4 canonical URIs).
std::string uri_encode(std::string_view s, bool keep_slash = false);
void uri_encode_append(std::string& out, std::string_view s, bool keep_slash = false);

// Percent-decoding. With `plus_is_space` (form bodies), '+' decodes to a space. nullopt when a
// '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

// Splits `a=1&b=2` into decoded (name, value) pairs, keeping order and duplicates. A part
// without '=' has an empty value; empty parts (`a=1&&b=2`) are skipped. nullopt on bad escapes.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query_string(
    std::string_view s, bool plus_is_space);

}  // namespace iamdb
