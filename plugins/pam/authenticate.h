// The decision pam_iamdb.so makes for one login, apart from PAM's plumbing: refuse what cannot
// be a token, ask the daemon, and map its answer to a PAM status and one log line.
//
// Thread-safe and stateless; never throws. The log line names the user, the client, the
// instance and the decision's reason and request id, never the password.
#pragma once

#include <string>
#include <string_view>

#include "plugins/pam/module_options.h"

namespace iamdb::pam {

// What PAM and PostgreSQL told the module; borrowed for the duration of the call.
struct Credentials {
  std::string_view user;
  std::string_view password;  // PostgreSQL answers PAM's prompt with the client's cleartext password
  std::string_view rhost;     // PAM_RHOST as PostgreSQL sets it: an IP address, "[local]", or a host name
};

struct Outcome {
  int pam_status = 0;  // PAM_SUCCESS only on the daemon's explicit allow
  int log_priority = 0;  // a syslog priority (LOG_INFO, LOG_WARNING, LOG_ERR)
  std::string log_line;
};

// The client address to send for a PAM_RHOST value: an IPv4 or IPv6 literal in canonical
// form (an IPv4-mapped IPv6 address becomes IPv4, a zone suffix is dropped); empty for
// "[local]" (Unix socket), host names (`pam_use_hostname=1`) and anything else.
std::string client_address(std::string_view rhost);

Outcome authenticate(const PamOptions& options, const Credentials& credentials) noexcept;

}  // namespace iamdb::pam
