// One verify RPC call from inside a database process: connect to the daemon's Unix socket,
// send one request line, read one response line, and return the decision.
//
// Fails closed: every error (no socket, refused connection, timeout, a closed connection or a
// partial, oversized or malformed answer) is a Decision with `allow == false` and a local
// reason. verify() never throws, never raises SIGPIPE, restarts calls interrupted by signals,
// and keeps no state between calls, so any number of threads (MariaDB connection threads) or
// processes (PostgreSQL backends) may call it at once. It blocks its caller for at most
// `timeout` in total: connect, send and receive share one deadline.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "plugins/common/verify_protocol.h"

namespace iamdb::plugin {

// Reasons verify() gives when the daemon did not decide. Daemon reasons are listed in
// docs/audit.md; these never collide with them.
inline constexpr std::string_view kReasonBadRequest = "plugin_bad_request";
inline constexpr std::string_view kReasonNotConfigured = "plugin_not_configured";
inline constexpr std::string_view kReasonUnreachable = "rpc_unreachable";
inline constexpr std::string_view kReasonTimeout = "rpc_timeout";
inline constexpr std::string_view kReasonIoError = "rpc_io_error";
inline constexpr std::string_view kReasonClosed = "rpc_closed";
inline constexpr std::string_view kReasonTooLarge = "rpc_response_too_large";
inline constexpr std::string_view kReasonMalformed = "rpc_malformed_response";
inline constexpr std::string_view kReasonInternal = "plugin_internal_error";

inline constexpr std::chrono::milliseconds kDefaultTimeout{2000};

struct ClientOptions {
  std::string socket_path;  // absolute path of the daemon's verify socket
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

struct Decision {
  bool allow = false;
  bool answered = false;   // true when the daemon decided; false for every local failure
  std::string reason;      // the daemon's reason, or one of the kReason constants above
  std::string request_id;  // the audit log's id for this decision; empty if the daemon did not answer
  std::string principal;   // the IAM principal's ARN, when the daemon named one
  std::string detail;      // for local failures: what went wrong, for the log
};

// Performs one call. `request` must pass encode_request; one that does not (token too large,
// not UTF-8, ...) is refused before any connection is made.
Decision verify(const ClientOptions& options, const VerifyRequest& request) noexcept;

// A one-line description of a decision for a log: `reason=... request_id=... principal=...
// detail=...`, with every field reduced to printable ASCII and capped, so that text from the
// daemon or the OS cannot forge log lines. Never contains the token.
std::string describe(const Decision& decision) noexcept;

// Appends ` key=value` to a log line the same way describe() writes each field: the value cut
// to 200 bytes, bytes outside printable ASCII shown as '?', quoted when it holds a space, a
// quote or nothing.
void append_log_field(std::string& line, std::string_view key, std::string_view value);

}  // namespace iamdb::plugin
