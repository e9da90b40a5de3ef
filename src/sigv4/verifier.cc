// Parsing and checking SigV4 signatures on incoming requests.
#include "sigv4/verifier.h"

#include <array>
#include <optional>
#include <utility>

#include "common/encoding.h"
#include "common/strings.h"
#include "sigv4/signing_key.h"

namespace iamdb::sigv4 {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::seconds kMaxPresignedExpires = std::chrono::hours(24 * 7);

std::unexpected<AuthError> error(AuthErrorCode code, std::string message) {
  return std::unexpected(AuthError{code, std::move(message)});
}

template <class... Parts>
std::unexpected<AuthError> error(AuthErrorCode code, Parts&&... parts) {
  std::string message;
  (message.append(std::forward<Parts>(parts)), ...);
  return error(code, std::move(message));
}

// Quotes untrusted text for a message: printable ASCII only, at most 64 characters.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (text.size() > 64) out.append("...");
  out.push_back('\'');
  return out;
}

AuthResult<std::vector<std::string>> parse_signed_headers(std::string_view text) {
  std::vector<std::string> names;
  for (std::string_view name : split(text, ';')) {
    if (name.empty())
      return error(AuthErrorCode::kMalformedSignedHeaders, "SignedHeaders has an empty name");
    for (char c : name) {
      if (c <= ' ' || c >= 0x7f || c == ':' || ascii_lower(c) != c)
        return error(AuthErrorCode::kMalformedSignedHeaders, "SignedHeaders name ", quoted(name),
                     " is not a lower-case header name");
    }
    if (!names.empty() && !(names.back() < name))
      return error(AuthErrorCode::kMalformedSignedHeaders,
                   "SignedHeaders must be sorted and unique, ", quoted(name), " follows ",
                   quoted(names.back()));
    names.emplace_back(name);
  }
  return names;
}

bool signs_host(const std::vector<std::string>& names) {
  for (const std::string& name : names)
    if (name == "host") return true;
  return false;
}

AuthResult<std::string> parse_signature(std::string_view text) {
  if (text.size() != 64 || !is_lower_hex(text))
    return error(AuthErrorCode::kMalformedSignature,
                 "Signature must be 64 lower-case hex digits, got ", std::to_string(text.size()),
                 " characters");
  return std::string(text);
}

struct ParsedDate {
  std::string text;
  SysSeconds time;
};

AuthResult<ParsedDate> parse_date(std::optional<std::string_view> text,
                                  const Credential& credential) {
  if (!text)
    return error(AuthErrorCode::kMissingDate,
                 "Authorization requires existence of a 'X-Amz-Date' header or parameter");
  const auto time = parse_amz_date(*text);
  if (!time)
    return error(AuthErrorCode::kMalformedDate, "X-Amz-Date ", quoted(*text),
                 " is not of the form YYYYMMDDTHHMMSSZ");
  if (text->substr(0, 8) != credential.scope.day)
    return error(AuthErrorCode::kCredentialDateMismatch,
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                 "from HTTP: '",
                 credential.scope.day, "' != '", text->substr(0, 8), "', from '", *text, "'.");
  return ParsedDate{std::string(*text), *time};
}

AuthResult<RequestAuth> parse_header_form(const Request& request, std::string_view authorization) {
  auto header = parse_authorization_header(authorization);
  if (!header) return std::unexpected(std::move(header.error()));
  if (!signs_host(header->signed_headers))
    return error(AuthErrorCode::kHostNotSigned,
                 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  auto date = parse_date(request.header("X-Amz-Date"), header->credential);
  if (!date) return std::unexpected(std::move(date.error()));
  RequestAuth auth;
  auth.form = AuthForm::kHeader;
  auth.credential = std::move(header->credential);
  auth.signed_headers = std::move(header->signed_headers);
  auth.signature = std::move(header->signature);
  auth.amz_date = std::move(date->text);
  auth.signed_at = date->time;
  if (auto token = request.header("X-Amz-Security-Token")) auth.session_token = *token;
  return auth;
}

AuthResult<RequestAuth> parse_query_form(
    const std::vector<std::pair<std::string, std::string>>& params) {
  constexpr std::array<std::string_view, 7> kNames = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",          "X-Amz-SignedHeaders",
      "X-Amz-Signature", "X-Amz-Expires",    "X-Amz-Security-Token"};
  std::array<const std::string*, kNames.size()> found{};
  for (const auto& [name, value] : params) {
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (name != kNames[i]) continue;
      if (found[i])
        return error(AuthErrorCode::kMalformedAuthorization, "query parameter ", kNames[i],
                     " appears more than once");
      found[i] = &value;
    }
  }
  std::string missing;
  for (size_t i = 0; i + 1 < kNames.size(); ++i)
    if (!found[i]) missing.append(missing.empty() ? "" : ", ").append(kNames[i]);
  if (!missing.empty())
    return error(AuthErrorCode::kMalformedAuthorization,
                 "AWS query-string parameters must include ", missing);
  if (*found[0] != kAlgorithm)
    return error(AuthErrorCode::kUnsupportedAlgorithm, "X-Amz-Algorithm only supports '",
                 kAlgorithm, "', not ", quoted(*found[0]));

  auto credential = parse_credential(*found[1]);
  if (!credential) return std::unexpected(std::move(credential.error()));
  auto date = parse_date(*found[2], *credential);
  if (!date) return std::unexpected(std::move(date.error()));
  auto signed_headers = parse_signed_headers(*found[3]);
  if (!signed_headers) return std::unexpected(std::move(signed_headers.error()));
  if (!signs_host(*signed_headers))
    return error(AuthErrorCode::kHostNotSigned, "X-Amz-SignedHeaders must include 'host'");
  auto signature = parse_signature(*found[4]);
  if (!signature) return std::unexpected(std::move(signature.error()));
  long long expires = 0;
  if (!parse_uint(*found[5], expires) || expires < 1 || expires > kMaxPresignedExpires.count())
    return error(AuthErrorCode::kInvalidExpires, "X-Amz-Expires must be a number from 1 to ",
                 std::to_string(kMaxPresignedExpires.count()), ", got ", quoted(*found[5]));

  RequestAuth auth;
  auth.form = AuthForm::kQuery;
  auth.credential = std::move(*credential);
  auth.signed_headers = std::move(*signed_headers);
  auth.signature = std::move(*signature);
  auth.amz_date = std::move(date->text);
  auth.signed_at = date->time;
  if (found[6]) auth.session_token = *found[6];
  auth.expires = std::chrono::seconds(expires);
  return auth;
}

}  // namespace

