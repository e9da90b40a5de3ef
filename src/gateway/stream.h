// One end of a gateway connection as awaitable byte operations: a TCP or Unix stream socket,
// plaintext or TLS, the TLS done by OpenSSL on buffers this class feeds.
//
// Why not asio::ssl::stream: it keeps two 17 KiB buffers of its own per connection, and OpenSSL
// keeps two more for its BIO pair, so an idle TLS client would cost more than 64 KiB. Here
// OpenSSL writes to the (non-blocking) socket itself and releases its record buffers while the
// connection is idle (SSL_MODE_RELEASE_BUFFERS); it reads ciphertext from a buffer this class
// fills with the event loop's own reads, released when the connection waits idle
// (`wait_readable`) or is detached, and the caller brings the buffers it reads into only when
// `wait_readable` says there is something to read.
// Reading that way costs one receive per burst of records, where OpenSSL reading the socket
// itself would cost a failed read, a re-arm of the event loop and then a read per record part.
//
// Concurrency: a Stream lives on one worker (one io_context thread). One coroutine may read
// while another writes; never two readers or two writers at once. Reads and writes succeed,
// report end of stream (read_some returning 0), or fail with the reason (OpenSSL's for TLS).
// A write cut off half-way (cancelled, or failed after sending part) leaves the byte stream in
// an unknown state: `write_interrupted()` says so, and nothing more should be written.
// `detach`/`attach` hand an idle connection (descriptor and TLS state) to another worker.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace iamdb::gateway {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;

class Stream {
 public:
  explicit Stream(Socket socket);
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&&) = delete;
  ~Stream();

  Socket& socket() { return socket_; }
  bool tls() const { return ssl_ != nullptr; }
  // "TLSv1.3", or "" without TLS.
  std::string_view tls_version() const;

  // The TLS handshake as a server with `context` (SSL_new takes its own reference).
  asio::awaitable<Result<void>> accept_tls(SSL_CTX* context);
  // The TLS handshake as a client. A non-empty `host` is sent as SNI and, when the context
  // verifies peers, must match the certificate.
  asio::awaitable<Result<void>> connect_tls(SSL_CTX* context, std::string host);

  // Reads between 1 and into.size() bytes; 0 means the peer ended the stream.
  asio::awaitable<Result<size_t>> read_some(std::span<char> into);
  asio::awaitable<Result<void>> write_all(std::string_view bytes);
  // Completes when a read would make progress: data (or the end of the stream) on the socket,
  // or decrypted bytes already held by TLS.
  asio::awaitable<Result<void>> wait_readable();

  // Cancels the pending operations of this stream; they complete with an error.
  void cancel();
  // Shuts both directions down at the socket, so the peer and any pending read see the end.
  void shutdown();
  void close();
  bool is_open() const { return socket_.is_open(); }
  bool write_interrupted() const { return write_interrupted_; }

  // True if the socket has bytes to read or has been closed by the peer, checked without
  // blocking (an idle pooled backend must have neither).
  bool readable_now();

  // An idle connection handed between workers: the descriptor and the TLS state, owned.
  struct Detached {
    int fd = -1;
    int family = 0;
    SSL* ssl = nullptr;
    std::string ciphertext;  // read from the socket, not yet taken by TLS
  };
  // Gives up the socket and TLS state; the Stream is closed afterwards.
  Detached detach();
  // readable_now() of a detached connection: the server sent something to a connection nobody
  // reads (an error, the end of the stream).
  static bool readable_now(const Detached& detached);
  static Stream attach(asio::io_context& io, Detached detached);
  // Closes a detached connection that will not be attached again.
  static void discard(Detached detached);

 private:
  enum class Want { kRead, kWrite };
  asio::awaitable<Result<void>> wait_for(Want want);
  asio::awaitable<Result<void>> handshake(bool server);
  Error tls_error(std::string_view what, int code);
  // Creates the TLS state on the socket: OpenSSL writes to the descriptor, reads from cipher_.
  Result<void> start_tls(SSL_CTX* context);
  // Points the TLS read BIO at this object (after a move or an attach).
  void bind_read_bio();
  // Reads what the socket has into cipher_ (which OpenSSL has emptied), waiting for it.
  asio::awaitable<Result<void>> fill_ciphertext();
  bool has_ciphertext() const { return cipher_begin_ < cipher_end_; }
  void release_ciphertext_buffer();
  friend struct ReadBio;

  Socket socket_;
  SSL* ssl_ = nullptr;
  bool write_interrupted_ = false;
  // TLS only: ciphertext read from the socket, [cipher_begin_, cipher_end_) not yet taken.
  std::unique_ptr<char[]> cipher_;
  size_t cipher_begin_ = 0;
  size_t cipher_end_ = 0;
  // TLS only: the socket read that ended the stream (0) or failed (its reason).
  bool read_ended_ = false;
  std::string read_failure_;
};

}  // namespace iamdb::gateway
