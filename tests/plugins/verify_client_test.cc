// The verify RPC client against a real Unix-socket peer: it obeys a well-formed answer and
// refuses on everything else, within its deadline.
#include "plugins/common/verify_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plugins/fake_daemon.h"

namespace iamdb::plugin {
namespace {

using std::chrono::milliseconds;
using testing::Connection;
using testing::FakeDaemon;

constexpr char kAllow[] =
    "{\"v\":1,\"allow\":true,\"request_id\":\"req-1\",\"principal\":\"arn:aws:iam::123456789012:user/alice\",\"reason\":\"allowed\"}\n";
constexpr char kDeny[] =
    "{\"v\":1,\"allow\":false,\"request_id\":\"req-2\",\"reason\":\"signature_mismatch\"}\n";

const VerifyRequest kRequest{.instance = "orders-db",
                             .user = "alice",
                             .token = "db.example.com:5432/?Action=connect&DBUser=alice",
                             .client_addr = "10.0.0.7",
                             .tls = true};

Decision call(const FakeDaemon& daemon, milliseconds timeout = milliseconds(5000),
              const VerifyRequest& request = kRequest) {
  return verify(ClientOptions{daemon.socket_path(), timeout}, request);
}

TEST(VerifyClient, ObeysAnAllow) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const Decision decision = call(daemon);
  EXPECT_TRUE(decision.allow);
  EXPECT_TRUE(decision.answered);
  EXPECT_EQ(decision.reason, "allowed");
  EXPECT_EQ(decision.request_id, "req-1");
  EXPECT_EQ(decision.principal, "arn:aws:iam::123456789012:user/alice");
}

TEST(VerifyClient, SendsOneRequestLineWithEveryField) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  call(daemon);
  const auto requests = daemon.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto sent = nlohmann::json::parse(requests[0]);
  EXPECT_EQ(sent, nlohmann::json::parse(R"({"v":1,"instance":"orders-db","user":"alice",
      "token":"db.example.com:5432/?Action=connect&DBUser=alice","client_addr":"10.0.0.7","tls":true})"));
}

TEST(VerifyClient, SendsEscapedUserNamesThatParseBack) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const std::string user = "j\xc3\xbcrgen \"\\\n\x01";
  VerifyRequest request = kRequest;
  request.user = user;
  call(daemon, milliseconds(5000), request);
  const auto requests = daemon.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].find('\x01'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(requests[0])["user"].get<std::string>(), user);
}

TEST(VerifyClient, ObeysADeny) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const Decision decision = call(daemon);
  EXPECT_FALSE(decision.allow);
  EXPECT_TRUE(decision.answered);
  EXPECT_EQ(decision.reason, "signature_mismatch");
  EXPECT_EQ(decision.request_id, "req-2");
}

TEST(VerifyClient, WaitsForAnAnswerThatComesBeforeTheTimeout) {
  FakeDaemon daemon([](Connection& connection, const std::string&) {
    if (connection.pause(milliseconds(100))) connection.send(kAllow);
  });
  EXPECT_TRUE(call(daemon, milliseconds(5000)).allow);
}

TEST(VerifyClient, ReassemblesAnAnswerSentByteByByte) {
  FakeDaemon daemon([](Connection& connection, const std::string&) {
    for (const char c : std::string_view(kAllow)) {
      if (!connection.send(std::string_view(&c, 1)) || !connection.pause(milliseconds(1))) return;
    }
  });
  EXPECT_TRUE(call(daemon).allow);
}

TEST(VerifyClient, IgnoresBytesAfterTheAnswerLine) {
  FakeDaemon daemon(FakeDaemon::answer(std::string(kDeny) + kAllow));
  const Decision decision = call(daemon);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, "signature_mismatch");
}

struct RefusalCase {
  const char* name;
  std::string answer;  // sent as is, then the daemon closes the connection
  std::string_view reason;
};