std::string_view error_name(AuthErrorCode code) {
  switch (code) {
    case AuthErrorCode::kMissingAuthentication: return "missing_authentication";
    case AuthErrorCode::kMalformedAuthorization: return "malformed_authorization";
    case AuthErrorCode::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case AuthErrorCode::kMalformedCredential: return "malformed_credential";
    case AuthErrorCode::kMissingDate: return "missing_date";
    case AuthErrorCode::kMalformedDate: return "malformed_date";
    case AuthErrorCode::kCredentialDateMismatch: return "credential_date_mismatch";
    case AuthErrorCode::kMalformedSignedHeaders: return "malformed_signed_headers";
    case AuthErrorCode::kHostNotSigned: return "host_not_signed";
    case AuthErrorCode::kSignedHeaderMissing: return "signed_header_missing";
    case AuthErrorCode::kMalformedSignature: return "malformed_signature";
    case AuthErrorCode::kMalformedQuery: return "malformed_query";
    case AuthErrorCode::kInvalidExpires: return "invalid_expires";
    case AuthErrorCode::kRequestExpired: return "request_expired";
    case AuthErrorCode::kRequestNotYetValid: return "request_not_yet_valid";
    case AuthErrorCode::kSignatureMismatch: return "signature_mismatch";
  }
  return "unknown";
}

std::string_view aws_error_code(AuthErrorCode code) {
  switch (code) {
    case AuthErrorCode::kMissingAuthentication: return "MissingAuthenticationToken";
    case AuthErrorCode::kMalformedQuery: return "MalformedQueryString";
    case AuthErrorCode::kRequestExpired:
    case AuthErrorCode::kRequestNotYetValid:
    case AuthErrorCode::kCredentialDateMismatch:
    case AuthErrorCode::kSignatureMismatch: return "SignatureDoesNotMatch";
    default: return "IncompleteSignature";
  }
}

AuthResult<Credential> parse_credential(std::string_view text) {
  const std::vector<std::string_view> parts = split(text, '/');
  if (parts.size() != 5)
    return error(AuthErrorCode::kMalformedCredential,
                 "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/"
                 "aws4_request, got ",
                 std::to_string(parts.size()), " parts");
  for (std::string_view part : parts)
    if (part.empty())
      return error(AuthErrorCode::kMalformedCredential, "Credential has an empty part");
  if (!parse_amz_day(parts[1]))
    return error(AuthErrorCode::kMalformedCredential, "Credential date ", quoted(parts[1]),
                 " is not a valid YYYYMMDD date");
  if (parts[4] != kScopeTerminator)
    return error(AuthErrorCode::kMalformedCredential,
                 "Credential should be scoped with a valid terminator: 'aws4_request', not ",
                 quoted(parts[4]), ".");
  return Credential{
      std::string(parts[0]),
      CredentialScope{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])}};
}

