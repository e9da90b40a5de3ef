// SCRAM-SHA-256 client: RFC 7677's example, a server half computed here as PostgreSQL's
// auth-scram.c does (also from verifiers PostgreSQL 15 stored in pg_authid), psql's recorded
// exchanges, and every way a server-first or server-final message can be wrong.
#include "gateway/postgres/scram.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/strings.h"
#include "crypto/base64.h"
#include "crypto/digest.h"
#include "gateway/postgres/be_read.h"
#include "gateway/postgres/fe_read.h"
#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::decode_stream;
using testing::load_capture;

// RFC 7677 section 3.
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramClient rfc_client() {
  auto client =
      ScramClient::create("pencil", {.username = "user", .nonce = "rOprNGfwEbeRWgbNEkqO"});
  EXPECT_TRUE(client);
  return std::move(*client);
}

TEST(ScramClient, Rfc7677Example) {
  ScramClient client = rfc_client();
  EXPECT_EQ(client.client_first_message(), kRfcClientFirst);
  auto final_message = client.client_final_message(kRfcServerFirst);
  ASSERT_TRUE(final_message) << final_message.error().message;
  EXPECT_EQ(*final_message, kRfcClientFinal);
  EXPECT_FALSE(client.server_verified());
  auto verified = client.verify_server_final(kRfcServerFinal);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_TRUE(client.server_verified());
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

// The server half of SCRAM-SHA-256 as PostgreSQL runs it, from a verifier in pg_authid's form
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>".
class ScramServer {
 public:
  static ScramServer from_verifier(std::string_view verifier) {
    ScramServer s;
    const auto dollar = split(verifier, '$');
    EXPECT_EQ(dollar.size(), 3u);
    EXPECT_EQ(dollar[0], "SCRAM-SHA-256");
    const auto iter_salt = split(dollar[1], ':');
    const auto keys = split(dollar[2], ':');
    long long iterations = 0;
    EXPECT_TRUE(parse_uint(iter_salt[0], iterations));
    s.iterations_ = static_cast<uint32_t>(iterations);
    s.salt_b64_ = iter_salt[1];
    s.stored_key_ = *crypto::base64_decode(keys[0]);
    s.server_key_ = *crypto::base64_decode(keys[1]);
    return s;
  }
  static ScramServer from_password(std::string_view password, std::string_view salt,
                                   uint32_t iterations) {
    const auto salted = crypto::pbkdf2_hmac_sha256(password, salt, iterations);
    const auto client_key = crypto::hmac_sha256(salted, "Client Key");
    const auto stored = crypto::sha256(crypto::as_chars(client_key));
    const auto server = crypto::hmac_sha256(salted, "Server Key");
    return from_verifier("SCRAM-SHA-256$" + std::to_string(iterations) + ":" +
                         crypto::base64_encode(salt) + "$" +
                         crypto::base64_encode(crypto::as_chars(stored)) + ":" +
                         crypto::base64_encode(crypto::as_chars(server)));
  }

  std::string server_first(std::string_view client_first, std::string_view server_nonce) {
    EXPECT_TRUE(client_first.starts_with("n,,"));  // no channel binding, no authzid
    client_first_bare_ = client_first.substr(3);
    const auto parts = split(client_first_bare_, ',');
    EXPECT_EQ(parts.size(), 2u);
    EXPECT_TRUE(parts[1].starts_with("r="));
    nonce_ = std::string(parts[1].substr(2)) + std::string(server_nonce);
    server_first_ = "r=" + nonce_ + ",s=" + salt_b64_ + ",i=" + std::to_string(iterations_);
    return server_first_;
  }

  // server-final when the proof is right, nullopt when it is not.
  std::optional<std::string> server_final(std::string_view client_final) {
    const size_t p = client_final.rfind(",p=");
    EXPECT_NE(p, std::string_view::npos);
    const std::string_view without_proof = client_final.substr(0, p);
    EXPECT_EQ(without_proof, "c=biws,r=" + nonce_);
    const std::string proof = *crypto::base64_decode(client_final.substr(p + 3));
    const std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    const auto client_signature = crypto::hmac_sha256(stored_key_, auth_message);
    const std::string client_key = xor_bytes(proof, crypto::as_chars(client_signature));
    if (crypto::as_chars(crypto::sha256(client_key)) != stored_key_) return std::nullopt;
    return "v=" +
           crypto::base64_encode(crypto::as_chars(crypto::hmac_sha256(server_key_, auth_message)));
  }

 private:
  uint32_t iterations_ = 0;
  std::string salt_b64_, stored_key_, server_key_;
  std::string client_first_bare_, server_first_, nonce_;
};

// Runs a whole exchange; true when the server accepted the proof and the client the server.
bool authenticate(ScramServer& server, std::string_view password) {
  auto client = ScramClient::create(password);
  EXPECT_TRUE(client);
  const std::string server_first = server.server_first(client->client_first_message(), "SRVNONCE");
  auto client_final = client->client_final_message(server_first);
  EXPECT_TRUE(client_final) << client_final.error().message;
  auto server_final = server.server_final(*client_final);
  if (!server_final) return false;
  auto verified = client->verify_server_final(*server_final);
  EXPECT_TRUE(verified) << verified.error().message;
  return verified.has_value() && client->server_verified();
}

TEST(ScramClient, AuthenticatesToAServerHalfComputedHere) {
  struct Case {
    const char* name;
    std::string password;
    std::string salt;
    uint32_t iterations;
  };
  const Case cases[] = {
      {"typical", "correct horse battery staple", "0123456789abcdef", 4096},
      {"one iteration", "x", "s", 1},
      {"empty password", "", "salt-salt-salt", 16},
      {"long password", std::string(300, 'p'), std::string(64, '\x01'), 10},
      {"every ASCII byte",
       [] {
         std::string s;
         for (int c = 1; c < 128; ++c) s.push_back(static_cast<char>(c));
         return s;
       }(),
       "salt", 8},
      {"Latin-1 letters in UTF-8", "p\xc3\xa4ssw\xc3\xb6rd", "salt", 8},
      {"not UTF-8", "\xff\xfe password", "salt", 8},
  };
  for (const Case& c : cases) {
    ScramServer server = ScramServer::from_password(c.password, c.salt, c.iterations);
    EXPECT_TRUE(authenticate(server, c.password)) << c.name;
    ScramServer again = ScramServer::from_password(c.password, c.salt, c.iterations);
    EXPECT_FALSE(authenticate(again, c.password + "!")) << c.name << ": wrong password accepted";
  }
}

// Verifiers PostgreSQL 15.18 stored for CREATE USER ... PASSWORD '...' (pg_authid.rolpassword).
TEST(ScramClient, AuthenticatesAgainstVerifiersPostgresStored) {
  struct Case {
    const char* name;
    std::string verifier;
    std::string password;
    SaslPrepOutcome outcome;
    bool accepted;
  };
  const Case cases[] = {
      {"ASCII",
       "SCRAM-SHA-256$4096:Luq/ltkQjP98BUQyIphL/w==$EkwlGbjLyWktLdJQqcrswoxBd5PIjPNuAXD0kIxnWmw=:"
       "il7hF1VDg3RGrA9EgKpz1BOkl+I4AvJWj5k24naBLBs=",
       "pencil-scram", SaslPrepOutcome::kUnchanged, true},
      {"ASCII with a control character (SASLprep's ASCII fast path keeps it)",
       "SCRAM-SHA-256$4096:+QamatldsY4YKx6tJSMLeA==$z7jmmnKpNZG++ctVaP/InYw7EnOT4tKxRO47Yo8B0Dw=:"
       "y+q6C8Ke5scz4J0njlnf4Pu+ioKqiq/ui2QR/PLiy0Y=",
       "tab\there", SaslPrepOutcome::kUnchanged, true},
      {"Latin-1 letters",
       "SCRAM-SHA-256$4096:/HgKpTQ56ZiL/S/PTgmKnA==$DDFnx9i5CphIpHvads28iH475HYs+3www8BssORNLH0=:"
       "hNiL6G0syYwiiKxG+rMdwwLnFQx7Nc/z+dJ7hXzemkE=",
       "p\xc3\xa4ssw\xc3\xb6rd", SaslPrepOutcome::kUnchanged, true},
      // PostgreSQL mapped U+00A0 to a space before hashing; this codec does not (saslprep.h).
      {"no-break space, as typed",
       "SCRAM-SHA-256$4096:V0MkaNk7cTMHQSP2b/27VQ==$B9wqqyWvwkIuVBQP/+Bgu2FYrCU5/h7lb7D22bt/Wsw=:"
       "xlYhYdKqZJJYcWGrCAMPpgOXzKoPH8j6300+MQSX7R0=",
       "a\xc2\xa0"
       "b",
       SaslPrepOutcome::kUnverified, false},
      {"no-break space, as SASLprep maps it",
       "SCRAM-SHA-256$4096:V0MkaNk7cTMHQSP2b/27VQ==$B9wqqyWvwkIuVBQP/+Bgu2FYrCU5/h7lb7D22bt/Wsw=:"
       "xlYhYdKqZJJYcWGrCAMPpgOXzKoPH8j6300+MQSX7R0=",
       "a b", SaslPrepOutcome::kUnchanged, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(saslprep_outcome(c.password), c.outcome) << c.name;
    ScramServer server = ScramServer::from_verifier(c.verifier);
    EXPECT_EQ(authenticate(server, c.password), c.accepted) << c.name;
  }
}

struct RecordedExchange {
  std::string client_first, server_first, client_final, server_final_or_error;
};

// The SASL messages of a recorded connection, in order.
RecordedExchange recorded(const char* capture) {
  const auto transcript = load_capture(capture);
  std::string server = transcript.stream(Peer::kBackend);
  if (server.starts_with("N")) server.erase(0, 1);  // the answer to SSLRequest
  auto client = decode_stream(transcript.stream(Peer::kFrontend), {}, true);
  auto backend = decode_stream(server, {.sender = Peer::kBackend}, false);
  EXPECT_TRUE(client && backend);
  RecordedExchange out;
  out.client_first = std::string(*parse_sasl_initial_response(client->messages[0].view())->data);
  out.client_final = std::string(*parse_sasl_response(client->messages[1].view()));
  out.server_first = std::string(parse_authentication(backend->messages[1].view())->data);
  if (backend->messages[2].type == 'R')
    out.server_final_or_error =
        std::string(parse_authentication(backend->messages[2].view())->data);
  else
    out.server_final_or_error =
        std::string(parse_error_response(backend->messages[2].view())->sqlstate());
  return out;
}

// psql's nonce injected into our client: same password, same bytes on the wire.
TEST(ScramClient, ReproducesPsqlExchanges) {
  struct Case {
    const char* capture;
    const char* password;
    bool accepted;
  };
  const Case cases[] = {
      {"psql_scram_session.txt", "pencil-scram", true},
      {"psql_scram_wrong_password.txt", "wrong", false},
  };
  for (const Case& c : cases) {
    const RecordedExchange psql = recorded(c.capture);
    const std::string nonce = psql.client_first.substr(psql.client_first.find("r=") + 2);
    auto client = ScramClient::create(c.password, {.nonce = nonce});
    ASSERT_TRUE(client);
    EXPECT_EQ(client->client_first_message(), psql.client_first) << c.capture;
    auto final_message = client->client_final_message(psql.server_first);
    ASSERT_TRUE(final_message) << final_message.error().message;
    EXPECT_EQ(*final_message, psql.client_final) << c.capture;
    if (c.accepted) {
      EXPECT_TRUE(client->verify_server_final(psql.server_final_or_error)) << c.capture;
    } else {
      EXPECT_EQ(psql.server_final_or_error, sqlstate::kInvalidPassword) << c.capture;
    }
  }
}

TEST(ScramClient, NoncesAreFreshAndPrintable) {
  auto a = ScramClient::create("pw");
  auto b = ScramClient::create("pw");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->client_first_message().starts_with("n,,n=,r="));
  EXPECT_EQ(a->client_first_message().size(), 8u + 24u);  // 18 random bytes in base64
  EXPECT_NE(a->client_first_message(), b->client_first_message());
  for (const char* bad : {"has,comma", "tab\there", "caf\xc3\xa9"}) {
    auto refused = ScramClient::create("pw", {.nonce = bad});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message, "SCRAM nonce must be printable ASCII without ','");
  }
  auto escaped = ScramClient::create("pw", {.username = "a=b,c", .nonce = "n"});
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->client_first_message(), "n,,n=a=3Db=2Cc,r=n");
}

