// Checking SigV4-signed requests, for a server that receives them (the IAM/STS/RDS Query API).
//
// The flow: parse_request_auth() reads the `Authorization` header or the presigned query
// parameters into a RequestAuth, which carries the credential scope (service, region) so the
// caller can route and look up the secret first; check_request_time() bounds the signing time;
// verify_signature() recomputes the signature with the caller's signing key (from a
// SigningKeyCache) and compares it in constant time.
//
// Every malformed input yields an AuthError whose code has a stable snake_case name (logs,
// metrics) and an AWS error code (XML error bodies), and whose message says what was wrong in
// AWS's words; messages never contain the secret or the expected signature.
// Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/time.h"
#include "crypto/digest.h"
#include "sigv4/canonical.h"
#include "sigv4/signer.h"

namespace iamdb::sigv4 {

enum class AuthErrorCode : uint8_t {
  kMissingAuthentication,   // neither an Authorization header nor X-Amz-Algorithm in the query
  kMalformedAuthorization,  // Authorization header or presigned parameters incomplete or garbled
  kUnsupportedAlgorithm,
  kMalformedCredential,     // not AKID/YYYYMMDD/region/service/aws4_request
  kMissingDate,             // no X-Amz-Date
  kMalformedDate,           // X-Amz-Date not YYYYMMDDTHHMMSSZ
  kCredentialDateMismatch,  // scope day differs from X-Amz-Date's day
  kMalformedSignedHeaders,  // not lower-case, sorted, unique, ';'-separated
  kHostNotSigned,
  kSignedHeaderMissing,  // a signed header is absent from the request
  kMalformedSignature,   // not 64 lower-case hex digits
  kMalformedQuery,       // bad percent-escape in the query
  kInvalidExpires,       // X-Amz-Expires not a number in 1..604800
  kRequestExpired,
  kRequestNotYetValid,
  kSignatureMismatch,
};

// "malformed_authorization", "signature_mismatch", ...
std::string_view error_name(AuthErrorCode code);
// The code AWS answers with: "IncompleteSignature", "SignatureDoesNotMatch", ...
std::string_view aws_error_code(AuthErrorCode code);

struct AuthError {
  AuthErrorCode code;
  std::string message;
};
template <class T>
using AuthResult = std::expected<T, AuthError>;

enum class AuthForm : uint8_t { kHeader, kQuery };

struct Credential {
  std::string access_key_id;
  CredentialScope scope;
};

// "AKID/20150830/us-east-1/iam/aws4_request": five non-empty parts, a valid day, the terminator.
AuthResult<Credential> parse_credential(std::string_view text);

// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
// (parameters in any order, separated by ',' with optional spaces, each exactly once).
struct AuthorizationHeader {
  Credential credential;
  std::vector<std::string> signed_headers;  // lower-case, sorted
  std::string signature;                    // 64 lower-case hex digits
};
AuthResult<AuthorizationHeader> parse_authorization_header(std::string_view value);

// Everything about a request's signature that can be read without the secret.
struct RequestAuth {
  AuthForm form = AuthForm::kHeader;
  Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;  // as sent
  SysSeconds signed_at;
  std::string session_token;        // X-Amz-Security-Token, empty if none
  std::chrono::seconds expires{0};  // query form only
};

// Header form when an Authorization header is present, query form when the query carries
// X-Amz-Algorithm. Checks the shape of everything, including that `host` is signed and that the
// scope's day is X-Amz-Date's day.
AuthResult<RequestAuth> parse_request_auth(const Request& request);

// Header form: the signing time must be within `skew` of now (AWS allows 15 minutes).
// Query form: not before signing time - skew, not after signing time + X-Amz-Expires.
AuthResult<void> check_request_time(const RequestAuth& auth, SystemTime now,
                                    std::chrono::seconds skew = std::chrono::minutes(15));

// Recomputes the signature over `request` as `auth` describes it and compares it in constant
// time. `signing_key` is the key for auth.credential.scope (SigningKeyCache::get). The payload
// hash is request.payload_hash when set, else SHA-256 of request.body.
AuthResult<void> verify_signature(const Request& request, const RequestAuth& auth,
                                  const crypto::HmacKey& signing_key, PathRules rules = {});

}  // namespace iamdb::sigv4
