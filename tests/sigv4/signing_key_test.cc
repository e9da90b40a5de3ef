// Signing-key derivation against AWS's documented example, and the per-thread key cache.
#include "sigv4/signing_key.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace iamdb::sigv4 {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

TEST(DeriveSigningKey, MatchesAwsDocumentedExample) {
  // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
  EXPECT_EQ(hex_encode(derive_signing_key(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

std::string mac_hex(const crypto::HmacKey& key) { return signature_hex(key, "message"); }

std::string fresh_mac_hex(std::string_view secret, std::string_view day) {
  return mac_hex(crypto::HmacKey(derive_signing_key(secret, day, "us-east-1", "rds-db")));
}

TEST(SigningKeyCache, DerivesOnceThenHits) {
  SigningKeyCache cache;
  EXPECT_EQ(mac_hex(cache.get(kSecret, "20261123", "us-east-1", "rds-db")),
            fresh_mac_hex(kSecret, "20261123"));
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(mac_hex(cache.get(kSecret, "20261123", "us-east-1", "rds-db")),
            fresh_mac_hex(kSecret, "20261123"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SigningKeyCache, EveryScopePartSelectsAKey) {
  SigningKeyCache cache;
  cache.get(kSecret, "20261123", "us-east-1", "rds-db");
  cache.get("other-secret", "20261123", "us-east-1", "rds-db");
  cache.get(kSecret, "20261124", "us-east-1", "rds-db");
  cache.get(kSecret, "20261123", "eu-west-1", "rds-db");
  cache.get(kSecret, "20261123", "us-east-1", "iam");
  EXPECT_EQ(cache.misses(), 5u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 5u);
  EXPECT_EQ(mac_hex(cache.get("other-secret", "20261123", "us-east-1", "rds-db")),
            fresh_mac_hex("other-secret", "20261123"));
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(SigningKeyCache, EvictsTheLeastRecentlyUsedWhenFull) {
  SigningKeyCache cache(2);
  cache.get(kSecret, "20261121", "us-east-1", "rds-db");
  cache.get(kSecret, "20261122", "us-east-1", "rds-db");
  cache.get(kSecret, "20261121", "us-east-1", "rds-db");  // 21 is now the most recent
  cache.get(kSecret, "20261123", "us-east-1", "rds-db");  // evicts 22
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.capacity(), 2u);
  const uint64_t misses = cache.misses();
  EXPECT_EQ(mac_hex(cache.get(kSecret, "20261121", "us-east-1", "rds-db")),
            fresh_mac_hex(kSecret, "20261121"));
  EXPECT_EQ(cache.misses(), misses);
  EXPECT_EQ(mac_hex(cache.get(kSecret, "20261122", "us-east-1", "rds-db")),
            fresh_mac_hex(kSecret, "20261122"));
  EXPECT_EQ(cache.misses(), misses + 1);
}

}  // namespace
}  // namespace iamdb::sigv4
