// A client of the AWS Query API (form-encoded POST, SigV4 header signing, XML answers), as the
// AWS CLI speaks it, for iamdb's own commands: `iamdb instance`, `iamdb sessions`,
// `iamdb connect`, and AssumeRole for profiles with `role_arn`.
//
// One request per call, over a fresh connection (http:// or https://, the latter verifying the
// server's certificate against the system store or a given CA file). Answers come back as an
// XML tree; AWS error bodies become an Error whose message reads as the AWS CLI prints it:
// "An error occurred (NoSuchEntity) when calling the GetUser operation: ...".
//
// Thread-safety: a QueryClient is immutable after construction; calls may run concurrently.
#pragma once

#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "sigv4/signer.h"

namespace iamdb::client {

using Xml = boost::property_tree::ptree;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct QueryClientOptions {
  std::string endpoint_url;  // http://host:port or https://host:port, no path
  std::string region = "us-east-1";
  sigv4::Credentials credentials;
  std::string ca_file;  // https: trust this CA (PEM) instead of the system's
  std::chrono::seconds timeout{30};
};

class QueryClient {
 public:
  explicit QueryClient(QueryClientOptions options, const Clock& clock = SystemClock::instance())
      : options_(std::move(options)), clock_(clock) {}

  // Calls `action` of `service` ("iam", "sts", "rds") with `params` (Action and Version are
  // added). Returns the <ActionResult> element of the answer (empty if the action has none).
  Result<Xml> call(std::string_view service, std::string_view action, const QueryParams& params) const;

 private:
  QueryClientOptions options_;
  const Clock& clock_;
};

// The API version each service's actions are called with.
std::string_view api_version(std::string_view service);

// Children of `xml` named `name`, in order (Query API lists: <member>, <DBInstance>, ...).
std::vector<const Xml*> children(const Xml& xml, std::string_view name);
// The text of the element at `path` ("DBInstance.Endpoint.Address"), or "".
std::string text_at(const Xml& xml, const std::string& path);

}  // namespace iamdb::client
