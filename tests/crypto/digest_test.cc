// SHA-256 and HMAC against published test vectors (FIPS 180-2, RFC 4231).
#include "crypto/digest.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace iamdb::crypto {
namespace {

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
TEST(HmacSha256, Rfc4231) {
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacKey, ReusableAndMovable) {
  HmacKey key("Jefe");
  const auto a = key.mac("what do ya want for nothing?");
  const auto b = key.mac("what do ya want for nothing?");
  EXPECT_EQ(a, b);
  HmacKey moved = std::move(key);
  EXPECT_EQ(moved.mac("what do ya want for nothing?"), a);
}

TEST(ConstantTimeEqual, ComparesBytes) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace iamdb::crypto
