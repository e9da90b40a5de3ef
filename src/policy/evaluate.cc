// AWS's policy evaluation logic over compiled policies, and decision explanations.
#include "policy/evaluate.h"

#include <algorithm>

#include "common/strings.h"
#include "policy/statement.h"

namespace iamdb::policy {

using internal::ElementMode;
using internal::MatchKind;
using internal::Outcome;
using internal::Pattern;
using internal::PrincipalSet;
using internal::Statement;

namespace {

// How directly a resource-based policy grants access to the caller (see evaluate.h).
enum class Grant : uint8_t { kNone, kAccount, kRole, kDirect };

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

Grant principal_grant(const PrincipalSet& set, const Principal& p) {
  if (set.everyone) return Grant::kDirect;
  switch (p.type) {
    case PrincipalType::kAws:
      if (!p.arn.empty() && contains(set.arns, p.arn)) return Grant::kDirect;
      if (!p.role_arn.empty() && contains(set.arns, p.role_arn)) return Grant::kRole;
      if (!p.account.empty() && contains(set.accounts, p.account)) return Grant::kAccount;
      return Grant::kNone;
    case PrincipalType::kService: return contains(set.services, p.arn) ? Grant::kDirect : Grant::kNone;
    case PrincipalType::kFederated: return contains(set.federated, p.arn) ? Grant::kDirect : Grant::kNone;
    case PrincipalType::kAnonymous: return Grant::kNone;
  }
  return Grant::kNone;
}

// NotPrincipal applies unless every identity the caller acts as (session, role, account) is
// listed: the reason AWS asks to list the account and the role along with a session.
bool not_principal_applies(const PrincipalSet& set, const Principal& p) {
  if (set.everyone) return false;
  switch (p.type) {
    case PrincipalType::kAws:
      if (p.arn.empty() && p.account.empty()) return true;
      if (!p.arn.empty() && !contains(set.arns, p.arn)) return true;
      if (!p.role_arn.empty() && !contains(set.arns, p.role_arn)) return true;
      if (!p.account.empty() && !contains(set.accounts, p.account)) return true;
      return false;
    case PrincipalType::kService: return !contains(set.services, p.arn);
    case PrincipalType::kFederated: return !contains(set.federated, p.arn);
    case PrincipalType::kAnonymous: return true;
  }
  return true;
}

// The account of an ARN (its fifth field), empty when it has none or is not an ARN.
std::string_view arn_account(std::string_view arn) {
  if (!arn.starts_with("arn:")) return {};
  size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const size_t end = arn.find(':', pos);
  if (end == std::string_view::npos) return {};
  return arn.substr(pos, end - pos);
}

// Whether the statement applies to the request; for resource-based policies, `grant` says
// how directly it names the caller. A policy variable without a value makes the statement
// not apply ("Policy variables with no value").
// `action` is the request's action, lower-cased when `action_lowered` (action patterns are
// compiled lower-case, so the comparison is then a plain one).
bool applies(const Statement& s, const Request& request, std::string_view action, bool action_lowered,
             PolicyRole role, Grant& grant) {
  const ContextKeys& context = request.context;
  bool unresolved = false;

  bool action_listed = false;
  const MatchKind action_kind = action_lowered ? MatchKind::kGlob : MatchKind::kGlobIgnoreCase;
  for (const Pattern& p : s.actions) {
    if (internal::pattern_match(p, action, action_kind, context, unresolved)) {
      action_listed = true;
      break;
    }
  }
  if (action_listed == s.not_action) return false;

  if (s.resource_mode != ElementMode::kAbsent) {
    bool listed = false;
    for (const Pattern& p : s.resources)
      if (internal::pattern_match(p, request.resource, MatchKind::kResource, context, unresolved)) listed = true;
    if (unresolved) return false;
    if (listed != (s.resource_mode == ElementMode::kPositive)) return false;
  }

  grant = Grant::kDirect;
  if (role == PolicyRole::kResource) {
    if (s.principal_mode == ElementMode::kPositive) {
      grant = principal_grant(s.principals, request.principal);
      if (grant == Grant::kNone) return false;
    } else if (s.principal_mode == ElementMode::kNegated) {
      if (!not_principal_applies(s.principals, request.principal)) return false;
    } else {
      return false;  // a statement that names no principal grants nobody anything
    }
  }

  for (const internal::Condition& c : s.conditions)
    if (internal::evaluate_condition(c, context) != Outcome::kTrue) return false;
  return true;
}

struct Scan {
  const Request& request;
  std::vector<StatementRef>* matched;
  std::string_view action;
  bool action_lowered;

