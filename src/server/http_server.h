// The HTTP(S) listener of the control plane: the Query API, /healthz and /metrics.
//
// One coroutine per connection owns its socket and reads requests as straight-line code; the
// request logic is a plain function `HttpRequest -> HttpResponse` supplied by the caller and
// run on the io_context's threads, concurrently for different connections (it may block
// briefly: the control plane has its own threads, separate from the data plane's workers). Each
// connection's operations and timeouts run on a strand of their own. Slow or oversized requests
// are cut off: headers must arrive within `header_timeout`, bodies within `body_timeout`, bodies
// larger than `max_body_bytes` get 413, and connections beyond `max_connections` are closed at
// once.
//
// Lifetime: the HttpServer must outlive `stop()`; connections still open when it is destroyed
// hold the shared state they need and end at their next timeout or request.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "api/http.h"
#include "common/error.h"

namespace iamdb::server {

struct HttpLimits {
  uint64_t max_body_bytes = 1 << 20;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds idle_timeout{60};
  uint32_t max_connections = 1024;
};

using HttpHandler = std::function<api::HttpResponse(api::HttpRequest&&)>;

class HttpServer {
 public:
  // `tls` (may be null) must outlive the server; with it, every connection is HTTPS.
  HttpServer(boost::asio::io_context& io, HttpLimits limits, HttpHandler handler,
             boost::asio::ssl::context* tls = nullptr);
  ~HttpServer();

  // Binds and listens; the error says which address and why (for example: in use).
  Result<void> listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Starts accepting on the io_context.
  void start();
  // Stops accepting; open connections finish their current request and close.
  void stop();
  // Requests read and not yet answered (for draining at shutdown).
  uint32_t requests_in_flight() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace iamdb::server
