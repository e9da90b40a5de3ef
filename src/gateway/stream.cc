// Awaitable reads and writes over a socket, with OpenSSL on the descriptor for TLS.
#include "gateway/stream.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace iamdb::gateway {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

int clamp_int(size_t n) { return n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n); }

std::string openssl_reasons() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    out += reason ? reason : text;
  }
  return out;
}

}  // namespace

Stream::Stream(Socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

Stream::Stream(Stream&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      write_interrupted_(other.write_interrupted_) {}

Stream::~Stream() {
  if (ssl_) SSL_free(ssl_);
}

std::string_view Stream::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

Error Stream::tls_error(std::string_view what, int code) {
  std::string reasons = openssl_reasons();
  if (code == SSL_ERROR_SYSCALL && reasons.empty())
    reasons = errno != 0 ? std::strerror(errno) : "the peer closed the connection";
  if (ssl_ && SSL_get_verify_result(ssl_) != X509_V_OK)
    reasons += (reasons.empty() ? "" : ": ") + std::string(X509_verify_cert_error_string(SSL_get_verify_result(ssl_)));
  if (reasons.empty()) reasons = "error " + std::to_string(code);
  return Error{std::string(what) + ": " + reasons};
}

asio::awaitable<Result<void>> Stream::wait_for(Want want) {
  auto [ec] = co_await socket_.async_wait(want == Want::kRead ? Socket::wait_read : Socket::wait_write, kTuple);
  if (ec == asio::error::operation_aborted) co_return fail("cancelled");
  if (ec) co_return fail(ec.message());
  co_return Result<void>{};
}

asio::awaitable<Result<void>> Stream::handshake(bool server) {
  for (;;) {
    ERR_clear_error();
    const int r = server ? SSL_accept(ssl_) : SSL_connect(ssl_);
    if (r == 1) co_return Result<void>{};
    const int code = SSL_get_error(ssl_, r);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      auto ready = co_await wait_for(code == SSL_ERROR_WANT_READ ? Want::kRead : Want::kWrite);
      if (!ready) co_return std::unexpected(Error{"TLS handshake: " + ready.error().message});
      continue;
    }
    co_return std::unexpected(tls_error("TLS handshake", code));
  }
}

asio::awaitable<Result<void>> Stream::accept_tls(SSL_CTX* context) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  ssl_ = SSL_new(context);
  if (!ssl_ || SSL_set_fd(ssl_, socket_.native_handle()) != 1) co_return std::unexpected(tls_error("TLS set-up", 0));
  co_return co_await handshake(true);
}

asio::awaitable<Result<void>> Stream::connect_tls(SSL_CTX* context, std::string host) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  ssl_ = SSL_new(context);
  if (!ssl_ || SSL_set_fd(ssl_, socket_.native_handle()) != 1) co_return std::unexpected(tls_error("TLS set-up", 0));
  if (!host.empty()) {
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    const bool verify = (SSL_CTX_get_verify_mode(context) & SSL_VERIFY_PEER) != 0;
    if (not_ip) {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      if (verify && SSL_set1_host(ssl_, host.c_str()) != 1) co_return std::unexpected(tls_error("TLS set-up", 0));
    } else if (verify && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str()) != 1) {
      co_return std::unexpected(tls_error("TLS set-up", 0));
    }
  }
  co_return co_await handshake(false);
}

asio::awaitable<Result<size_t>> Stream::read_some(std::span<char> into) {
  if (into.empty()) co_return size_t{0};
  if (!ssl_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(into.data(), into.size()), kTuple);
    if (ec == asio::error::eof) co_return size_t{0};
    if (ec == asio::error::operation_aborted) co_return fail("cancelled");
    if (ec) co_return fail(ec.message());
    co_return n;
  }
  for (;;) {
    ERR_clear_error();
    const int r = SSL_read(ssl_, into.data(), clamp_int(into.size()));
    if (r > 0) co_return static_cast<size_t>(r);
    const int code = SSL_get_error(ssl_, r);
    if (code == SSL_ERROR_ZERO_RETURN) co_return size_t{0};
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      auto ready = co_await wait_for(code == SSL_ERROR_WANT_READ ? Want::kRead : Want::kWrite);
      if (!ready) co_return std::unexpected(ready.error());
      continue;
    }
    if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && (errno == 0 || errno == ECONNRESET))
      co_return size_t{0};
    co_return std::unexpected(tls_error("TLS read", code));
  }
}

asio::awaitable<Result<void>> Stream::write_all(std::string_view bytes) {
  if (bytes.empty()) co_return Result<void>{};
  if (!ssl_) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kTuple);
    if (!ec) co_return Result<void>{};
    if (n > 0) write_interrupted_ = true;
    if (ec == asio::error::operation_aborted) co_return fail("cancelled");
    co_return fail(ec.message());
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ERR_clear_error();
    const int r = SSL_write(ssl_, bytes.data() + done, clamp_int(bytes.size() - done));
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    const int code = SSL_get_error(ssl_, r);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      auto ready = co_await wait_for(code == SSL_ERROR_WANT_READ ? Want::kRead : Want::kWrite);
      if (!ready) {
        write_interrupted_ = true;
        co_return std::unexpected(ready.error());
      }
      continue;
    }
    write_interrupted_ = true;
    co_return std::unexpected(tls_error("TLS write", code));
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> Stream::wait_readable() {
  if (ssl_ && SSL_has_pending(ssl_)) co_return Result<void>{};
  co_return co_await wait_for(Want::kRead);
}

void Stream::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void Stream::shutdown() {
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
}

void Stream::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool Stream::readable_now() {
  if (ssl_ && SSL_has_pending(ssl_)) return true;
  char byte;
  const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  return true;
}

Stream::Detached Stream::detach() {
  Detached d;
  boost::system::error_code ec;
  d.family = socket_.local_endpoint(ec).protocol().family();
  d.fd = socket_.release(ec);
  if (ec) d.fd = -1;
  d.ssl = std::exchange(ssl_, nullptr);
  return d;
}

Stream Stream::attach(asio::io_context& io, Detached d) {
  const int protocol = d.family == AF_UNIX ? 0 : IPPROTO_TCP;
  Socket socket(io, asio::generic::stream_protocol(d.family, protocol), d.fd);
  Stream stream(std::move(socket));
  stream.ssl_ = d.ssl;
  return stream;
}

void Stream::discard(Detached d) {
  if (d.ssl) SSL_free(d.ssl);
  if (d.fd >= 0) ::close(d.fd);
}

}  // namespace iamdb::gateway
