// The control plane's HTTP server on an io_context run by two threads, as the server runs it.
#include "server/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace iamdb::server {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::string_view kRequest = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";

// An HttpServer on 127.0.0.1 with its io_context run by two threads; stops and joins on scope exit.
class RunningServer {
 public:
  explicit RunningServer(HttpLimits limits)
      : guard_(asio::make_work_guard(io_)),
        server_(io_, limits, [this](api::HttpRequest&& r) {
          ++requests_;
          api::HttpResponse res;
          res.content_type = "text/plain";
          res.body = "ok " + r.target;
          return res;
        }) {
    auto ok = server_.listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    EXPECT_TRUE(ok) << ok.error().message;
    server_.start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  uint16_t port() const { return server_.local_endpoint().port(); }
  int requests() const { return requests_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::atomic<int> requests_{0};
  HttpServer server_;
  std::vector<std::thread> threads_;
};

// Sends `request` on `socket` and reads one response (headers and a short body); empty if the
// server closed the connection instead.
std::string exchange(tcp::socket& socket, std::string_view request) {
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(request), ec);
  std::string got;
  char buf[1024];
  while (!ec && got.find("\r\n\r\n") == std::string::npos) {
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
  }
  if (ec) return got.empty() ? std::string() : got;
  // Content-Length is small here: read the rest of the body.
  const auto at = got.find("Content-Length: ");
  const size_t length = at == std::string::npos ? 0 : std::stoul(got.substr(at + 16));
  while (!ec && got.size() - (got.find("\r\n\r\n") + 4) < length) {
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
  }
  return got;
}

tcp::socket connect(asio::io_context& io, uint16_t port) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

TEST(HttpServer, AnswersRequestsOnAKeptAliveConnection) {
  RunningServer server(HttpLimits{});
  asio::io_context io;
  auto socket = connect(io, server.port());
  for (int i = 0; i < 3; ++i) {
    const std::string got = exchange(socket, kRequest);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
    EXPECT_TRUE(got.ends_with("ok /healthz")) << got;
  }
  EXPECT_EQ(server.requests(), 3);
}

// Requests that arrive just as a connection's header or idle timeout fires: the read's completion
// and the timer's handler must not run at once on the two threads (the server runs each
// connection on a strand of its own). Without the strands ThreadSanitizer reports the race here
// in every run (scripts/test.sh runs this test under it), and a debug build can hit Beast's
// assertion. Every request is answered in full or its connection is closed; nothing else.
TEST(HttpServer, RequestsArrivingAtTheTimeoutAreAnsweredOrCutCleanly) {
  HttpLimits limits;
  limits.header_timeout = 1s;
  limits.idle_timeout = 1s;
  RunningServer server(limits);
  std::atomic<int> answered{0}, cut{0}, garbled{0};
  const auto until = std::chrono::steady_clock::now() + 4s;
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random(c);
      std::uniform_int_distribution<int> jitter_us(-15000, 15000);
      asio::io_context io;
      while (std::chrono::steady_clock::now() < until) {
        auto socket = connect(io, server.port());
        // The first request against the header timeout, the second against the idle timeout.
        for (int i = 0; i < 2; ++i) {
          std::this_thread::sleep_for(1s + std::chrono::microseconds(jitter_us(random)));
          const std::string got = exchange(socket, kRequest);
          if (got.empty()) {
            ++cut;
            break;
          }
          if (got.starts_with("HTTP/1.1 200") && got.ends_with("ok /healthz"))
            ++answered;
          else
            ++garbled;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(garbled, 0);
  EXPECT_GT(answered + cut, 0);
}

}  // namespace
}  // namespace iamdb::server
