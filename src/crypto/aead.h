// AES-256-GCM sealing of secrets at rest (access-key secrets, backend passwords, STS session
// contents), under a 32-byte key.
//
// A sealed box is `version(1) || nonce(12) || ciphertext || tag(16)`; the nonce is random per
// seal. `aad` (associated data) binds a box to where it belongs (for example the access key id
// it is the secret of), so a box moved to another row does not open. Thread-safe; keys are
// copied into each call's cipher context and never logged.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iamdb::crypto {

using AeadKey = std::array<uint8_t, 32>;

std::string seal(const AeadKey& key, std::string_view plaintext, std::string_view aad);
// nullopt if the box is malformed, was sealed under another key or aad, or was altered.
std::optional<std::string> open(const AeadKey& key, std::string_view box, std::string_view aad);

// A fresh random key.
AeadKey generate_key();

}  // namespace iamdb::crypto
