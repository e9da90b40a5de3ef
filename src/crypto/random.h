// Cryptographically secure randomness from OpenSSL's DRBG. Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace iamdb::crypto {

void random_bytes(std::span<uint8_t> out);
std::string random_bytes(size_t n);

// `n` characters drawn uniformly from `alphabet` (no modulo bias).
std::string random_string(std::string_view alphabet, size_t n);

inline constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
inline constexpr std::string_view kBase62 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// A request id in the shape AWS uses: 8-4-4-4-12 lower-case hex (a random UUID v4).
std::string request_id();

}  // namespace iamdb::crypto
