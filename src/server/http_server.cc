// Boost.Beast HTTP/1.1 server: accept loop and one coroutine per connection.
#include "server/http_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace iamdb::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The io_context runs on several threads. Everything one connection does (its reads, writes and
// timeouts: Beast's streams allow one operation of each kind at a time and nothing concurrent)
// runs on a strand of its own, and the acceptor on another.
struct HttpServer::Shared {
  asio::io_context& io;
  HttpLimits limits;
  HttpHandler handler;
  asio::ssl::context* tls;
  tcp::acceptor acceptor;
  std::atomic<uint32_t> connections{0};
  std::atomic<uint32_t> in_flight{0};  // requests read and not yet answered
  std::atomic<bool> stopping{false};

  Shared(asio::io_context& io, HttpLimits l, HttpHandler h, asio::ssl::context* t)
      : io(io), limits(l), handler(std::move(h)), tls(t), acceptor(asio::make_strand(io)) {}
};

namespace {

// Decrements the open-connection count when a connection's coroutine ends.
struct ConnectionSlot {
  std::shared_ptr<HttpServer::Shared> shared;
  ~ConnectionSlot() { shared->connections.fetch_sub(1, std::memory_order_relaxed); }
};

// Counts a request from the end of its headers until its answer is written.
struct RequestSlot {
  std::atomic<uint32_t>& count;
  explicit RequestSlot(std::atomic<uint32_t>& c) : count(c) { count.fetch_add(1, std::memory_order_relaxed); }
  ~RequestSlot() { count.fetch_sub(1, std::memory_order_relaxed); }
};

http::response<http::string_body> to_beast(api::HttpResponse&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "iamdb");
  res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

api::HttpResponse plain_error(int status, std::string text) {
  api::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(text) + "\n";
  return r;
}

beast::tcp_stream& tcp_layer(beast::tcp_stream& s) { return s; }
beast::tcp_stream& tcp_layer(beast::ssl_stream<beast::tcp_stream>& s) { return s.next_layer(); }

std::string too_large(const HttpServer::Shared& shared) {
  return "request body larger than " + std::to_string(shared.limits.max_body_bytes) + " bytes";
}

// Answers a request that will not be read to its end, then closes gracefully: stop sending,
// and read and drop what the client still sends for a moment, so that closing with unread
// bytes does not reset the connection before the client has read the answer.
template <class Stream>
asio::awaitable<void> refuse(Stream& stream, std::shared_ptr<HttpServer::Shared> shared, int status, std::string text) {
  auto res = to_beast(plain_error(status, std::move(text)), 11, false);
  tcp_layer(stream).expires_after(shared->limits.body_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, res, kTuple);
  (void)written;
  if (write_ec) co_return;
  beast::error_code ec;
  tcp_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  tcp_layer(stream).expires_after(std::chrono::seconds(2));
  char sink[4096];
  for (size_t drained = 0; drained < (1u << 20);) {
    auto [read_ec, n] = co_await tcp_layer(stream).async_read_some(asio::buffer(sink), kTuple);
    if (read_ec) break;
    drained += n;
  }
}

template <class Stream>
asio::awaitable<void> serve_requests(std::shared_ptr<HttpServer::Shared> shared, Stream& stream, std::string remote,
                                     bool tls) {
  beast::flat_buffer buffer;
  bool first = true;
  while (!shared->stopping.load(std::memory_order_relaxed)) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(shared->limits.max_body_bytes);
    tcp_layer(stream).expires_after(first ? shared->limits.header_timeout : shared->limits.idle_timeout);
    first = false;
    auto [header_ec, header_n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    (void)header_n;
    if (header_ec) {
      if (header_ec == http::error::header_limit)
        co_await refuse(stream, shared, 431, "request headers too large");
      else if (header_ec == http::error::body_limit)  // a Content-Length over the limit
        co_await refuse(stream, shared, 413, too_large(*shared));
      co_return;  // timeout, closed, or garbage: nothing more to say
    }
    RequestSlot request_slot(shared->in_flight);
    tcp_layer(stream).expires_after(shared->limits.body_timeout);
    auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kTuple);
    (void)body_n;
    if (body_ec) {
      if (body_ec == http::error::body_limit) co_await refuse(stream, shared, 413, too_large(*shared));
      co_return;
    }
    http::request<http::string_body> req = parser.release();
    api::HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    request.body = std::move(req.body());
    request.remote_address = remote;
    request.tls = tls;
    const bool keep_alive = req.keep_alive();
    auto res = to_beast(shared->handler(std::move(request)), req.version(), keep_alive);
    tcp_layer(stream).expires_after(shared->limits.body_timeout);
    auto [write_ec, write_n] = co_await http::async_write(stream, res, kTuple);
    (void)write_n;
    if (write_ec || !keep_alive) co_return;
  }
}

