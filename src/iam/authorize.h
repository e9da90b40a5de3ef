// Who is calling, and may they? Shared by the Query API (every call is authorized) and the
// verify path (`rds-db:connect`).
//
// `resolve_caller` turns an access key id (and, for temporary keys, the session token that came
// with it) into the principal behind it, reading only the snapshot. `authorize` evaluates the
// caller's policies for one action on one resource with the request context AWS would build
// (aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalTag/..., aws:CurrentTime, ...).
//
// Lifetimes: a Caller points into the snapshot it was resolved from; keep the snapshot alive
// while using it. Pure; any thread.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "iam/state.h"
#include "policy/evaluate.h"

namespace iamdb::iam {

struct Caller {
  enum class Kind { kUser, kRoleSession, kUserSession };
  Kind kind = Kind::kUser;
  const User* user = nullptr;        // kUser, kUserSession
  const Role* role = nullptr;        // kRoleSession
  const Session* session = nullptr;  // kRoleSession, kUserSession
  const PermissionSet* permissions = nullptr;
  std::string access_key_id;
  std::string_view secret;           // the secret access key behind access_key_id
  std::string arn;                   // user ARN, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
  std::string principal_arn;         // aws:PrincipalArn: the user's or the role's ARN
  std::string user_id;               // aws:userid: AIDA..., or AROA...:SESSION
  std::string account;
  std::string token_issue_time;      // aws:TokenIssueTime (temporary credentials only)
  // aws:PrincipalTag/KEY of a session's tags (they override the role's tags of the same key).
  std::vector<std::pair<std::string, std::string>> session_tags;

  std::string_view principal_type() const;  // "User", "AssumedRole"
  // A short name for logs: "user/alice", "assumed-role/deploy/ci-42".
  std::string display_name() const;
};

enum class CredentialError {
  kUnknownAccessKey,
  kInactiveAccessKey,
  kSessionTokenMissing,     // an ASIA key without its session token
  kSessionTokenInvalid,     // a token that does not belong to the key
  kSessionTokenUnexpected,  // a session token with a long-term key
  kSessionExpired,
  kPrincipalGone,           // the key's user or role no longer exists
};
std::string_view credential_error_name(CredentialError e);  // "unknown_access_key", ...

std::expected<Caller, CredentialError> resolve_caller(const Snapshot& snapshot, std::string_view access_key_id,
                                                      std::string_view session_token, SystemTime now);

// What is asked, beyond the caller.
struct AccessRequest {
  std::string_view action;    // "rds-db:connect", "iam:CreateUser"
  std::string_view resource;  // an ARN
  SystemTime now;
  std::string_view source_ip;        // aws:SourceIp; empty: not set
  std::optional<bool> secure_transport;  // aws:SecureTransport
  std::string_view requested_region;  // aws:RequestedRegion; empty: not set
  // More context keys (e.g. iam:PolicyARN, sts:RoleSessionName); borrowed.
  std::span<const std::pair<std::string_view, std::string_view>> extra_keys;
  // Resource-based policies of the target (a role's trust policy for sts:AssumeRole).
  std::span<const policy::NamedPolicy> resource_policies;
  bool resource_policy_required = false;
};

struct AccessResult {
  policy::Evaluation evaluation;
  std::string explanation;  // policy::describe(): for audit logs
  bool allowed() const { return evaluation.decision == policy::Decision::kAllowed; }
};

AccessResult authorize(const Snapshot& snapshot, const Caller& caller, const AccessRequest& request);

// Fills `keys` with the caller's principal context keys (and the request's time), borrowing
// from `caller`, `snapshot` and `time`. Exposed for the simulator APIs.
void add_principal_keys(const Caller& caller, const policy::RequestTime& time, policy::ContextKeys& keys);

}  // namespace iamdb::iam
