// The compiled form of one policy statement (internal to the policy module): what the
// evaluator walks for every request. Built by Policy::compile, immutable afterwards.
#pragma once

#include <string>
#include <vector>

#include "policy/condition.h"
#include "policy/pattern.h"
#include "policy/policy.h"

namespace iamdb::policy::internal {

// The principals a Principal / NotPrincipal element names. ARNs are compared exactly (IAM
// treats the name part as case-sensitive); an account is its 12-digit id, whether written as
// "123456789012" or "arn:aws:iam::123456789012:root".
struct PrincipalSet {
  bool everyone = false;  // "*" or {"AWS": "*"}
  std::vector<std::string> accounts;
  std::vector<std::string> arns;
  std::vector<std::string> services;
  std::vector<std::string> federated;
  std::vector<std::string> canonical_users;
};

enum class ElementMode : uint8_t { kAbsent, kPositive, kNegated };

struct Statement {
  std::string sid;
  Effect effect = Effect::kAllow;

  bool not_action = false;
  std::vector<Pattern> actions;  // lower-cased, matched case-insensitively

  ElementMode resource_mode = ElementMode::kAbsent;  // kAbsent only in trust policies
  std::vector<Pattern> resources;

  ElementMode principal_mode = ElementMode::kAbsent;  // kAbsent in identity policies
  PrincipalSet principals;

  std::vector<Condition> conditions;
};

}  // namespace iamdb::policy::internal
