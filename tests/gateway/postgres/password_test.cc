// md5 password responses (checked against psql's recorded answer and pg_authid's stored hash)
// and the SASLprep classification of SCRAM passwords.
#include <gtest/gtest.h>

#include "gateway/postgres/md5_password.h"
#include "gateway/postgres/saslprep.h"

namespace iamdb::pgwire {
namespace {

constexpr Md5Salt kRecordedSalt = {0xb7, 0xc9, 0x92, 0x97};  // psql_md5.txt

TEST(Md5Password, MatchesPsqlAndPostgres) {
  // pg_authid.rolpassword after SET password_encryption = 'md5'; CREATE USER md5_user ...
  EXPECT_EQ(md5_password_hash("md5-secret", "md5_user"), "md594f6dfa9ce48919dd181f96e6e406c5f");
  // The PasswordMessage psql sent for that salt (psql_md5.txt).
  EXPECT_EQ(md5_password_response("md5-secret", "md5_user", kRecordedSalt),
            "md51949c60d5b877b610c122a3e76bee4eb");
  EXPECT_EQ(md5_password_response_from_hash("md594f6dfa9ce48919dd181f96e6e406c5f", kRecordedSalt),
            "md51949c60d5b877b610c122a3e76bee4eb");
  // The salt and the user name both matter.
  EXPECT_NE(md5_password_response("md5-secret", "md5_user", {0, 0, 0, 0}),
            md5_password_response("md5-secret", "md5_user", kRecordedSalt));
  EXPECT_NE(md5_password_response("md5-secret", "other", kRecordedSalt),
            md5_password_response("md5-secret", "md5_user", kRecordedSalt));
}

TEST(Md5Password, RefusesWhatIsNotAStoredHash) {
  for (const char* bad :
       {"", "md5", "94f6dfa9ce48919dd181f96e6e406c5f", "md594F6DFA9CE48919DD181F96E6E406C5F",
        "md594f6dfa9ce48919dd181f96e6e406c5", "md594f6dfa9ce48919dd181f96e6e406c5fa",
        "md594f6dfa9ce48919dd181f96e6e406c5g", "SCRAM-SHA-256$4096:abc"}) {
    auto got = md5_password_response_from_hash(bad, kRecordedSalt);
    ASSERT_FALSE(got) << bad;
    EXPECT_NE(got.error().message.find("not a PostgreSQL md5 password hash"), std::string::npos);
  }
}

TEST(SaslPrep, SaysWhereRawBytesMatchPostgres) {
  struct Case {
    const char* name;
    std::string password;
    SaslPrepOutcome outcome;
  };
  const Case cases[] = {
      {"empty", "", SaslPrepOutcome::kUnchanged},
      {"ASCII", "pencil-scram", SaslPrepOutcome::kUnchanged},
      {"ASCII control characters", "tab\there\x7f", SaslPrepOutcome::kUnchanged},
      {"Latin-1 letters", "p\xc3\xa4ssw\xc3\xb6rd \xc3\x80\xc3\xbf", SaslPrepOutcome::kUnchanged},
      {"multiplication sign U+00D7",
       "2\xc3\x97"
       "3",
       SaslPrepOutcome::kUnchanged},
      {"no-break space U+00A0",
       "a\xc2\xa0"
       "b",
       SaslPrepOutcome::kUnverified},
      {"soft hyphen U+00AD",
       "a\xc2\xad"
       "b",
       SaslPrepOutcome::kUnverified},
      {"feminine ordinal U+00AA", "\xc2\xaa", SaslPrepOutcome::kUnverified},
      {"combining accent", "e\xcc\x81", SaslPrepOutcome::kUnverified},
      {"Cyrillic", "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",
       SaslPrepOutcome::kUnverified},
      {"emoji", "\xf0\x9f\x94\x91", SaslPrepOutcome::kUnverified},
      {"Latin-1 byte, not UTF-8", "p\xe4ss", SaslPrepOutcome::kInvalidUtf8},
      {"overlong slash", "\xc0\xaf", SaslPrepOutcome::kInvalidUtf8},
      {"surrogate", "\xed\xa0\x80", SaslPrepOutcome::kInvalidUtf8},
      {"above U+10FFFF", "\xf4\x90\x80\x80", SaslPrepOutcome::kInvalidUtf8},
      {"truncated sequence", "ab\xc3", SaslPrepOutcome::kInvalidUtf8},
      {"lone continuation byte", "\x80", SaslPrepOutcome::kInvalidUtf8},
      {"five-byte lead", "\xf8\x88\x80\x80\x80", SaslPrepOutcome::kInvalidUtf8},
  };
  for (const Case& c : cases) EXPECT_EQ(saslprep_outcome(c.password), c.outcome) << c.name;
}

}  // namespace
}  // namespace iamdb::pgwire
