// SigV4 signing in header and presigned-query form.
#include "sigv4/signer.h"

#include <algorithm>
#include <utility>

#include "common/encoding.h"
#include "common/strings.h"
#include "common/time.h"
#include "crypto/digest.h"
#include "sigv4/signing_key.h"

namespace iamdb::sigv4 {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

void Request::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const Header& h) { return iequals(h.name, name); });
  headers.push_back(Header{std::string(name), std::move(value)});
}

std::string credential_string(std::string_view access_key_id, const CredentialScope& scope) {
  std::string out(access_key_id);
  out.push_back('/');
  out.append(scope.to_string());
  return out;
}

namespace {

CredentialScope scope_for(const SigningParams& params) {
  return CredentialScope{format_amz_day(params.time), params.region, params.service};
}

std::string payload_hash_of(const Request& request) {
  return request.payload_hash.empty() ? crypto::sha256_hex(request.body) : request.payload_hash;
}

Result<SigningResult> finish(const Request& request, const Credentials& credentials,
                             const SigningParams& params, const CredentialScope& scope,
                             std::string_view amz_date, const CanonicalHeaders& headers,
                             std::string_view payload_hash) {
  auto query = canonical_query(request.query);
  if (!query) return fail("the request query has a bad percent-escape");
  SigningResult out;
  out.canonical_request =
      canonical_request(request.method, canonical_uri(request.path, params.path_rules), *query,
                        headers, payload_hash);
  out.string_to_sign = string_to_sign(amz_date, scope.to_string(), out.canonical_request);
  const crypto::HmacKey key(
      derive_signing_key(credentials.secret_access_key, scope.day, scope.region, scope.service));
  out.signature = signature_hex(key, out.string_to_sign);
  return out;
}

void append_param(std::string& query, std::string_view name, std::string_view value) {
  if (!query.empty()) query.push_back('&');
  uri_encode_append(query, name);
  query.push_back('=');
  uri_encode_append(query, value);
}

}  // namespace

Result<SigningResult> sign(Request& request, const Credentials& credentials,
                           const SigningParams& params) {
  const CredentialScope scope = scope_for(params);
  const std::string amz_date = format_amz_date(params.time);
  const std::string payload_hash = payload_hash_of(request);
  const bool has_token = !credentials.session_token.empty();

  std::erase_if(request.headers, [](const Header& h) { return iequals(h.name, "Authorization"); });
  request.set_header("X-Amz-Date", amz_date);
  if (has_token && params.sign_session_token)
    request.set_header("X-Amz-Security-Token", credentials.session_token);
  if (params.add_content_sha256_header) request.set_header("x-amz-content-sha256", payload_hash);

  const CanonicalHeaders headers = canonical_headers(request.headers);
  auto result = finish(request, credentials, params, scope, amz_date, headers, payload_hash);
  if (!result) return result;

  std::string authorization(kAlgorithm);
  authorization.append(" Credential=").append(credential_string(credentials.access_key_id, scope));
  authorization.append(", SignedHeaders=").append(headers.signed_headers);
  authorization.append(", Signature=").append(result->signature);
  if (has_token && !params.sign_session_token)
    request.set_header("X-Amz-Security-Token", credentials.session_token);
  request.set_header("Authorization", std::move(authorization));
  return result;
}

Result<SigningResult> presign(Request& request, const Credentials& credentials,
                              const SigningParams& params, std::chrono::seconds expires) {
  const CredentialScope scope = scope_for(params);
  const std::string amz_date = format_amz_date(params.time);
  const bool has_token = !credentials.session_token.empty();
  const CanonicalHeaders headers = canonical_headers(request.headers);

  append_param(request.query, "X-Amz-Algorithm", kAlgorithm);
  append_param(request.query, "X-Amz-Credential",
               credential_string(credentials.access_key_id, scope));
  append_param(request.query, "X-Amz-Date", amz_date);
  append_param(request.query, "X-Amz-Expires", std::to_string(expires.count()));
  append_param(request.query, "X-Amz-SignedHeaders", headers.signed_headers);
  if (has_token && params.sign_session_token)
    append_param(request.query, "X-Amz-Security-Token", credentials.session_token);

  auto result =
      finish(request, credentials, params, scope, amz_date, headers, payload_hash_of(request));
  if (!result) return result;
  if (has_token && !params.sign_session_token)
    append_param(request.query, "X-Amz-Security-Token", credentials.session_token);
  append_param(request.query, "X-Amz-Signature", result->signature);
  return result;
}

}  // namespace iamdb::sigv4
