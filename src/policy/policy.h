// IAM policy documents: parsing, validation and compilation ("IAM JSON policy reference",
// "Grammar of the IAM JSON policy language").
//
// `Policy::compile` reads one JSON policy document, refuses anything IAM would refuse with a
// message in the style of IAM's `MalformedPolicyDocument` errors ("Statement 2: Action and
// NotAction both present", "Statement 1: Unknown condition operator StringEqualz", ...), and
// returns an immutable compiled form that `evaluate()` (policy/evaluate.h) reads without
// parsing or allocating. The document kind decides the rules that differ between identity
// policies (no Principal, Resource required), role trust policies (Principal required, no
// Resource, sts actions only) and other resource-based policies.
//
// Ownership and threads: a compiled `Policy` is immutable and shared as
// `std::shared_ptr<const Policy>`; any number of threads may evaluate it at once. Compilation
// never throws for bad input and never reads a clock or a file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace iamdb::policy {

namespace internal {
struct Statement;
}

enum class PolicyKind : uint8_t {
  kIdentity,  // user, group and role policies (inline or managed), permissions boundaries,
              // session policies
  kTrust,     // a role's AssumeRolePolicyDocument
  kResource,  // other resource-based policies (Principal and Resource both required)
};

enum class Effect : uint8_t { kAllow, kDeny };

// IAM's size quotas, in characters not counting white space ("IAM and AWS STS quotas").
// Inline quotas apply to the sum of all inline policies of one user, group or role; the
// caller adds up `policy_size()` of each to check them.
inline constexpr size_t kManagedPolicyMaxSize = 6144;
inline constexpr size_t kUserInlinePoliciesMaxSize = 2048;
inline constexpr size_t kGroupInlinePoliciesMaxSize = 5120;
inline constexpr size_t kRoleInlinePoliciesMaxSize = 10240;
inline constexpr size_t kTrustPolicyMaxSize = 2048;  // AWS default; adjustable up to 4096
inline constexpr size_t kSessionPolicyMaxSize = 2048;
// Raw bytes accepted before any parsing, white space included.
inline constexpr size_t kMaxDocumentBytes = 131072;

struct ParseOptions {
  PolicyKind kind = PolicyKind::kIdentity;
  size_t max_size = kManagedPolicyMaxSize;
};

// Characters that count against IAM's size quotas: all but white space (space, tab, CR, LF).
size_t policy_size(std::string_view document);

class Policy {
 public:
  static Result<std::shared_ptr<const Policy>> compile(std::string_view document, const ParseOptions& options = {});

  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  PolicyKind kind() const { return kind_; }
  // "2012-10-17" or "2008-10-17" (also when the document has no Version, as in IAM).
  std::string_view version() const { return version_; }
  // Policy variables are substituted only in version 2012-10-17.
  bool has_variables() const { return version_ == "2012-10-17"; }
  std::string_view id() const { return id_; }
  size_t size() const { return size_; }

  size_t statement_count() const;
  // Statements are numbered from 0 in the API, from 1 in messages.
  std::string_view sid(size_t index) const;
  Effect effect(size_t index) const;
  const internal::Statement& statement(size_t index) const;

 private:
  Policy();
  friend struct PolicyBuilder;

  PolicyKind kind_ = PolicyKind::kIdentity;
  std::string version_;
  std::string id_;
  size_t size_ = 0;
  std::vector<internal::Statement> statements_;
};

// Validation only: the error `Policy::compile` would return, or success.
Result<void> validate(std::string_view document, const ParseOptions& options = {});

}  // namespace iamdb::policy
