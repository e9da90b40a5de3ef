// pam_iamdb.so's PAM entry points: gather the user, password and client address, decide,
// log one line to syslog (LOG_AUTHPRIV), and remember a success for the account phase.
#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <span>

#include "plugins/pam/authenticate.h"
#include "plugins/pam/module_options.h"

namespace {

using iamdb::pam::Credentials;
using iamdb::pam::Outcome;

// pam_set_data key marking a handle whose last authentication this module allowed.
constexpr const char kAllowedKey[] = "iamdb.allowed";

void drop_marker(pam_handle_t*, void*, int) {}

void log_line(pam_handle_t* pamh, int priority, const char* line) {
  pam_syslog(pamh, LOG_AUTHPRIV | priority, "%s", line);
}

int authenticate_entry(pam_handle_t* pamh, int argc, const char** argv) {
  // A failed attempt must not leave an earlier success on the handle for the account phase.
  pam_set_data(pamh, kAllowedKey, nullptr, nullptr);

  const auto options = iamdb::pam::parse_module_arguments(
      std::span<const char* const>(argv, argc > 0 ? static_cast<std::size_t>(argc) : 0));
  if (!options) {
    const std::string line = "refusing every login: bad module arguments: " + options.error().message;
    log_line(pamh, LOG_ERR, line.c_str());
    return PAM_SERVICE_ERR;
  }
  const char* user = nullptr;
  if (const int rc = pam_get_user(pamh, &user, nullptr); rc != PAM_SUCCESS || user == nullptr) {
    log_line(pamh, LOG_WARNING, "allow=false reason=plugin_bad_request detail=\"no user name\"");
    return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
  }
  const char* password = nullptr;
  if (const int rc = pam_get_authtok(pamh, PAM_AUTHTOK, &password, nullptr);
      rc != PAM_SUCCESS || password == nullptr) {
    log_line(pamh, LOG_WARNING,
             "allow=false reason=plugin_bad_request detail=\"no password from the conversation\"");
    return rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
  }
  const void* rhost = nullptr;
  if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS) rhost = nullptr;

  const Outcome outcome = iamdb::pam::authenticate(
      *options, Credentials{.user = user,
                            .password = password,
                            .rhost = rhost ? static_cast<const char*>(rhost) : ""});
  log_line(pamh, outcome.log_priority, outcome.log_line.c_str());
  if (outcome.pam_status != PAM_SUCCESS) return outcome.pam_status;
  if (pam_set_data(pamh, kAllowedKey, const_cast<char*>(kAllowedKey), drop_marker) != PAM_SUCCESS) {
    log_line(pamh, LOG_ERR, "refusing an allowed login: could not record it for the account phase");
    return PAM_AUTH_ERR;
  }
  return PAM_SUCCESS;
}

}  // namespace

extern "C" {

// Authenticates the user with the password as an RDS auth token through the verify RPC.
PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc,
                                   const char** argv) noexcept {
  try {
    return authenticate_entry(pamh, argc, argv);
  } catch (...) {
    return PAM_AUTH_ERR;
  }
}

// No credentials to establish: a token grants a login, nothing else.
PAM_EXTERN int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                              const char** /*argv*/) noexcept {
  return PAM_SUCCESS;
}

// Succeeds only on a handle whose authentication this module allowed, so that a service file
// with `account required pam_iamdb.so` cannot pass a user another auth module let in.
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t* pamh, int /*flags*/, int /*argc*/,
                                const char** /*argv*/) noexcept {
  const void* marker = nullptr;
  if (pam_get_data(pamh, kAllowedKey, &marker) == PAM_SUCCESS && marker != nullptr) {
    return PAM_SUCCESS;
  }
  return PAM_PERM_DENIED;
}

}  // extern "C"
