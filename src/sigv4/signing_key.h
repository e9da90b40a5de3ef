// SigV4 signing keys: derivation (`AWS4`+secret -> day -> region -> service -> `aws4_request`,
// AWS General Reference "Calculate the signature for AWS Signature Version 4") and a cache of
// derived keys keyed by (secret, day, region, service).
//
// A key changes only when the day changes, so a verifier that sees the same access key many
// times a day derives it once and then pays two SHA-256 runs per signature.
//
// Thread-safety: SigningKeyCache is NOT thread-safe and takes no locks. Keep one per thread (each
// worker owns its own); the returned HmacKey may be read by other threads only while no call to
// get() is running on the same cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/digest.h"

namespace iamdb::sigv4 {

crypto::Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view day,
                                        std::string_view region, std::string_view service);

// Lower-case hex HMAC-SHA256 of the string to sign: the value of `Signature=` / X-Amz-Signature.
std::string signature_hex(const crypto::HmacKey& signing_key, std::string_view string_to_sign);

class SigningKeyCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  // `capacity` (at least 1) bounds the number of keys kept; the least recently used goes first.
  explicit SigningKeyCache(size_t capacity = kDefaultCapacity);
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // The signing key for this scope, derived on a miss. The reference stays valid until the next
  // call to get() on this cache. A hit does not allocate.
  const crypto::HmacKey& get(std::string_view secret_access_key, std::string_view day,
                             std::string_view region, std::string_view service);

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    uint64_t hash;
    std::string secret, day, region, service;
    crypto::HmacKey key;
    uint64_t last_used;
    bool matches(std::string_view secret_access_key, std::string_view d, std::string_view r,
                 std::string_view s) const {
      return day == d && region == r && service == s && secret == secret_access_key;
    }
  };

  size_t capacity_;
  std::vector<Entry> entries_;                    // reserved to capacity_: never reallocates
  std::unordered_map<uint64_t, size_t> by_hash_;  // scope hash -> index in entries_
  uint64_t tick_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace iamdb::sigv4
