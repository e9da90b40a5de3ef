// HTTP requests and responses as the API logic sees them: plain values with no socket or
// parser attached, so `handle(request) -> response` is testable without a network. The server
// converts to and from Boost.Beast at its edge.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iamdb::api {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // raw path and query, as sent: "/?Action=..."
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  std::string remote_address;  // client IP, no port
  bool tls = false;

  // The first header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // target after '?', or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/xml";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace iamdb::api
