// Standard base64 (RFC 4648 section 4, with padding). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace iamdb::crypto {

std::string base64_encode(std::string_view bytes);
// Also accepts the URL-safe alphabet; padding optional; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
// Unpadded URL-safe alphabet (RFC 4648 section 5), for opaque tokens placed in URLs.
std::string base64url_encode(std::string_view bytes);

}  // namespace iamdb::crypto
