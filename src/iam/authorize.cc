// Resolving credentials to callers, and evaluating their access with AWS's context keys.
#include "iam/authorize.h"

#include "common/time.h"
#include "crypto/digest.h"
#include "common/encoding.h"
#include "iam/arn.h"
#include "iam/ids.h"

namespace iamdb::iam {

std::string_view credential_error_name(CredentialError e) {
  switch (e) {
    case CredentialError::kUnknownAccessKey: return "unknown_access_key";
    case CredentialError::kInactiveAccessKey: return "inactive_access_key";
    case CredentialError::kSessionTokenMissing: return "session_token_missing";
    case CredentialError::kSessionTokenInvalid: return "session_token_invalid";
    case CredentialError::kSessionTokenUnexpected: return "session_token_unexpected";
    case CredentialError::kSessionExpired: return "session_expired";
    case CredentialError::kPrincipalGone: return "principal_gone";
  }
  return "unknown";
}

std::string_view Caller::principal_type() const { return kind == Kind::kRoleSession ? "AssumedRole" : "User"; }

std::string Caller::display_name() const {
  if (kind == Kind::kRoleSession) return "assumed-role/" + role->name + "/" + session->session_name;
  return "user/" + user->name;
}

std::expected<Caller, CredentialError> resolve_caller(const Snapshot& snapshot, std::string_view access_key_id,
                                                      std::string_view session_token, SystemTime now) {
  const State& s = snapshot.state();
  Caller c;
  c.access_key_id = std::string(access_key_id);
  c.account = s.account.id;
  if (!is_temporary_key_id(access_key_id)) {
    const AccessKey* key = s.find_access_key(access_key_id);
    if (!key) return std::unexpected(CredentialError::kUnknownAccessKey);
    if (!session_token.empty()) return std::unexpected(CredentialError::kSessionTokenUnexpected);
    if (!key->active) return std::unexpected(CredentialError::kInactiveAccessKey);
    c.user = s.find_user(key->user);
    if (!c.user) return std::unexpected(CredentialError::kPrincipalGone);
    c.kind = Caller::Kind::kUser;
    c.secret = key->secret;
  } else {
    const Session* session = s.find_session(access_key_id);
    if (!session) return std::unexpected(CredentialError::kUnknownAccessKey);
    if (session_token.empty()) return std::unexpected(CredentialError::kSessionTokenMissing);
    const std::string presented = hex_encode(crypto::sha256(session_token));
    if (!crypto::constant_time_equal(presented, session->token_sha256))
      return std::unexpected(CredentialError::kSessionTokenInvalid);
    if (now >= session->expires) return std::unexpected(CredentialError::kSessionExpired);
    c.session = session;
    c.secret = session->secret;
    c.token_issue_time = format_iso8601(session->issued);
    for (const Tag& t : session->session_tags) c.session_tags.emplace_back("aws:PrincipalTag/" + t.key, t.value);
    if (session->kind == Session::Kind::kAssumedRole) {
      c.role = s.find_role(session->role);
      if (!c.role) return std::unexpected(CredentialError::kPrincipalGone);
      c.kind = Caller::Kind::kRoleSession;
    } else {
      c.user = s.find_user(session->user);
      if (!c.user) return std::unexpected(CredentialError::kPrincipalGone);
      // The user's key that made the session must still be usable, as in AWS.
      c.kind = Caller::Kind::kUserSession;
    }
  }
  if (c.kind == Caller::Kind::kRoleSession) {
    c.principal_arn = role_arn(c.account, c.role->path, c.role->name);
    c.arn = assumed_role_arn(c.account, c.role->name, c.session->session_name);
    c.user_id = c.role->id + ":" + c.session->session_name;
    c.permissions = snapshot.role_permissions(c.role->name);
  } else {
    c.principal_arn = user_arn(c.account, c.user->path, c.user->name);
    c.arn = c.principal_arn;
    c.user_id = c.user->id;
    c.permissions = snapshot.user_permissions(c.user->name);
  }
  if (!c.permissions) return std::unexpected(CredentialError::kPrincipalGone);
  return c;
}

void add_principal_keys(const Caller& caller, const policy::RequestTime& time, policy::ContextKeys& keys) {
  namespace k = policy::keys;
  time.add_to(keys);
  keys.set(k::kPrincipalArn, caller.principal_arn);
  keys.set(k::kPrincipalAccount, caller.account);
  keys.set(k::kPrincipalType, caller.principal_type());
  keys.set(k::kUserid, caller.user_id);
  if (caller.kind != Caller::Kind::kRoleSession) keys.set(k::kUsername, caller.user->name);
  for (const auto& [key, value] : caller.permissions->principal_tags) keys.set(key, value);
  for (const auto& [key, value] : caller.session_tags) keys.set(key, value);
  if (caller.session) {
    keys.set(k::kTokenIssueTime, caller.token_issue_time);
    keys.set(k::kMultiFactorAuthPresent, "false");
    if (!caller.session->source_identity.empty()) keys.set(k::kSourceIdentity, caller.session->source_identity);
  }
}

AccessResult authorize(const Snapshot& snapshot, const Caller& caller, const AccessRequest& request) {
  policy::Request req;
  req.action = request.action;
  req.resource = request.resource;
  req.principal.type = policy::PrincipalType::kAws;
  req.principal.arn = caller.arn;
  req.principal.account = caller.account;
  if (caller.kind == Caller::Kind::kRoleSession) req.principal.role_arn = caller.principal_arn;
  const policy::RequestTime time(request.now);
  add_principal_keys(caller, time, req.context);
  if (!request.source_ip.empty()) req.context.set(policy::keys::kSourceIp, request.source_ip);
  if (request.secure_transport) req.context.set(policy::keys::kSecureTransport, *request.secure_transport ? "true" : "false");
  if (!request.requested_region.empty()) req.context.set(policy::keys::kRequestedRegion, request.requested_region);
  for (const auto& [key, value] : request.extra_keys) req.context.set(key, value);

  const PermissionSet& perms = *caller.permissions;
  policy::PolicySet set;
  set.identity = perms.identity;
  set.boundary = perms.boundary ? &*perms.boundary : nullptr;
  // Session policies (inline and managed ARNs passed to AssumeRole) intersect with the role's.
  std::vector<policy::NamedPolicy> session_policies;
  if (caller.session) {
    if (caller.session->session_policy)
      session_policies.push_back({"session policy", caller.session->session_policy->compiled.get()});
    for (const std::string& arn : caller.session->session_policy_arns) {
      const ManagedPolicy* mp = snapshot.state().find_policy(arn);
      // A session policy that no longer exists allows nothing.
      session_policies.push_back({"session policy " + arn, mp ? mp->default_document().document.compiled.get() : nullptr});
    }
    set.session = session_policies;
  }
  set.resource = request.resource_policies;
  set.resource_policy_required = request.resource_policy_required;
  AccessResult result;
  result.evaluation = policy::evaluate(set, req);
  result.explanation = policy::describe(result.evaluation, req);
  return result;
}

}  // namespace iamdb::iam
