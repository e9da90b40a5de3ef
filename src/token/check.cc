// Checking RDS IAM auth tokens: parse into views, run each check, recompute the signature.
#include "token/check.h"

#include <array>
#include <charconv>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/strings.h"
#include "crypto/digest.h"
#include "sigv4/canonical.h"
#include "token/token.h"

namespace iamdb::token {
namespace {

// The parameters a token may carry. The first eight are in canonical (sorted) order, so the
// canonical query is built by walking them in turn; the signature is never part of it.
enum Param : uint8_t {
  kParamAction,
  kParamDbUser,
  kParamAlgorithm,
  kParamCredential,
  kParamDate,
  kParamExpires,
  kParamSecurityToken,
  kParamSignedHeaders,
  kParamSignature,
  kParamCount
};
constexpr std::array<std::string_view, kParamCount> kParamNames = {
    "Action",         "DBUser",        "X-Amz-Algorithm",      "X-Amz-Credential",
    "X-Amz-Date",     "X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-SignedHeaders",
    "X-Amz-Signature"};

// Byte classes: RFC 3986 unreserved characters, and every byte that may appear in a URL query
// (section 3.4: pchar, '/' and '?').
constexpr uint8_t kUnreserved = 1, kQueryByte = 2;
constexpr std::array<uint8_t, 256> make_byte_classes() {
  std::array<uint8_t, 256> classes{};
  for (int c = 0; c < 256; ++c) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) classes[c] = kUnreserved | kQueryByte;
  }
  for (char c : std::string_view("%!$&'()*+,;=:@/?"))
    classes[static_cast<unsigned char>(c)] = kQueryByte;
  return classes;
}
constexpr std::array<uint8_t, 256> kByteClasses = make_byte_classes();

constexpr bool is_unreserved(char c) {
  return kByteClasses[static_cast<unsigned char>(c)] & kUnreserved;
}

constexpr bool is_query_byte(char c) {
  return kByteClasses[static_cast<unsigned char>(c)] & kQueryByte;
}

constexpr bool is_host_byte(char c) { return is_unreserved(c); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_lower_hex_letter(char c) { return c >= 'a' && c <= 'f'; }

// Percent-decodes `in`, whose escapes are known to be well-formed, onto `out` ('+' stays '+').
void decode_append(std::string& out, std::string_view in) {
  const size_t at = out.size();
  out.resize(at + in.size());
  char* o = out.data() + at;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      *o++ = static_cast<char>(hex_digit(in[i + 1]) << 4 | hex_digit(in[i + 2]));
      i += 2;
    } else {
      *o++ = in[i];
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
}

// SigV4's URI encoding (unreserved characters kept, everything else %XX upper-case) onto `out`.
void encode_append(std::string& out, std::string_view in) {
  constexpr char kHexUpper[] = "0123456789ABCDEF";
  const size_t at = out.size();
  out.resize(at + 3 * in.size());
  char* o = out.data() + at;
  for (char c : in) {
    if (is_unreserved(c)) {
      *o++ = c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      *o++ = '%';
      *o++ = kHexUpper[b >> 4];
      *o++ = kHexUpper[b & 0xf];
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
}

constexpr char kHexLower[] = "0123456789abcdef";

// Lower-case hex of a digest into 64 characters at `out`.
void write_hex(char* out, const crypto::Sha256Digest& digest) {
  for (uint8_t b : digest) {
    *out++ = kHexLower[b >> 4];
    *out++ = kHexLower[b & 0xf];
  }
}

void append_hex(std::string& out, const crypto::Sha256Digest& digest) {
  const size_t at = out.size();
  out.resize(at + 2 * digest.size());
  write_hex(out.data() + at, digest);
}

bool is_signature_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || is_lower_hex_letter(c))) return false;
  return true;
}

void append_port(std::string& out, uint16_t port) {
  char buf[8];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, port);
  out.append(buf, end);
}

// Untrusted text for a log line: printable ASCII, at most 64 characters, quoted.
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

