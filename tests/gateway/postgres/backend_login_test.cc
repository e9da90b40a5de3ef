// The gateway logging in to a backend (BackendLogin) in each backend_auth mode, the relay of a
// password user's log-in (RelayLogin), and the backend targets read from an instance's settings:
// which addresses count as loopback and that the relay of password users drops TLS only there.
#include <gtest/gtest.h>

#include <array>
#include <deque>

#include "gateway/postgres/backend.h"
#include "gateway/postgres/backend_login.h"
#include "gateway/postgres/be_read.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/fe_write.h"
#include "gateway/postgres/md5_password.h"

namespace iamdb::gateway::pg {
namespace {

namespace w = pgwire;

// Backend messages as the codec writes them, kept alive for the Messages that view them.
class Frames {
 public:
  pgwire::Message add(std::string frame) {
    frames_.push_back(std::move(frame));
    const std::string& f = frames_.back();
    return {f[0], std::string_view(f).substr(5)};
  }
  pgwire::Message ok() { return add(with(w::write_authentication_ok)); }
  pgwire::Message cleartext() { return add(with(w::write_authentication_cleartext_password)); }
  pgwire::Message md5(const pgwire::Md5Salt& salt) {
    std::string out;
    w::write_authentication_md5_password(out, salt);
    return add(out);
  }
  pgwire::Message sasl(std::initializer_list<std::string_view> mechanisms) {
    std::string out;
    const std::vector<std::string_view> list(mechanisms);
    w::write_authentication_sasl(out, list);
    return add(out);
  }
  pgwire::Message parameter(std::string_view name, std::string_view value) {
    std::string out;
    w::write_parameter_status(out, name, value);
    return add(out);
  }
  pgwire::Message key(int32_t pid, uint32_t secret) {
    std::string out;
    w::write_backend_key_data(out, pid, secret);
    return add(out);
  }
  pgwire::Message ready() {
    std::string out;
    w::write_ready_for_query(out, w::TransactionStatus::kIdle);
    return add(out);
  }
  pgwire::Message error(std::string_view sqlstate, std::string_view message) {
    std::string out;
    w::write_error_response(out, {.severity = w::Severity::kFatal, .sqlstate = sqlstate, .message = message});
    return add(out);
  }

