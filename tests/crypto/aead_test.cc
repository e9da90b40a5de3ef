// AES-256-GCM boxes open only with the same key and associated data, and never when altered.
#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace iamdb::crypto {
namespace {

TEST(Aead, RoundTrip) {
  const AeadKey key = generate_key();
  const std::string box = seal(key, "secret", "AKIA1");
  EXPECT_EQ(open(key, box, "AKIA1"), "secret");
  EXPECT_EQ(open(key, seal(key, "", "x"), "x"), "");
  EXPECT_NE(seal(key, "secret", "AKIA1"), box) << "nonces must differ";
}

TEST(Aead, RefusesWrongKeyAadOrAlteredBox) {
  const AeadKey key = generate_key();
  const std::string box = seal(key, "secret", "AKIA1");
  EXPECT_FALSE(open(generate_key(), box, "AKIA1"));
  EXPECT_FALSE(open(key, box, "AKIA2"));
  for (size_t i = 0; i < box.size(); ++i) {
    std::string bad = box;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    EXPECT_FALSE(open(key, bad, "AKIA1")) << "flipped byte " << i;
  }
  EXPECT_FALSE(open(key, box.substr(0, box.size() - 1), "AKIA1"));
  EXPECT_FALSE(open(key, "", "AKIA1"));
}

TEST(Random, StringsUseTheAlphabet) {
  const std::string s = random_string(kUpperAlnum, 1000);
  EXPECT_EQ(s.size(), 1000u);
  EXPECT_EQ(s.find_first_not_of(kUpperAlnum), std::string::npos);
  const std::string id = request_id();
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
}

}  // namespace
}  // namespace iamdb::crypto