TEST(ScramClient, RefusesBadServerFirstMessages) {
  struct Case {
    const char* name;
    std::string server_first;
    const char* error;
  };
  const std::string n = "r=rOprNGfwEbeRWgbNEkqO%hvY";
  const std::string s = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
  const Case cases[] = {
      {"mandatory extension", "m=ext," + n + s + ",i=4096",
       "SCRAM server-first-message requires an extension (m=) this client does not know"},
      {"empty", "", "malformed SCRAM server-first-message: expected r=, s= and i= attributes"},
      {"nonce only", n, "malformed SCRAM server-first-message: expected r=, s= and i= attributes"},
      {"wrong order", s.substr(1) + "," + n + ",i=4096",
       "malformed SCRAM server-first-message: expected r=, s= and i= in that order"},
      {"another client's nonce", "r=someoneElse123" + s + ",i=4096",
       "SCRAM server nonce does not extend the client nonce"},
      {"nonce not extended", "r=rOprNGfwEbeRWgbNEkqO" + s + ",i=4096",
       "SCRAM server nonce does not extend the client nonce"},
      {"nonce with a control character", n + "\x01" + s + ",i=4096",
       "SCRAM server nonce does not extend the client nonce"},
      {"salt not base64", n + ",s=***,i=4096", "SCRAM salt is not non-empty base64"},
      {"empty salt", n + ",s=,i=4096", "SCRAM salt is not non-empty base64"},
      {"zero iterations", n + s + ",i=0", "SCRAM iteration count is not a positive integer"},
      {"negative iterations", n + s + ",i=-1", "SCRAM iteration count is not a positive integer"},
      {"iterations not a number", n + s + ",i=4096x",
       "SCRAM iteration count is not a positive integer"},
      {"iterations empty", n + s + ",i=", "SCRAM iteration count is not a positive integer"},
      {"iterations overflow", n + s + ",i=99999999999999999999999",
       "SCRAM iteration count is not a positive integer"},
      {"too many iterations", n + s + ",i=1000001",
       "SCRAM iteration count 1000001 exceeds the limit of 1000000"},
      {"garbage after", n + s + ",i=4096,junk",
       "malformed SCRAM server-first-message: garbage after the iteration count"},
      {"trailing comma", n + s + ",i=4096,",
       "malformed SCRAM server-first-message: garbage after the iteration count"},
  };
  for (const Case& c : cases) {
    ScramClient client = rfc_client();
    auto got = client.client_final_message(c.server_first);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().message, c.error) << c.name;
    auto again = client.client_final_message(kRfcServerFirst);
    EXPECT_FALSE(again) << c.name << ": a failed exchange must not continue";
  }
  ScramClient with_extension = rfc_client();
  EXPECT_TRUE(with_extension.client_final_message(std::string(kRfcServerFirst) + ",x=future"));
}

