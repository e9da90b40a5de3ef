// pam_iamdb: module arguments, client addresses, the decision, and the real module loaded by
// libpam from a service file, driven through pam_authenticate/pam_acct_mgmt as PostgreSQL does.
#include <security/pam_appl.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "plugins/fake_daemon.h"
#include "plugins/pam/authenticate.h"
#include "plugins/pam/module_options.h"

namespace iamdb::pam {
namespace {

using plugin::testing::FakeDaemon;
using std::chrono::milliseconds;

constexpr char kAllow[] =
    "{\"v\":1,\"allow\":true,\"request_id\":\"req-1\",\"principal\":\"arn:aws:iam::1:user/alice\",\"reason\":\"allowed\"}\n";
constexpr char kDeny[] =
    "{\"v\":1,\"allow\":false,\"request_id\":\"req-2\",\"reason\":\"expired\"}\n";
constexpr char kToken[] = "db.example.com:5432/?Action=connect&DBUser=alice&X-Amz-Signature=abc";

// ---- module arguments

TEST(ModuleArguments, ReadsEveryArgument) {
  const char* argv[] = {"socket=/run/iamdb/verify.sock", "instance=orders-db", "timeout_ms=750",
                        "tls=assume"};
  const auto options = parse_module_arguments(argv);
  ASSERT_TRUE(options.has_value()) << options.error().message;
  EXPECT_EQ(options->socket_path, "/run/iamdb/verify.sock");
  EXPECT_EQ(options->instance, "orders-db");
  EXPECT_EQ(options->timeout, milliseconds(750));
  EXPECT_TRUE(options->assume_tls);
}

TEST(ModuleArguments, DefaultsToTwoSecondsAndNoTls) {
  const char* argv[] = {"instance=a", "socket=/s"};
  const auto options = parse_module_arguments(argv);
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->timeout, milliseconds(2000));
  EXPECT_FALSE(options->assume_tls);
}

struct BadArguments {
  const char* name;
  std::vector<const char*> argv;
  const char* message_part;
};

class RejectsArguments : public ::testing::TestWithParam<BadArguments> {};

TEST_P(RejectsArguments, NamingTheArgument) {
  const auto options = parse_module_arguments(GetParam().argv);
  ASSERT_FALSE(options.has_value());
  EXPECT_NE(options.error().message.find(GetParam().message_part), std::string::npos)
      << options.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RejectsArguments,
    ::testing::Values(
        BadArguments{"NoSocket", {"instance=a"}, "socket= is required"},
        BadArguments{"NoInstance", {"socket=/s"}, "instance= is required"},
        BadArguments{"RelativeSocket", {"socket=s", "instance=a"}, "absolute path"},
        BadArguments{"EmptyInstance", {"socket=/s", "instance="}, "instance= is empty"},
        BadArguments{"ZeroTimeout", {"socket=/s", "instance=a", "timeout_ms=0"}, "timeout_ms="},
        BadArguments{"HugeTimeout", {"socket=/s", "instance=a", "timeout_ms=60001"}, "timeout_ms="},
        BadArguments{"TextTimeout", {"socket=/s", "instance=a", "timeout_ms=2s"}, "timeout_ms="},
        BadArguments{"BadTls", {"socket=/s", "instance=a", "tls=yes"}, "tls="},
        BadArguments{"Unknown", {"socket=/s", "instance=a", "debug=1"}, "unknown module argument 'debug'"},
        BadArguments{"NotKeyValue", {"socket=/s", "instance=a", "use_first_pass"}, "not key=value"},
        BadArguments{"Repeated", {"socket=/s", "instance=a", "instance=b"}, "given twice"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

// ---- client addresses

struct AddressCase {
  const char* name;
  const char* rhost;
  const char* address;
};

class ClientAddress : public ::testing::TestWithParam<AddressCase> {};

TEST_P(ClientAddress, FromPamRhost) {
  EXPECT_EQ(client_address(GetParam().rhost), GetParam().address);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ClientAddress,
    ::testing::Values(AddressCase{"Ipv4", "10.0.0.7", "10.0.0.7"},
                      AddressCase{"Ipv6", "2001:DB8:0:0::1", "2001:db8::1"},
                      AddressCase{"Ipv6Loopback", "::1", "::1"},
                      AddressCase{"Ipv4Mapped", "::ffff:192.0.2.1", "192.0.2.1"},
                      AddressCase{"ZoneDropped", "fe80::1%eth0", "fe80::1"},
                      AddressCase{"UnixSocket", "[local]", ""},
                      AddressCase{"HostName", "db.example.com", ""},
                      AddressCase{"Empty", "", ""},
                      AddressCase{"Ipv4WithJunk", "10.0.0.7 ", ""}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

// ---- the decision

PamOptions options_for(const FakeDaemon& daemon, bool assume_tls = true) {
  return PamOptions{.socket_path = daemon.socket_path(), .instance = "orders-db",
                    .timeout = milliseconds(2000), .assume_tls = assume_tls};
}

TEST(PamDecision, AllowsOnlyOnTheDaemonsAllow) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const Outcome outcome =
      authenticate(options_for(daemon), {.user = "alice", .password = kToken, .rhost = "10.0.0.7"});
  EXPECT_EQ(outcome.pam_status, PAM_SUCCESS);
  EXPECT_NE(outcome.log_line.find("reason=allowed"), std::string::npos) << outcome.log_line;
  EXPECT_NE(outcome.log_line.find("request_id=req-1"), std::string::npos) << outcome.log_line;
  const auto sent = nlohmann::json::parse(daemon.requests().at(0));
  EXPECT_EQ(sent["user"], "alice");
  EXPECT_EQ(sent["token"], kToken);
  EXPECT_EQ(sent["client_addr"], "10.0.0.7");
  EXPECT_EQ(sent["instance"], "orders-db");
  EXPECT_EQ(sent["tls"], true);
}

TEST(PamDecision, ReportsTlsOnlyWhenAssumed) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  authenticate(options_for(daemon, false), {.user = "alice", .password = kToken, .rhost = "[local]"});
  const auto sent = nlohmann::json::parse(daemon.requests().at(0));
  EXPECT_EQ(sent["tls"], false);
  EXPECT_EQ(sent["client_addr"], "");
}

TEST(PamDecision, RefusesOnADeny) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const Outcome outcome =
      authenticate(options_for(daemon), {.user = "alice", .password = kToken, .rhost = "10.0.0.7"});
  EXPECT_EQ(outcome.pam_status, PAM_AUTH_ERR);
  EXPECT_NE(outcome.log_line.find("reason=expired"), std::string::npos) << outcome.log_line;
}

TEST(PamDecision, RefusesAsUnavailableWhenTheDaemonCannotBeAsked) {
  const PamOptions options{.socket_path = "/nonexistent-iamdb/verify.sock", .instance = "orders-db"};
  const Outcome outcome =
      authenticate(options, {.user = "alice", .password = kToken, .rhost = "10.0.0.7"});
  EXPECT_EQ(outcome.pam_status, PAM_AUTHINFO_UNAVAIL);
  EXPECT_NE(outcome.log_line.find("reason=rpc_unreachable"), std::string::npos) << outcome.log_line;
}

TEST(PamDecision, RefusesWhenTheDaemonHangs) {
  FakeDaemon daemon(FakeDaemon::silent());
  PamOptions options = options_for(daemon);
  options.timeout = milliseconds(200);
  const Outcome outcome =
      authenticate(options, {.user = "alice", .password = kToken, .rhost = "10.0.0.7"});
  EXPECT_EQ(outcome.pam_status, PAM_AUTHINFO_UNAVAIL);
  EXPECT_NE(outcome.log_line.find("reason=rpc_timeout"), std::string::npos) << outcome.log_line;
}

struct NoCallCase {
  const char* name;
  std::string user;
  std::string password;
};

class RefusesBeforeAnyCall : public ::testing::TestWithParam<NoCallCase> {};

TEST_P(RefusesBeforeAnyCall, WithoutConnecting) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const Outcome outcome = authenticate(
      options_for(daemon), {.user = GetParam().user, .password = GetParam().password, .rhost = "10.0.0.7"});
  EXPECT_EQ(outcome.pam_status, PAM_AUTH_ERR);
  EXPECT_EQ(daemon.connections(), 0);
  EXPECT_NE(outcome.log_line.find("reason=plugin_bad_request"), std::string::npos) << outcome.log_line;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RefusesBeforeAnyCall,
    ::testing::Values(NoCallCase{"TokenOverEightKiB", "alice", std::string(8 * 1024 + 1, 't')},
                      NoCallCase{"HugeToken", "alice", std::string(1 << 20, 't')},
                      NoCallCase{"EmptyPassword", "alice", ""},
                      NoCallCase{"NoUser", "", kToken}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(PamDecision, NeverLogsTheToken) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const Outcome denied =
      authenticate(options_for(daemon), {.user = "alice", .password = kToken, .rhost = "10.0.0.7"});
  const std::string long_token(9000, 'Z');
  const Outcome oversized =
      authenticate(options_for(daemon), {.user = "alice", .password = long_token, .rhost = ""});
  for (const auto& line : {denied.log_line, oversized.log_line}) {
    EXPECT_EQ(line.find("X-Amz-Signature"), std::string::npos) << line;
    EXPECT_EQ(line.find("ZZZZ"), std::string::npos) << line;
  }
}

// ---- the module, loaded by libpam

// A PAM service file in a private directory (pam_start_confdir), naming the built module.
class PamService {
 public:
  explicit PamService(const std::string& arguments) {
    char pattern[] = "/tmp/iamdb-pam-test-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    std::ofstream file(directory_ + "/iamdb-test");
    file << "auth required " << IAMDB_PAM_MODULE << " " << arguments << "\n"
         << "account required " << IAMDB_PAM_MODULE << "\n";
  }
  ~PamService() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
};

// Answers PAM's password prompt as PostgreSQL does: with the password the client sent.
int answer_with_password(int count, const pam_message** messages, pam_response** responses,
                         void* password) {
  auto* answers = static_cast<pam_response*>(std::calloc(count, sizeof(pam_response)));
  if (answers == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < count; ++i) {
    if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
      answers[i].resp = ::strdup(static_cast<const char*>(password));
    }
  }
  *responses = answers;
  return PAM_SUCCESS;
}

struct PamResult {
  int authenticate = -1;
  int account = -1;
};

PamResult login(const PamService& service, const char* user, const char* password,
                const char* rhost) {
  pam_conv conversation{answer_with_password, const_cast<char*>(password)};
  pam_handle_t* handle = nullptr;
  PamResult result;
  if (pam_start_confdir("iamdb-test", user, &conversation, service.directory().c_str(), &handle) !=
      PAM_SUCCESS) {
    return result;
  }
  pam_set_item(handle, PAM_RHOST, rhost);
  result.authenticate = pam_authenticate(handle, 0);
  if (result.authenticate == PAM_SUCCESS) result.account = pam_acct_mgmt(handle, 0);
  pam_end(handle, result.authenticate);
  return result;
}

std::string arguments_for(const FakeDaemon& daemon) {
  return "socket=" + daemon.socket_path() + " instance=orders-db timeout_ms=1000 tls=assume";
}

TEST(PamModule, LetsInOnAnAllow) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const PamService service(arguments_for(daemon));
  const PamResult result = login(service, "alice", kToken, "192.0.2.10");
  EXPECT_EQ(result.authenticate, PAM_SUCCESS);
  EXPECT_EQ(result.account, PAM_SUCCESS);
  const auto sent = nlohmann::json::parse(daemon.requests().at(0));
  EXPECT_EQ(sent["user"], "alice");
  EXPECT_EQ(sent["token"], kToken);
  EXPECT_EQ(sent["client_addr"], "192.0.2.10");
  EXPECT_EQ(sent["tls"], true);
}

TEST(PamModule, RefusesOnADeny) {
  FakeDaemon daemon(FakeDaemon::answer(kDeny));
  const PamService service(arguments_for(daemon));
  EXPECT_EQ(login(service, "alice", kToken, "192.0.2.10").authenticate, PAM_AUTH_ERR);
}

TEST(PamModule, RefusesOnGarbage) {
  FakeDaemon daemon(FakeDaemon::answer("garbage\n"));
  const PamService service(arguments_for(daemon));
  EXPECT_NE(login(service, "alice", kToken, "192.0.2.10").authenticate, PAM_SUCCESS);
}

TEST(PamModule, RefusesWhenTheDaemonHangs) {
  FakeDaemon daemon(FakeDaemon::silent());
  const PamService service("socket=" + daemon.socket_path() + " instance=orders-db timeout_ms=200");
  EXPECT_NE(login(service, "alice", kToken, "192.0.2.10").authenticate, PAM_SUCCESS);
}

TEST(PamModule, RefusesAnOversizedTokenBeforeAnyCall) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const PamService service(arguments_for(daemon));
  const std::string token(8 * 1024 + 1, 't');
  EXPECT_EQ(login(service, "alice", token.c_str(), "192.0.2.10").authenticate, PAM_AUTH_ERR);
  EXPECT_EQ(daemon.connections(), 0);
}

