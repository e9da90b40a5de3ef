// AWSAuthenticationPlugin's decision: TLS required before the token is asked for, then the
// daemon's answer mapped to a plugin status. (The plugin inside a real server is exercised by
// tests/integration/test_plugins_failclosed.py.)
#include <mysql/plugin_auth_common.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plugins/fake_daemon.h"
#include "plugins/mariadb/authenticate.h"

namespace iamdb::mariadb {
namespace {

using plugin::testing::FakeDaemon;
using std::chrono::milliseconds;

constexpr char kAllow[] =
    "{\"v\":1,\"allow\":true,\"request_id\":\"req-1\",\"principal\":\"arn:aws:iam::1:user/alice\",\"reason\":\"allowed\"}\n";
constexpr char kDeny[] =
    "{\"v\":1,\"allow\":false,\"request_id\":\"req-2\",\"reason\":\"policy_denied\"}\n";
constexpr char kToken[] = "db.example.com:3306/?Action=connect&DBUser=alice&X-Amz-Signature=abc";

Settings settings_for(const FakeDaemon& daemon) {
  return Settings{.socket_path = daemon.socket_path(), .instance = "orders-db",
                  .timeout = milliseconds(2000), .require_tls = true};
}

Attempt attempt(SessionTls tls, std::string_view password = kToken) {
  return Attempt{.user = "alice", .password = password, .client_addr = "192.0.2.10", .tls = tls};
}

struct TransportCase {
  const char* name;
  bool require_tls;
  SessionTls tls;
  bool refused;
  int status;
};

class Transport : public ::testing::TestWithParam<TransportCase> {};

TEST_P(Transport, IsCheckedBeforeThePasswordIsRead) {
  const auto& c = GetParam();
  Settings settings{.socket_path = "/s", .instance = "i"};
  settings.require_tls = c.require_tls;
  const auto refused = refuse_transport(settings, "192.0.2.10", c.tls);
  ASSERT_EQ(refused.has_value(), c.refused);
  if (refused) {
    EXPECT_EQ(refused->status, c.status);
    EXPECT_NE(refused->log_line.find("reason=plugin_tls_required"), std::string::npos);
    EXPECT_NE(refused->log_line.find("client=192.0.2.10"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, Transport,
    ::testing::Values(TransportCase{"TlsRequiredAndUsed", true, SessionTls::kTls, false, 0},
                      TransportCase{"TlsRequiredPlain", true, SessionTls::kPlain, true, CR_AUTH_USER_CREDENTIALS},
                      TransportCase{"TlsRequiredUnknown", true, SessionTls::kUnknown, true, CR_AUTH_PLUGIN_ERROR},
                      TransportCase{"TlsOptionalPlain", false, SessionTls::kPlain, false, 0},
                      TransportCase{"TlsOptionalUnknown", false, SessionTls::kUnknown, false, 0}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(MariaDbDecision, AllowsOnlyOnTheDaemonsAllow) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const Outcome outcome = authenticate(settings_for(daemon), attempt(SessionTls::kTls));
  EXPECT_EQ(outcome.status, CR_OK);
  const auto sent = nlohmann::json::parse(daemon.requests().at(0));
  EXPECT_EQ(sent["user"], "alice");
  EXPECT_EQ(sent["token"], kToken);
  EXPECT_EQ(sent["client_addr"], "192.0.2.10");
  EXPECT_EQ(sent["instance"], "orders-db");
  EXPECT_EQ(sent["tls"], true);
}

TEST(MariaDbDecision, RefusesOnADeny) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const Outcome outcome = authenticate(settings_for(daemon), attempt(SessionTls::kTls));
  EXPECT_EQ(outcome.status, CR_AUTH_USER_CREDENTIALS);
  EXPECT_FALSE(outcome.error);
  EXPECT_NE(outcome.log_line.find("reason=policy_denied"), std::string::npos) << outcome.log_line;
}

TEST(MariaDbDecision, RefusesAsAPluginErrorWhenTheDaemonHangs) {
  FakeDaemon daemon(FakeDaemon::silent());
  Settings settings = settings_for(daemon);
  settings.timeout = milliseconds(200);
  const Outcome outcome = authenticate(settings, attempt(SessionTls::kTls));
  EXPECT_EQ(outcome.status, CR_AUTH_PLUGIN_ERROR);
  EXPECT_TRUE(outcome.error);
  EXPECT_NE(outcome.log_line.find("reason=rpc_timeout"), std::string::npos) << outcome.log_line;
}

TEST(MariaDbDecision, RefusesWhenNotConfigured) {
  const Outcome outcome = authenticate(Settings{}, attempt(SessionTls::kTls));
  EXPECT_EQ(outcome.status, CR_AUTH_PLUGIN_ERROR);
  EXPECT_NE(outcome.log_line.find("reason=plugin_not_configured"), std::string::npos)
      << outcome.log_line;
}

struct NoCallCase {
  const char* name;
  SessionTls tls;
  std::string password;
};

class RefusesBeforeAnyCall : public ::testing::TestWithParam<NoCallCase> {};

TEST_P(RefusesBeforeAnyCall, WithoutConnecting) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const Outcome outcome =
      authenticate(settings_for(daemon), attempt(GetParam().tls, GetParam().password));
  EXPECT_NE(outcome.status, CR_OK);
  EXPECT_EQ(daemon.connections(), 0);
  EXPECT_EQ(outcome.log_line.find("ttttttttt"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RefusesBeforeAnyCall,
    ::testing::Values(NoCallCase{"PlainConnection", SessionTls::kPlain, kToken},
                      NoCallCase{"UnknownTransport", SessionTls::kUnknown, kToken},
                      NoCallCase{"TokenOverEightKiB", SessionTls::kTls, std::string(8 * 1024 + 1, 't')},
                      NoCallCase{"EmptyPassword", SessionTls::kTls, ""}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

}  // namespace
}  // namespace iamdb::mariadb
