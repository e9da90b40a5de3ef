// SHA-256, HMAC, PBKDF2 and MD5 against published test vectors (FIPS 180-2, RFC 4231, RFC 7914,
// RFC 1321).
#include "crypto/digest.h"

#include <gtest/gtest.h>

#include <array>

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

// RFC 1321 appendix A.5.
TEST(Md5, KnownAnswers) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

// RFC 7914 section 11 (PBKDF2-HMAC-SHA256 with a 64-byte output).
TEST(Pbkdf2HmacSha256, Rfc7914) {
  struct Case {
    const char* password;
    const char* salt;
    uint32_t iterations;
    const char* hex;
  };
  const Case cases[] = {
      {"passwd", "salt", 1,
       "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
       "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
      {"Password", "NaCl", 80000,
       "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
       "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
  };
  for (const Case& c : cases) {
    std::array<uint8_t, 64> out{};
    pbkdf2_hmac_sha256(c.password, c.salt, c.iterations, out);
    EXPECT_EQ(hex_encode(out), c.hex) << c.password;
  }
}

TEST(Pbkdf2HmacSha256, ShortOutputIsThePrefix) {
  const Sha256Digest d = pbkdf2_hmac_sha256("passwd", "salt", 1);
  EXPECT_EQ(hex_encode(d), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
}

TEST(ConstantTimeEqual, ComparesBytes) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace iamdb::crypto