TEST(PamModule, RefusesEveryLoginWhenMisconfigured) {
  FakeDaemon daemon(FakeDaemon::answer(kAllow));
  const PamService service("socket=" + daemon.socket_path() + " instanze=orders-db");
  EXPECT_EQ(login(service, "alice", kToken, "192.0.2.10").authenticate, PAM_SERVICE_ERR);
  EXPECT_EQ(daemon.connections(), 0);
}

TEST(PamModule, AccountPhaseRefusesAHandleItDidNotAuthenticate) {
  const PamService service("socket=/nonexistent/verify.sock instance=orders-db");
  pam_conv conversation{answer_with_password, const_cast<char*>(kToken)};
  pam_handle_t* handle = nullptr;
  ASSERT_EQ(pam_start_confdir("iamdb-test", "alice", &conversation, service.directory().c_str(),
                              &handle),
            PAM_SUCCESS);
  EXPECT_NE(pam_acct_mgmt(handle, 0), PAM_SUCCESS);
  EXPECT_NE(pam_authenticate(handle, 0), PAM_SUCCESS);
  EXPECT_NE(pam_acct_mgmt(handle, 0), PAM_SUCCESS);
  pam_end(handle, PAM_AUTH_ERR);
}

}  // namespace
}  // namespace iamdb::pam
