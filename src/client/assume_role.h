// Credentials for profiles with `role_arn`: AssumeRole with the profile's source credentials
// (`source_profile`, which may itself assume a role, or `credential_source = Environment`),
// against the STS endpoint the AWS chain names (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or the
// `endpoint_url` of the profile or of its source profiles), as the AWS CLI does.
//
// Temporary credentials are cached in ${XDG_CACHE_HOME:-~/.cache}/iamdb/sts/ (files 0600, one
// per role, session name, source key and endpoint) and reused until 15 minutes before they
// expire — long enough for an RDS auth token signed with them to stay valid for its 15 minutes.
#pragma once

#include <string>

#include "client/aws_config.h"
#include "common/clock.h"

namespace iamdb::client {

struct AssumeRoleRequest {
  std::string role_arn;
  std::string session_name;
  bool session_name_generated = false;  // not set in the profile: iamdb-session-<time>
  std::string external_id;
  int duration_seconds = 0;  // 0: the server's default (one hour)
  sigv4::Credentials source;
  std::string region;
  std::string endpoint_url;
};

struct TemporaryCredentials {
  sigv4::Credentials credentials;
  SystemTime expiration;
};

// Performs AssumeRole (through the Query API client, or from the cache).
class RoleAssumer {
 public:
  virtual ~RoleAssumer() = default;
  virtual Result<TemporaryCredentials> assume(const AssumeRoleRequest& request) = 0;
};

class StsRoleAssumer final : public RoleAssumer {
 public:
  // `cache_dir` empty: no cache.
  StsRoleAssumer(std::string cache_dir, const Clock& clock = SystemClock::instance())
      : cache_dir_(std::move(cache_dir)), clock_(clock) {}
  Result<TemporaryCredentials> assume(const AssumeRoleRequest& request) override;

  // ${XDG_CACHE_HOME:-$HOME/.cache}/iamdb/sts, or "" without a home.
  static std::string default_cache_dir(const Environment& env);

 private:
  std::string cache_dir_;
  const Clock& clock_;
};

// The credential chain with role_arn profiles resolved through `assumer` (source
// "assume-role"). Chains of roles are followed up to 10 deep; a loop is an error.
Result<ResolvedCredentials> resolve_credentials(const ClientContext& context, const Environment& env,
                                                RoleAssumer& assumer);

}  // namespace iamdb::client
