// Checking an RDS IAM auth token presented as a database password (DESIGN.md section 2, "Token
// checks"). Every check has its own named reason, which the audit log and the metrics record;
// the client only ever learns that authentication failed.
//
// The checks, in the order they run (the first failure is returned):
//   token_too_long           more than CheckOptions::max_token_size bytes (8 KiB)
//   malformed_token          empty; no "/?" after host:port; bad host or port; a byte that
//                            cannot appear in a URL query (space, control, '#', non-ASCII...);
//                            an empty parameter or one without '='; a bad percent-escape
//   unknown_parameter        a parameter that is not one of the nine below; no SDK sends others
//                            and accepting them would only widen what a token can say
//   duplicate_parameter      a parameter given twice (TokenFailure::parameter names it)
//   missing_parameter        a required parameter absent (TokenFailure::parameter names it);
//                            X-Amz-Security-Token is the only optional one
//   unsupported_algorithm    X-Amz-Algorithm is not AWS4-HMAC-SHA256
//   wrong_action             Action is not "connect"
//   user_mismatch            DBUser differs from the login user name (exact, case-sensitive)
//   endpoint_mismatch        host:port names none of the accepted endpoints (host compared
//                            ASCII case-insensitively, IPv6 brackets ignored, port exactly)
//   malformed_credential     X-Amz-Credential is not AKID/YYYYMMDD/region/service/terminator
//   region_mismatch          credential scope region is not the instance's region
//   service_mismatch         credential scope service is not "rds-db"
//   invalid_credential_terminator   scope does not end in "aws4_request"
//   malformed_date           X-Amz-Date is not YYYYMMDDTHHMMSSZ
//   credential_date_mismatch scope day differs from X-Amz-Date's day
//   invalid_expires          X-Amz-Expires is not a decimal number
//   expires_too_long         X-Amz-Expires above 900
//   invalid_signed_headers   X-Amz-SignedHeaders is not exactly "host"
//   malformed_signature      X-Amz-Signature is not 64 lower-case hex digits
//   not_yet_valid            now < X-Amz-Date - clock skew
//   expired                  now > X-Amz-Date + X-Amz-Expires + clock skew
//   unknown_access_key, inactive_access_key, missing_session_token, invalid_session_token,
//   session_expired          what the KeyResolver reports
//   signature_mismatch       no accepted spelling of the signed host header gives the
//                            signature (compared in constant time)
// The signed `host` header may be spelled as botocore signs it (https: lower-cased host, port
// dropped for 443), as aws-sdk-cpp signs it (http: port dropped for 80), with the host's case as
// written, or (older botocore) with IPv6 brackets dropped; all name the same endpoint.
//
// Details are for operators' logs: they quote what was wrong but never the signature, the
// secret or the session token.
//
// Thread-safety: check_token() is re-entrant; it uses a per-thread scratch buffer and the
// caller's (per-thread) SigningKeyCache, and takes no locks. After warm-up, a successful check
// allocates only the strings of the VerifiedToken it returns (plus what OpenSSL's digest
// contexts allocate inside crypto::sha256 and HmacKey::mac).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/time.h"
#include "sigv4/signing_key.h"

namespace iamdb::token {

enum class TokenReason : uint8_t {
  kTokenTooLong,
  kMalformedToken,
  kUnknownParameter,
  kDuplicateParameter,
  kMissingParameter,
  kUnsupportedAlgorithm,
  kWrongAction,
  kUserMismatch,
  kEndpointMismatch,
  kMalformedCredential,
  kRegionMismatch,
  kServiceMismatch,
  kInvalidCredentialTerminator,
  kMalformedDate,
  kCredentialDateMismatch,
  kInvalidExpires,
  kExpiresTooLong,
  kInvalidSignedHeaders,
  kMalformedSignature,
  kNotYetValid,
  kExpired,
  kUnknownAccessKey,
  kInactiveAccessKey,
  kMissingSessionToken,
  kInvalidSessionToken,
  kSessionExpired,
  kSignatureMismatch,
};
inline constexpr size_t kTokenReasonCount =
    static_cast<size_t>(TokenReason::kSignatureMismatch) + 1;

// The stable snake_case name: "token_too_long", "signature_mismatch", ...
std::string_view reason_name(TokenReason reason);

// Why the key resolver refused; each maps to the TokenReason of the same name.
enum class KeyRefusal : uint8_t {
  kUnknownAccessKey,
  kInactiveAccessKey,
  kMissingSessionToken,  // a temporary key (STS session) presented without its session token
  kInvalidSessionToken,  // session token altered, not bound to this key, or given for a
                         // long-term key
  kSessionExpired,
};

// Finds the secret for an access key, implemented by the server over its in-memory snapshot.
// Called at most once per check, after every check that needs no secret has passed.
class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  // `session_token` is empty when the token carries none. The returned secret must stay valid
  // until check_token() returns.
  virtual std::expected<std::string_view, KeyRefusal> resolve(std::string_view access_key_id,
                                                              std::string_view session_token,
                                                              SystemTime now) = 0;
};

struct Endpoint {
  std::string host;  // name or address; IPv6 with or without brackets
  uint16_t port = 0;
};

struct CheckOptions {
  std::chrono::seconds clock_skew = std::chrono::minutes(5);
  size_t max_token_size = 8192;
};

// What is checked, all borrowed for the duration of the call.
struct TokenCheck {
  std::string_view token;
  std::string_view db_user;             // the login user name
  std::span<const Endpoint> endpoints;  // [0] the instance endpoint, the rest aliases
  std::string_view region;              // the instance's region
};

struct VerifiedToken {
  std::string access_key_id;
  std::string session_token;  // empty for long-term keys
  SysSeconds signed_at;       // X-Amz-Date
  SysSeconds expires_at;      // X-Amz-Date + X-Amz-Expires (without the clock skew)
  std::string region;
  size_t endpoint_index = 0;  // which of TokenCheck::endpoints the token names
};

struct TokenFailure {
  TokenReason reason;
  std::string detail;          // for logs; never the signature, secret or session token
  std::string_view parameter;  // for missing/duplicate_parameter: "DBUser", "X-Amz-Date", ...
};

std::expected<VerifiedToken, TokenFailure> check_token(const TokenCheck& check, const Clock& clock,
                                                       KeyResolver& keys,
                                                       sigv4::SigningKeyCache& signing_keys,
                                                       const CheckOptions& options = {});

}  // namespace iamdb::token
