// The decision AWSAuthenticationPlugin makes for one login, apart from the server's plumbing:
// refuse a connection without TLS before the client is asked for its token, refuse what cannot
// be a token, ask the daemon, and map its answer to a plugin status and one log line.
//
// Thread-safe and stateless; never throws. Log lines name the user, the client, the instance
// and the decision's reason and request id, never the token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/common/verify_client.h"
#include "plugins/mariadb/session_tls.h"

namespace iamdb::mariadb {

// The plugin's system variables, as one consistent copy.
struct Settings {
  std::string socket_path;  // awsauthenticationplugin_socket
  std::string instance;     // awsauthenticationplugin_instance
  std::chrono::milliseconds timeout = plugin::kDefaultTimeout;  // awsauthenticationplugin_timeout_ms
  bool require_tls = true;  // awsauthenticationplugin_require_tls
};

// Borrowed for the duration of the call.
struct Attempt {
  std::string_view user;
  std::string_view password;  // the mysql_clear_password packet, without its trailing NUL
  std::string_view client_addr;
  SessionTls tls = SessionTls::kUnknown;
};

struct Outcome {
  int status = 0;  // CR_OK only on the daemon's explicit allow; otherwise a CR_AUTH_* failure
  bool error = false;  // the daemon could not be asked (or the plugin is misconfigured)
  std::string log_line;
};

// Step one, before reading the password (the server names the user only after that read): a
// refusal when TLS is required and the session is not (known to be) TLS, so that the client is
// never asked to send its token in the clear.
std::optional<Outcome> refuse_transport(const Settings& settings, std::string_view client_addr,
                                        SessionTls tls) noexcept;

// Step two: the decision for a password the client sent; checks the transport again.
Outcome authenticate(const Settings& settings, const Attempt& attempt) noexcept;

}  // namespace iamdb::mariadb
