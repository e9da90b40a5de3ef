// AWS's Signature Version 4 test suite (aws-c-auth), every case in both forms: the canonical
// request, the string to sign and the signature must each match byte for byte, the signed request
// must carry what the suite's signed request carries, and the verifier must accept it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/encoding.h"
#include "common/strings.h"
#include "common/time.h"
#include "sigv4/raw_request.h"
#include "sigv4/signer.h"
#include "sigv4/signing_key.h"
#include "sigv4/verifier.h"

namespace iamdb::sigv4 {
namespace {

namespace fs = std::filesystem;
using testing::parse_raw_request;
using testing::read_file;

const fs::path kSuiteDir = fs::path(IAMDB_VECTORS_DIR) / "sigv4" / "v4";

enum class Form { kHeader, kQuery };

struct SuiteCase {
  std::string name;
  Form form;
};

void PrintTo(const SuiteCase& c, std::ostream* os) {
  *os << c.name << (c.form == Form::kHeader ? " (header)" : " (query)");
}

std::vector<SuiteCase> suite_cases() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, ec))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<SuiteCase> cases;
  for (const std::string& name : names) {
    cases.push_back({name, Form::kHeader});
    cases.push_back({name, Form::kQuery});
  }
  return cases;
}

std::string test_name(const ::testing::TestParamInfo<SuiteCase>& info) {
  std::string name = info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name + (info.param.form == Form::kHeader ? "_header" : "_query");
}

struct Context {
  Credentials credentials;
  SigningParams params;
  std::chrono::seconds expires{0};
};

Context read_context(const fs::path& dir) {
  const auto json = nlohmann::json::parse(read_file((dir / "context.json").string()));
  Context c;
  const auto& creds = json.at("credentials");
  c.credentials.access_key_id = creds.at("access_key_id");
  c.credentials.secret_access_key = creds.at("secret_access_key");
  c.credentials.session_token = creds.value("token", "");
  c.params.region = json.at("region");
  c.params.service = json.at("service");
  c.params.time = *parse_iso8601(json.at("timestamp").get<std::string>());
  c.params.path_rules.normalize = json.at("normalize");
  c.params.add_content_sha256_header = json.at("sign_body");
  c.params.sign_session_token = !json.value("omit_session_token", false);
  c.expires = std::chrono::seconds(json.at("expiration_in_seconds").get<long long>());
  return c;
}

// The Authorization header of the suite's signed request.
std::string expected_authorization(const std::string& signed_request) {
  for (std::string_view line : split(signed_request, '\n'))
    if (istarts_with(line, "Authorization:")) return std::string(line.substr(14));
  return {};
}

// The query of the suite's presigned request line, as a sorted list of decoded parameters.
std::vector<std::pair<std::string, std::string>> sorted_params(std::string_view query) {
  auto params = parse_query_string(query, false);
  if (!params) return {};
  std::sort(params->begin(), params->end());
  return *params;
}

std::string_view request_line_query(std::string_view signed_request) {
  std::string_view line = signed_request.substr(0, signed_request.find('\n'));
  line = line.substr(0, line.rfind(' '));
  const size_t question = line.find('?');
  return question == std::string_view::npos ? std::string_view() : line.substr(question + 1);
}

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteTest, MatchesCanonicalRequestStringToSignAndSignature) {
  const fs::path dir = kSuiteDir / GetParam().name;
  const std::string prefix = GetParam().form == Form::kHeader ? "header-" : "query-";
  const Context context = read_context(dir);
  auto request = parse_raw_request(read_file((dir / "request.txt").string()));
  ASSERT_TRUE(request) << request.error().message;

  auto result = GetParam().form == Form::kHeader
                    ? sign(*request, context.credentials, context.params)
                    : presign(*request, context.credentials, context.params, context.expires);
  ASSERT_TRUE(result) << result.error().message;

  EXPECT_EQ(result->canonical_request,
            read_file((dir / (prefix + "canonical-request.txt")).string()));
  EXPECT_EQ(result->string_to_sign, read_file((dir / (prefix + "string-to-sign.txt")).string()));
  EXPECT_EQ(result->signature, read_file((dir / (prefix + "signature.txt")).string()));

  const std::string signed_request = read_file((dir / (prefix + "signed-request.txt")).string());
  if (GetParam().form == Form::kHeader) {
    EXPECT_EQ(request->header("Authorization").value_or(""),
              expected_authorization(signed_request));
    EXPECT_EQ(request->header("X-Amz-Date").value_or(""), format_amz_date(context.params.time));
  } else {
    EXPECT_EQ(sorted_params(request->query), sorted_params(request_line_query(signed_request)));
  }
}

TEST_P(SigV4SuiteTest, SignedRequestVerifies) {
  const fs::path dir = kSuiteDir / GetParam().name;
  const Context context = read_context(dir);
  auto request = parse_raw_request(read_file((dir / "request.txt").string()));
  ASSERT_TRUE(request);
  auto signed_ok = GetParam().form == Form::kHeader
                       ? sign(*request, context.credentials, context.params)
                       : presign(*request, context.credentials, context.params, context.expires);
  ASSERT_TRUE(signed_ok);

  auto auth = parse_request_auth(*request);
  ASSERT_TRUE(auth) << auth.error().message;
  EXPECT_EQ(auth->form, GetParam().form == Form::kHeader ? AuthForm::kHeader : AuthForm::kQuery);
  EXPECT_EQ(auth->credential.access_key_id, context.credentials.access_key_id);
  EXPECT_EQ(auth->credential.scope.region, context.params.region);
  EXPECT_EQ(auth->credential.scope.service, context.params.service);
  EXPECT_EQ(auth->session_token, context.credentials.session_token);
  EXPECT_TRUE(check_request_time(*auth, context.params.time));

  SigningKeyCache keys;
  const auto& key = keys.get(context.credentials.secret_access_key, auth->credential.scope.day,
                             auth->credential.scope.region, auth->credential.scope.service);
  auto verified = verify_signature(*request, *auth, key, context.params.path_rules);
  if (GetParam().form == Form::kQuery && !context.params.sign_session_token) {
    // The verifier signs every query parameter, so one added after signing breaks the signature.
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code, AuthErrorCode::kSignatureMismatch);
    return;
  }
  EXPECT_TRUE(verified) << verified.error().message;

  const auto& wrong = keys.get("not-the-secret", auth->credential.scope.day,
                               auth->credential.scope.region, auth->credential.scope.service);
  auto refused = verify_signature(*request, *auth, wrong, context.params.path_rules);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, AuthErrorCode::kSignatureMismatch);
}

INSTANTIATE_TEST_SUITE_P(AwsSigningSuite, SigV4SuiteTest, ::testing::ValuesIn(suite_cases()),
                         test_name);

TEST(SigV4Suite, HasEveryCase) { EXPECT_EQ(suite_cases().size(), 76u); }

}  // namespace
}  // namespace iamdb::sigv4
