// Encoders against the bytes real clients and PostgreSQL 15 wrote (captures/), and encoder ->
// framer -> parser round trips for every message the gateway writes, in both directions.
#include <gtest/gtest.h>

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/fe_write.h"
#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::be32;
using testing::decode_stream;
using testing::every_split;
using testing::unhex;
using testing::z;

template <class Write>
std::string written(Write write) {
  std::string out;
  write(out);
  return out;
}

TEST(Encoders, MatchTheBytesPostgresAndLibpqWrite) {
  struct Case {
    const char* name;
    std::string ours;
    std::string captured;  // hex from captures/
  };
  const std::vector<StartupParameter> psql_params = {
      {"user", "scram_user"}, {"database", "postgres"}, {"application_name", "capture"}};
  const std::string_view scram[] = {kScramSha256};
  const Case cases[] = {
      {"SSLRequest", written([](auto& o) { write_ssl_request(o); }), "0000000804d2162f"},
      {"StartupMessage", written([&](auto& o) { write_startup_message(o, psql_params); }),
       "00000044000300007573657200736372616d5f7573657200646174616261736500706f737467726573006170"
       "706c69636174696f6e5f6e616d6500636170747572650000"},
      {"CancelRequest", written([](auto& o) { write_cancel_request(o, 11024, 0x1237550f); }),
       "0000001004d2162e00002b101237550f"},
      {"PasswordMessage", written([](auto& o) { write_password_message(o, "clear-secret"); }),
       "7000000011636c6561722d73656372657400"},
      {"SASLInitialResponse", written([](auto& o) {
         write_sasl_initial_response(o, kScramSha256, "n,,n=,r=3GiV+meldYqeMX5aty86wgRb");
       }),
       "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d334769562b6d656c645971"
       "654d5835617479383677675262"},
      {"Query", written([](auto& o) { write_query(o, "SELECT 1 AS one;"); }),
       "510000001553454c4543542031204153206f6e653b00"},
      {"Terminate", written([](auto& o) { write_terminate(o); }), "5800000004"},
      {"AuthenticationSASL", written([&](auto& o) { write_authentication_sasl(o, scram); }),
       "52000000170000000a534352414d2d5348412d3235360000"},
      {"AuthenticationOk", written([](auto& o) { write_authentication_ok(o); }),
       "520000000800000000"},
      {"AuthenticationCleartextPassword",
       written([](auto& o) { write_authentication_cleartext_password(o); }), "520000000800000003"},
      {"AuthenticationMD5Password", written([](auto& o) {
         write_authentication_md5_password(o, {0xb7, 0xc9, 0x92, 0x97});
       }),
       "520000000c00000005b7c99297"},
      {"ParameterStatus",
       written([](auto& o) { write_parameter_status(o, "application_name", "capture"); }),
       "530000001d6170706c69636174696f6e5f6e616d650063617074757265 00"},
      {"BackendKeyData", written([](auto& o) { write_backend_key_data(o, 10882, 0x85bc8427); }),
       "4b0000000c00002a8285bc8427"},
      {"ReadyForQuery idle",
       written([](auto& o) { write_ready_for_query(o, TransactionStatus::kIdle); }),
       "5a0000000549"},
      {"ReadyForQuery in a transaction",
       written([](auto& o) { write_ready_for_query(o, TransactionStatus::kInTransaction); }),
       "5a0000000554"},
      {"ReadyForQuery failed",
       written([](auto& o) { write_ready_for_query(o, TransactionStatus::kFailed); }),
       "5a0000000545"},
      {"SSL refused", written([](auto& o) { write_ssl_response(o, false); }), "4e"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(hex_encode(c.ours), hex_encode(unhex(c.captured))) << c.name;
}

TEST(Encoders, AppendToTheCallersBuffer) {
  std::string out = "prefix";
  write_ready_for_query(out, TransactionStatus::kIdle);
  write_terminate(out);
  EXPECT_EQ(out, "prefix" + unhex("5a0000000549") + unhex("5800000004"));
}

TEST(Encoders, OneByteAnswersToEncryptionRequests) {
  EXPECT_EQ(written([](auto& o) { write_ssl_response(o, true); }), "S");
  EXPECT_EQ(written([](auto& o) { write_ssl_response(o, false); }), "N");
  EXPECT_EQ(written([](auto& o) { write_gssenc_response(o, true); }), "G");
  EXPECT_EQ(written([](auto& o) { write_gssenc_response(o, false); }), "N");
}

// Everything the gateway writes to a client, read back as a client reads it.
TEST(RoundTrip, GatewayToClient) {
  std::string stream;
  write_authentication_cleartext_password(stream);
  write_authentication_md5_password(stream, {1, 2, 3, 4});
  const std::string_view mechanisms[] = {kScramSha256Plus, kScramSha256};
  write_authentication_sasl(stream, mechanisms);
  write_authentication_sasl_continue(stream, "r=nonce,s=c2FsdA==,i=4096");
  write_authentication_sasl_final(stream, "v=c2lnbmF0dXJl");
  write_authentication_ok(stream);
  write_parameter_status(stream, "server_version", "15.18");
  write_backend_key_data(stream, -5, 0xdeadbeef);
  write_notice_response(stream, {.severity = Severity::kWarning,
                                 .sqlstate = "01000",
                                 .message = "careful",
                                 .hint = "be careful"});
  write_error_response(stream, {.severity = Severity::kError,
                                .sqlstate = "22012",
                                .message = "division by zero",
                                .detail = "d",
                                .hint = "h"});
  const std::string_view unrecognized[] = {"_pq_.x"};
  write_negotiate_protocol_version(stream, 0, unrecognized);
  write_authentication_failed(stream, iam_authentication_failed_message("alice", "req-1"));
  write_ready_for_query(stream, TransactionStatus::kFailed);

  for (const auto& chunks : every_split(stream)) {
    auto decoded = decode_stream(chunks, {.sender = Peer::kBackend}, false);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_EQ(decoded->messages.size(), 13u);
  }
  auto decoded = decode_stream(stream, {.sender = Peer::kBackend}, false);
  ASSERT_TRUE(decoded);
  const auto& m = decoded->messages;
  EXPECT_EQ(parse_authentication(m[0].view())->request, AuthRequest::kCleartextPassword);
  EXPECT_EQ(parse_authentication(m[1].view())->salt, (Md5Salt{1, 2, 3, 4}));
  EXPECT_EQ(parse_authentication(m[2].view())->mechanisms,
            (std::vector<std::string_view>{kScramSha256Plus, kScramSha256}));
  EXPECT_EQ(parse_authentication(m[3].view())->data, "r=nonce,s=c2FsdA==,i=4096");
  EXPECT_EQ(parse_authentication(m[4].view())->request, AuthRequest::kSaslFinal);
  EXPECT_EQ(parse_authentication(m[4].view())->data, "v=c2lnbmF0dXJl");
  EXPECT_EQ(parse_authentication(m[5].view())->request, AuthRequest::kOk);
  EXPECT_EQ(parse_parameter_status(m[6].view())->value, "15.18");
  auto key = parse_backend_key_data(m[7].view());
  EXPECT_EQ(key->process_id, -5);
  EXPECT_EQ(key->secret_key, 0xdeadbeefu);
  auto notice = parse_notice_response(m[8].view());
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->get('S'), "WARNING");
  EXPECT_EQ(notice->severity(), "WARNING");
  EXPECT_EQ(notice->sqlstate(), "01000");
  EXPECT_EQ(notice->hint(), "be careful");
  EXPECT_EQ(notice->get('D'), "");
  auto error = parse_error_response(m[9].view());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->fields,
            (std::vector<std::pair<char, std::string_view>>{{'S', "ERROR"},
                                                            {'V', "ERROR"},
                                                            {'C', "22012"},
                                                            {'M', "division by zero"},
                                                            {'D', "d"},
                                                            {'H', "h"}}));
  auto negotiate = parse_negotiate_protocol_version(m[10].view());
  ASSERT_TRUE(negotiate);
  EXPECT_EQ(negotiate->unrecognized_options, (std::vector<std::string_view>{"_pq_.x"}));
  auto failed = parse_error_response(m[11].view());
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->severity(), "FATAL");
  EXPECT_EQ(failed->sqlstate(), "28000");
  EXPECT_EQ(failed->message(), "IAM authentication failed for user \"alice\" (request id req-1)");
  EXPECT_EQ(parse_ready_for_query(m[12].view()), TransactionStatus::kFailed);
}

