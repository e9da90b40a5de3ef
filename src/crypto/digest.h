// SHA-256 and HMAC-SHA256 (RFC 2104) over OpenSSL, and constant-time comparison.
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

Sha256Digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

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

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

inline std::string_view as_chars(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace iamdb::crypto
