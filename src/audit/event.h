// One audit event: a verify decision (a login attempt through a plugin or a gateway), an API
// call, or the start or end of a gateway session (a connection refused before it was ready is a
// session end with outcome denied). Events are values; sinks (the JSON-lines file, the
// store) and metrics consume them.
//
// An event never holds a secret: no secret key, no token, no signature, no session token.
// The verify path fills `access_key_id` (public, like a user name), never the token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"

namespace iamdb::audit {

enum class Kind { kConnect, kApi, kSessionStart, kSessionEnd };
enum class Outcome { kAllowed, kDenied, kError };

struct Event {
  Kind kind = Kind::kConnect;
  SystemTime time;
  std::string request_id;
  std::string action;         // kApi: "iam:CreateUser"; kConnect: "rds-db:connect"
  std::string principal_arn;  // who, when known
  std::string access_key_id;
  std::string session_name;   // assumed-role session, if any
  std::string source_address; // client IP
  std::string instance;       // database instance identifier
  std::string engine;         // postgres / mysql
  std::string db_user;
  std::string via;            // "verify-rpc", "gateway", "api"
  Outcome outcome = Outcome::kAllowed;
  std::string reason;         // "allowed" or a stable reason name (token or policy)
  std::string detail;         // human-readable detail for operators; never a secret
  std::string decided_by;     // policy statements that decided, e.g. "user/alice inline db-access #0"
  double latency_ms = 0;
  // kSessionEnd
  std::optional<double> duration_seconds;
  std::optional<uint64_t> bytes_from_client;
  std::optional<uint64_t> bytes_to_client;
};

std::string_view kind_name(Kind k);
std::string_view outcome_name(Outcome o);
std::optional<Kind> parse_kind(std::string_view s);
std::optional<Outcome> parse_outcome(std::string_view s);

// One line of JSON, without the newline.
std::string to_json_line(const Event& e);
// The inverse, for `iamdb audit` reading the file or the store; nullopt on a malformed line.
std::optional<Event> from_json_line(std::string_view line);

}  // namespace iamdb::audit
