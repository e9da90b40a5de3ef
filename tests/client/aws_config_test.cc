// The credential and config chain, one rule per case, with files in a temporary HOME and an
// injected environment (the process environment is never touched).
#include "client/aws_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace iamdb::client {
namespace {

namespace fs = std::filesystem;

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() /
            ("iamdb-client-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
    fs::create_directories(home_ / ".aws");
    env_.set("HOME", home_.string());
  }
  void TearDown() override { fs::remove_all(home_); }

  void write(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void config(std::string_view text) { write(home_ / ".aws" / "config", text); }
  void credentials(std::string_view text) { write(home_ / ".aws" / "credentials", text); }

  Result<ClientContext> context(ChainOptions options = {}) {
    return load_client_context(env_, options);
  }
  // The whole chain as `generate-db-auth-token` runs it: context, region, credentials.
  struct Outcome {
    std::string error;
    std::string region = {};
    sigv4::Credentials credentials = {};
    std::string source = {};
  };
  Outcome resolve(ChainOptions options = {}) {
    auto ctx = load_client_context(env_, options);
    if (!ctx) return {ctx.error().message};
    auto region = resolve_region(*ctx, env_, options);
    if (!region) return {region.error().message};
    auto creds = resolve_credentials(*ctx, env_);
    if (!creds) return {creds.error().message};
    return {"", *region, creds->credentials, creds->source};
  }

  fs::path home_;
  MapEnvironment env_;
};

constexpr std::string_view kDefaultCredentials =
    "[default]\n"
    "aws_access_key_id = AKIAFILEDEFAULT\n"
    "aws_secret_access_key = file-default-secret\n"
    "[dev]\n"
    "aws_access_key_id = AKIAFILEDEV\n"
    "aws_secret_access_key = file-dev-secret\n"
    "aws_session_token = file-dev-token\n";

TEST_F(AwsConfigTest, NothingConfiguredAsksForARegionFirst) {
  EXPECT_EQ(resolve().error, kNoRegionMessage);
  EXPECT_EQ(resolve({"", "us-east-1"}).error, kNoCredentialsMessage);
}

TEST_F(AwsConfigTest, EnvironmentCredentialsComeFirst) {
  credentials(kDefaultCredentials);
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env_.set("AWS_SESSION_TOKEN", "env-token");
  const Outcome out = resolve({"", "us-east-1"});
  ASSERT_EQ(out.error, "");
  EXPECT_EQ(out.credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(out.credentials.secret_access_key, "env-secret");
  EXPECT_EQ(out.credentials.session_token, "env-token");
  EXPECT_EQ(out.source, "env");
}

TEST_F(AwsConfigTest, SecurityTokenVariableWinsOverSessionToken) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env_.set("AWS_SESSION_TOKEN", "session");
  env_.set("AWS_SECURITY_TOKEN", "security");
  EXPECT_EQ(resolve({"", "us-east-1"}).credentials.session_token, "security");
}

TEST_F(AwsConfigTest, EmptyEnvironmentVariablesCountAsUnset) {
  credentials(kDefaultCredentials);
  env_.set("AWS_ACCESS_KEY_ID", "");
  env_.set("AWS_REGION", "");
  env_.set("AWS_DEFAULT_REGION", "ap-south-1");
  const Outcome out = resolve();
  EXPECT_EQ(out.region, "ap-south-1");
  EXPECT_EQ(out.credentials.access_key_id, "AKIAFILEDEFAULT");
}

TEST_F(AwsConfigTest, PartialEnvironmentCredentialsAreAnError) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  EXPECT_EQ(resolve({"", "us-east-1"}).error,
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY");
}

TEST_F(AwsConfigTest, ExplicitProfileDisablesEnvironmentCredentials) {
  credentials(kDefaultCredentials);
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  const Outcome out = resolve({"dev", "us-east-1"});
  ASSERT_EQ(out.error, "");
  EXPECT_EQ(out.credentials.access_key_id, "AKIAFILEDEV");
  EXPECT_EQ(out.credentials.session_token, "file-dev-token");
  EXPECT_EQ(out.source, "shared-credentials-file");
}

TEST_F(AwsConfigTest, ProfileFromTheEnvironmentKeepsEnvironmentCredentials) {
  credentials(kDefaultCredentials);
  env_.set("AWS_PROFILE", "dev");
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(resolve({"", "us-east-1"}).credentials.access_key_id, "AKIAENV");
  env_.unset("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(resolve({"", "us-east-1"}).credentials.access_key_id, "AKIAFILEDEV");
}

TEST_F(AwsConfigTest, AwsProfileWinsOverAwsDefaultProfile) {
  credentials(kDefaultCredentials);
  env_.set("AWS_DEFAULT_PROFILE", "default");
  env_.set("AWS_PROFILE", "dev");
  auto ctx = context();
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->profile_name, "dev");
  EXPECT_FALSE(ctx->profile_from_flag);
  env_.unset("AWS_PROFILE");
  EXPECT_EQ(context()->profile_name, "default");
}

TEST_F(AwsConfigTest, NamedProfileMustExist) {
  credentials(kDefaultCredentials);
  EXPECT_EQ(resolve({"nope", "us-east-1"}).error, "The config profile (nope) could not be found");
  env_.set("AWS_PROFILE", "missing");
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(resolve({"", "us-east-1"}).error, "The config profile (missing) could not be found");
}

TEST_F(AwsConfigTest, ConfigFileProfilesHaveThePrefix) {
  config(
      "[default]\n"
      "region = eu-west-1\n"
      "[profile app]\n"
      "aws_access_key_id = AKIACONFIGAPP\n"
      "aws_secret_access_key = config-app-secret\n"
      "region = eu-north-1\n"
      "[app2]\n"
      "aws_access_key_id = AKIANOTAPROFILE\n"
      "aws_secret_access_key = x\n"
      "[profile \"with space\"]\n"
      "aws_access_key_id = AKIASPACE\n"
      "aws_secret_access_key = y\n");
  const Outcome app = resolve({"app", ""});
  ASSERT_EQ(app.error, "");
  EXPECT_EQ(app.region, "eu-north-1");
  EXPECT_EQ(app.credentials.access_key_id, "AKIACONFIGAPP");
  EXPECT_EQ(app.source, "config-file");
  EXPECT_EQ(resolve({"app2", ""}).error, "The config profile (app2) could not be found");
  EXPECT_EQ(resolve({"with space", "us-east-1"}).credentials.access_key_id, "AKIASPACE");
  EXPECT_EQ(resolve().error, kNoCredentialsMessage);
}

TEST_F(AwsConfigTest, CredentialsFileWinsOverConfigFile) {
  config(
      "[profile dev]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = c\nregion = "
      "us-west-1\n");
  credentials(kDefaultCredentials);
  const Outcome out = resolve({"dev", ""});
  ASSERT_EQ(out.error, "");
  EXPECT_EQ(out.credentials.access_key_id, "AKIAFILEDEV");
  EXPECT_EQ(out.region, "us-west-1");
}

TEST_F(AwsConfigTest, PartialFileCredentialsAreAnError) {
  credentials("[default]\naws_access_key_id = AKIA\n");
  EXPECT_EQ(resolve({"", "us-east-1"}).error,
            "Partial credentials found in shared-credentials-file, missing: aws_secret_access_key");
  credentials("");
  config("[default]\naws_access_key_id = AKIA\n");
  EXPECT_EQ(resolve({"", "us-east-1"}).error,
            "Partial credentials found in config-file, missing: aws_secret_access_key");
}

TEST_F(AwsConfigTest, RegionPrecedence) {
  credentials(
      "[default]\naws_access_key_id = A\naws_secret_access_key = B\nregion = from-credentials\n");
  EXPECT_EQ(resolve().region, "from-credentials");
  config("[default]\nregion = from-config\n");
  EXPECT_EQ(resolve().region, "from-credentials");  // credentials-file settings overlay config
  credentials("[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  EXPECT_EQ(resolve().region, "from-config");
  env_.set("AWS_DEFAULT_REGION", "from-default-region");
  EXPECT_EQ(resolve().region, "from-default-region");
  env_.set("AWS_REGION", "from-region");
  EXPECT_EQ(resolve().region, "from-region");
  EXPECT_EQ(resolve({"", "from-flag"}).region, "from-flag");
}

TEST_F(AwsConfigTest, RoleProfilesAreRefusedNamingTheProfile) {
  config(
      "[profile admin]\n"
      "role_arn = arn:aws:iam::123456789012:role/admin\n"
      "source_profile = default\n"
      "external_id = ext-1\n"
      "role_session_name = me\n"
      "region = us-east-2\n"
      "endpoint_url = http://127.0.0.1:8080\n");
  credentials(kDefaultCredentials);
  const Outcome out = resolve({"admin", ""});
  EXPECT_NE(out.error.find("The config profile (admin) gets credentials by assuming role "
                           "arn:aws:iam::123456789012:role/admin (role_arn)"),
            std::string::npos)
      << out.error;

  // The profile stays available for AssumeRole support.
  auto ctx = context({"admin", ""});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->profile.role_arn(), "arn:aws:iam::123456789012:role/admin");
  EXPECT_EQ(ctx->profile.source_profile(), "default");
  EXPECT_EQ(ctx->profile.external_id(), "ext-1");
  EXPECT_EQ(ctx->profile.role_session_name(), "me");
  EXPECT_EQ(ctx->endpoint_url, "http://127.0.0.1:8080");
  auto source = static_profile_credentials(ctx->files, ctx->profile.source_profile());
  ASSERT_TRUE(source);
  ASSERT_TRUE(*source);
  EXPECT_EQ((*source)->access_key_id, "AKIAFILEDEFAULT");

  // Environment credentials still come first when the profile is not given by flag.
  env_.set("AWS_PROFILE", "admin");
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  EXPECT_EQ(resolve().credentials.access_key_id, "AKIAENV");
}

TEST_F(AwsConfigTest, OtherCredentialSourcesAreRefusedNamingTheProfile) {
  config(
      "[profile sso]\nsso_session = corp\nregion = us-east-1\n"
      "[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /t\nregion = "
      "us-east-1\n"
      "[profile proc]\ncredential_process = /bin/creds\nregion = us-east-1\n");
  EXPECT_NE(resolve({"sso", ""})
                .error.find("The config profile (sso) gets credentials from AWS IAM "
                            "Identity Center (SSO)"),
            std::string::npos);
  EXPECT_NE(resolve({"web", ""}).error.find("(web) gets credentials with a web identity token"),
            std::string::npos);
  EXPECT_NE(resolve({"proc", ""}).error.find("(proc) gets credentials from a program"),
            std::string::npos);
}

TEST_F(AwsConfigTest, EndpointUrlFromTheEnvironmentWins) {
  config("[default]\nendpoint_url = http://from-profile\n");
  EXPECT_EQ(context()->endpoint_url, "http://from-profile");
  env_.set("AWS_ENDPOINT_URL", "http://from-env");
  EXPECT_EQ(context()->endpoint_url, "http://from-env");
}

TEST_F(AwsConfigTest, FileLocationsComeFromTheEnvironment) {
  write(home_ / "elsewhere" / "creds",
        "[default]\naws_access_key_id = AKIAELSEWHERE\naws_secret_access_key = s\n");
  write(home_ / "elsewhere" / "conf", "[default]\nregion = sa-east-1\n");
  env_.set("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds");
  env_.set("SUBDIR", "elsewhere");
  env_.set("AWS_CONFIG_FILE", "$HOME/${SUBDIR}/conf");
  const Outcome out = resolve();
  ASSERT_EQ(out.error, "");
  EXPECT_EQ(out.credentials.access_key_id, "AKIAELSEWHERE");
  EXPECT_EQ(out.region, "sa-east-1");
  auto ctx = context();
  EXPECT_EQ(ctx->files.credentials_path, (home_ / "elsewhere" / "creds").string());
}

TEST_F(AwsConfigTest, UnparsableFileIsNamed) {
  config("[default]\nregion\n");
  const Outcome out = resolve({"", "us-east-1"});
  EXPECT_EQ(out.error, "Unable to parse config file: " + (home_ / ".aws" / "config").string() +
                           " (line 2: expected 'key = value', a [section] or a comment)");
}

}  // namespace
}  // namespace iamdb::client