template <class... Parts>
std::unexpected<TokenFailure> failure(TokenReason reason, Parts&&... parts) {
  std::string detail;
  (detail.append(std::forward<Parts>(parts)), ...);
  return std::unexpected(TokenFailure{reason, std::move(detail), {}});
}

std::unexpected<TokenFailure> parameter_failure(TokenReason reason, Param param) {
  return std::unexpected(
      TokenFailure{reason,
                   std::string(reason == TokenReason::kMissingParameter ? "missing parameter "
                                                                        : "duplicate parameter ")
                       .append(kParamNames[param]),
                   kParamNames[param]});
}

// Per-thread buffers, so that a check does not allocate once they have grown.
struct Scratch {
  std::string decoded;    // decoded parameter values, viewed by ParsedToken
  std::string canonical;  // the canonical request
  std::string to_sign;    // the string to sign
  std::string name;       // a percent-encoded parameter name, decoded
  std::string host;       // the signed host header as botocore spells it
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

struct ParsedToken {
  std::string_view host;  // as written, IPv6 with its brackets
  uint16_t port = 0;
  std::array<std::string_view, kParamCount> raw{};    // as written in the token
  std::array<std::string_view, kParamCount> value{};  // percent-decoded
  std::array<bool, kParamCount> present{};
  std::array<bool, kParamCount> canonical{};  // raw is already in SigV4's encoding
};

std::unexpected<TokenFailure> bad_byte(std::string_view token, size_t offset) {
  return failure(TokenReason::kMalformedToken, "byte 0x", hex_encode(token.substr(offset, 1)),
                 " at offset ", std::to_string(offset), " cannot appear in a URL query");
}

std::expected<ParsedToken, TokenFailure> parse(std::string_view token, Scratch& s) {
  if (token.empty()) return failure(TokenReason::kMalformedToken, "empty token");
  ParsedToken t;

  const size_t slash = token.find('/');
  if (slash == std::string_view::npos || slash + 1 >= token.size() || token[slash + 1] != '?')
    return failure(TokenReason::kMalformedToken, "no \"/?\" after host:port");
  const std::string_view authority = token.substr(0, slash);
  size_t colon;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':')
      return failure(TokenReason::kMalformedToken, "bad IPv6 host:port ", quoted(authority));
    for (char c : authority.substr(1, close - 1))
      if (hex_digit(c) < 0 && c != ':' && c != '.')
        return failure(TokenReason::kMalformedToken, "bad IPv6 host ", quoted(authority));
    colon = close + 1;
  } else {
    colon = authority.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return failure(TokenReason::kMalformedToken, "no host:port before \"/?\"");
    for (char c : authority.substr(0, colon))
      if (!is_host_byte(c))
        return failure(TokenReason::kMalformedToken, "bad host ",
                       quoted(authority.substr(0, colon)));
  }
  t.host = authority.substr(0, colon);
  const std::string_view port_text = authority.substr(colon + 1);
  unsigned port = 0;
  const auto [port_end, port_ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || port_text.size() > 5 || port_ec != std::errc() ||
      port_end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return failure(TokenReason::kMalformedToken, "bad port ", quoted(port_text));
  t.port = static_cast<uint16_t>(port);

  // One pass over the query: each `name=value` part, checking every byte on the way. Decoded
  // values never outgrow the token, so views into `decoded` stay valid.
  const size_t base = slash + 2;
  const std::string_view q = token.substr(base);
  s.decoded.clear();
  s.decoded.reserve(token.size());
  size_t i = 0;
  for (;;) {
    const size_t name_start = i;
    bool name_escaped = false;
    for (;;) {
      while (i < q.size() && is_unreserved(q[i])) ++i;
      if (i == q.size() || q[i] == '=' || q[i] == '&') break;
      if (!is_query_byte(q[i])) return bad_byte(token, base + i);
      name_escaped = name_escaped || q[i] == '%';
      ++i;
    }
    if (i == name_start && (i == q.size() || q[i] == '&'))
      return failure(TokenReason::kMalformedToken, "empty parameter at offset ",
                     std::to_string(base + i));
    if (i == q.size() || q[i] == '&')
      return failure(TokenReason::kMalformedToken, "parameter ",
                     quoted(q.substr(name_start, i - name_start)), " has no '='");
    std::string_view name = q.substr(name_start, i - name_start);
    ++i;  // '='

    const size_t value_start = i;
    bool escaped = false, canonical = true;
    for (;;) {
      while (i < q.size() && is_unreserved(q[i])) ++i;
      if (i == q.size() || q[i] == '&') break;
      const char c = q[i];
      if (!is_query_byte(c)) return bad_byte(token, base + i);
      if (c != '%') {
        canonical = false;  // a sub-delimiter SigV4 encodes
        ++i;
        continue;
      }
      const int hi = i + 2 < q.size() ? hex_digit(q[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_digit(q[i + 2]) : -1;
      if (lo < 0)
        return failure(TokenReason::kMalformedToken, "bad percent-escape at offset ",
                       std::to_string(base + i));
      escaped = true;
      // Canonical escapes are upper-case and stand for bytes that are not unreserved.
      canonical = canonical && !is_lower_hex_letter(q[i + 1]) && !is_lower_hex_letter(q[i + 2]) &&
                  !is_unreserved(static_cast<char>(hi << 4 | lo));
      i += 3;
    }
    const std::string_view raw = q.substr(value_start, i - value_start);

    if (name_escaped) {
      bool ok = true;
      for (size_t k = 0; k < name.size() && ok; ++k)
        if (name[k] == '%')
          ok = k + 2 < name.size() && hex_digit(name[k + 1]) >= 0 && hex_digit(name[k + 2]) >= 0;
      if (!ok)
        return failure(TokenReason::kMalformedToken, "bad percent-escape in a parameter name");
      s.name.clear();
      decode_append(s.name, name);
      name = s.name;
    }
    size_t param = 0;
    while (param < kParamCount && kParamNames[param] != name) ++param;
    if (param == kParamCount)
      return failure(TokenReason::kUnknownParameter, "unknown parameter ", quoted(name));
    if (t.present[param]) return parameter_failure(TokenReason::kDuplicateParameter, Param(param));
    t.present[param] = true;
    t.raw[param] = raw;
    t.canonical[param] = canonical;
    if (escaped) {
      const size_t at = s.decoded.size();
      decode_append(s.decoded, raw);
      t.value[param] = std::string_view(s.decoded).substr(at);
    } else {
      t.value[param] = raw;
    }
    if (i == q.size()) break;
    ++i;  // '&'
  }
  for (size_t param = 0; param < kParamCount; ++param)
    if (!t.present[param] && param != kParamSecurityToken)
      return parameter_failure(TokenReason::kMissingParameter, Param(param));
  return t;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

// How clients spell the signed `host` header; the first is botocore's and is tried first.
struct HostSpelling {
  bool lower_case;
  uint16_t default_port;  // the scheme's port, left out of the header
  bool strip_brackets;
};
constexpr HostSpelling kHostSpellings[] = {
    {true, 443, false},   // botocore: https://host:port, host lower-cased
    {true, 80, false},    // aws-sdk-cpp: http://host:port
    {false, 443, false},  // SDKs that keep the host's case, https
    {false, 80, false},   // and http
    {true, 443, true},    // older botocore dropped IPv6 brackets
};

void append_host(std::string& out, std::string_view host, uint16_t port, HostSpelling spelling) {
  if (spelling.strip_brackets) host = strip_brackets(host);
  for (char c : host) out.push_back(spelling.lower_case ? ascii_lower(c) : c);
  if (port != spelling.default_port) {
    out.push_back(':');
    append_port(out, port);
  }
}

// Everything up to the host header's value: "GET\n/\n<canonical query>\nhost:".
void append_canonical_prefix(std::string& out, const ParsedToken& t) {
  out.append("GET\n/\n");
  bool first = true;
  for (size_t param = 0; param < kParamSignature; ++param) {
    if (!t.present[param]) continue;
    if (!first) out.push_back('&');
    first = false;
    out.append(kParamNames[param]).push_back('=');
    if (t.canonical[param]) {
      out.append(t.raw[param]);
    } else {
      encode_append(out, t.value[param]);
    }
  }
  out.append("\nhost:");
}

// Completes the canonical request after `prefix_size` with `host_header` and compares the
// signature it yields with `signature`.
bool signature_matches(Scratch& s, size_t prefix_size, std::string_view host_header,
                       std::string_view amz_date, std::string_view scope,
                       const crypto::HmacKey& key, std::string_view signature) {
  s.canonical.resize(prefix_size);
  s.canonical.append(host_header).append("\n\nhost\n").append(sigv4::kEmptyPayloadSha256);
  s.to_sign.clear();
  s.to_sign.append(sigv4::kAlgorithm).append("\n").append(amz_date).append("\n").append(scope);
  s.to_sign.push_back('\n');
  append_hex(s.to_sign, crypto::sha256(s.canonical));
  char hex[64];
  write_hex(hex, key.mac(s.to_sign));
  return crypto::constant_time_equal(std::string_view(hex, sizeof hex), signature);
}

std::unexpected<TokenFailure> refused(KeyRefusal refusal, std::string_view access_key_id) {
  switch (refusal) {
    case KeyRefusal::kUnknownAccessKey:
      return failure(TokenReason::kUnknownAccessKey, "access key ", quoted(access_key_id),
                     " is not known");
    case KeyRefusal::kInactiveAccessKey:
      return failure(TokenReason::kInactiveAccessKey, "access key ", quoted(access_key_id),
                     " is inactive");
    case KeyRefusal::kMissingSessionToken:
      return failure(TokenReason::kMissingSessionToken, "temporary access key ",
                     quoted(access_key_id), " presented without its session token");
    case KeyRefusal::kInvalidSessionToken:
      return failure(TokenReason::kInvalidSessionToken,
                     "session token is not valid for access key ", quoted(access_key_id));
    case KeyRefusal::kSessionExpired:
      return failure(TokenReason::kSessionExpired, "session of access key ", quoted(access_key_id),
                     " has expired");
  }
  return failure(TokenReason::kUnknownAccessKey, "access key ", quoted(access_key_id),
                 " refused for an unknown reason");
}

}  // namespace

std::string_view reason_name(TokenReason reason) {
  switch (reason) {
    case TokenReason::kTokenTooLong: return "token_too_long";
    case TokenReason::kMalformedToken: return "malformed_token";
    case TokenReason::kUnknownParameter: return "unknown_parameter";
    case TokenReason::kDuplicateParameter: return "duplicate_parameter";
    case TokenReason::kMissingParameter: return "missing_parameter";
    case TokenReason::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case TokenReason::kWrongAction: return "wrong_action";
    case TokenReason::kUserMismatch: return "user_mismatch";
    case TokenReason::kEndpointMismatch: return "endpoint_mismatch";
    case TokenReason::kMalformedCredential: return "malformed_credential";
    case TokenReason::kRegionMismatch: return "region_mismatch";
    case TokenReason::kServiceMismatch: return "service_mismatch";
    case TokenReason::kInvalidCredentialTerminator: return "invalid_credential_terminator";
    case TokenReason::kMalformedDate: return "malformed_date";
    case TokenReason::kCredentialDateMismatch: return "credential_date_mismatch";
    case TokenReason::kInvalidExpires: return "invalid_expires";
    case TokenReason::kExpiresTooLong: return "expires_too_long";
    case TokenReason::kInvalidSignedHeaders: return "invalid_signed_headers";
    case TokenReason::kMalformedSignature: return "malformed_signature";
    case TokenReason::kNotYetValid: return "not_yet_valid";
    case TokenReason::kExpired: return "expired";
    case TokenReason::kUnknownAccessKey: return "unknown_access_key";
    case TokenReason::kInactiveAccessKey: return "inactive_access_key";
    case TokenReason::kMissingSessionToken: return "missing_session_token";
    case TokenReason::kInvalidSessionToken: return "invalid_session_token";
    case TokenReason::kSessionExpired: return "session_expired";
    case TokenReason::kSignatureMismatch: return "signature_mismatch";
  }
  return "unknown";
}

std::expected<VerifiedToken, TokenFailure> check_token(const TokenCheck& check, const Clock& clock,
                                                       KeyResolver& keys,
                                                       sigv4::SigningKeyCache& signing_keys,
                                                       const CheckOptions& options) {
  if (check.token.size() > options.max_token_size)
    return failure(TokenReason::kTokenTooLong, "token is ", std::to_string(check.token.size()),
                   " bytes, more than ", std::to_string(options.max_token_size));
  Scratch& s = scratch();
  auto parsed = parse(check.token, s);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const ParsedToken& t = *parsed;

  if (t.value[kParamAlgorithm] != sigv4::kAlgorithm)
    return failure(TokenReason::kUnsupportedAlgorithm, "X-Amz-Algorithm ",
                   quoted(t.value[kParamAlgorithm]), " is not ", sigv4::kAlgorithm);
  if (t.value[kParamAction] != kAction)
    return failure(TokenReason::kWrongAction, "Action ", quoted(t.value[kParamAction]),
                   " is not 'connect'");
  if (t.value[kParamDbUser] != check.db_user)
    return failure(TokenReason::kUserMismatch, "DBUser ", quoted(t.value[kParamDbUser]),
                   " is not the login user ", quoted(check.db_user));

  size_t endpoint_index = 0;
  while (endpoint_index < check.endpoints.size() &&
         !(check.endpoints[endpoint_index].port == t.port &&
           iequals(strip_brackets(check.endpoints[endpoint_index].host), strip_brackets(t.host))))
    ++endpoint_index;
  if (endpoint_index == check.endpoints.size())
    return failure(TokenReason::kEndpointMismatch, "token names ", quoted(t.host), " port ",
                   std::to_string(t.port), ", not an endpoint of this instance",
                   check.endpoints.empty() ? std::string()
                                           : " (" + check.endpoints[0].host + ":" +
                                                 std::to_string(check.endpoints[0].port) + ")",
                   ": sign tokens for the host and port clients connect to, or accept this one too with `iamdb "
                   "instance modify --alias HOST:PORT`");

  // AKID/YYYYMMDD/region/service/aws4_request
  std::array<std::string_view, 5> credential;
  {
    std::string_view rest = t.value[kParamCredential];
    size_t n = 0;
    for (; n < credential.size(); ++n) {
      const size_t at = rest.find('/');
      credential[n] = rest.substr(0, at);
      if (credential[n].empty() || (at == std::string_view::npos) != (n + 1 == credential.size()))
        break;
      rest.remove_prefix(at == std::string_view::npos ? rest.size() : at + 1);
    }
    if (n != credential.size())
      return failure(TokenReason::kMalformedCredential, "X-Amz-Credential ",
                     quoted(t.value[kParamCredential]),
                     " is not <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request");
    if (!parse_amz_day(credential[1]))
      return failure(TokenReason::kMalformedCredential, "credential date ", quoted(credential[1]),
                     " is not a valid YYYYMMDD date");
  }
  const std::string_view access_key_id = credential[0], day = credential[1], region = credential[2],
                         service = credential[3];
  if (region != check.region)
    return failure(TokenReason::kRegionMismatch, "credential region ", quoted(region),
                   " is not the instance's region ", quoted(check.region));
  if (service != kService)
    return failure(TokenReason::kServiceMismatch, "credential service ", quoted(service),
                   " is not 'rds-db'");
  if (credential[4] != sigv4::kScopeTerminator)
    return failure(TokenReason::kInvalidCredentialTerminator, "credential scope ends in ",
                   quoted(credential[4]), ", not 'aws4_request'");

  const std::string_view amz_date = t.value[kParamDate];
  const auto signed_at = parse_amz_date(amz_date);
  if (!signed_at)
    return failure(TokenReason::kMalformedDate, "X-Amz-Date ", quoted(amz_date),
                   " is not YYYYMMDDTHHMMSSZ");
  if (amz_date.substr(0, 8) != day)
    return failure(TokenReason::kCredentialDateMismatch, "credential date ", quoted(day),
                   " is not the day of X-Amz-Date ", quoted(amz_date));

  long long expires = 0;
  if (t.value[kParamExpires].size() > 9 || !parse_uint(t.value[kParamExpires], expires))
    return failure(TokenReason::kInvalidExpires, "X-Amz-Expires ", quoted(t.value[kParamExpires]),
                   " is not a number of seconds");
  if (expires > kMaxExpires.count())
    return failure(TokenReason::kExpiresTooLong, "X-Amz-Expires ", std::to_string(expires),
                   " is more than ", std::to_string(kMaxExpires.count()));
  if (t.value[kParamSignedHeaders] != "host")
    return failure(TokenReason::kInvalidSignedHeaders, "X-Amz-SignedHeaders ",
                   quoted(t.value[kParamSignedHeaders]), " is not 'host'");
  const std::string_view signature = t.value[kParamSignature];
  if (!is_signature_hex(signature))
    return failure(TokenReason::kMalformedSignature,
                   "X-Amz-Signature is not 64 lower-case hex digits (",
                   std::to_string(signature.size()), " characters)");

  const SystemTime now = clock.now();
  const SysSeconds expires_at = *signed_at + std::chrono::seconds(expires);
  if (now < *signed_at - options.clock_skew)
    return failure(TokenReason::kNotYetValid, "token dated ", amz_date, " is more than ",
                   std::to_string(options.clock_skew.count()), " s ahead of now (",
                   format_amz_date(now), ")");
  if (now > expires_at + options.clock_skew)
    return failure(TokenReason::kExpired, "token expired at ", format_amz_date(expires_at), " (+",
                   std::to_string(options.clock_skew.count()), " s skew); now ",
                   format_amz_date(now));

  const std::string_view session_token = t.value[kParamSecurityToken];
  const auto secret = keys.resolve(access_key_id, session_token, now);
  if (!secret) return refused(secret.error(), access_key_id);
  const crypto::HmacKey& key = signing_keys.get(*secret, day, region, service);

  // The scope: everything after the access key id.
  const std::string_view scope = t.value[kParamCredential].substr(access_key_id.size() + 1);
  s.canonical.clear();
  s.canonical.reserve(3 * check.token.size() + 256);
  append_canonical_prefix(s.canonical, t);
  const size_t prefix_size = s.canonical.size();

  // botocore's spelling first, in a buffer kept per thread; the others only on a mismatch.
  s.host.clear();
  append_host(s.host, t.host, t.port, kHostSpellings[0]);
  if (!signature_matches(s, prefix_size, s.host, amz_date, scope, key, signature)) {
    std::vector<std::string> tried = {s.host};
    bool verified = false;
    for (size_t i = 1; i < std::size(kHostSpellings) && !verified; ++i) {
      std::string spelled;
      append_host(spelled, t.host, t.port, kHostSpellings[i]);
      bool seen = false;
      for (const std::string& other : tried) seen = seen || other == spelled;
      if (seen) continue;
      verified = signature_matches(s, prefix_size, spelled, amz_date, scope, key, signature);
      tried.push_back(std::move(spelled));
    }
    if (!verified)
      return failure(TokenReason::kSignatureMismatch, "signature does not match for access key ",
                     quoted(access_key_id),
                     " (host header spellings tried: ", std::to_string(tried.size()), ")");
  }

  return VerifiedToken{std::string(access_key_id),
                       std::string(session_token),
                       *signed_at,
                       expires_at,
                       std::string(region),
                       endpoint_index};
}

}  // namespace iamdb::token
