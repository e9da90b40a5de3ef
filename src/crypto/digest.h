// SHA-256, HMAC-SHA256 (RFC 2104) and PBKDF2-HMAC-SHA256 (RFC 8018) over OpenSSL, and
// constant-time comparison; MD5 only for the legacy protocols that still require it
// (PostgreSQL's `md5` password authentication).
//
// `HmacKey` precomputes the inner and outer hash states of one key, so that MACing with a key
// used many times (a SigV4 signing key) costs two digests of the message and no key set-up.
// An HmacKey is immutable once built and may be shared by threads; every call uses its own
// digest state.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace iamdb::crypto {

using Sha256Digest = std::array<uint8_t, 32>;
using Md5Digest = std::array<uint8_t, 16>;

Sha256Digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// RFC 1321. Not collision resistant: never use it for anything new.
Md5Digest md5(std::string_view data);
std::string md5_hex(std::string_view data);

Sha256Digest hmac_sha256(std::string_view key, std::string_view data);
inline Sha256Digest hmac_sha256(const Sha256Digest& key, std::string_view data) {
  return hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), data);
}

class HmacKey {
 public:
  explicit HmacKey(std::string_view key);
  explicit HmacKey(const Sha256Digest& key)
      : HmacKey(std::string_view(reinterpret_cast<const char*>(key.data()), key.size())) {}
  ~HmacKey();
  HmacKey(HmacKey&&) noexcept;
  HmacKey& operator=(HmacKey&&) noexcept;
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;

  Sha256Digest mac(std::string_view data) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// PBKDF2 (RFC 8018 section 5.2) with HMAC-SHA256 as the PRF, filling `out` (any length). SCRAM
// (RFC 5802 section 3) calls this Hi(password, salt, iterations) with a 32-byte output.
// `iterations` must be at least 1 and at most INT_MAX; callers bound it for untrusted input,
// since the cost grows linearly with it.
void pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, uint32_t iterations,
                        std::span<uint8_t> out);
Sha256Digest pbkdf2_hmac_sha256(std::string_view password, std::string_view salt,
                                uint32_t iterations);

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

inline std::string_view as_chars(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace iamdb::crypto