// Everything the gateway writes to a server, read back as a server reads it.
TEST(RoundTrip, GatewayToServer) {
  std::string stream;
  write_ssl_request(stream);
  const std::vector<StartupParameter> params = {
      {"user", "alice"}, {"database", "app"}, {"options", "-c search_path=x"}};
  write_startup_message(stream, params);
  write_sasl_initial_response(stream, kScramSha256, "n,,n=,r=abc");
  write_sasl_initial_response(stream, kScramSha256, std::nullopt);
  write_sasl_response(stream, "c=biws,r=abcdef,p=cHJvb2Y=");
  write_password_message(stream, "md5" + std::string(32, 'a'));
  write_query(stream, "DISCARD ALL");
  write_terminate(stream);

  for (const auto& chunks : every_split(stream)) {
    auto decoded = decode_stream(chunks, {.sender = Peer::kFrontend}, true);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_EQ(decoded->startup.size(), 2u);
    ASSERT_EQ(decoded->messages.size(), 6u);
  }
  auto decoded = decode_stream(stream, {.sender = Peer::kFrontend}, true);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(std::holds_alternative<SslRequest>(decoded->startup[0]));
  EXPECT_EQ(std::get<StartupMessage>(decoded->startup[1]).parameters, params);
  const auto& m = decoded->messages;
  auto initial = parse_sasl_initial_response(m[0].view());
  ASSERT_TRUE(initial);
  EXPECT_EQ(initial->mechanism, kScramSha256);
  EXPECT_EQ(initial->data, "n,,n=,r=abc");
  auto no_data = parse_sasl_initial_response(m[1].view());
  ASSERT_TRUE(no_data);
  EXPECT_FALSE(no_data->data);
  EXPECT_EQ(parse_sasl_response(m[2].view()), "c=biws,r=abcdef,p=cHJvb2Y=");
  EXPECT_EQ(parse_password_message(m[3].view()), "md5" + std::string(32, 'a'));
  EXPECT_EQ(parse_query(m[4].view()), "DISCARD ALL");
  EXPECT_TRUE(parse_terminate(m[5].view()));

  std::string cancel;
  write_cancel_request(cancel, 77, 0xfffffffe);
  auto step = decode_startup_packet(cancel);
  ASSERT_TRUE(step);
  EXPECT_EQ(std::get<CancelRequest>(*step->packet),
            (CancelRequest{.process_id = 77, .secret_key = 0xfffffffe}));

  std::string v32;
  write_startup_message(v32, params, 2);
  auto startup = decode_startup_packet(v32);
  ASSERT_TRUE(startup);
  EXPECT_EQ(std::get<StartupMessage>(*startup->packet).minor_version, 2);
}

