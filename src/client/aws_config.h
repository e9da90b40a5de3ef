// The AWS credential and configuration chain, resolved as the AWS CLI v2 resolves it for
// `aws rds generate-db-auth-token` (botocore's session, credential resolver and config loader):
//
//   files     AWS_CONFIG_FILE (default ~/.aws/config) with `[profile NAME]` and `[default]`
//             sections; AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) with `[NAME]`
//             sections. A missing file is empty. A profile's settings are its config section
//             overlaid with its credentials section.
//   profile   --profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default". A profile
//             named by the flag or the environment must exist in one of the files. (AWS CLI v1
//             reads AWS_DEFAULT_PROFILE before AWS_PROFILE.)
//   region    --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region`.
//             (AWS CLI v1 does not read AWS_REGION.)
//   credentials, the first that applies:
//             1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SECURITY_TOKEN or
//                AWS_SESSION_TOKEN), unless --profile was given: an explicit profile disables
//                the environment's credentials;
//             2. the profile's `role_arn`: AssumeRole, in client/assume_role.h (the
//                two-argument resolve_credentials() here refuses such profiles, naming them);
//             3. `web_identity_token_file`, SSO (`sso_start_url`/`sso_session`): refused;
//             4. the credentials file section: aws_access_key_id, aws_secret_access_key,
//                aws_session_token (or aws_security_token);
//             5. `credential_process`: refused;
//             6. the same keys in the config file's profile section.
//   endpoint  AWS_ENDPOINT_URL, else the profile's `endpoint_url`.
//
// Error messages are the AWS CLI's, word for word where it has one. The functions read files
// and the given Environment; they keep no state and may run on any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "client/environment.h"
#include "client/ini.h"
#include "common/error.h"
#include "sigv4/signer.h"

namespace iamdb::client {

inline constexpr std::string_view kNoCredentialsMessage =
    "Unable to locate credentials. You can configure credentials by running \"aws configure\".";
inline constexpr std::string_view kNoRegionMessage =
    "You must specify a region. You can also configure your region by running \"aws configure\".";

struct SharedFiles {
  std::string config_path;
  std::string credentials_path;
  IniDocument config;
  IniDocument credentials;
};

// Reads both files. Fails with "Unable to parse config file: PATH (line N: ...)".
Result<SharedFiles> load_shared_files(const Environment& env);

struct Profile {
  std::string name;
  bool exists = false;  // has a section in either file
  // Config-file settings overlaid with credentials-file settings, keys lower-case.
  std::map<std::string, std::string, std::less<>> settings;

  std::optional<std::string> get(std::string_view key) const;
  // Settings the chain and the AssumeRole support read; empty when absent.
  std::string region() const { return get("region").value_or(""); }
  std::string role_arn() const { return get("role_arn").value_or(""); }
  std::string source_profile() const { return get("source_profile").value_or(""); }
  std::string credential_source() const { return get("credential_source").value_or(""); }
  std::string role_session_name() const { return get("role_session_name").value_or(""); }
  std::string external_id() const { return get("external_id").value_or(""); }
  std::string endpoint_url() const { return get("endpoint_url").value_or(""); }
};

// The profile as botocore's merged config sees it; `[profile default]` and `[default]` both name
// "default" in the config file (the later section wins).
Profile find_profile(const SharedFiles& files, std::string_view name);

// What the command line said; empty when not given.
struct ChainOptions {
  std::string profile;  // --profile
  std::string region;   // --region
};

// The files and the selected profile: what resolve_region() and resolve_credentials() work from,
// and what AssumeRole support needs (role_arn, source_profile, ...).
struct ClientContext {
  SharedFiles files;
  std::string profile_name;
  bool profile_from_flag = false;
  Profile profile;
  std::string endpoint_url;
};

// Fails when a file cannot be parsed or a named profile does not exist:
// "The config profile (NAME) could not be found".
Result<ClientContext> load_client_context(const Environment& env, const ChainOptions& options);

// Fails with kNoRegionMessage.
Result<std::string> resolve_region(const ClientContext& context, const Environment& env,
                                   const ChainOptions& options);

struct ResolvedCredentials {
  sigv4::Credentials credentials;
  std::string source;  // "env", "shared-credentials-file" or "config-file" (botocore's names)
};

// Fails with kNoCredentialsMessage when nothing applies, "Partial credentials found in SOURCE,
// missing: NAME" when a key id comes without its secret, or a message naming the profile when it
// needs a way of getting credentials that iamdb does not support (role_arn, SSO, web identity,
// credential_process).
Result<ResolvedCredentials> resolve_credentials(const ClientContext& context,
                                                const Environment& env);

// Static keys of one profile (credentials file first, then config file), as a source_profile
// provides them; nullopt when the profile has none.
Result<std::optional<sigv4::Credentials>> static_profile_credentials(const SharedFiles& files,
                                                                     std::string_view profile);

}  // namespace iamdb::client
