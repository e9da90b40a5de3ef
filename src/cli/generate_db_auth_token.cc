// `iamdb generate-db-auth-token`: prints an RDS IAM auth token, with the flags, credential chain
// and output of `aws rds generate-db-auth-token`.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "client/assume_role.h"
#include "client/aws_config.h"
#include "common/clock.h"
#include "token/token.h"

namespace iamdb::cli {
namespace {

struct GenerateOptions {
  std::string hostname;
  int port = 0;
  std::string username;
  client::ChainOptions chain;
};

int fail_with(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return 1;
}

int generate(const GenerateOptions& options) {
  const client::ProcessEnvironment env;
  auto context = client::load_client_context(env, options.chain);
  if (!context) return fail_with(context.error().message);
  auto region = client::resolve_region(*context, env, options.chain);
  if (!region) return fail_with(region.error().message);
  client::StsRoleAssumer assumer(client::StsRoleAssumer::default_cache_dir(env));
  auto credentials = client::resolve_credentials(*context, env, assumer);
  if (!credentials) return fail_with(credentials.error().message);

  const token::TokenSpec spec{options.hostname, static_cast<uint16_t>(options.port), *region,
                              options.username};
  const std::string token =
      token::build_token(spec, credentials->credentials, SystemClock::instance().now());
  std::printf("%s\n", token.c_str());
  return 0;
}

}  // namespace

void add_generate_db_auth_token(CLI::App& app, Runner& run) {
  auto options = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand(
      "generate-db-auth-token",
      "Generate an auth token used to connect to a database with IAM credentials (the same "
      "flags and output as `aws rds generate-db-auth-token`)");
  cmd->add_option("--hostname", options->hostname, "The hostname of the database to connect to")
      ->required();
  cmd->add_option("--port", options->port, "The port number the database is listening on")
      ->required()
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--username", options->username, "The username to log in as")->required();
  cmd->add_option("--region", options->chain.region,
                  "The region the database is in (default: AWS_REGION, AWS_DEFAULT_REGION, the "
                  "profile's region)");
  cmd->add_option("--profile", options->chain.profile,
                  "Use this profile from ~/.aws/credentials and ~/.aws/config");
  cmd->callback([&run, options] { run = [options] { return generate(*options); }; });
}

}  // namespace iamdb::cli
