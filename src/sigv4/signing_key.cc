// SigV4 signing-key derivation and the per-thread cache of derived keys.
#include "sigv4/signing_key.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "common/encoding.h"
#include "sigv4/canonical.h"

namespace iamdb::sigv4 {

crypto::Sha256Digest derive_signing_key(std::string_view secret_access_key, std::string_view day,
                                        std::string_view region, std::string_view service) {
  std::string seed;
  seed.reserve(4 + secret_access_key.size());
  seed.append("AWS4").append(secret_access_key);
  const crypto::Sha256Digest k_date = crypto::hmac_sha256(seed, day);
  std::fill(seed.begin(), seed.end(), '\0');
  const crypto::Sha256Digest k_region = crypto::hmac_sha256(k_date, region);
  const crypto::Sha256Digest k_service = crypto::hmac_sha256(k_region, service);
  return crypto::hmac_sha256(k_service, kScopeTerminator);
}

std::string signature_hex(const crypto::HmacKey& signing_key, std::string_view string_to_sign) {
  return hex_encode(signing_key.mac(string_to_sign));
}

namespace {

uint64_t scope_hash(std::string_view secret, std::string_view day, std::string_view region,
                    std::string_view service) {
  const std::hash<std::string_view> h;
  uint64_t out = h(secret);
  for (std::string_view part : {day, region, service})
    out = (out ^ h(part)) * 0x9e3779b97f4a7c15ull + (out >> 29);
  return out;
}

}  // namespace

SigningKeyCache::SigningKeyCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {
  entries_.reserve(capacity_);
  by_hash_.reserve(capacity_);
}

const crypto::HmacKey& SigningKeyCache::get(std::string_view secret_access_key,
                                            std::string_view day, std::string_view region,
                                            std::string_view service) {
  const uint64_t hash = scope_hash(secret_access_key, day, region, service);
  ++tick_;
  if (auto it = by_hash_.find(hash); it != by_hash_.end()) {
    Entry& entry = entries_[it->second];
    if (entry.matches(secret_access_key, day, region, service)) {
      ++hits_;
      entry.last_used = tick_;
      return entry.key;
    }
  }
  ++misses_;
  crypto::HmacKey key(derive_signing_key(secret_access_key, day, region, service));

  size_t slot;
  if (const auto same_hash = by_hash_.find(hash); same_hash != by_hash_.end()) {
    // Another scope with the same hash: the newer one takes its slot.
    slot = same_hash->second;
  } else if (entries_.size() < capacity_) {
    by_hash_.emplace(hash, entries_.size());
    entries_.push_back(Entry{hash, std::string(secret_access_key), std::string(day),
                             std::string(region), std::string(service), std::move(key), tick_});
    return entries_.back().key;
  } else {
    slot = static_cast<size_t>(
        std::min_element(entries_.begin(), entries_.end(),
                         [](const Entry& a, const Entry& b) { return a.last_used < b.last_used; }) -
        entries_.begin());
    by_hash_.erase(entries_[slot].hash);
    by_hash_.emplace(hash, slot);
  }
  Entry& entry = entries_[slot];
  entry.hash = hash;
  entry.secret.assign(secret_access_key);
  entry.day.assign(day);
  entry.region.assign(region);
  entry.service.assign(service);
  entry.key = std::move(key);
  entry.last_used = tick_;
  return entry.key;
}

}  // namespace iamdb::sigv4
