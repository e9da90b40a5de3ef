// Policy evaluation: AWS's "Policy evaluation logic" for requests within one account, and the
// explanation of each decision.
//
// The rules, in order (reference_policies_evaluation-logic, "Determining whether a request is
// allowed or denied within an account"):
//   1. An explicit Deny in any applicable policy (identity, boundary, session, resource)
//      decides: explicitDeny.
//   2. A resource-based policy (e.g. a role's trust policy) that allows the caller's own ARN
//      (user, role session) or everyone ("*") decides: allowed, whatever the identity policies,
//      boundary or session policies say. One that names the caller's role allows, limited by
//      the boundary and session policies. One that names only the account delegates to the
//      identity policies. Across accounts, a resource-based Allow never suffices alone.
//      When `resource_policy_required` (role trust policies), its Allow is also necessary.
//   3. Otherwise an identity-based Allow is needed, and it must also be allowed by the
//      permissions boundary (if any) and by a session policy (if any): implicitDeny else.
//
// Every result names the statements that decided it; `evaluate` with a `matched` list also
// returns every statement that applied, as SimulatePrincipalPolicy's MatchedStatements.
//
// Ownership and threads: evaluation reads only its arguments; results point into the
// `PolicySet` (its `NamedPolicy` entries must outlive the result). Any number of threads may
// evaluate at once. Without `matched`, evaluation allocates nothing for usual policies.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/context.h"
#include "policy/policy.h"

namespace iamdb::policy {

// A policy with the name explanations show (e.g. "user/alice inline db-access" or a managed
// policy's ARN). A null `policy` allows nothing: a boundary that names a policy that no longer
// exists fails closed.
struct NamedPolicy {
  std::string name;
  const Policy* policy = nullptr;
};

enum class PolicyRole : uint8_t { kIdentity, kBoundary, kSession, kResource };
std::string_view to_string(PolicyRole role);  // identity, boundary, session, resource

// The policies that apply to one request.
struct PolicySet {
  // The principal's identity-based policies: a user's inline, attached managed and groups'
  // policies; a role's (or role session's) inline and attached policies.
  std::span<const NamedPolicy> identity{};
  // The permissions boundary of the user or role, if it has one.
  const NamedPolicy* boundary = nullptr;
  // Session policies passed to AssumeRole; empty when there are none (then they do not limit).
  std::span<const NamedPolicy> session{};
  // Resource-based policies of the resource, e.g. the trust policy of the role being assumed.
  std::span<const NamedPolicy> resource{};
  // Role trust policies must allow the caller themselves (an identity Allow is not enough).
  bool resource_policy_required = false;
};

enum class Decision : uint8_t { kAllowed, kExplicitDeny, kImplicitDeny };
std::string_view to_string(Decision decision);  // allowed, explicitDeny, implicitDeny

enum class DenyReason : uint8_t {
  kNone,              // allowed
  kExplicitDeny,      // a Deny statement applied
  kNoAllow,           // no identity-based (or resource-based) statement allows the request
  kBoundary,          // allowed, but not within the permissions boundary
  kSessionPolicy,     // allowed, but not by any session policy
  kResourcePolicy,    // the required resource-based (trust) policy does not allow the caller
};

// One statement of one policy of the set.
struct StatementRef {
  const NamedPolicy* policy = nullptr;  // points into the PolicySet's lists
  PolicyRole role = PolicyRole::kIdentity;
  uint32_t index = 0;  // from 0; messages number statements from 1

  std::string_view policy_name() const { return policy->name; }
  std::string_view sid() const { return policy->policy->sid(index); }
  Effect effect() const { return policy->policy->effect(index); }
};

struct Evaluation {
  static constexpr size_t kMaxDeciding = 4;

  Decision decision = Decision::kImplicitDeny;
  DenyReason reason = DenyReason::kNoAllow;
  // explicitDeny: the Deny statement(s); allowed: the Allow that granted it, then the boundary
  // and session statements that let it through; implicitDeny: Allows that were cut off by a
  // boundary or session policy, if any.
  std::array<StatementRef, kMaxDeciding> deciding_statements{};
  uint8_t deciding_count = 0;

  std::span<const StatementRef> deciding() const { return {deciding_statements.data(), deciding_count}; }
};

Evaluation evaluate(const PolicySet& policies, const Request& request);
// As above, and appends every statement that applied to the request (Allow and Deny, in
// policy order) to `matched`. Evaluates every statement instead of stopping at a Deny.
Evaluation evaluate(const PolicySet& policies, const Request& request, std::vector<StatementRef>& matched);

// `user/alice inline db-access` statement 2 (Sid AllowConnect)
std::string describe(const StatementRef& statement);
// One line for audit logs and the simulator, e.g.
// "explicitDeny: denied by `deny-all` statement 1" or
// "implicitDeny: no statement allows rds-db:connect on arn:aws:rds-db:...".
std::string describe(const Evaluation& evaluation, const Request& request);

}  // namespace iamdb::policy
