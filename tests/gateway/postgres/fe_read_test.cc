// Reading the client side: startup packets (StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest) split anywhere and refused for the same reasons PostgreSQL 15 refuses them,
// and the typed messages the gateway inspects before relaying.
#include "gateway/postgres/fe_read.h"

#include <gtest/gtest.h>

#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::be32;
using testing::decode_stream;
using testing::every_split;
using testing::strings;
using testing::unhex;
using testing::z;

// A startup-phase packet: length, code, body.
std::string packet(uint32_t code, std::string_view body) {
  return be32(static_cast<uint32_t>(8 + body.size())) + be32(code) + std::string(body);
}

const std::string kPsqlStartup = unhex(
    "00000044000300007573657200736372616d5f7573657200646174616261736500706f737467726573006170"
    "706c69636174696f6e5f6e616d6500636170747572650000");

TEST(DecodeStartupPacket, PsqlStartupMessage) {
  auto step = decode_startup_packet(kPsqlStartup);
  ASSERT_TRUE(step) << step.error().message;
  ASSERT_TRUE(step->packet);
  EXPECT_EQ(step->consumed, kPsqlStartup.size());
  const auto& startup = std::get<StartupMessage>(*step->packet);
  EXPECT_EQ(startup.minor_version, 0);
  EXPECT_EQ(startup.parameters, (std::vector<StartupParameter>{{"user", "scram_user"},
                                                               {"database", "postgres"},
                                                               {"application_name", "capture"}}));
  EXPECT_EQ(startup.user(), "scram_user");
  EXPECT_EQ(startup.database(), "postgres");
  ASSERT_NE(startup.find("application_name"), nullptr);
  EXPECT_EQ(*startup.find("application_name"), "capture");
  EXPECT_EQ(startup.find("options"), nullptr);
  EXPECT_TRUE(startup.protocol_extensions().empty());
}

TEST(DecodeStartupPacket, EveryKindOfPacket) {
  struct Case {
    const char* name;
    std::string bytes;
    StartupPacket expected;
  };
  const Case cases[] = {
      {"SSLRequest", unhex("0000000804d2162f"), SslRequest{}},
      {"GSSENCRequest", unhex("0000000804d21630"), GssEncRequest{}},
      {"CancelRequest", unhex("0000001004d2162e00002b101237550f"),
       CancelRequest{.process_id = 11024, .secret_key = 0x1237550f}},
      {"CancelRequest with high bits",
       packet(kCancelRequestCode, be32(0x7fffffff) + be32(0xffffffff)),
       CancelRequest{.process_id = 0x7fffffff, .secret_key = 0xffffffff}},
      {"database defaults to the user", packet(kProtocol3, strings({"user", "alice"})),
       StartupMessage{.minor_version = 0, .parameters = {{"user", "alice"}}}},
      {"empty values and replication",
       packet(kProtocol3, strings({"user", "bob", "options", "", "replication", "database"})),
       StartupMessage{
           .parameters = {{"user", "bob"}, {"options", ""}, {"replication", "database"}}}},
      {"protocol 3.2 with an extension",
       packet(protocol_code(3, 2), strings({"user", "carol", "_pq_.compression", "on"})),
       StartupMessage{.minor_version = 2,
                      .parameters = {{"user", "carol"}, {"_pq_.compression", "on"}}}},
  };
  for (const Case& c : cases) {
    for (const auto& chunks : every_split(c.bytes)) {
      auto decoded = decode_stream(chunks, {}, true);
      ASSERT_TRUE(decoded) << c.name << ": " << decoded.error().message;
      ASSERT_EQ(decoded->startup.size(), 1u) << c.name;
      const StartupPacket& got = decoded->startup[0];
      ASSERT_EQ(got.index(), c.expected.index()) << c.name;
      if (auto* s = std::get_if<StartupMessage>(&got)) {
        const auto& want = std::get<StartupMessage>(c.expected);
        EXPECT_EQ(s->minor_version, want.minor_version) << c.name;
        EXPECT_EQ(s->parameters, want.parameters) << c.name;
      } else if (auto* cancel = std::get_if<CancelRequest>(&got)) {
        EXPECT_EQ(*cancel, std::get<CancelRequest>(c.expected)) << c.name;
      }
    }
  }
}

TEST(DecodeStartupPacket, StartupMessageAccessors) {
  auto step = decode_startup_packet(
      packet(protocol_code(3, 2),
             strings({"user", "dave", "database", "", "_pq_.a", "1", "_pq_.b", "2"})));
  ASSERT_TRUE(step) << step.error().message;
  const auto& startup = std::get<StartupMessage>(*step->packet);
  EXPECT_EQ(startup.database(), "dave");  // empty database means the user's, as in PostgreSQL
  EXPECT_EQ(startup.protocol_extensions(), (std::vector<std::string_view>{"_pq_.a", "_pq_.b"}));
}

