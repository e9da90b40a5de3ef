// Verifying SigV4 requests as the Query API server does: parse, check the time, recompute.
// Round trips in both forms, then one malformed or tampered thing per case, each with its code.
#include "sigv4/verifier.h"

#include <gtest/gtest.h>

#include "common/time.h"
#include "sigv4/signing_key.h"

namespace iamdb::sigv4 {
namespace {

using namespace std::chrono_literals;

const Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SystemTime kSignedAt = *parse_iso8601("2015-08-30T12:36:00Z");

SigningParams iam_params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "iam";
  p.time = kSignedAt;
  return p;
}

Request list_users() {
  Request r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", "iam.amazonaws.com"},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "test"}};
  r.body = "Action=ListUsers&Version=2010-05-08";
  return r;
}

Request signed_list_users(const Credentials& credentials = kCredentials) {
  Request r = list_users();
  EXPECT_TRUE(sign(r, credentials, iam_params()));
  return r;
}

Request presigned_get(std::chrono::seconds expires = 900s) {
  Request r;
  r.path = "/";
  r.query = "Action=GetCallerIdentity&Version=2011-06-15";
  r.headers = {{"Host", "sts.amazonaws.com"}};
  SigningParams p = iam_params();
  p.service = "sts";
  EXPECT_TRUE(presign(r, kCredentials, p, expires));
  return r;
}

AuthResult<void> verify(const Request& request) {
  auto auth = parse_request_auth(request);
  if (!auth) return std::unexpected(auth.error());
  SigningKeyCache keys;
  const auto& key = keys.get(kCredentials.secret_access_key, auth->credential.scope.day,
                             auth->credential.scope.region, auth->credential.scope.service);
  return verify_signature(request, *auth, key);
}

TEST(Verifier, HeaderFormRoundTrip) {
  const Request request = signed_list_users();
  auto auth = parse_request_auth(request);
  ASSERT_TRUE(auth) << auth.error().message;
  EXPECT_EQ(auth->form, AuthForm::kHeader);
  EXPECT_EQ(auth->credential.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(auth->credential.scope.to_string(), "20150830/us-east-1/iam/aws4_request");
  EXPECT_EQ(auth->signed_headers,
            (std::vector<std::string>{"content-type", "host", "user-agent", "x-amz-date"}));
  EXPECT_EQ(auth->amz_date, "20150830T123600Z");
  EXPECT_EQ(auth->signed_at, floor_seconds(kSignedAt));
  EXPECT_TRUE(verify(request));
}

TEST(Verifier, HeaderFormCarriesTheSessionToken) {
  Credentials temporary = kCredentials;
  temporary.session_token = "FwoGZXIvYXdzEXAMPLE/token+==";
  const Request request = signed_list_users(temporary);
  auto auth = parse_request_auth(request);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->session_token, temporary.session_token);
  EXPECT_TRUE(verify(request));
}

TEST(Verifier, QueryFormRoundTrip) {
  const Request request = presigned_get();
  auto auth = parse_request_auth(request);
  ASSERT_TRUE(auth) << auth.error().message;
  EXPECT_EQ(auth->form, AuthForm::kQuery);
  EXPECT_EQ(auth->credential.scope.service, "sts");
  EXPECT_EQ(auth->expires, 900s);
  EXPECT_TRUE(verify(request));
}

struct TamperCase {
  const char* name;
  void (*tamper)(Request&);
  AuthErrorCode expected;
};

TEST(Verifier, EachTamperingIsRefused) {
  const TamperCase cases[] = {
      {"body changed", [](Request& r) { r.body += "&UserName=x"; },
       AuthErrorCode::kSignatureMismatch},
      {"method changed", [](Request& r) { r.method = "PUT"; }, AuthErrorCode::kSignatureMismatch},
      {"path changed", [](Request& r) { r.path = "/x"; }, AuthErrorCode::kSignatureMismatch},
      {"query added", [](Request& r) { r.query = "a=1"; }, AuthErrorCode::kSignatureMismatch},
      {"signed header changed", [](Request& r) { r.set_header("Host", "evil.example.com"); },
       AuthErrorCode::kSignatureMismatch},
      {"signed header removed",
       [](Request& r) {
         std::erase_if(r.headers, [](const Header& h) { return h.name == "User-Agent"; });
       },
       AuthErrorCode::kSignedHeaderMissing},
      {"date changed", [](Request& r) { r.set_header("X-Amz-Date", "20150830T123601Z"); },
       AuthErrorCode::kSignatureMismatch},
      {"date on another day", [](Request& r) { r.set_header("X-Amz-Date", "20150831T123600Z"); },
       AuthErrorCode::kCredentialDateMismatch},
      {"date removed",
       [](Request& r) {
         std::erase_if(r.headers, [](const Header& h) { return h.name == "X-Amz-Date"; });
       },
       AuthErrorCode::kMissingDate},
      {"date malformed", [](Request& r) { r.set_header("X-Amz-Date", "2015-08-30T12:36:00Z"); },
       AuthErrorCode::kMalformedDate},
      {"query auth added as well", [](Request& r) { r.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"; },
       AuthErrorCode::kMalformedAuthorization},
      {"no authentication at all",
       [](Request& r) {
         std::erase_if(r.headers, [](const Header& h) { return h.name == "Authorization"; });
       },
       AuthErrorCode::kMissingAuthentication},
  };
  for (const TamperCase& c : cases) {
    Request request = signed_list_users();
    c.tamper(request);
    const auto result = verify(request);
    ASSERT_FALSE(result) << c.name;
    EXPECT_EQ(result.error().code, c.expected) << c.name << ": " << result.error().message;
  }
}

TEST(Verifier, UnsignedHeadersMayChange) {
  Request request = signed_list_users();
  request.headers.push_back({"X-Forwarded-For", "10.0.0.1"});
  EXPECT_TRUE(verify(request));
}

struct HeaderCase {
  const char* name;
  std::string_view value;
  AuthErrorCode expected;
};

constexpr std::string_view kSignature =
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

TEST(ParseAuthorizationHeader, ReadsAWellFormedHeader) {
  const std::string value =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
      "aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
      std::string(kSignature);
  const auto parsed = parse_authorization_header(value);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credential.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(parsed->credential.scope.day, "20150830");
  EXPECT_EQ(parsed->credential.scope.region, "us-east-1");
  EXPECT_EQ(parsed->credential.scope.service, "iam");
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(parsed->signature, kSignature);

  // Parameters in another order and without spaces are the same header.
  const std::string reordered = "AWS4-HMAC-SHA256 Signature=" + std::string(kSignature) +
                                ",SignedHeaders=host,Credential=A/20150830/r/s/aws4_request";
  EXPECT_TRUE(parse_authorization_header(reordered));
}

TEST(ParseAuthorizationHeader, NamesWhatIsWrong) {
  const std::string sig(kSignature);
  const std::string cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request";
  const std::string good_tail = ", SignedHeaders=host;x-amz-date, Signature=" + sig;
  const std::vector<std::pair<std::string, AuthErrorCode>> cases = {
      {"", AuthErrorCode::kMalformedAuthorization},
      {"Basic dXNlcjpwYXNz", AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA512 " + cred + good_tail, AuthErrorCode::kUnsupportedAlgorithm},
      {"AWS4-HMAC-SHA256", AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + sig,
       AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 " + cred + ", Signature=" + sig, AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 " + cred + ", " + cred + good_tail,
       AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 " + cred + good_tail + ", Extra=1",
       AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 " + cred + good_tail + ", junk", AuthErrorCode::kMalformedAuthorization},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam" + good_tail,
       AuthErrorCode::kMalformedCredential},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request/x" + good_tail,
       AuthErrorCode::kMalformedCredential},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150230/us-east-1/iam/aws4_request" + good_tail,
       AuthErrorCode::kMalformedCredential},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request" + good_tail,
       AuthErrorCode::kMalformedCredential},
      {"AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/iam/aws4_request" + good_tail,
       AuthErrorCode::kMalformedCredential},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, Signature=" + sig,
       AuthErrorCode::kMalformedSignedHeaders},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;x-amz-date, Signature=" + sig,
       AuthErrorCode::kMalformedSignedHeaders},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + sig,
       AuthErrorCode::kMalformedSignedHeaders},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host, Signature=" + sig,
       AuthErrorCode::kMalformedSignedHeaders},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + sig.substr(1),
       AuthErrorCode::kMalformedSignature},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + sig.substr(1) + "Z",
       AuthErrorCode::kMalformedSignature},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + sig.substr(1) + "A",
       AuthErrorCode::kMalformedSignature},
  };
  for (const auto& [value, expected] : cases) {
    const auto parsed = parse_authorization_header(value);
    ASSERT_FALSE(parsed) << value;
    EXPECT_EQ(parsed.error().code, expected) << value << ": " << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find(sig), std::string::npos) << value;
  }
}

