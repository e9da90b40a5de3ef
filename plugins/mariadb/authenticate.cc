// AWSAuthenticationPlugin's decision for one login: transport check, verify call, status.
#include "plugins/mariadb/authenticate.h"

#include <mysql/plugin_auth_common.h>

namespace iamdb::mariadb {
namespace {

constexpr std::string_view kReasonTlsRequired = "plugin_tls_required";

Outcome refusal(std::string_view user, std::string_view client_addr, std::string_view reason,
                std::string_view detail, int status) {
  Outcome outcome;
  outcome.status = status;
  outcome.error = status == CR_AUTH_PLUGIN_ERROR;
  if (!user.empty()) plugin::append_log_field(outcome.log_line, "user", user);
  plugin::append_log_field(outcome.log_line, "client", client_addr);
  plugin::append_log_field(outcome.log_line, "allow", "false");
  plugin::append_log_field(outcome.log_line, "reason", reason);
  plugin::append_log_field(outcome.log_line, "detail", detail);
  return outcome;
}

}  // namespace

namespace {

std::optional<Outcome> check_transport(const Settings& settings, std::string_view user,
                                       std::string_view client_addr, SessionTls tls) {
  if (!settings.require_tls || tls == SessionTls::kTls) return std::nullopt;
  if (tls == SessionTls::kPlain) {
    return refusal(user, client_addr, kReasonTlsRequired, "the connection does not use TLS",
                   CR_AUTH_USER_CREDENTIALS);
  }
  return refusal(user, client_addr, kReasonTlsRequired,
                 "cannot tell whether the connection uses TLS on this server build",
                 CR_AUTH_PLUGIN_ERROR);
}

}  // namespace

std::optional<Outcome> refuse_transport(const Settings& settings, std::string_view client_addr,
                                        SessionTls tls) noexcept {
  try {
    return check_transport(settings, "", client_addr, tls);
  } catch (...) {
    Outcome outcome;
    outcome.status = CR_AUTH_PLUGIN_ERROR;
    outcome.error = true;
    return outcome;
  }
}

Outcome authenticate(const Settings& settings, const Attempt& attempt) noexcept {
  try {
    if (auto refused = check_transport(settings, attempt.user, attempt.client_addr, attempt.tls)) {
      return *refused;
    }
    if (attempt.user.empty()) {
      return refusal(attempt.user, attempt.client_addr, plugin::kReasonBadRequest, "no user name",
                     CR_AUTH_USER_CREDENTIALS);
    }
    if (attempt.password.empty()) {
      return refusal(attempt.user, attempt.client_addr, plugin::kReasonBadRequest, "empty password",
                     CR_AUTH_USER_CREDENTIALS);
    }
    if (attempt.password.size() > plugin::kMaxTokenBytes) {
      return refusal(attempt.user, attempt.client_addr, plugin::kReasonBadRequest,
                     "password of " + std::to_string(attempt.password.size()) +
                         " bytes is longer than a token can be",
                     CR_AUTH_USER_CREDENTIALS);
    }
    const plugin::ClientOptions client{settings.socket_path, settings.timeout};
    const plugin::VerifyRequest request{
        .instance = settings.instance,
        .user = attempt.user,
        .token = attempt.password,
        .client_addr = attempt.client_addr,
        .tls = attempt.tls == SessionTls::kTls,
    };
    const plugin::Decision decision = plugin::verify(client, request);

    Outcome outcome;
    if (decision.allow) {
      outcome.status = CR_OK;
    } else if (decision.answered || decision.reason == plugin::kReasonBadRequest) {
      outcome.status = CR_AUTH_USER_CREDENTIALS;
    } else {
      outcome.status = CR_AUTH_PLUGIN_ERROR;
      outcome.error = true;
    }
    plugin::append_log_field(outcome.log_line, "user", attempt.user);
    plugin::append_log_field(outcome.log_line, "client", attempt.client_addr);
    plugin::append_log_field(outcome.log_line, "instance", settings.instance);
    outcome.log_line += ' ';
    outcome.log_line += plugin::describe(decision);
    return outcome;
  } catch (...) {
    Outcome outcome;
    outcome.status = CR_AUTH_PLUGIN_ERROR;
    outcome.error = true;
    return outcome;
  }
}

}  // namespace iamdb::mariadb
