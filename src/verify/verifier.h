// The decision "may this token log in as this database user on this instance?", shared by the
// verify RPC (plugins inside the databases) and the gateways.
//
// In order: the instance is registered; its IAM switch is on; the client's link is TLS; every
// token check of token/check.h (the key and session through the snapshot); then the principal's
// policies must allow `rds-db:connect` on `arn:aws:rds-db:REGION:ACCOUNT:dbuser:DBI/USER` with
// aws:SourceIp, aws:SecureTransport, aws:CurrentTime... in the context. The first failure
// decides, and names itself in the returned audit event (`reason`), which the caller submits.
//
// Thread-safety: `decide` reads the registry's current snapshot without locks and may run on
// every worker at once; each worker passes its own SigningKeyCache.
#pragma once

#include <chrono>
#include <string_view>

#include "audit/event.h"
#include "common/clock.h"
#include "registry/registry.h"
#include "sigv4/signing_key.h"

namespace iamdb::verify {

struct Attempt {
  std::string_view instance;        // registered instance identifier
  std::string_view db_user;         // the user the client logs in as
  std::string_view token;           // the password the client sent
  std::string_view client_address;  // IP, or empty when unknown
  bool tls = false;                 // the client's link to the database is TLS
  std::string_view via;             // "verify-rpc", "gateway"
};

struct Options {
  std::chrono::seconds clock_skew{300};
  size_t max_token_bytes = 8192;
};

// Reasons decided here (token reasons come from token::reason_name).
inline constexpr std::string_view kAllowed = "allowed";
inline constexpr std::string_view kUnknownInstance = "unknown_instance";
inline constexpr std::string_view kIamDisabled = "iam_disabled";
inline constexpr std::string_view kTlsRequired = "tls_required";
inline constexpr std::string_view kImplicitDeny = "policy_implicit_deny";
inline constexpr std::string_view kExplicitDeny = "policy_explicit_deny";

class Verifier {
 public:
  // `registry` and `clock` must outlive the verifier.
  Verifier(registry::Registry& registry, const Clock& clock, Options options)
      : registry_(registry), clock_(clock), options_(options) {}

  // Returns the audit event of the attempt: outcome, reason, principal, request id, latency.
  audit::Event decide(const Attempt& attempt, sigv4::SigningKeyCache& signing_keys) const;

 private:
  registry::Registry& registry_;
  const Clock& clock_;
  Options options_;
};

}  // namespace iamdb::verify
