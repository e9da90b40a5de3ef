// botocore's tokens: ours are byte-identical for the same inputs and time, and every one of
// botocore's verifies at its recorded time.
#include <gtest/gtest.h>

#include "token/check.h"
#include "token/table_resolver.h"
#include "token/token.h"
#include "token/token_vectors.h"

namespace iamdb::token {
namespace {

using testing::load_token_vectors;
using testing::TableResolver;
using testing::TokenVector;

TEST(TokenVectors, AllTenArePresent) { EXPECT_EQ(load_token_vectors().size(), 10u); }

TEST(TokenVectors, BuilderReproducesBotocoreByteForByte) {
  for (const TokenVector& v : load_token_vectors()) {
    const TokenSpec spec{v.host, v.port, v.region, v.user, std::chrono::seconds(v.expires)};
    const sigv4::Credentials credentials{v.access_key_id, v.secret_access_key, v.session_token};
    EXPECT_EQ(build_token(spec, credentials, v.time), v.token) << v.user << "@" << v.host;
  }
}

TEST(TokenVectors, EveryTokenVerifiesAtItsRecordedTime) {
  sigv4::SigningKeyCache signing_keys;
  for (const TokenVector& v : load_token_vectors()) {
    TableResolver resolver;
    resolver.add(v.access_key_id, {v.secret_access_key, v.session_token});
    const ManualClock clock(v.time);
    const Endpoint endpoints[] = {{v.host, v.port}};
    const auto verified =
        check_token({v.token, v.user, endpoints, v.region}, clock, resolver, signing_keys);
    ASSERT_TRUE(verified) << v.user << "@" << v.host << ": " << reason_name(verified.error().reason)
                          << " " << verified.error().detail;
    EXPECT_EQ(verified->access_key_id, v.access_key_id);
    EXPECT_EQ(verified->session_token, v.session_token);
    EXPECT_EQ(verified->region, v.region);
    EXPECT_EQ(verified->signed_at, floor_seconds(v.time));
    EXPECT_EQ(verified->expires_at, floor_seconds(v.time) + std::chrono::seconds(v.expires));
    EXPECT_EQ(verified->endpoint_index, 0u);
  }
}

TEST(TokenVectors, WarmCacheDerivesEachKeyOnce) {
  const auto vectors = load_token_vectors();
  const TokenVector& v = vectors.front();
  TableResolver resolver;
  resolver.add(v.access_key_id, {v.secret_access_key, v.session_token});
  const ManualClock clock(v.time);
  const Endpoint endpoints[] = {{v.host, v.port}};
  sigv4::SigningKeyCache signing_keys;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(check_token({v.token, v.user, endpoints, v.region}, clock, resolver, signing_keys));
  EXPECT_EQ(signing_keys.misses(), 1u);
  EXPECT_EQ(signing_keys.hits(), 2u);
}

}  // namespace
}  // namespace iamdb::token
