// pam_iamdb's decision for one login: checks, the verify call, the PAM status and log line.
#include "plugins/pam/authenticate.h"

#include <security/pam_appl.h>
#include <syslog.h>

#include "plugins/common/client_address.h"

namespace iamdb::pam {
namespace {

Outcome refuse_before_call(const Credentials& credentials, std::string_view reason,
                           std::string_view detail) {
  Outcome outcome;
  outcome.pam_status = PAM_AUTH_ERR;
  outcome.log_priority = LOG_WARNING;
  plugin::append_log_field(outcome.log_line, "user", credentials.user);
  plugin::append_log_field(outcome.log_line, "allow", "false");
  plugin::append_log_field(outcome.log_line, "reason", reason);
  plugin::append_log_field(outcome.log_line, "detail", detail);
  return outcome;
}

}  // namespace

std::string client_address(std::string_view rhost) { return plugin::canonical_ip(rhost); }

Outcome authenticate(const PamOptions& options, const Credentials& credentials) noexcept {
  try {
    if (credentials.user.empty()) {
      return refuse_before_call(credentials, plugin::kReasonBadRequest, "no user name");
    }
    if (credentials.password.empty()) {
      return refuse_before_call(credentials, plugin::kReasonBadRequest, "empty password");
    }
    if (credentials.password.size() > plugin::kMaxTokenBytes) {
      return refuse_before_call(credentials, plugin::kReasonBadRequest,
                                "password of " + std::to_string(credentials.password.size()) +
                                    " bytes is longer than a token can be");
    }
    const std::string address = client_address(credentials.rhost);
    const plugin::ClientOptions client{options.socket_path, options.timeout};
    const plugin::VerifyRequest request{
        .instance = options.instance,
        .user = credentials.user,
        .token = credentials.password,
        .client_addr = address,
        .tls = options.assume_tls,
    };
    const plugin::Decision decision = plugin::verify(client, request);

    Outcome outcome;
    if (decision.allow) {
      outcome.pam_status = PAM_SUCCESS;
      outcome.log_priority = LOG_INFO;
    } else if (decision.answered || decision.reason == plugin::kReasonBadRequest) {
      outcome.pam_status = PAM_AUTH_ERR;
      outcome.log_priority = LOG_WARNING;
    } else {
      // The daemon could not be asked: an outage, which operators should see as an error.
      outcome.pam_status = PAM_AUTHINFO_UNAVAIL;
      outcome.log_priority = LOG_ERR;
    }
    plugin::append_log_field(outcome.log_line, "user", credentials.user);
    plugin::append_log_field(outcome.log_line, "client", address);
    plugin::append_log_field(outcome.log_line, "instance", options.instance);
    outcome.log_line += ' ';
    outcome.log_line += plugin::describe(decision);
    return outcome;
  } catch (...) {
    Outcome outcome;
    outcome.pam_status = PAM_AUTH_ERR;
    outcome.log_priority = LOG_ERR;
    return outcome;
  }
}

}  // namespace iamdb::pam
