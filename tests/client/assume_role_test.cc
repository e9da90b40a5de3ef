// role_arn profiles: which source credentials assume which role against which endpoint, chains
// of roles, loops, and the AWS CLI's precedence of environment keys. The STS call itself is the
// RoleAssumer interface here; the real one runs against a real server in the integration tests.
#include "client/assume_role.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace iamdb::client {
namespace {

// Records every AssumeRole asked of it and answers with credentials named after the role.
class RecordingAssumer final : public RoleAssumer {
 public:
  Result<TemporaryCredentials> assume(const AssumeRoleRequest& r) override {
    calls.push_back(r);
    return TemporaryCredentials{{"ASIA-" + r.role_arn, "secret", "token"}, SystemTime{}};
  }
  std::vector<AssumeRoleRequest> calls;
};

class AssumeRoleTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.set("AWS_CONFIG_FILE", (dir_.path() / "config").string());
                          env_.set("AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "credentials").string()); }
  void config(std::string_view text) { std::ofstream(dir_.path() / "config") << text; }
  Result<ResolvedCredentials> resolve(const std::string& profile) {
    auto context = load_client_context(env_, {profile, ""});
    if (!context) return std::unexpected(context.error());
    return resolve_credentials(*context, env_, assumer_);
  }

  testing::TempDir dir_;
  MapEnvironment env_;
  RecordingAssumer assumer_;
};

TEST_F(AssumeRoleTest, SourceProfileKeysAssumeTheRoleAtTheProfilesEndpoint) {
  config("[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"
         "[profile db]\nrole_arn = arn:aws:iam::123456789012:role/db\nsource_profile = base\n"
         "role_session_name = me\nexternal_id = x-1\nduration_seconds = 1800\nregion = eu-west-1\n"
         "endpoint_url = http://127.0.0.1:8750\n");
  auto r = resolve("db");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->source, "assume-role");
  EXPECT_EQ(r->credentials.access_key_id, "ASIA-arn:aws:iam::123456789012:role/db");
  ASSERT_EQ(assumer_.calls.size(), 1u);
  const AssumeRoleRequest& call = assumer_.calls[0];
  EXPECT_EQ(call.source.access_key_id, "AKIABASE");
  EXPECT_EQ(call.session_name, "me");
  EXPECT_FALSE(call.session_name_generated);
  EXPECT_EQ(call.external_id, "x-1");
  EXPECT_EQ(call.duration_seconds, 1800);
  EXPECT_EQ(call.region, "eu-west-1");
  EXPECT_EQ(call.endpoint_url, "http://127.0.0.1:8750");
}

TEST_F(AssumeRoleTest, ChainsOfRolesAssumeInOrder) {
  config("[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\nendpoint_url = http://e\n"
         "[profile first]\nrole_arn = arn:aws:iam::1:role/first\nsource_profile = base\n"
         "[profile second]\nrole_arn = arn:aws:iam::1:role/second\nsource_profile = first\n");
  auto r = resolve("second");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(assumer_.calls.size(), 2u);
  EXPECT_EQ(assumer_.calls[0].role_arn, "arn:aws:iam::1:role/first");
  EXPECT_EQ(assumer_.calls[1].source.access_key_id, "ASIA-arn:aws:iam::1:role/first");
  EXPECT_TRUE(assumer_.calls[1].session_name_generated);
}

TEST_F(AssumeRoleTest, ProblemsAreNamed) {
  config("[profile loop1]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop2\n"
         "[profile loop2]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop1\n"
         "[profile nosource]\nrole_arn = arn:aws:iam::1:role/a\n"
         "[profile missing]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = nowhere\n"
         "[profile noendpoint]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = keys\n"
         "[profile keys]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"
         "[profile ec2]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Ec2InstanceMetadata\n");
  const std::pair<const char*, const char*> cases[] = {
      {"loop1", "loop"},
      {"nosource", "neither source_profile nor credential_source"},
      {"missing", "does not exist"},
      {"noendpoint", "endpoint_url"},
      {"ec2", "Ec2InstanceMetadata"},
  };
  for (const auto& [profile, want] : cases) {
    auto r = resolve(profile);
    ASSERT_FALSE(r) << profile;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << profile << ": " << r.error().message;
  }
}

TEST_F(AssumeRoleTest, EnvironmentKeysWinUnlessTheProfileIsNamed) {
  config("[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"
         "[profile db]\nrole_arn = arn:aws:iam::1:role/db\nsource_profile = base\nendpoint_url = http://e\n");
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env_.set("AWS_PROFILE", "db");
  auto from_env = load_client_context(env_, {});
  ASSERT_TRUE(from_env);
  auto r = resolve_credentials(*from_env, env_, assumer_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->credentials.access_key_id, "AKIAENV");
  EXPECT_TRUE(assumer_.calls.empty());
  auto named = resolve("db");
  ASSERT_TRUE(named);
  EXPECT_EQ(assumer_.calls.size(), 1u);
}

TEST_F(AssumeRoleTest, CredentialSourceEnvironment) {
  config("[profile db]\nrole_arn = arn:aws:iam::1:role/db\ncredential_source = Environment\nendpoint_url = http://e\n");
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  auto r = resolve("db");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(assumer_.calls.at(0).source.access_key_id, "AKIAENV");
}

}  // namespace
}  // namespace iamdb::client
