// The IAM database authentication decision.
#include "verify/verifier.h"

#include <array>

#include "config/config.h"
#include "crypto/random.h"
#include "iam/arn.h"
#include "iam/authorize.h"
#include "token/check.h"

namespace iamdb::verify {
namespace {

token::KeyRefusal refusal_of(iam::CredentialError e) {
  switch (e) {
    case iam::CredentialError::kInactiveAccessKey: return token::KeyRefusal::kInactiveAccessKey;
    case iam::CredentialError::kSessionTokenMissing: return token::KeyRefusal::kMissingSessionToken;
    case iam::CredentialError::kSessionTokenInvalid:
    case iam::CredentialError::kSessionTokenUnexpected: return token::KeyRefusal::kInvalidSessionToken;
    case iam::CredentialError::kSessionExpired: return token::KeyRefusal::kSessionExpired;
    case iam::CredentialError::kUnknownAccessKey:
    case iam::CredentialError::kPrincipalGone: return token::KeyRefusal::kUnknownAccessKey;
  }
  return token::KeyRefusal::kUnknownAccessKey;
}

// Resolves the token's key through the snapshot and keeps the caller for the policy decision.
class SnapshotKeys final : public token::KeyResolver {
 public:
  explicit SnapshotKeys(const iam::Snapshot& snapshot) : snapshot_(snapshot) {}

  std::expected<std::string_view, token::KeyRefusal> resolve(std::string_view access_key_id,
                                                             std::string_view session_token, SystemTime now) override {
    auto caller = iam::resolve_caller(snapshot_, access_key_id, session_token, now);
    if (!caller) {
      problem_ = caller.error();
      return std::unexpected(refusal_of(caller.error()));
    }
    caller_ = std::move(*caller);
    return caller_->secret;
  }

  const std::optional<iam::Caller>& caller() const { return caller_; }
  std::optional<iam::CredentialError> problem() const { return problem_; }

 private:
  const iam::Snapshot& snapshot_;
  std::optional<iam::Caller> caller_;
  std::optional<iam::CredentialError> problem_;
};

}  // namespace

audit::Event Verifier::decide(const Attempt& a, sigv4::SigningKeyCache& signing_keys) const {
  const auto started = std::chrono::steady_clock::now();
  audit::Event e;
  e.kind = audit::Kind::kConnect;
  e.time = clock_.now();
  e.request_id = crypto::request_id();
  e.action = "rds-db:connect";
  e.source_address = std::string(a.client_address);
  e.instance = std::string(a.instance);
  e.db_user = std::string(a.db_user);
  e.via = std::string(a.via);
  e.outcome = audit::Outcome::kDenied;
  const auto finish = [&](std::string_view reason, std::string detail = {}) {
    e.reason = std::string(reason);
    e.detail = std::move(detail);
    e.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return std::move(e);
  };

  const auto snapshot = registry_.snapshot();
  const iam::State& state = snapshot->state();
  const iam::Instance* db = state.find_instance(a.instance);
  if (!db) return finish(kUnknownInstance, "no instance " + std::string(a.instance) + " is registered");
  e.engine = db->engine;
  if (!db->iam_enabled) return finish(kIamDisabled, "IAM database authentication is off for " + db->id);
  if (!a.tls) return finish(kTlsRequired, "the client's connection is not TLS, so a token is never accepted on it");

  // The endpoint tokens name, then aliases.
  std::vector<token::Endpoint> endpoints;
  endpoints.reserve(1 + db->aliases.size());
  endpoints.push_back({db->host, db->port});
  for (const std::string& alias : db->aliases)
    if (auto ep = config::parse_listen_address(alias)) endpoints.push_back({ep->host, ep->port});

  SnapshotKeys keys(*snapshot);
  token::CheckOptions options;
  options.clock_skew = options_.clock_skew;
  options.max_token_size = options_.max_token_bytes;
  const token::TokenCheck check{a.token, a.db_user, endpoints, state.account.region};
  auto verified = token::check_token(check, clock_, keys, signing_keys, options);
  if (keys.caller()) {
    e.principal_arn = keys.caller()->arn;
    if (keys.caller()->session) e.session_name = keys.caller()->session->session_name;
  }
  if (!verified) {
    if (verified.error().reason == token::TokenReason::kUnknownAccessKey && keys.problem() == iam::CredentialError::kPrincipalGone)
      verified.error().detail += " (the key's user or role no longer exists)";
    return finish(token::reason_name(verified.error().reason), std::move(verified.error().detail));
  }
  e.access_key_id = verified->access_key_id;
  const iam::Caller& caller = *keys.caller();
  registry_.record_key_use(caller.access_key_id, "rds-db", state.account.region, e.time);

  const std::string resource = iam::dbuser_arn(state.account.region, state.account.id, db->dbi_resource_id, a.db_user);
  iam::AccessRequest request;
  request.action = "rds-db:connect";
  request.resource = resource;
  request.now = e.time;
  request.source_ip = a.client_address;
  request.secure_transport = a.tls;
  request.requested_region = state.account.region;
  const iam::AccessResult access = iam::authorize(*snapshot, caller, request);
  std::string decided_by;
  for (const auto& s : access.evaluation.deciding()) decided_by += (decided_by.empty() ? "" : "; ") + policy::describe(s);
  e.decided_by = std::move(decided_by);
  switch (access.evaluation.decision) {
    case policy::Decision::kAllowed:
      e.outcome = audit::Outcome::kAllowed;
      return finish(kAllowed);
    case policy::Decision::kExplicitDeny: return finish(kExplicitDeny, access.explanation);
    case policy::Decision::kImplicitDeny: return finish(kImplicitDeny, access.explanation);
  }
  return finish(kImplicitDeny, access.explanation);
}

}  // namespace iamdb::verify