asio::awaitable<void> serve_plain(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket, std::string remote) {
  ConnectionSlot slot{shared};
  beast::tcp_stream stream(std::move(socket));
  co_await serve_requests(shared, stream, std::move(remote), false);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> serve_tls(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket, std::string remote) {
  ConnectionSlot slot{shared};
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *shared->tls);
  tcp_layer(stream).expires_after(shared->limits.header_timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (ec) co_return;
  co_await serve_requests(shared, stream, std::move(remote), true);
  tcp_layer(stream).expires_after(std::chrono::seconds(5));
  co_await stream.async_shutdown(kTuple);
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::Shared> shared) {
  for (;;) {
    auto [ec, socket] =
        co_await shared->acceptor.async_accept(asio::any_io_executor(asio::make_strand(shared->io)), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !shared->acceptor.is_open()) co_return;
      continue;  // e.g. EMFILE: the client is dropped, the listener goes on
    }
    if (shared->connections.fetch_add(1, std::memory_order_relaxed) >= shared->limits.max_connections) {
      shared->connections.fetch_sub(1, std::memory_order_relaxed);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    beast::error_code ep_ec;
    const auto remote_ep = socket.remote_endpoint(ep_ec);
    std::string remote = ep_ec ? std::string() : remote_ep.address().to_string();
    socket.set_option(tcp::no_delay(true), ep_ec);
    auto executor = socket.get_executor();
    if (shared->tls)
      asio::co_spawn(executor, serve_tls(shared, std::move(socket), std::move(remote)), asio::detached);
    else
      asio::co_spawn(executor, serve_plain(shared, std::move(socket), std::move(remote)), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpLimits limits, HttpHandler handler, asio::ssl::context* tls)
    : shared_(std::make_shared<Shared>(io, limits, std::move(handler), tls)) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  auto& a = shared_->acceptor;
  const std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  if (a.open(endpoint.protocol(), ec); ec) return fail("cannot open a socket for ", where, ": ", ec.message());
  a.set_option(asio::socket_base::reuse_address(true), ec);
  if (a.bind(endpoint, ec); ec) {
    beast::error_code ignored;
    a.close(ignored);
    return fail("cannot listen on ", where, ": ", ec.message(),
                ec == asio::error::address_in_use
                    ? " (another program, perhaps another iamdb server, uses this port: stop it, or choose another "
                      "port with [api] listen in iamdb.toml)"
                    : "");
  }
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
    return fail("cannot listen on ", where, ": ", ec.message());
  return {};
}

tcp::endpoint HttpServer::local_endpoint() const {
  beast::error_code ec;
  return shared_->acceptor.local_endpoint(ec);
}

void HttpServer::start() { asio::co_spawn(shared_->acceptor.get_executor(), accept_loop(shared_), asio::detached); }

void HttpServer::stop() {
  shared_->stopping.store(true);
  asio::post(shared_->acceptor.get_executor(), [shared = shared_] {
    beast::error_code ignored;
    shared->acceptor.close(ignored);
  });
}

uint32_t HttpServer::requests_in_flight() const { return shared_->in_flight.load(std::memory_order_relaxed); }

}  // namespace iamdb::server
