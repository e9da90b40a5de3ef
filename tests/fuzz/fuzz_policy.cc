// Fuzz target for IAM policy documents (src/policy): the first byte picks the document kind,
// the rest is the document. Whatever compiles is evaluated against a few requests, so that the
// wildcard matchers, variables and condition operators see the fuzzer's patterns too.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/context.h"
#include "policy/evaluate.h"
#include "policy/policy.h"

using namespace iamdb::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const PolicyKind kinds[] = {PolicyKind::kIdentity, PolicyKind::kTrust, PolicyKind::kResource};
  const PolicyKind kind = kinds[data[0] % 3];
  const std::string_view document(reinterpret_cast<const char*>(data + 1), size - 1);

  auto compiled = Policy::compile(document, {kind, kRoleInlinePoliciesMaxSize});
  if (!compiled) {
    // Every refusal names its reason.
    if (compiled.error().message.empty()) __builtin_trap();
    return 0;
  }
  const std::vector<NamedPolicy> named = {{"fuzzed", compiled->get()}};

  static const std::string_view kTags[] = {"env", "team", "a*b"};
  Request request;
  request.principal = {PrincipalType::kAws, "arn:aws:sts::123456789012:assumed-role/ops/s1", "123456789012",
                       "arn:aws:iam::123456789012:role/ops"};
  request.context.set("aws:username", "alice");
  request.context.set("aws:userid", "AIDAJQABLZS4A3QDU576Q");
  request.context.set("aws:SourceIp", "2001:db8::7");
  request.context.set("aws:SecureTransport", "true");
  request.context.set("aws:CurrentTime", "2026-06-15T08:30:07Z");
  request.context.set("aws:EpochTime", "1781512207");
  request.context.set("aws:PrincipalArn", "arn:aws:iam::123456789012:role/ops");
  request.context.set("s3:max-keys", "10.5");
  request.context.set_list("aws:TagKeys", kTags);

  const std::pair<std::string_view, std::string_view> targets[] = {
      {"rds-db:connect", "arn:aws:rds-db:us-east-2:123456789012:dbuser:db-12ABC34DEFG5HIJ6KLMNOP78QR/alice"},
      {"sts:AssumeRole", "arn:aws:iam::123456789012:role/dba"},
      {"iam:CreateUser", "arn:aws:iam::999999999999:user/a:b:c/d"},
  };
  for (const auto& [action, resource] : targets) {
    request.action = action;
    request.resource = resource;
    PolicySet set;
    if (kind == PolicyKind::kIdentity) {
      set.identity = named;
      set.boundary = &named[0];
    } else {
      set.resource = named;
      set.resource_policy_required = kind == PolicyKind::kTrust;
    }
    std::vector<StatementRef> matched;
    const Evaluation full = evaluate(set, request, matched);
    const Evaluation fast = evaluate(set, request);
    // Stopping at the first Deny must not change the decision.
    if (full.decision != fast.decision) __builtin_trap();
    (void)describe(full, request);
  }
  return 0;
}