TEST(SaslWithoutChannelBinding, DropsThePlusMechanisms) {
  struct Case {
    const char* name;
    std::vector<std::string_view> offered;
    std::vector<std::string_view> relayed;  // empty: refused
  };
  const Case cases[] = {
      {"PostgreSQL over TLS", {kScramSha256Plus, kScramSha256}, {kScramSha256}},
      {"PostgreSQL without TLS", {kScramSha256}, {kScramSha256}},
      {"a future mechanism pair",
       {"SCRAM-SHA-512-PLUS", "SCRAM-SHA-512", kScramSha256},
       {"SCRAM-SHA-512", kScramSha256}},
      {"channel binding only", {kScramSha256Plus}, {}},
  };
  for (const Case& c : cases) {
    std::string backend;
    write_authentication_sasl(backend, c.offered);
    std::string out;
    auto rewritten =
        write_sasl_without_channel_binding(out, {'R', std::string_view(backend).substr(5)});
    if (c.relayed.empty()) {
      ASSERT_FALSE(rewritten) << c.name;
      EXPECT_NE(rewritten.error().message.find("only channel-binding"), std::string::npos);
      EXPECT_TRUE(out.empty());
      continue;
    }
    ASSERT_TRUE(rewritten) << c.name << ": " << rewritten.error().message;
    auto decoded = decode_stream(out, {.sender = Peer::kBackend}, false);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->messages.size(), 1u);
    EXPECT_EQ(parse_authentication(decoded->messages[0].view())->mechanisms, c.relayed) << c.name;
  }
  std::string out;
  EXPECT_FALSE(write_sasl_without_channel_binding(out, {'R', be32(0)}));  // AuthenticationOk
  EXPECT_FALSE(write_sasl_without_channel_binding(out, {'R', z("\0\0\0\x0a")}));
  EXPECT_TRUE(out.empty());
}

TEST(AuthenticationFailed, IsFatal28000WithTheGivenText) {
  std::string out;
  write_authentication_failed(out, "IAM authentication failed for user \"u\"");
  EXPECT_EQ(out, unhex("45") + be32(static_cast<uint32_t>(out.size() - 1)) +
                     z("SFATAL\0VFATAL\0C28000\0MIAM authentication failed for user \"u\"\0\0"));
  EXPECT_EQ(iam_authentication_failed_message("bob", "0f4e"),
            "IAM authentication failed for user \"bob\" (request id 0f4e)");
  EXPECT_EQ(severity_name(Severity::kPanic), "PANIC");
  EXPECT_EQ(severity_name(Severity::kLog), "LOG");
}

}  // namespace
}  // namespace iamdb::pgwire