class RefusesOnBadAnswer : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(RefusesOnBadAnswer, FailingClosed) {
  const auto& c = GetParam();
  FakeDaemon daemon([&c](Connection& connection, const std::string&) {
    connection.send(c.answer);
    connection.close();
  });
  const Decision decision = call(daemon);
  EXPECT_FALSE(decision.allow);
  EXPECT_FALSE(decision.answered);
  EXPECT_EQ(decision.reason, c.reason) << decision.detail;
  EXPECT_FALSE(decision.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, RefusesOnBadAnswer,
    ::testing::Values(
        RefusalCase{"Garbage", "garbage\n", kReasonMalformed},
        RefusalCase{"AllowAsString",
                    "{\"v\":1,\"allow\":\"true\",\"request_id\":\"r\",\"reason\":\"allowed\"}\n",
                    kReasonMalformed},
        RefusalCase{"MissingReason", "{\"v\":1,\"allow\":true,\"request_id\":\"r\"}\n",
                    kReasonMalformed},
        RefusalCase{"PartialLineThenClose", "{\"v\":1,\"allow\":true,\"request_id\":\"r\",",
                    kReasonClosed},
        RefusalCase{"AllowWithoutNewlineThenClose",
                    "{\"v\":1,\"allow\":true,\"request_id\":\"r\",\"reason\":\"allowed\"}",
                    kReasonClosed},
        RefusalCase{"CloseWithoutAnswer", "", kReasonClosed},
        RefusalCase{"Oversized", std::string(kMaxLineBytes + 100, ' ') + "\n", kReasonTooLarge},
        RefusalCase{"OversizedValidJson",
                    "{\"v\":1,\"allow\":true,\"request_id\":\"r\",\"reason\":\"" +
                        std::string(kMaxLineBytes, 'x') + "\"}\n",
                    kReasonTooLarge}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(VerifyClient, AcceptsALineOfExactlyTheLimit) {
  std::string line = "{\"v\":1,\"allow\":true,\"request_id\":\"r\",\"reason\":\"allowed\"}";
  line.append(kMaxLineBytes - 1 - line.size(), ' ');
  line.push_back('\n');
  ASSERT_EQ(line.size(), kMaxLineBytes);
  FakeDaemon daemon(FakeDaemon::answer(line));
  EXPECT_TRUE(call(daemon).allow);
}

TEST(VerifyClient, TimesOutOnADaemonThatNeverAnswers) {
  FakeDaemon daemon(FakeDaemon::silent());
  const Decision decision = call(daemon, milliseconds(200));
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonTimeout);
  EXPECT_EQ(daemon.requests().size(), 1u);
}

TEST(VerifyClient, TimesOutWhenTheAnswerComesTooLate) {
  FakeDaemon daemon([](Connection& connection, const std::string&) {
    if (connection.pause(milliseconds(2000))) connection.send(kAllow);
  });
  const Decision decision = call(daemon, milliseconds(100));
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonTimeout);
}

TEST(VerifyClient, RefusesWhenNoDaemonListens) {
  const Decision decision =
      verify(ClientOptions{"/nonexistent-iamdb-dir/verify.sock", milliseconds(1000)}, kRequest);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonUnreachable);
  EXPECT_NE(decision.detail.find("No such file"), std::string::npos) << decision.detail;
}

TEST(VerifyClient, RefusesWhenTheSocketPathIsTooLong) {
  const Decision decision = verify(ClientOptions{"/" + std::string(200, 'a'), milliseconds(1000)}, kRequest);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonNotConfigured);
}

TEST(VerifyClient, RefusesWithoutASocketPath) {
  const Decision decision = verify(ClientOptions{"", milliseconds(1000)}, kRequest);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonNotConfigured);
}

TEST(VerifyClient, RefusesAnOversizedTokenBeforeConnecting) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const std::string token(kMaxTokenBytes + 1, 't');
  VerifyRequest request = kRequest;
  request.token = token;
  const Decision decision = call(daemon, milliseconds(1000), request);
  EXPECT_FALSE(decision.allow);
  EXPECT_EQ(decision.reason, kReasonBadRequest);
  EXPECT_EQ(daemon.connections(), 0);
}

TEST(Describe, NeverForgesLinesAndQuotesWhatNeedsIt) {
  Decision decision;
  decision.reason = "bad\nline";
  decision.request_id = "id \"1\"";
  decision.detail = std::string(500, 'd');
  const std::string line = describe(decision);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("reason=bad?line"), std::string::npos) << line;
  EXPECT_NE(line.find("request_id=\"id \\\"1\\\"\""), std::string::npos) << line;
  EXPECT_NE(line.find("..."), std::string::npos) << line;
  EXPECT_LT(line.size(), 400u);
}

}  // namespace
}  // namespace iamdb::plugin
