// Awaitable reads and writes over a socket, with OpenSSL writing to the descriptor and reading
// from a buffer of ciphertext for TLS.
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

// True if the socket has bytes to read or has been closed by the peer, checked without blocking.
bool socket_readable(int fd) {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  return true;
}

// Room for a TLS record's worth of ciphertext per socket read.
constexpr size_t kCiphertextBuffer = 17 * 1024;

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

// OpenSSL's read side: a source BIO handing out the Stream's buffered ciphertext. With none
// left it asks OpenSSL to retry (SSL_ERROR_WANT_READ), and the Stream reads the socket.
struct ReadBio {
  static int read(BIO* bio, char* out, int size) {
    BIO_clear_retry_flags(bio);
    auto* s = static_cast<Stream*>(BIO_get_data(bio));
    if (s == nullptr || size <= 0) return 0;
    if (s->has_ciphertext()) {
      const size_t n = std::min(static_cast<size_t>(size), s->cipher_end_ - s->cipher_begin_);
      std::memcpy(out, s->cipher_.get() + s->cipher_begin_, n);
      s->cipher_begin_ += n;
      return static_cast<int>(n);
    }
    if (!s->read_failure_.empty()) return -1;
    if (s->read_ended_) {
      errno = 0;  // an end of stream, which tls_error words as such (no stale errno)
      return 0;
    }
    BIO_set_retry_read(bio);
    return -1;
  }

  static long ctrl(BIO* bio, int command, long, void*) {
    auto* s = static_cast<Stream*>(BIO_get_data(bio));
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
        return s ? static_cast<long>(s->cipher_end_ - s->cipher_begin_) : 0;
      case BIO_CTRL_EOF:
        return s && !s->has_ciphertext() && s->read_ended_ ? 1 : 0;
      default:
        return 0;
    }
  }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "iamdb ciphertext");
      if (made) {
        BIO_meth_set_read(made, &ReadBio::read);
        BIO_meth_set_ctrl(made, &ReadBio::ctrl);
        BIO_meth_set_create(made, &ReadBio::create);
      }
      return made;
    }();
    return m;
  }
};

Stream::Stream(Socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

Stream::Stream(Stream&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      write_interrupted_(other.write_interrupted_),
      cipher_(std::move(other.cipher_)),
      cipher_begin_(std::exchange(other.cipher_begin_, 0)),
      cipher_end_(std::exchange(other.cipher_end_, 0)),
      read_ended_(other.read_ended_),
      read_failure_(std::move(other.read_failure_)) {
  bind_read_bio();
}

Stream::~Stream() {
  if (ssl_) SSL_free(ssl_);
}

std::string_view Stream::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

Error Stream::tls_error(std::string_view what, int code) {
  std::string reasons = openssl_reasons();
  if (code == SSL_ERROR_SYSCALL && reasons.empty())
    reasons = errno != 0 ? std::strerror(errno) : "the peer closed the connection";
  if (code == SSL_ERROR_ZERO_RETURN && reasons.empty()) reasons = "the peer closed the connection";
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
      Result<void> ready;  // (co_await in a conditional expression miscompiles with GCC 12)
      if (code == SSL_ERROR_WANT_READ)
        ready = co_await fill_ciphertext();
      else
        ready = co_await wait_for(Want::kWrite);
      if (!ready) co_return std::unexpected(Error{"TLS handshake: " + ready.error().message});
      continue;
    }
    if (!read_failure_.empty()) co_return std::unexpected(Error{"TLS handshake: " + read_failure_});
    co_return std::unexpected(tls_error("TLS handshake", code));
  }
}

Result<void> Stream::start_tls(SSL_CTX* context) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  ssl_ = SSL_new(context);
  if (!ssl_) return std::unexpected(tls_error("TLS set-up", 0));
  BIO* read = ReadBio::method() ? BIO_new(ReadBio::method()) : nullptr;
  BIO* write = BIO_new_socket(socket_.native_handle(), BIO_NOCLOSE);
  if (!read || !write) {
    BIO_free(read);
    BIO_free(write);
    return std::unexpected(tls_error("TLS set-up", 0));
  }
  SSL_set_bio(ssl_, read, write);
  bind_read_bio();
  return {};
}