AuthResult<AuthorizationHeader> parse_authorization_header(std::string_view value) {
  value = trim(value);
  const size_t space = value.find(' ');
  const std::string_view algorithm = value.substr(0, space);
  if (algorithm != kAlgorithm) {
    if (istarts_with(algorithm, "AWS4-") || istarts_with(algorithm, "AWS "))
      return error(AuthErrorCode::kUnsupportedAlgorithm,
                   "Unsupported AWS 'algorithm': ", quoted(algorithm));
    return error(AuthErrorCode::kMalformedAuthorization, "Authorization header must start with '",
                 kAlgorithm, " '");
  }
  if (space == std::string_view::npos)
    return error(AuthErrorCode::kMalformedAuthorization,
                 "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                 "parameters");

  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : split(value.substr(space + 1), ',')) {
    part = trim(part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return error(AuthErrorCode::kMalformedAuthorization, quoted(part),
                   " not a valid key=value pair (missing equal-sign) in Authorization header");
    const std::string_view key = part.substr(0, eq);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (!slot)
      return error(AuthErrorCode::kMalformedAuthorization, "unknown Authorization parameter ",
                   quoted(key));
    if (*slot)
      return error(AuthErrorCode::kMalformedAuthorization, "Authorization parameter ", quoted(key),
                   " appears more than once");
    *slot = part.substr(eq + 1);
  }
  std::string missing;
  if (!credential) missing.append("Authorization header requires 'Credential' parameter. ");
  if (!signed_headers) missing.append("Authorization header requires 'SignedHeaders' parameter. ");
  if (!signature) missing.append("Authorization header requires 'Signature' parameter. ");
  if (!missing.empty()) {
    missing.pop_back();
    return error(AuthErrorCode::kMalformedAuthorization, std::move(missing));
  }

  auto parsed_credential = parse_credential(*credential);
  if (!parsed_credential) return std::unexpected(std::move(parsed_credential.error()));
  auto names = parse_signed_headers(*signed_headers);
  if (!names) return std::unexpected(std::move(names.error()));
  auto parsed_signature = parse_signature(*signature);
  if (!parsed_signature) return std::unexpected(std::move(parsed_signature.error()));
  return AuthorizationHeader{std::move(*parsed_credential), std::move(*names),
                             std::move(*parsed_signature)};
}

AuthResult<RequestAuth> parse_request_auth(const Request& request) {
  auto params = parse_query_string(request.query, /*plus_is_space=*/false);
  if (!params)
    return error(AuthErrorCode::kMalformedQuery, "the query string has a bad percent-escape");
  bool query_auth = false;
  for (const auto& [name, value] : *params)
    if (name == "X-Amz-Algorithm") query_auth = true;

  if (auto authorization = request.header("Authorization")) {
    if (query_auth)
      return error(AuthErrorCode::kMalformedAuthorization,
                   "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
                   "the Authorization header should be specified");
    return parse_header_form(request, *authorization);
  }
  if (query_auth) return parse_query_form(*params);
  return error(AuthErrorCode::kMissingAuthentication, "Request is missing Authentication Token");
}

AuthResult<void> check_request_time(const RequestAuth& auth, SystemTime now,
                                    std::chrono::seconds skew) {
  const SystemTime signed_at = auth.signed_at;
  const std::string now_text = format_amz_date(now);
  if (now < signed_at - skew)
    return error(AuthErrorCode::kRequestNotYetValid, "Signature not yet current: ", auth.amz_date,
                 " is still later than ", format_amz_date(now + skew), " (", now_text, " + ",
                 std::to_string(skew.count()), " s.)");
  if (auth.form == AuthForm::kHeader && now > signed_at + skew)
    return error(AuthErrorCode::kRequestExpired, "Signature expired: ", auth.amz_date,
                 " is now earlier than ", format_amz_date(now - skew), " (", now_text, " - ",
                 std::to_string(skew.count()), " s.)");
  if (auth.form == AuthForm::kQuery && now > signed_at + auth.expires)
    return error(AuthErrorCode::kRequestExpired, "Request has expired: signed at ", auth.amz_date,
                 " for ", std::to_string(auth.expires.count()), " s, now ", now_text);
  return {};
}

AuthResult<void> verify_signature(const Request& request, const RequestAuth& auth,
                                  const crypto::HmacKey& signing_key, PathRules rules) {
  auto headers = canonical_headers(request.headers, auth.signed_headers);
  if (!headers)
    return error(AuthErrorCode::kSignedHeaderMissing, std::move(headers.error().message));
  auto query =
      canonical_query(request.query, auth.form == AuthForm::kQuery ? "X-Amz-Signature" : "");
  if (!query)
    return error(AuthErrorCode::kMalformedQuery, "the query string has a bad percent-escape");
  const std::string payload_hash =
      request.payload_hash.empty() ? crypto::sha256_hex(request.body) : request.payload_hash;
  const std::string creq = canonical_request(request.method, canonical_uri(request.path, rules),
                                             *query, *headers, payload_hash);
  const std::string sts = string_to_sign(auth.amz_date, auth.credential.scope.to_string(), creq);
  if (!crypto::constant_time_equal(signature_hex(signing_key, sts), auth.signature))
    return error(AuthErrorCode::kSignatureMismatch,
                 "The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method. Consult the service "
                 "documentation for details.");
  return {};
}

}  // namespace iamdb::sigv4
