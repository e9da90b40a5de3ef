// The arguments of pam_iamdb.so in a PAM service file, e.g.
//
//   auth    required pam_iamdb.so socket=/var/lib/iamdb/verify.sock instance=orders-db tls=assume
//   account required pam_iamdb.so
//
//   socket=PATH     absolute path of the daemon's verify socket (required for auth)
//   instance=ID     the instance identifier registered with iamdb (required for auth)
//   timeout_ms=N    budget for the whole verify call, 1..60000 ms (default 2000)
//   tls=assume|no   what the module reports as `tls` (aws:SecureTransport). PostgreSQL does not
//                   tell PAM whether the client used TLS; `assume` is right only when every
//                   pg_hba.conf line that names this service is a `hostssl` line. Default `no`.
//
// Pure parsing; a bad argument is a configuration error that refuses every login.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "common/error.h"
#include "plugins/common/verify_client.h"

namespace iamdb::pam {

inline constexpr std::chrono::milliseconds kMaxTimeout{60'000};

struct PamOptions {
  std::string socket_path;
  std::string instance;
  std::chrono::milliseconds timeout = plugin::kDefaultTimeout;
  bool assume_tls = false;
};

// Parses argv as PAM passes it to pam_sm_*; rejects unknown or repeated arguments and
// missing required ones, naming the argument.
Result<PamOptions> parse_module_arguments(std::span<const char* const> arguments);

}  // namespace iamdb::pam