TEST(ParseRequestAuth, RequiresHostToBeSigned) {
  Request request;
  request.headers = {
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
       "SignedHeaders=x-amz-date, Signature=" +
           std::string(kSignature)}};
  const auto auth = parse_request_auth(request);
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().code, AuthErrorCode::kHostNotSigned);
}

TEST(ParseRequestAuth, QueryFormNamesWhatIsWrong) {
  struct Case {
    const char* name;
    std::string_view from, to;
    AuthErrorCode expected;
  };
  const Case cases[] = {
      {"algorithm", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1",
       AuthErrorCode::kUnsupportedAlgorithm},
      {"credential missing",
       "X-Amz-Credential=", "X-Amz-Credentiel=", AuthErrorCode::kMalformedAuthorization},
      {"signature missing",
       "X-Amz-Signature=", "X-Amz-Signatur=", AuthErrorCode::kMalformedAuthorization},
      {"expires missing",
       "X-Amz-Expires=", "X-Amz-Expirez=", AuthErrorCode::kMalformedAuthorization},
      {"expires zero", "X-Amz-Expires=900", "X-Amz-Expires=0", AuthErrorCode::kInvalidExpires},
      {"expires over a week", "X-Amz-Expires=900", "X-Amz-Expires=604801",
       AuthErrorCode::kInvalidExpires},
      {"expires not a number", "X-Amz-Expires=900", "X-Amz-Expires=9e2",
       AuthErrorCode::kInvalidExpires},
      {"date of another day", "X-Amz-Date=20150830", "X-Amz-Date=20150831",
       AuthErrorCode::kCredentialDateMismatch},
      {"host not signed", "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date",
       AuthErrorCode::kHostNotSigned},
      {"bad escape", "Action=", "Action=%G1", AuthErrorCode::kMalformedQuery},
      {"algorithm twice", "X-Amz-Algorithm=AWS4-HMAC-SHA256",
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=AWS4-HMAC-SHA256",
       AuthErrorCode::kMalformedAuthorization},
  };
  for (const Case& c : cases) {
    Request request = presigned_get();
    const size_t at = request.query.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name;
    request.query.replace(at, c.from.size(), c.to);
    const auto auth = parse_request_auth(request);
    ASSERT_FALSE(auth) << c.name;
    EXPECT_EQ(auth.error().code, c.expected) << c.name << ": " << auth.error().message;
  }
}

