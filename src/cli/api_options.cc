// Building a Query API client from the command line and the AWS chain.
#include "cli/api_options.h"

#include <filesystem>
#include <map>

#include "client/assume_role.h"
#include "client/aws_config.h"
#include "client/environment.h"

namespace iamdb::cli {
namespace {

// The process environment with some variables replaced or removed.
class OverlayEnvironment final : public client::Environment {
 public:
  void set(std::string name, std::optional<std::string> value) { overrides_[std::move(name)] = std::move(value); }
  std::optional<std::string> get(std::string_view name) const override {
    if (const auto it = overrides_.find(name); it != overrides_.end()) return it->second;
    return base_.get(name);
  }

 private:
  client::ProcessEnvironment base_;
  std::map<std::string, std::optional<std::string>, std::less<>> overrides_;
};

}  // namespace

void ApiOptions::add_to(CLI::App* cmd) {
  cmd->add_option("--profile", profile, "AWS profile whose credentials sign the requests");
  cmd->add_option("--region", region, "Region to sign for (default: the profile's, or us-east-1)");
  cmd->add_option("--endpoint-url", endpoint_url, "The iamdb server's API URL (default: AWS_ENDPOINT_URL or the "
                                                  "profile's endpoint_url)");
  cmd->add_option("--data-dir", data_dir, "On the server's machine: use the administrator credentials that "
                                          "`iamdb init` wrote to DIR/credentials");
  cmd->add_option("--ca-bundle", ca_bundle, "CA certificate (PEM) to trust for an https:// endpoint");
}

Result<client::QueryClientOptions> ApiOptions::resolve() const {
  OverlayEnvironment env;
  client::ChainOptions chain{profile, region};
  if (!data_dir.empty()) {
    const auto credentials = std::filesystem::absolute(data_dir) / "credentials";
    if (!std::filesystem::exists(credentials))
      return fail(credentials.string(), " does not exist: --data-dir must name a directory made by `iamdb init`");
    env.set("AWS_SHARED_CREDENTIALS_FILE", credentials.string());
    env.set("AWS_CONFIG_FILE", "/dev/null");
    for (const char* var : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"})
      env.set(var, std::nullopt);
    if (chain.profile.empty()) chain.profile = "iamdb-admin";
  }
  auto context = client::load_client_context(env, chain);
  if (!context) return std::unexpected(context.error());
  client::StsRoleAssumer assumer(client::StsRoleAssumer::default_cache_dir(env));
  auto credentials = client::resolve_credentials(*context, env, assumer);
  if (!credentials) return std::unexpected(credentials.error());
  client::QueryClientOptions o;
  o.credentials = credentials->credentials;
  auto resolved_region = client::resolve_region(*context, env, chain);
  o.region = resolved_region ? *resolved_region : "us-east-1";
  o.endpoint_url = !endpoint_url.empty() ? endpoint_url
                   : env.non_empty("AWS_ENDPOINT_URL") ? *env.non_empty("AWS_ENDPOINT_URL")
                                                       : context->endpoint_url;
  if (o.endpoint_url.empty())
    return fail("which iamdb server? Give --endpoint-url http://HOST:PORT (the server's API), set "
                "AWS_ENDPOINT_URL, add endpoint_url to the profile, or use --data-dir on the server's machine");
  o.ca_file = ca_bundle;
  return o;
}

Result<client::QueryClient> ApiOptions::client() const {
  auto options = resolve();
  if (!options) return std::unexpected(options.error());
  return client::QueryClient(std::move(*options));
}

}  // namespace iamdb::cli