void Stream::bind_read_bio() {
  if (ssl_) BIO_set_data(SSL_get_rbio(ssl_), this);
}

asio::awaitable<Result<void>> Stream::fill_ciphertext() {
  if (!read_failure_.empty()) co_return fail(read_failure_);
  if (read_ended_) co_return Result<void>{};  // OpenSSL reads the end next
  if (has_ciphertext()) co_return Result<void>{};  // OpenSSL takes what is there first
  if (!cipher_) cipher_.reset(new char[kCiphertextBuffer]);
  cipher_begin_ = cipher_end_ = 0;
  auto [ec, n] = co_await socket_.async_read_some(asio::buffer(cipher_.get(), kCiphertextBuffer), kTuple);
  if (ec == asio::error::eof || (!ec && n == 0) || ec == asio::error::connection_reset) {
    read_ended_ = true;
    co_return Result<void>{};
  }
  if (ec == asio::error::operation_aborted) co_return fail("cancelled");
  if (ec) {
    read_failure_ = ec.message();
    co_return fail(read_failure_);
  }
  cipher_end_ += n;
  co_return Result<void>{};
}

void Stream::release_ciphertext_buffer() {
  if (has_ciphertext()) return;
  cipher_.reset();
  cipher_begin_ = cipher_end_ = 0;
}

asio::awaitable<Result<void>> Stream::accept_tls(SSL_CTX* context) {
  if (auto ok = start_tls(context); !ok) co_return ok;
  co_return co_await handshake(true);
}

asio::awaitable<Result<void>> Stream::connect_tls(SSL_CTX* context, std::string host) {
  if (auto ok = start_tls(context); !ok) co_return ok;
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
      Result<void> ready;
      if (code == SSL_ERROR_WANT_READ)
        ready = co_await fill_ciphertext();
      else
        ready = co_await wait_for(Want::kWrite);
      if (!ready) co_return std::unexpected(ready.error());
      continue;
    }
    if (!read_failure_.empty()) co_return fail(read_failure_);
    if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && (read_ended_ || errno == 0 || errno == ECONNRESET))
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
  if (ssl_ && (SSL_has_pending(ssl_) || has_ciphertext() || read_ended_ || !read_failure_.empty()))
    co_return Result<void>{};
  release_ciphertext_buffer();  // an idle connection holds no buffer
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
  if (ssl_ && (SSL_has_pending(ssl_) || has_ciphertext() || read_ended_ || !read_failure_.empty())) return true;
  return socket_readable(socket_.native_handle());
}

bool Stream::readable_now(const Detached& d) {
  if (d.ssl && (SSL_has_pending(d.ssl) || !d.ciphertext.empty())) return true;
  return socket_readable(d.fd);
}

Stream::Detached Stream::detach() {
  Detached d;
  boost::system::error_code ec;
  d.family = socket_.local_endpoint(ec).protocol().family();
  d.fd = socket_.release(ec);
  if (ec) d.fd = -1;
  d.ssl = std::exchange(ssl_, nullptr);
  if (d.ssl) {
    BIO_set_data(SSL_get_rbio(d.ssl), nullptr);
    if (has_ciphertext()) d.ciphertext.assign(cipher_.get() + cipher_begin_, cipher_end_ - cipher_begin_);
  }
  cipher_.reset();
  cipher_begin_ = cipher_end_ = 0;
  return d;
}

Stream Stream::attach(asio::io_context& io, Detached d) {
  const int protocol = d.family == AF_UNIX ? 0 : IPPROTO_TCP;
  Socket socket(io, asio::generic::stream_protocol(d.family, protocol), d.fd);
  Stream stream(std::move(socket));
  stream.ssl_ = d.ssl;
  if (!d.ciphertext.empty()) {
    stream.cipher_.reset(new char[std::max(kCiphertextBuffer, d.ciphertext.size())]);  // never smaller
    std::memcpy(stream.cipher_.get(), d.ciphertext.data(), d.ciphertext.size());
    stream.cipher_end_ = d.ciphertext.size();
  }
  stream.bind_read_bio();
  return stream;
}

void Stream::discard(Detached d) {
  if (d.ssl) SSL_free(d.ssl);
  if (d.fd >= 0) ::close(d.fd);
}

}  // namespace iamdb::gateway