TEST(DecodeStartupPacket, RefusesWhatPostgresRefuses) {
  struct Case {
    const char* name;
    std::string bytes;
    size_t fails_after;  // bytes fed one at a time before the error appears
    const char* error;
  };
  const std::string user = strings({"user", "u"});
  const Case cases[] = {
      {"length below 8", be32(7) + be32(kProtocol3), 4, "invalid length of startup packet: 7"},
      {"length zero", be32(0), 4, "invalid length of startup packet: 0"},
      {"negative length", be32(0xfffffff0), 4, "invalid length of startup packet: -16"},
      {"over 10000 bytes after the length", be32(10005), 4,
       "invalid length of startup packet: 10005 (at least 8, at most 10004)"},
      {"protocol 2.0", packet(protocol_code(2, 0), user), 8,
       "unsupported frontend protocol 2.0: the server supports 3.0"},
      {"protocol 1.0", packet(protocol_code(1, 0), user), 8, "unsupported frontend protocol 1.0"},
      {"protocol 4.0", packet(protocol_code(4, 0), user), 8, "unsupported frontend protocol 4.0"},
      {"unknown request code", packet(protocol_code(1234, 5681), ""), 8,
       "unknown startup request code 80877105 (1234.5681)"},
      {"SSLRequest with a body", packet(kSslRequestCode, "xxxx"), 8,
       "invalid length 12 of SSLRequest: expected 8"},
      {"GSSENCRequest with a body", packet(kGssEncRequestCode, "x"), 8,
       "invalid length 9 of GSSENCRequest: expected 8"},
      {"short CancelRequest", packet(kCancelRequestCode, be32(1)), 8,
       "invalid length 12 of CancelRequest: expected 16"},
      {"no parameters, no terminator", packet(kProtocol3, ""), 8,
       "invalid startup packet layout: expected an empty name as the terminator"},
      {"no terminator", packet(kProtocol3, z("user\0u\0")), 15,
       "expected an empty name as the terminator"},
      {"name without value", packet(kProtocol3, z("user\0u\0database\0")), 24,
       "invalid startup packet layout: parameter \"database\" has no value"},
      {"bytes after the terminator", packet(kProtocol3, user + "xy"), 18,
       "expected terminator as last byte, 2 bytes follow it"},
      {"only the terminator", packet(kProtocol3, std::string(1, '\0')), 9,
       "no PostgreSQL user name specified in startup packet"},
      {"no user", packet(kProtocol3, strings({"database", "d"})), 20,
       "no PostgreSQL user name specified in startup packet"},
      {"empty user", packet(kProtocol3, strings({"user", ""})), 15,
       "no PostgreSQL user name specified in startup packet"},
      {"user named twice", packet(kProtocol3, strings({"user", "alice", "user", "postgres"})), 34,
       "startup parameter \"user\" appears more than once"},
      {"option named twice",
       packet(kProtocol3, strings({"user", "a", "options", "", "options", ""})), 34,
       "startup parameter \"options\" appears more than once"},
  };
  for (const Case& c : cases) {
    for (size_t n = 1; n <= c.bytes.size(); ++n) {
      auto step = decode_startup_packet(std::string_view(c.bytes).substr(0, n));
      if (n < c.fails_after) {
        ASSERT_TRUE(step) << c.name << " failed early, at byte " << n << ": "
                          << step.error().message;
        EXPECT_FALSE(step->packet) << c.name;
        continue;
      }
      ASSERT_FALSE(step) << c.name << " did not fail at byte " << n;
      EXPECT_NE(step.error().message.find(c.error), std::string::npos)
          << c.name << ": " << step.error().message;
      break;
    }
  }
}

TEST(DecodeStartupPacket, MaximumIsConfigurable) {
  // 8 + 14 bytes; the limit counts what follows the length word, as PostgreSQL's does.
  const std::string p = packet(kProtocol3, strings({"user", "someone"}));
  EXPECT_TRUE(decode_startup_packet(p, 18));
  auto refused = decode_startup_packet(p, 17);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("invalid length of startup packet: 22"),
            std::string::npos);
  auto waiting = decode_startup_packet(be32(10004), kDefaultMaxStartupPacket);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->needed, 4u);
}

TEST(DecodeStartupPacket, BytesAfterAnSslRequestAreLeftToTheCaller) {
  // The gateway must see that a client sent more before the TLS handshake (CVE-2021-23214).
  const std::string bytes = unhex("0000000804d2162f") + kPsqlStartup;
  auto step = decode_startup_packet(bytes);
  ASSERT_TRUE(step);
  EXPECT_TRUE(std::holds_alternative<SslRequest>(*step->packet));
  EXPECT_EQ(step->consumed, 8u);
  EXPECT_LT(step->consumed, bytes.size());
}

TEST(DecodeStartupPacket, TruncatedPacketsWaitForMore) {
  for (size_t n = 0; n < kPsqlStartup.size(); ++n) {
    auto step = decode_startup_packet(std::string_view(kPsqlStartup).substr(0, n));
    ASSERT_TRUE(step) << n;
    EXPECT_FALSE(step->packet);
    EXPECT_EQ(step->needed, n < 4 ? 4 - n : n < 8 ? 8 - n : kPsqlStartup.size() - n) << n;
  }
}

Message msg(char type, std::string_view body) { return {type, body}; }

