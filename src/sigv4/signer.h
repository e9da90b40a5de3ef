// Signing requests with AWS Signature Version 4, in both forms: the `Authorization` header and
// the presigned query string (the form an RDS auth token takes).
//
// A Request is a plain owned value; sign() and presign() add the SigV4 headers or parameters to
// it and return the intermediate strings, which tests compare with AWS's signing test suite.
// Pure functions of their arguments (time comes in through SigningParams); any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "sigv4/canonical.h"

namespace iamdb::sigv4 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct Request {
  std::string method = "GET";
  std::string path = "/";  // raw, as in the request target, without the query
  std::string query;       // raw, after '?', without '#'
  Headers headers;         // as sent, in order; must include Host
  std::string body;
  // Hex SHA-256 of the body, or a literal such as "UNSIGNED-PAYLOAD"; empty: computed from body.
  std::string payload_hash;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  // Replaces every header with this name by one with `value`, or appends it.
  void set_header(std::string_view name, std::string value);
};

struct SigningParams {
  std::string region;
  std::string service;
  SystemTime time;
  PathRules path_rules;
  // Header form: also send and sign `x-amz-content-sha256` (the payload hash).
  bool add_content_sha256_header = false;
  // Some services want the session token added after signing rather than signed.
  bool sign_session_token = true;
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

// Header form: sets X-Amz-Date, X-Amz-Security-Token (with a session token) and, if asked,
// x-amz-content-sha256; signs every header the request then carries; sets Authorization.
// Fails only if the request's query holds a bad percent-escape.
Result<SigningResult> sign(Request& request, const Credentials& credentials,
                           const SigningParams& params);

// Query form, byte for byte as botocore builds a presigned URL: the request's query as given,
// then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and
// X-Amz-Security-Token in that order, then X-Amz-Signature. Every header is signed.
Result<SigningResult> presign(Request& request, const Credentials& credentials,
                              const SigningParams& params, std::chrono::seconds expires);

// "AKID/20150830/us-east-1/service/aws4_request"
std::string credential_string(std::string_view access_key_id, const CredentialScope& scope);

}  // namespace iamdb::sigv4