TEST(ScramClient, IterationLimitIsConfigurable) {
  auto client = ScramClient::create(
      "pencil", {.username = "user", .nonce = "rOprNGfwEbeRWgbNEkqO", .max_iterations = 4095});
  ASSERT_TRUE(client);
  auto refused = client->client_final_message(kRfcServerFirst);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "SCRAM iteration count 4096 exceeds the limit of 4095");
}

TEST(ScramClient, RefusesBadServerFinalMessages) {
  struct Case {
    const char* name;
    std::string server_final;
    const char* error;
  };
  const Case cases[] = {
      {"server error", "e=invalid-proof", "the server refused SCRAM authentication: invalid-proof"},
      {"wrong signature", "v=6rriTRBj23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
       "SCRAM server signature does not match: the server does not hold this password's verifier"},
      {"truncated signature", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9",
       "SCRAM server signature does not match: the server does not hold this password's verifier"},
      {"empty signature", "v=",
       "SCRAM server signature does not match: the server does not hold this password's verifier"},
      {"not base64", "v=!!!!", "SCRAM server signature is not base64"},
      {"no verifier", "x=1", "malformed SCRAM server-final-message: expected v="},
      {"empty", "", "malformed SCRAM server-final-message: expected v="},
      {"garbage after", std::string(kRfcServerFinal) + ",junk",
       "malformed SCRAM server-final-message: garbage after the signature"},
  };
  for (const Case& c : cases) {
    ScramClient client = rfc_client();
    ASSERT_TRUE(client.client_final_message(kRfcServerFirst));
    auto got = client.verify_server_final(c.server_final);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().message, c.error) << c.name;
    EXPECT_FALSE(client.server_verified());
    EXPECT_FALSE(client.verify_server_final(kRfcServerFinal)) << c.name << ": retried";
  }
  ScramClient with_extension = rfc_client();
  ASSERT_TRUE(with_extension.client_final_message(kRfcServerFirst));
  EXPECT_TRUE(with_extension.verify_server_final(std::string(kRfcServerFinal) + ",x=1"));
}

TEST(ScramClient, StepsOutOfOrderFail) {
  ScramClient early = rfc_client();
  auto too_early = early.verify_server_final(kRfcServerFinal);
  ASSERT_FALSE(too_early);
  EXPECT_EQ(too_early.error().message, "SCRAM server-final-message arrived out of order");

  ScramClient twice = rfc_client();
  ASSERT_TRUE(twice.client_final_message(kRfcServerFirst));
  auto second = twice.client_final_message(kRfcServerFirst);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "SCRAM server-first-message arrived out of order");
  ASSERT_TRUE(twice.verify_server_final(kRfcServerFinal));
  EXPECT_FALSE(twice.verify_server_final(kRfcServerFinal));
  EXPECT_TRUE(twice.server_verified());
}

}  // namespace
}  // namespace iamdb::pgwire