TEST(ParsePasswordMessage, CleartextPasswords) {
  struct Case {
    const char* name;
    std::string body;
    const char* password;  // nullptr: refused with `error`
    const char* error;
  };
  const Case cases[] = {
      {"password", z("clear-secret\0"), "clear-secret", nullptr},
      {"empty password", std::string(1, '\0'), "", nullptr},
      {"IAM token", z("db.example:5432/?Action=connect&DBUser=alice\0"),
       "db.example:5432/?Action=connect&DBUser=alice", nullptr},
      {"no terminator", "secret", nullptr, "password message is not NUL-terminated"},
      {"empty body", "", nullptr, "password message is not NUL-terminated"},
      {"embedded NUL", z("sec\0ret\0"), nullptr,
       "password message contains a NUL byte before its end"},
      {"bytes after the NUL", z("secret\0x"), nullptr,
       "password message contains a NUL byte before its end"},
  };
  for (const Case& c : cases) {
    auto got = parse_password_message(msg('p', c.body));
    if (c.password) {
      ASSERT_TRUE(got) << c.name << ": " << got.error().message;
      EXPECT_EQ(*got, c.password) << c.name;
    } else {
      ASSERT_FALSE(got) << c.name;
      EXPECT_EQ(got.error().message, c.error) << c.name;
    }
  }
  auto wrong = parse_password_message(msg('Q', z("x\0")));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "expected PasswordMessage ('p'), got Query ('Q')");
}

TEST(ParseSaslInitialResponse, Table) {
  struct Case {
    const char* name;
    std::string body;
    const char* mechanism;  // nullptr: refused with `error`
    std::optional<std::string> data;
    const char* error;
  };
  const std::string mech = std::string("SCRAM-SHA-256") + '\0';
  const Case cases[] = {
      {"with data", mech + be32(5) + "n,,ab", "SCRAM-SHA-256", "n,,ab", nullptr},
      {"empty data", mech + be32(0), "SCRAM-SHA-256", "", nullptr},
      {"no data", mech + be32(0xffffffff), "SCRAM-SHA-256", std::nullopt, nullptr},
      {"data after -1", mech + be32(0xffffffff) + "x", nullptr, std::nullopt,
       "SASLInitialResponse: 1 bytes follow an absent initial response"},
      {"length -2", mech + be32(0xfffffffe), nullptr, std::nullopt,
       "SASLInitialResponse: invalid initial response length -2"},
      {"length too long", mech + be32(6) + "n,,ab", nullptr, std::nullopt,
       "SASLInitialResponse: initial response length 6 but 5 bytes follow"},
      {"length too short", mech + be32(4) + "n,,ab", nullptr, std::nullopt,
       "SASLInitialResponse: initial response length 4 but 5 bytes follow"},
      {"no length", mech + "ab", nullptr, std::nullopt,
       "SASLInitialResponse: missing the length of the initial response"},
      {"unterminated mechanism", "SCRAM-SHA-256", nullptr, std::nullopt,
       "SASLInitialResponse: mechanism name is not NUL-terminated"},
      {"empty mechanism", std::string(1, '\0') + be32(0), nullptr, std::nullopt,
       "SASLInitialResponse: empty mechanism name"},
  };
  for (const Case& c : cases) {
    auto got = parse_sasl_initial_response(msg('p', c.body));
    if (c.mechanism) {
      ASSERT_TRUE(got) << c.name << ": " << got.error().message;
      EXPECT_EQ(got->mechanism, c.mechanism) << c.name;
      EXPECT_EQ(got->data.has_value(), c.data.has_value()) << c.name;
      if (c.data) {
        EXPECT_EQ(*got->data, *c.data) << c.name;
      }
    } else {
      ASSERT_FALSE(got) << c.name;
      EXPECT_EQ(got.error().message, c.error) << c.name;
    }
  }
}

TEST(ParseFrontendMessages, SaslResponseQueryTerminate) {
  const std::string sasl_body = z("c=biws,r=x\0y");
  auto sasl = parse_sasl_response(msg('p', sasl_body));
  ASSERT_TRUE(sasl);
  EXPECT_EQ(*sasl, sasl_body);  // opaque bytes, NUL included

  const std::string query_body = z("SELECT 1;\0");
  auto query = parse_query(msg('Q', query_body));
  ASSERT_TRUE(query);
  EXPECT_EQ(*query, "SELECT 1;");
  auto unterminated = parse_query(msg('Q', "SELECT 1;"));
  ASSERT_FALSE(unterminated);
  EXPECT_EQ(unterminated.error().message, "Query is not NUL-terminated");
  auto two = parse_query(msg('Q', z("SELECT 1;\0SELECT 2;\0")));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message, "Query contains a NUL byte before its end");

  EXPECT_TRUE(parse_terminate(msg('X', "")));
  auto long_terminate = parse_terminate(msg('X', "z"));
  ASSERT_FALSE(long_terminate);
  EXPECT_EQ(long_terminate.error().message, "Terminate carries 1 bytes; it has no body");
  EXPECT_FALSE(parse_terminate(msg('Q', "")));
}

}  // namespace
}  // namespace iamdb::pgwire