  std::array<StatementRef, Evaluation::kMaxDeciding> denies{};
  uint8_t deny_count = 0;
  StatementRef identity_allow{}, boundary_allow{}, session_allow{}, resource_allow{};
  bool has_identity_allow = false, has_boundary_allow = false, has_session_allow = false;
  Grant resource_grant = Grant::kNone;

  // Returns false to stop: a Deny decided and nobody wants the full list.
  bool run(std::span<const NamedPolicy> policies, PolicyRole role) {
    for (const NamedPolicy& named : policies) {
      if (!named.policy) continue;
      const Policy& policy = *named.policy;
      for (size_t i = 0; i < policy.statement_count(); ++i) {
        const Statement& s = policy.statement(i);
        Grant grant = Grant::kNone;
        if (!applies(s, request, action, action_lowered, role, grant)) continue;
        const StatementRef ref{&named, role, static_cast<uint32_t>(i)};
        if (matched) matched->push_back(ref);
        if (s.effect == Effect::kDeny) {
          if (deny_count < denies.size()) denies[deny_count++] = ref;
          if (!matched) return false;
          continue;
        }
        switch (role) {
          case PolicyRole::kIdentity:
            if (!has_identity_allow) identity_allow = ref;
            has_identity_allow = true;
            break;
          case PolicyRole::kBoundary:
            if (!has_boundary_allow) boundary_allow = ref;
            has_boundary_allow = true;
            break;
          case PolicyRole::kSession:
            if (!has_session_allow) session_allow = ref;
            has_session_allow = true;
            break;
          case PolicyRole::kResource:
            if (grant > resource_grant) {
              resource_grant = grant;
              resource_allow = ref;
            }
            break;
        }
      }
    }
    return true;
  }
};

Evaluation run_evaluation(const PolicySet& set, const Request& request, std::vector<StatementRef>* matched) {
  // Actions compare case-insensitively: lower-case the request's once, not per statement.
  std::array<char, 128> lowered;
  std::string_view action = request.action;
  const bool action_lowered = action.size() <= lowered.size();
  if (action_lowered) {
    for (size_t i = 0; i < action.size(); ++i) lowered[i] = ascii_lower(action[i]);
    action = std::string_view(lowered.data(), action.size());
  }
  Scan scan{request, matched, action, action_lowered};
  const std::span<const NamedPolicy> boundary =
      set.boundary ? std::span<const NamedPolicy>(set.boundary, 1) : std::span<const NamedPolicy>();
  const bool go_on = scan.run(set.identity, PolicyRole::kIdentity) && scan.run(boundary, PolicyRole::kBoundary) &&
                     scan.run(set.session, PolicyRole::kSession) && scan.run(set.resource, PolicyRole::kResource);
  (void)go_on;

  Evaluation e;
  const auto add = [&e](const StatementRef& ref) {
    if (e.deciding_count < Evaluation::kMaxDeciding) e.deciding_statements[e.deciding_count++] = ref;
  };
  if (scan.deny_count > 0) {
    e.decision = Decision::kExplicitDeny;
    e.reason = DenyReason::kExplicitDeny;
    for (uint8_t i = 0; i < scan.deny_count; ++i) add(scan.denies[i]);
    return e;
  }

  const bool has_boundary = set.boundary != nullptr;
  const bool has_session = !set.session.empty();
  const bool boundary_ok = !has_boundary || scan.has_boundary_allow;
  const bool session_ok = !has_session || scan.has_session_allow;

  Grant grant = scan.resource_grant;
  // Across accounts, a resource-based policy only opens the door; the caller's own account
  // must still allow the request.
  const std::string_view resource_account = arn_account(request.resource);
  if (request.principal.type == PrincipalType::kAws && !resource_account.empty() &&
      !request.principal.account.empty() && resource_account != request.principal.account &&
      grant > Grant::kAccount)
    grant = Grant::kAccount;

  e.decision = Decision::kImplicitDeny;
  if (set.resource_policy_required && grant == Grant::kNone) {
    e.reason = DenyReason::kResourcePolicy;
    return e;
  }
  if (grant == Grant::kDirect) {
    e.decision = Decision::kAllowed;
    e.reason = DenyReason::kNone;
    add(scan.resource_allow);
    return e;
  }
  const bool via_role = grant == Grant::kRole;
  if (!via_role && !scan.has_identity_allow) {
    e.reason = DenyReason::kNoAllow;
    return e;
  }
  add(via_role ? scan.resource_allow : scan.identity_allow);
  if (!boundary_ok) {
    e.reason = DenyReason::kBoundary;
    return e;
  }
  if (has_boundary) add(scan.boundary_allow);
  if (!session_ok) {
    e.reason = DenyReason::kSessionPolicy;
    return e;
  }
  if (has_session) add(scan.session_allow);
  if (!via_role && grant == Grant::kAccount) add(scan.resource_allow);
  e.decision = Decision::kAllowed;
  e.reason = DenyReason::kNone;
  return e;
}

}  // namespace

std::string_view to_string(PolicyRole role) {
  switch (role) {
    case PolicyRole::kIdentity: return "identity";
    case PolicyRole::kBoundary: return "boundary";
    case PolicyRole::kSession: return "session";
    case PolicyRole::kResource: return "resource";
  }
  return "identity";
}

std::string_view to_string(Decision decision) {
  switch (decision) {
    case Decision::kAllowed: return "allowed";
    case Decision::kExplicitDeny: return "explicitDeny";
    case Decision::kImplicitDeny: return "implicitDeny";
  }
  return "implicitDeny";
}

Evaluation evaluate(const PolicySet& policies, const Request& request) {
  return run_evaluation(policies, request, nullptr);
}

Evaluation evaluate(const PolicySet& policies, const Request& request, std::vector<StatementRef>& matched) {
  return run_evaluation(policies, request, &matched);
}

std::string describe(const StatementRef& statement) {
  std::string out = "\"" + statement.policy->name + "\" statement " + std::to_string(statement.index + 1);
  const std::string_view sid = statement.sid();
  if (!sid.empty()) out.append(" (Sid ").append(sid).append(")");
  return out;
}

std::string describe(const Evaluation& e, const Request& request) {
  const auto deciding = e.deciding();
  const auto role_phrase = [](const StatementRef& ref) -> std::string {
    switch (ref.role) {
      case PolicyRole::kIdentity: return describe(ref);
      case PolicyRole::kBoundary: return "permissions boundary " + describe(ref);
      case PolicyRole::kSession: return "session policy " + describe(ref);
      case PolicyRole::kResource: return "resource-based policy " + describe(ref);
    }
    return describe(ref);
  };
  std::string out;
  switch (e.reason) {
    case DenyReason::kNone: {
      out = "allowed by " + role_phrase(deciding[0]);
      for (size_t i = 1; i < deciding.size(); ++i) out += ", within " + role_phrase(deciding[i]);
      return out;
    }
    case DenyReason::kExplicitDeny: {
      out = "explicitly denied by " + role_phrase(deciding[0]);
      for (size_t i = 1; i < deciding.size(); ++i) out += " and " + role_phrase(deciding[i]);
      return out;
    }
    case DenyReason::kNoAllow:
      return "implicitly denied: no statement allows " + std::string(request.action) + " on " +
             std::string(request.resource);
    case DenyReason::kBoundary:
      return "implicitly denied: " + role_phrase(deciding[0]) +
             " allows it, but the permissions boundary does not";
    case DenyReason::kSessionPolicy:
      return "implicitly denied: " + role_phrase(deciding[0]) + " allows it, but no session policy does";
    case DenyReason::kResourcePolicy:
      return "implicitly denied: no resource-based (trust) policy statement allows this principal to " +
             std::string(request.action) + " " + std::string(request.resource);
  }
  return out;
}

}  // namespace iamdb::policy