TEST(CheckRequestTime, HeaderFormAllowsSkewBothWays) {
  const auto auth = parse_request_auth(signed_list_users());
  ASSERT_TRUE(auth);
  EXPECT_TRUE(check_request_time(*auth, kSignedAt + 15min));
  EXPECT_TRUE(check_request_time(*auth, kSignedAt - 15min));
  const auto late = check_request_time(*auth, kSignedAt + 15min + 1s);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, AuthErrorCode::kRequestExpired);
  EXPECT_EQ(late.error().message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T125101Z - 900 s.)");
  const auto early = check_request_time(*auth, kSignedAt - 15min - 1s);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, AuthErrorCode::kRequestNotYetValid);
}

TEST(CheckRequestTime, QueryFormExpiresAfterXAmzExpires) {
  const auto auth = parse_request_auth(presigned_get(60s));
  ASSERT_TRUE(auth);
  EXPECT_TRUE(check_request_time(*auth, kSignedAt + 60s));
  const auto late = check_request_time(*auth, kSignedAt + 61s);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, AuthErrorCode::kRequestExpired);
}

TEST(AuthErrorCode, HasStableNamesAndAwsCodes) {
  EXPECT_EQ(error_name(AuthErrorCode::kSignatureMismatch), "signature_mismatch");
  EXPECT_EQ(aws_error_code(AuthErrorCode::kSignatureMismatch), "SignatureDoesNotMatch");
  EXPECT_EQ(aws_error_code(AuthErrorCode::kMalformedAuthorization), "IncompleteSignature");
  EXPECT_EQ(aws_error_code(AuthErrorCode::kMissingAuthentication), "MissingAuthenticationToken");
}

}  // namespace
}  // namespace iamdb::sigv4
