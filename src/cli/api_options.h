// The options every iamdb command that calls a running server shares, and the client they
// build: credentials and region from the AWS chain (`--profile`, environment, ~/.aws files),
// the endpoint from `--endpoint-url`, AWS_ENDPOINT_URL or the profile's `endpoint_url`; or,
// on the server's own machine, `--data-dir DIR`, which uses the administrator profile that
// `iamdb init` wrote to DIR/credentials.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "client/query_client.h"
#include "common/error.h"

namespace iamdb::cli {

struct ApiOptions {
  std::string profile;
  std::string region;
  std::string endpoint_url;
  std::string data_dir;
  std::string ca_bundle;

  void add_to(CLI::App* cmd);
  // Resolves credentials, region and endpoint; the message says what is missing.
  Result<client::QueryClientOptions> resolve() const;
  Result<client::QueryClient> client() const;
};

}  // namespace iamdb::cli