 private:
  static std::string with(void (*write)(std::string&)) {
    std::string out;
    write(out);
    return out;
  }
  std::deque<std::string> frames_;
};

// The password in a PasswordMessage the gateway wrote.
std::string password_in(const std::string& reply) {
  EXPECT_FALSE(reply.empty());
  if (reply.size() < 6 || reply[0] != 'p') return "";
  return reply.substr(5, reply.size() - 6);
}

TEST(BackendLogin, TrustLogsInAndKeepsTheBackendsKeyAndParameters) {
  Frames f;
  BackendLogin login(BackendAuth::kTrust, "alice", "");
  EXPECT_FALSE(login.on_message(f.ok()).failure);
  EXPECT_FALSE(login.on_message(f.parameter("server_version", "15.8")).failure);
  EXPECT_FALSE(login.on_message(f.key(4242, 77)).failure);
  const auto step = login.on_message(f.ready());
  EXPECT_TRUE(step.ready);
  EXPECT_EQ(login.process_id(), 4242);
  EXPECT_EQ(login.secret_key(), 77u);
  ASSERT_EQ(login.parameters().size(), 1u);
  EXPECT_EQ(login.parameters()[0].second, "15.8");
}

TEST(BackendLogin, EachModeAnswersWhatItCanAndNamesWhatToChangeOtherwise) {
  const pgwire::Md5Salt salt = {1, 2, 3, 4};
  struct Case {
    const char* name;
    BackendAuth auth;
    const char* secret;
    int request;  // 0 cleartext, 1 md5, 2 SCRAM
    const char* answer;  // the password sent, or nullptr when the log-in must fail
    const char* reason;  // part of the failure's reason
  };
  const Case cases[] = {
      {"token forwards the token as cleartext", BackendAuth::kToken, "tok", 0, "tok", nullptr},
      {"token cannot answer md5", BackendAuth::kToken, "tok", 1, nullptr, "let this user log in with pam"},
      {"token cannot answer SCRAM", BackendAuth::kToken, "tok", 2, nullptr, "let this user log in with pam"},
      {"trust has no password to give", BackendAuth::kTrust, "", 0, nullptr, "let the gateway in with trust"},
      {"password answers cleartext", BackendAuth::kPassword, "pw", 0, "pw", nullptr},
      {"password answers md5", BackendAuth::kPassword, "pw", 1, "md5", nullptr},
      {"password without a stored one", BackendAuth::kPassword, "", 1, nullptr, "--backend-password"},
  };
  for (const Case& c : cases) {
    Frames f;
    BackendLogin login(c.auth, "alice", c.secret);
    const pgwire::Message request = c.request == 0 ? f.cleartext() : c.request == 1 ? f.md5(salt)
                                                                                    : f.sasl({pgwire::kScramSha256});
    const auto step = login.on_message(request);
    if (!c.answer) {
      ASSERT_TRUE(step.failure) << c.name;
      EXPECT_EQ(step.failure->kind, BackendFailure::Kind::kCannotAnswer) << c.name;
      EXPECT_NE(step.failure->reason.find(c.reason), std::string::npos) << c.name << ": " << step.failure->reason;
      continue;
    }
    ASSERT_FALSE(step.failure) << c.name << ": " << step.failure->reason;
    if (c.request == 1)
      EXPECT_EQ(password_in(step.reply), pgwire::md5_password_response(c.secret, "alice", salt)) << c.name;
    else
      EXPECT_EQ(password_in(step.reply), c.answer) << c.name;
  }
}

TEST(BackendLogin, PasswordModeStartsScramWithTheStoredPassword) {
  Frames f;
  BackendLogin login(BackendAuth::kPassword, "alice", "pw");
  const auto step = login.on_message(f.sasl({"SCRAM-SHA-256-PLUS", pgwire::kScramSha256}));
  ASSERT_FALSE(step.failure) << step.failure->reason;
  ASSERT_FALSE(step.reply.empty());
  EXPECT_EQ(step.reply[0], 'p');
  EXPECT_NE(step.reply.find("SCRAM-SHA-256"), std::string::npos);
  EXPECT_NE(step.reply.find("n,,n=,r="), std::string::npos);  // no channel binding
}

TEST(BackendLogin, RefusalsAndProtocolErrorsAreNamed) {
  Frames f;
  {
    BackendLogin login(BackendAuth::kToken, "alice", "tok");
    const auto step = login.on_message(f.error("28000", "PAM authentication failed for user \"alice\""));
    ASSERT_TRUE(step.failure);
    EXPECT_EQ(step.failure->kind, BackendFailure::Kind::kRefused);
    EXPECT_EQ(step.failure->sqlstate, "28000");
    EXPECT_EQ(step.failure->message, "PAM authentication failed for user \"alice\"");
    EXPECT_NE(step.failure->reason.find("backend_auth token"), std::string::npos);
  }
  {
    BackendLogin login(BackendAuth::kTrust, "alice", "");
    const auto step = login.on_message(f.parameter("a", "b"));
    ASSERT_TRUE(step.failure);
    EXPECT_EQ(step.failure->kind, BackendFailure::Kind::kProtocol);
  }
  {
    BackendLogin login(BackendAuth::kTrust, "alice", "");
    ASSERT_FALSE(login.on_message(f.ok()).failure);
    const auto step = login.on_message(f.ok());
    ASSERT_TRUE(step.failure);
    EXPECT_EQ(step.failure->reason, "the backend asked to authenticate twice");
  }
}

TEST(RelayLogin, PasswordUsersAnswerTheBackendThemselvesAndGetTheGatewaysKey) {
  Frames f;
  RelayLogin relay(false);
  const auto challenge = relay.on_message(f.cleartext());
  EXPECT_TRUE(challenge.client_answers);
  EXPECT_FALSE(challenge.to_client.empty());
  EXPECT_FALSE(relay.on_message(f.ok()).refused);
  const auto key = relay.on_message(f.key(99, 5));
  EXPECT_TRUE(key.to_client.empty());  // the backend's key stays with the gateway
  const auto ready = relay.on_message(f.ready());
  EXPECT_TRUE(ready.ready);
  EXPECT_EQ(relay.process_id(), 99);
  EXPECT_FALSE(relay.ready_message().empty());
}

TEST(RelayLogin, ABackendThatAsksNothingIsRefusedUnlessAllowed) {
  for (const bool allowed : {false, true}) {
    Frames f;
    RelayLogin relay(allowed);
    const auto step = relay.on_message(f.ok());
    EXPECT_EQ(step.gateway_refusal.has_value(), !allowed);
    if (!allowed) {
      EXPECT_EQ(step.reason, "passwordless_relay_refused");
    }
  }
}

TEST(RelayLogin, TheBackendsRefusalReachesTheClient) {
  Frames f;
  RelayLogin relay(false);
  (void)relay.on_message(f.cleartext());
  const auto step = relay.on_message(f.error("28P01", "password authentication failed for user \"bob\""));
  EXPECT_TRUE(step.refused);
  EXPECT_NE(step.to_client.find("password authentication failed"), std::string::npos);
}

iam::GatewaySettings settings(std::string backend, std::string tls = "disable") {
  iam::GatewaySettings s;
  s.listen = "127.0.0.1:6432";
  s.backend = std::move(backend);
  s.backend_tls = std::move(tls);
  s.backend_passwords = {{"iamdb_monitor", "m"}};
  return s;
}

TEST(BackendTarget, ReadsTheSettingsAndRelaysWithoutTlsOnlyOnLoopback) {
  struct Case {
    const char* backend;
    const char* tls;
    bool loopback;
    bool relay_tls;
  };
  const Case cases[] = {
      {"127.0.0.1:5432", "require", true, false},
      {"127.3.4.5:5432", "require", true, false},
      {"[::1]:5432", "require", true, false},
      {"10.1.2.3:5432", "require", false, true},
      {"db.example.com:5432", "require", false, true},
      {"127.0.0.1:5432", "disable", true, false},
      {"/run/postgresql/.s.PGSQL.5432", "disable", false, false},
  };
  for (const Case& c : cases) {
    auto target = BackendTarget::from(settings(c.backend, c.tls), std::chrono::seconds(3));
    ASSERT_TRUE(target) << c.backend << ": " << target.error().message;
    EXPECT_EQ(target->loopback(), c.loopback) << c.backend;
    EXPECT_EQ(static_cast<bool>(target->tls), std::string(c.tls) != "disable") << c.backend;
    EXPECT_EQ(static_cast<bool>(target->for_relay().tls), c.relay_tls) << c.backend;
    ASSERT_NE(target->password_of("iamdb_monitor"), nullptr);
    EXPECT_EQ(*target->password_of("iamdb_monitor"), "m");
    EXPECT_EQ(target->password_of("alice"), nullptr);
  }
}

TEST(BackendTarget, RefusesSettingsTheApiShouldHaveRefused) {
  const std::pair<iam::GatewaySettings, const char*> bad[] = {
      {settings("nowhere"), "is not HOST:PORT or a socket path"},
      {settings("/run/postgresql/.s.PGSQL.5432", "require"), "TLS to a backend Unix socket is not supported"},
      {settings("127.0.0.1:5432", "sometimes"), "unknown backend_tls sometimes"},
  };
  for (const auto& [s, message] : bad) {
    auto target = BackendTarget::from(s, std::chrono::seconds(3));
    ASSERT_FALSE(target) << message;
    EXPECT_NE(target.error().message.find(message), std::string::npos) << target.error().message;
  }
  auto unknown_auth = settings("127.0.0.1:5432");
  unknown_auth.backend_auth = "kerberos";
  EXPECT_FALSE(BackendTarget::from(unknown_auth, std::chrono::seconds(3)));
}

}  // namespace
}  // namespace iamdb::gateway::pg
