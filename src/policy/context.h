// What a policy decision is about: the request context of AWS's policy evaluation logic
// ("Processing the request context"): the action, the resource, the principal that asks, and
// the context keys that conditions and policy variables read.
//
// Ownership: everything here *borrows*. Strings, spans and lists handed to `ContextKeys` and
// `Request` must outlive every evaluation that reads them; nothing is copied, so filling a
// context for the verify hot path allocates nothing (up to `ContextKeys::kInlineKeys` keys).
// `RequestTime` owns the two time strings AWS defines so that callers need no buffers of their
// own. The policy module never reads a clock: the caller puts `aws:CurrentTime` and
// `aws:EpochTime` in the context from its `Clock`.
//
// Thread-safety: plain values; a filled context may be read by several threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace iamdb::policy {

// Global condition keys (AWS "global condition context keys") that iamdb fills. Key names are
// case-insensitive everywhere, as in AWS.
namespace keys {
inline constexpr std::string_view kCurrentTime = "aws:CurrentTime";
inline constexpr std::string_view kEpochTime = "aws:EpochTime";
inline constexpr std::string_view kSourceIp = "aws:SourceIp";
inline constexpr std::string_view kSecureTransport = "aws:SecureTransport";
inline constexpr std::string_view kPrincipalArn = "aws:PrincipalArn";
inline constexpr std::string_view kPrincipalAccount = "aws:PrincipalAccount";
inline constexpr std::string_view kPrincipalType = "aws:PrincipalType";
inline constexpr std::string_view kPrincipalTagPrefix = "aws:PrincipalTag/";
inline constexpr std::string_view kUsername = "aws:username";
inline constexpr std::string_view kUserid = "aws:userid";
inline constexpr std::string_view kTokenIssueTime = "aws:TokenIssueTime";
inline constexpr std::string_view kRequestedRegion = "aws:RequestedRegion";
inline constexpr std::string_view kMultiFactorAuthPresent = "aws:MultiFactorAuthPresent";
inline constexpr std::string_view kSourceIdentity = "aws:SourceIdentity";
inline constexpr std::string_view kUserAgent = "aws:UserAgent";
inline constexpr std::string_view kExternalId = "sts:ExternalId";
inline constexpr std::string_view kRoleSessionName = "sts:RoleSessionName";
}  // namespace keys

// The values of one context key: one value for single-valued keys, any number (zero
// included) for multi-valued keys such as `aws:TagKeys`.
class ContextValue {
 public:
  std::span<const std::string_view> values() const {
    return list_ ? std::span<const std::string_view>(list_, size_) : std::span(&single_, 1);
  }
  bool is_list() const { return list_ != nullptr; }
  std::string_view key() const { return key_; }

 private:
  friend class ContextKeys;
  std::string_view key_;
  std::string_view single_;
  const std::string_view* list_ = nullptr;
  size_t size_ = 0;
};

// A small flat map from key name (case-insensitive) to borrowed values. Lookups scan linearly:
// a request carries a dozen keys, and a scan beats hashing at that size.
class ContextKeys {
 public:
  static constexpr size_t kInlineKeys = 24;

  // Sets a single-valued key, replacing any earlier value of the same key.
  void set(std::string_view key, std::string_view value);
  // Sets a multi-valued key; `values` (the span's storage and the strings) is borrowed.
  void set_list(std::string_view key, std::span<const std::string_view> values);
  // nullptr when the request has no such key.
  const ContextValue* find(std::string_view key) const;
  size_t size() const { return size_; }
  const ContextValue& at(size_t i) const { return i < kInlineKeys ? inline_[i] : overflow_[i - kInlineKeys]; }

 private:
  ContextValue* slot_for(std::string_view key);

  std::array<ContextValue, kInlineKeys> inline_{};
  std::vector<ContextValue> overflow_;
  size_t size_ = 0;
};

enum class PrincipalType : uint8_t {
  kAws,        // an IAM user, an assumed-role session, a federated user, or an account root
  kService,    // an AWS service principal such as "ec2.amazonaws.com"
  kFederated,  // a web identity or SAML provider
  kAnonymous,  // nobody authenticated
};

// Who makes the request; what `Principal` / `NotPrincipal` in trust and resource-based
// policies are matched against. Identity-based policies ignore it.
struct Principal {
  PrincipalType type = PrincipalType::kAws;
  // kAws: the caller's ARN (arn:aws:iam::ACCOUNT:user/PATH/NAME,
  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, ...); kService / kFederated: the
  // service or provider name as a policy would write it.
  std::string_view arn;
  // kAws: the caller's 12-digit account.
  std::string_view account;
  // Assumed-role sessions: the role's ARN (with its path), which policies may name instead of
  // the session.
  std::string_view role_arn;
};

struct Request {
  std::string_view action;    // "rds-db:connect", "iam:CreateUser", "sts:AssumeRole"
  std::string_view resource;  // an ARN; for sts:AssumeRole, the role's ARN
  Principal principal;
  ContextKeys context;
};

// The value types of AWS's ContextKeyType (SimulatePrincipalPolicy / SimulateCustomPolicy).
// The evaluation itself reads every value as text and lets each condition operator interpret
// it; the types let tools check values before they reach a policy.
enum class ContextKeyType : uint8_t {
  kString, kStringList, kNumeric, kNumericList, kBoolean, kBooleanList,
  kDate, kDateList, kIp, kIpList, kBinary, kBinaryList,
};
// "string", "stringList", ... as AWS spells them (case-insensitive); nullopt if unknown.
std::optional<ContextKeyType> parse_context_key_type(std::string_view name);
bool is_list(ContextKeyType type);
// One value as a context stores it: checked against the type (a number, an ISO 8601 or epoch
// date, an IP address, true/false), and for binary types decoded from base64.
Result<std::string> context_value(ContextKeyType type, std::string_view text);

// aws:CurrentTime (ISO 8601, seconds, UTC) and aws:EpochTime for one instant, in owned
// buffers, so a context can borrow them without allocating.
class RequestTime {
 public:
  explicit RequestTime(SystemTime now);
  RequestTime(const RequestTime&) = delete;
  RequestTime& operator=(const RequestTime&) = delete;

  std::string_view current_time() const { return {iso_.data(), iso_size_}; }
  std::string_view epoch_time() const { return {epoch_.data(), epoch_size_}; }
  // Sets aws:CurrentTime and aws:EpochTime; `this` must outlive the context's use.
  void add_to(ContextKeys& context) const;

 private:
  std::array<char, 32> iso_{};
  std::array<char, 24> epoch_{};
  size_t iso_size_ = 0;
  size_t epoch_size_ = 0;
};

}  // namespace iamdb::policy
