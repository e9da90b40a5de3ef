// Token checks as a table: each row has exactly one thing wrong and names the reason it must
// fail with. Edited tokens are re-signed, so the row's fault is the only one.
#include "token/check.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "common/encoding.h"
#include "common/strings.h"
#include "common/time.h"
#include "sigv4/canonical.h"
#include "sigv4/signing_key.h"
#include "token/table_resolver.h"
#include "token/token.h"

namespace iamdb::token {
namespace {

using namespace std::chrono_literals;
using testing::KeyRecord;
using testing::TableResolver;

const SystemTime kSignedAt = *parse_iso8601("2026-11-23T12:00:00Z");
constexpr std::string_view kHost = "db.example.internal";
constexpr uint16_t kPort = 5432;
constexpr std::string_view kRegion = "us-east-1";
constexpr std::string_view kUser = "alice";

const sigv4::Credentials kPermanent{"AKIAIOSFODNN7EXAMPLE",
                                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const sigv4::Credentials kTemporary{
    "ASIAQWERTYUIOPASDFGH", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token=="};
const sigv4::Credentials kInactive{"AKIAINACTIVEEXAMPLE1", "inactive/secret/EXAMPLEKEY", ""};
const sigv4::Credentials kExpiredSession{"ASIAEXPIREDSESSION01", "expired/secret/EXAMPLEKEY",
                                         "FwoGZXIvYXdzEXPIREDsessionTOKEN"};

std::string make_token(const sigv4::Credentials& credentials, std::string_view user = kUser,
                       std::string_view host = kHost, uint16_t port = kPort) {
  return build_token(TokenSpec{std::string(host), port, std::string(kRegion), std::string(user)},
                     credentials, kSignedAt);
}

std::string replaced(std::string token, std::string_view from, std::string_view to) {
  const size_t at = token.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) token.replace(at, from.size(), to);
  return token;
}

// The value of a parameter as written in the token.
std::string raw_param(std::string_view token, std::string_view name) {
  const std::string key = std::string(name) + "=";
  const size_t query_at = token.find("/?");
  if (query_at == std::string_view::npos) return {};
  for (std::string_view part : split(token.substr(query_at + 2), '&'))
    if (part.starts_with(key)) return std::string(part.substr(key.size()));
  return {};
}

std::string without_param(std::string_view token, std::string_view name) {
  const size_t query_at = token.find("/?") + 2;
  std::string out(token.substr(0, query_at));
  bool first = true;
  for (std::string_view part : split(token.substr(query_at), '&')) {
    if (part.starts_with(std::string(name) + "=")) continue;
    if (!first) out.push_back('&');
    first = false;
    out.append(part);
  }
  return out;
}

std::string with_param(std::string_view token, std::string_view name, std::string_view raw_value) {
  return std::string(token) + "&" + std::string(name) + "=" + std::string(raw_value);
}

// Recomputes X-Amz-Signature over whatever the token now says, signing `signed_host` as the host
// header (botocore's spelling by default). The scope and date come from the token when it has
// them and from the base token otherwise.
std::string resign(std::string_view token, std::string_view secret, std::string signed_host = "") {
  const size_t query_at = token.find("/?");
  const std::string_view authority = token.substr(0, query_at);
  const size_t colon = authority.rfind(':');
  if (signed_host.empty())
    signed_host = botocore_signed_host(
        authority.substr(0, colon),
        static_cast<uint16_t>(std::stoi(std::string(authority.substr(colon + 1)))));
  const std::string unsigned_token = without_param(token, "X-Amz-Signature");
  const std::string query = unsigned_token.substr(query_at + 2);

  std::string amz_date = format_amz_date(kSignedAt);
  sigv4::CredentialScope scope{format_amz_day(kSignedAt), std::string(kRegion),
                               std::string(kService)};
  if (auto date = percent_decode(raw_param(token, "X-Amz-Date")); date && !date->empty())
    amz_date = *date;
  if (auto credential = percent_decode(raw_param(token, "X-Amz-Credential"))) {
    const auto parts = split(*credential, '/');
    if (parts.size() == 5)
      scope = {std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
  }
  sigv4::CanonicalHeaders headers{"host:" + signed_host + "\n", "host"};
  const std::string creq = sigv4::canonical_request(
      "GET", "/", sigv4::canonical_query(query).value_or(""), headers, sigv4::kEmptyPayloadSha256);
  const std::string sts = sigv4::string_to_sign(amz_date, scope.to_string(), creq);
  const crypto::HmacKey key(
      sigv4::derive_signing_key(secret, scope.day, scope.region, scope.service));
  return unsigned_token + "&X-Amz-Signature=" + sigv4::signature_hex(key, sts);
}

std::string resign_permanent(std::string_view token) {
  return resign(token, kPermanent.secret_access_key);
}

TableResolver standard_resolver() {
  TableResolver resolver;
  resolver.add(kPermanent.access_key_id, KeyRecord{kPermanent.secret_access_key, ""});
  resolver.add(kTemporary.access_key_id,
               KeyRecord{kTemporary.secret_access_key, kTemporary.session_token});
  resolver.add(kInactive.access_key_id, KeyRecord{kInactive.secret_access_key, "", false});
  resolver.add(kExpiredSession.access_key_id,
               KeyRecord{kExpiredSession.secret_access_key, kExpiredSession.session_token, true,
                         kSignedAt - 1s});
  return resolver;
}

struct Row {
  std::string name;
  std::string token;
  TokenReason expected;
  std::string_view parameter = {};
  std::string db_user = std::string(kUser);
  std::vector<Endpoint> endpoints = {{std::string(kHost), kPort}};
  std::string region = std::string(kRegion);
  SystemTime now = kSignedAt;
};

std::expected<VerifiedToken, TokenFailure> run(const Row& row, const CheckOptions& options = {}) {
  TableResolver resolver = standard_resolver();
  sigv4::SigningKeyCache signing_keys;
  const ManualClock clock(row.now);
  return check_token({row.token, row.db_user, row.endpoints, row.region}, clock, resolver,
                     signing_keys, options);
}

void expect_refused(const Row& row) {
  const auto result = run(row);
  ASSERT_FALSE(result) << row.name << ": accepted";
  EXPECT_EQ(reason_name(result.error().reason), reason_name(row.expected))
      << row.name << ": " << result.error().detail;
  EXPECT_EQ(result.error().parameter, row.parameter) << row.name;
  EXPECT_FALSE(result.error().detail.empty()) << row.name;
  const std::string signature = raw_param(row.token, "X-Amz-Signature");
  for (std::string_view secret :
       {std::string_view(kPermanent.secret_access_key),
        std::string_view(kTemporary.secret_access_key), std::string_view(kTemporary.session_token),
        std::string_view(signature)})
    if (secret.size() > 8) {
      EXPECT_EQ(result.error().detail.find(secret), std::string::npos)
          << row.name << ": detail leaks a secret: " << result.error().detail;
    }
}

TEST(CheckToken, BaseTokensVerify) {
  for (const std::string& token :
       {make_token(kPermanent), make_token(kTemporary), resign_permanent(make_token(kPermanent))}) {
    const auto result = run(Row{"base", token, TokenReason::kExpired});
    EXPECT_TRUE(result) << reason_name(result.error().reason) << " " << result.error().detail;
  }
}

TEST(CheckToken, TimeBoundariesAreExact) {
  const std::string token = make_token(kPermanent);
  const Row at_expiry_plus_skew{"last valid second",   token,
                                TokenReason::kExpired, {},
                                std::string(kUser),    {{std::string(kHost), kPort}},
                                std::string(kRegion),  kSignedAt + 900s + 300s};
  EXPECT_TRUE(run(at_expiry_plus_skew));
  Row earliest = at_expiry_plus_skew;
  earliest.now = kSignedAt - 300s;
  EXPECT_TRUE(run(earliest));

  Row expired = at_expiry_plus_skew;
  expired.name = "expired by one second";
  expired.now = kSignedAt + 900s + 300s + 1s;
  expect_refused(expired);
  expired.name = "expired by a millisecond";
  expired.now = kSignedAt + 900s + 300s + 1ms;
  expect_refused(expired);

  Row early = at_expiry_plus_skew;
  early.name = "dated beyond the skew";
  early.expected = TokenReason::kNotYetValid;
  early.now = kSignedAt - 301s;
  expect_refused(early);

  // The skew is an option; without it the token ends exactly at X-Amz-Date + X-Amz-Expires.
  Row strict = at_expiry_plus_skew;
  strict.now = kSignedAt + 900s;
  EXPECT_TRUE(run(strict, CheckOptions{0s, 8192}));
  strict.now = kSignedAt + 901s;
  EXPECT_FALSE(run(strict, CheckOptions{0s, 8192}));
}

std::vector<Row> one_fault_rows() {
  const std::string base = make_token(kPermanent);
  const std::string temporary = make_token(kTemporary);
  std::vector<Row> rows;
  auto add = [&rows](std::string name, std::string token, TokenReason expected,
                     std::string_view parameter = {}) {
    rows.push_back(Row{std::move(name), std::move(token), expected, parameter});
  };

  // Shape.
  add("empty", "", TokenReason::kMalformedToken);
  add("no /? separator", replaced(base, "/?", "?"), TokenReason::kMalformedToken);
  add("path other than /", replaced(base, "/?", "/x?"), TokenReason::kMalformedToken);
  add("with a scheme", "https://" + base, TokenReason::kMalformedToken);
  add("no port", replaced(base, ":5432/", "/"), TokenReason::kMalformedToken);
  add("port out of range", replaced(base, ":5432/", ":65536/"), TokenReason::kMalformedToken);
  add("port zero", replaced(base, ":5432/", ":0/"), TokenReason::kMalformedToken);
  add("port not a number", replaced(base, ":5432/", ":54x2/"), TokenReason::kMalformedToken);
  add("user info in the host", "alice@" + base, TokenReason::kMalformedToken);
  add("trailing space", base + " ", TokenReason::kMalformedToken);
  add("trailing newline", base + "\n", TokenReason::kMalformedToken);
  add("trailing fragment", base + "#x", TokenReason::kMalformedToken);
  add("trailing ampersand", base + "&", TokenReason::kMalformedToken);
  add("trailing word", base + "&garbage", TokenReason::kMalformedToken);
  add("trailing percent", base + "%", TokenReason::kMalformedToken);
  add("trailing NUL", base + std::string(1, '\0'), TokenReason::kMalformedToken);
  add("empty parameter", replaced(base, "&DBUser", "&&DBUser"), TokenReason::kMalformedToken);
  add("bad percent-escape", resign_permanent(replaced(base, "DBUser=alice", "DBUser=al%G1ce")),
      TokenReason::kMalformedToken);
  add("raw non-ASCII byte", replaced(base, "DBUser=alice", "DBUser=al\xC3\xBC"),
      TokenReason::kMalformedToken);
  add("unknown parameter", resign_permanent(with_param(base, "X-Amz-User-Agent", "sdk")),
      TokenReason::kUnknownParameter);
  add("parameter name in another case", resign_permanent(replaced(base, "DBUser=", "dbuser=")),
      TokenReason::kUnknownParameter);

  // Each required parameter missing, each parameter duplicated.
  for (std::string_view name : {"Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential",
                                "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"})
    add("missing " + std::string(name), resign_permanent(without_param(base, name)),
        TokenReason::kMissingParameter, name);
  add("missing X-Amz-Signature", without_param(base, "X-Amz-Signature"),
      TokenReason::kMissingParameter, "X-Amz-Signature");
  for (std::string_view name : {"Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential",
                                "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"})
    add("duplicate " + std::string(name),
        resign_permanent(with_param(base, name, raw_param(base, name))),
        TokenReason::kDuplicateParameter, name);
  add("duplicate X-Amz-Security-Token",
      resign(with_param(temporary, "X-Amz-Security-Token",
                        raw_param(temporary, "X-Amz-Security-Token")),
             kTemporary.secret_access_key),
      TokenReason::kDuplicateParameter, "X-Amz-Security-Token");
  add("duplicate X-Amz-Signature",
      with_param(base, "X-Amz-Signature", raw_param(base, "X-Amz-Signature")),
      TokenReason::kDuplicateParameter, "X-Amz-Signature");

  // What the token says.
  add("algorithm", resign_permanent(replaced(base, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")),
      TokenReason::kUnsupportedAlgorithm);
  add("action other than connect",
      resign_permanent(replaced(base, "Action=connect", "Action=Connect")),
      TokenReason::kWrongAction);
  add("DBUser of someone else", resign_permanent(replaced(base, "DBUser=alice", "DBUser=bob")),
      TokenReason::kUserMismatch);
  add("DBUser differing in case", resign_permanent(replaced(base, "DBUser=alice", "DBUser=Alice")),
      TokenReason::kUserMismatch);
  add("wrong host", resign_permanent(replaced(base, "db.example.internal:", "db.example.com:")),
      TokenReason::kEndpointMismatch);
  add("wrong port", resign_permanent(replaced(base, ":5432/", ":5433/")),
      TokenReason::kEndpointMismatch);
  add("credential of four parts",
      resign_permanent(replaced(base, "%2Frds-db%2Faws4_request", "%2Frds-db")),
      TokenReason::kMalformedCredential);
  add("credential of six parts",
      resign_permanent(replaced(base, "%2Faws4_request", "%2Faws4_request%2Fx")),
      TokenReason::kMalformedCredential);
  add("credential with an empty access key id",
      resign_permanent(replaced(base, "AKIAIOSFODNN7EXAMPLE%2F", "%2F")),
      TokenReason::kMalformedCredential);
  add("credential date not a date",
      resign_permanent(replaced(base, "%2F20261123%2F", "%2F20261323%2F")),
      TokenReason::kMalformedCredential);
  add("wrong region", resign_permanent(replaced(base, "%2Fus-east-1%2F", "%2Feu-west-1%2F")),
      TokenReason::kRegionMismatch);
  add("wrong service", resign_permanent(replaced(base, "%2Frds-db%2F", "%2Frds%2F")),
      TokenReason::kServiceMismatch);
  add("wrong terminator", resign_permanent(replaced(base, "aws4_request", "aws4_request2")),
      TokenReason::kInvalidCredentialTerminator);
  add("malformed X-Amz-Date", resign_permanent(replaced(base, "T120000Z", "T120000")),
      TokenReason::kMalformedDate);
  add("X-Amz-Date not a time", resign_permanent(replaced(base, "T120000Z", "T250000Z")),
      TokenReason::kMalformedDate);
  add("credential date is not X-Amz-Date's date",
      resign_permanent(replaced(base, "%2F20261123%2F", "%2F20261122%2F")),
      TokenReason::kCredentialDateMismatch);
  add("X-Amz-Expires 901",
      resign_permanent(replaced(base, "X-Amz-Expires=900", "X-Amz-Expires=901")),
      TokenReason::kExpiresTooLong);
  add("X-Amz-Expires huge",
      resign_permanent(replaced(base, "X-Amz-Expires=900", "X-Amz-Expires=99999999999999999999")),
      TokenReason::kInvalidExpires);
  add("X-Amz-Expires not a number",
      resign_permanent(replaced(base, "X-Amz-Expires=900", "X-Amz-Expires=9e2")),
      TokenReason::kInvalidExpires);
  add("X-Amz-Expires negative",
      resign_permanent(replaced(base, "X-Amz-Expires=900", "X-Amz-Expires=-1")),
      TokenReason::kInvalidExpires);
  add("X-Amz-Expires empty",
      resign_permanent(replaced(base, "X-Amz-Expires=900", "X-Amz-Expires=")),
      TokenReason::kInvalidExpires);
  add("signed headers other than host",
      resign_permanent(replaced(base, "SignedHeaders=host", "SignedHeaders=host%3Bx-amz-date")),
      TokenReason::kInvalidSignedHeaders);
  add("signed headers in upper case",
      resign_permanent(replaced(base, "SignedHeaders=host", "SignedHeaders=Host")),
      TokenReason::kInvalidSignedHeaders);

  // The signature's form.
  const std::string signature = raw_param(base, "X-Amz-Signature");
  add("signature not hex", replaced(base, signature, signature.substr(0, 63) + "g"),
      TokenReason::kMalformedSignature);
  add("signature short", replaced(base, signature, signature.substr(0, 63)),
      TokenReason::kMalformedSignature);
  add("signature long", base + "0", TokenReason::kMalformedSignature);
  add("signature in upper case", replaced(base, signature, to_upper(signature)),
      TokenReason::kMalformedSignature);
  add("signature empty", replaced(base, signature, ""), TokenReason::kMalformedSignature);

  // Keys.
  add("unknown access key",
      resign(replaced(base, "AKIAIOSFODNN7EXAMPLE", "AKIAUNKNOWNKEYEXAMPL"),
             kPermanent.secret_access_key),
      TokenReason::kUnknownAccessKey);
  add("inactive access key", make_token(kInactive), TokenReason::kInactiveAccessKey);
  sigv4::Credentials without_token = kTemporary;
  without_token.session_token.clear();
  add("session token missing for a temporary key", make_token(without_token),
      TokenReason::kMissingSessionToken);
  sigv4::Credentials altered = kTemporary;
  altered.session_token[10] = altered.session_token[10] == 'A' ? 'B' : 'A';
  add("session token altered", make_token(altered), TokenReason::kInvalidSessionToken);
  sigv4::Credentials foreign = kTemporary;
  foreign.session_token = kExpiredSession.session_token;
  add("session token of another key", make_token(foreign), TokenReason::kInvalidSessionToken);
  sigv4::Credentials stray = kPermanent;
  stray.session_token = kTemporary.session_token;
  add("session token with a long-term key", make_token(stray), TokenReason::kInvalidSessionToken);
  add("session expired", make_token(kExpiredSession), TokenReason::kSessionExpired);

  // The signature's value.
  add("signed with another secret", resign(base, "not/the/secret"),
      TokenReason::kSignatureMismatch);
  add("signed for another host than the token names",
      resign(base, kPermanent.secret_access_key, "db.example.com:5432"),
      TokenReason::kSignatureMismatch);
  add("signed for another port than the token names",
      resign(base, kPermanent.secret_access_key, "db.example.internal:5433"),
      TokenReason::kSignatureMismatch);
  return rows;
}

TEST(CheckToken, EachSingleFaultHasItsReason) {
  for (const Row& row : one_fault_rows()) expect_refused(row);
}

TEST(CheckToken, ContextMismatchesHaveTheirReasons) {
  const std::string token = make_token(kPermanent);
  Row wrong_user{"login user differs", token, TokenReason::kUserMismatch};
  wrong_user.db_user = "bob";
  expect_refused(wrong_user);
  Row wrong_host{"instance has another host", token, TokenReason::kEndpointMismatch};
  wrong_host.endpoints = {{"db.example.com", kPort}};
  expect_refused(wrong_host);
  Row wrong_port{"instance has another port", token, TokenReason::kEndpointMismatch};
  wrong_port.endpoints = {{std::string(kHost), 5433}};
  expect_refused(wrong_port);
  Row no_endpoints{"instance has no endpoint", token, TokenReason::kEndpointMismatch};
  no_endpoints.endpoints = {};
  expect_refused(no_endpoints);
  Row wrong_region{"instance in another region", token, TokenReason::kRegionMismatch};
  wrong_region.region = "eu-west-1";
  expect_refused(wrong_region);
}

TEST(CheckToken, EveryFlippedSignatureCharacterIsRefused) {
  const std::string token = make_token(kPermanent);
  const size_t at = token.find("X-Amz-Signature=") + 16;
  for (size_t i = 0; i < 64; ++i) {
    std::string flipped = token;
    flipped[at + i] = flipped[at + i] == '0' ? '1' : '0';
    expect_refused(Row{"signature character " + std::to_string(i) + " flipped", flipped,
                       TokenReason::kSignatureMismatch});
  }
}

TEST(CheckToken, SizeLimitIsEightKibibytes) {
  const std::string probe = make_token(kPermanent, "a");
  const std::string user(8192 - probe.size() + 1, 'a');
  const std::string exactly = make_token(kPermanent, user);
  ASSERT_EQ(exactly.size(), 8192u);
  Row accepted{"exactly 8 KiB", exactly, TokenReason::kTokenTooLong};
  accepted.db_user = user;
  const auto result = run(accepted);
  EXPECT_TRUE(result) << reason_name(result.error().reason) << " " << result.error().detail;

  Row too_long{"8 KiB + 1 byte", make_token(kPermanent, user + "a"), TokenReason::kTokenTooLong};
  too_long.db_user = user + "a";
  ASSERT_EQ(too_long.token.size(), 8193u);
  expect_refused(too_long);
}

TEST(CheckToken, ResolverIsAskedOnlyWhenEverythingElseHolds) {
  TableResolver resolver = standard_resolver();
  sigv4::SigningKeyCache signing_keys;
  const ManualClock clock(kSignedAt + 2h);
  const Endpoint endpoints[] = {{std::string(kHost), kPort}};
  const std::string token = make_token(kPermanent);
  EXPECT_FALSE(check_token({token, kUser, endpoints, kRegion}, clock, resolver, signing_keys));
  EXPECT_EQ(resolver.calls(), 0);
}

struct Accepted {
  std::string name;
  std::string token;
  std::vector<Endpoint> endpoints = {{std::string(kHost), kPort}};
  std::string db_user = std::string(kUser);
  size_t endpoint_index = 0;
};

TEST(CheckToken, AcceptsEverySpellingClientsProduce) {
  const std::string base = make_token(kPermanent);
  const std::string secret = kPermanent.secret_access_key;
  const std::string mixed = make_token(kPermanent, kUser, "DB.Example.Internal");
  std::vector<Accepted> cases = {
      {"endpoint host in another case", base, {{"DB.EXAMPLE.INTERNAL", kPort}}},
      {"an alias endpoint",
       base,
       {{"primary.example.internal", kPort}, {std::string(kHost), kPort}},
       std::string(kUser),
       1},
      {"mixed-case host, signed lower-cased (botocore)", mixed},
      {"mixed-case host, signed as written", resign(mixed, secret, "DB.Example.Internal:5432")},
      {"port 443 signed without the port (botocore, https)",
       make_token(kPermanent, kUser, kHost, 443),
       {{std::string(kHost), 443}}},
      {"port 443 signed with the port (aws-sdk-cpp, http)",
       resign(make_token(kPermanent, kUser, kHost, 443), secret, "db.example.internal:443"),
       {{std::string(kHost), 443}}},
      {"port 80 signed with the port (botocore, https)",
       make_token(kPermanent, kUser, kHost, 80),
       {{std::string(kHost), 80}}},
      {"port 80 signed without the port (aws-sdk-cpp, http)",
       resign(make_token(kPermanent, kUser, kHost, 80), secret, "db.example.internal"),
       {{std::string(kHost), 80}}},
      {"IPv6 signed with brackets", make_token(kPermanent, kUser, "[::1]"), {{"::1", kPort}}},
      {"IPv6 signed without brackets (older botocore)",
       resign(make_token(kPermanent, kUser, "[::1]"), secret, "::1:5432"),
       {{"[::1]", kPort}}},
      {"parameters in another order (Go sorts the whole query)",
       resign(replaced(without_param(base, "X-Amz-Signature"), "Action=connect&DBUser=alice&",
                       "DBUser=alice&") +
                  "&Action=connect",
              secret)},
      {"lower-case percent-escapes", replaced(base, "%2F20261123%2Fus-east-1%2Frds-db%2F",
                                              "%2f20261123%2fus-east-1%2frds-db%2f")},
      {"needlessly escaped characters", replaced(base, "DBUser=alice", "DBUser=%61lice")},
      {"user with reserved characters",
       make_token(kPermanent, "a+b=c&d e/f~"),
       {{std::string(kHost), kPort}},
       "a+b=c&d e/f~"},
  };
  for (const Accepted& c : cases) {
    TableResolver resolver = standard_resolver();
    sigv4::SigningKeyCache signing_keys;
    const ManualClock clock(kSignedAt);
    const auto result =
        check_token({c.token, c.db_user, c.endpoints, kRegion}, clock, resolver, signing_keys);
    ASSERT_TRUE(result) << c.name << ": " << reason_name(result.error().reason) << " "
                        << result.error().detail;
    EXPECT_EQ(result->endpoint_index, c.endpoint_index) << c.name;
  }
}

TEST(CheckToken, TemporaryCredentialsComeBackVerified) {
  TableResolver resolver = standard_resolver();
  sigv4::SigningKeyCache signing_keys;
  const ManualClock clock(kSignedAt + 10min);
  const Endpoint endpoints[] = {{std::string(kHost), kPort}};
  const std::string token = make_token(kTemporary);
  const auto result =
      check_token({token, kUser, endpoints, kRegion}, clock, resolver, signing_keys);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->access_key_id, kTemporary.access_key_id);
  EXPECT_EQ(result->session_token, kTemporary.session_token);
  EXPECT_EQ(result->region, kRegion);
  EXPECT_EQ(result->signed_at, floor_seconds(kSignedAt));
  EXPECT_EQ(result->expires_at, floor_seconds(kSignedAt) + 900s);
}

TEST(TokenReason, NamesAreStableAndDistinct) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kTokenReasonCount; ++i) {
    const std::string_view name = reason_name(static_cast<TokenReason>(i));
    EXPECT_NE(name, "unknown");
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kTokenReasonCount);
  EXPECT_EQ(reason_name(TokenReason::kExpired), "expired");
  EXPECT_EQ(reason_name(TokenReason::kSignatureMismatch), "signature_mismatch");
}

}  // namespace
}  // namespace iamdb::token
