// gateway::Stream over a real socket pair, plaintext and TLS: bytes arrive whole and in order
// whatever the read sizes, the end of the stream and a vanished peer are told apart from data,
// and TLS state survives a move and a detach/attach between io_contexts with bytes still
// buffered.
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "gateway/stream.h"
#include "gateway/tls.h"
#include "gateway/tls_testing.h"

namespace iamdb::gateway {
namespace {

using asio::awaitable;

// Writing to a closed peer must fail with EPIPE, as in the server, not end the test.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// A server context with a fresh self-signed certificate, and a client context that does not
// verify (the certificate checks of make_client_tls are the integration tests' business).
struct Contexts {
  SslContext server, client;
};

Contexts make_contexts() {
  const SelfSigned cert = make_self_signed("stream-test");
  SSL_CTX* server = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(server, cert.cert.get());
  SSL_CTX_use_PrivateKey(server, cert.key.get());
  // As the gateway's own server contexts (gateway/tls.cc).
  SSL_CTX_set_options(server, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(server, SSL_MODE_RELEASE_BUFFERS);
  auto client = make_client_tls(false, "");
  EXPECT_TRUE(client.has_value());
  return {SslContext(server, SSL_CTX_free), client ? *client : nullptr};
}

// Two connected Streams on one io_context (AF_UNIX stream socket pair).
struct Pair {
  asio::io_context io;
  std::unique_ptr<Stream> a, b;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const asio::generic::stream_protocol unix_stream(AF_UNIX, 0);
    a = std::make_unique<Stream>(Socket(io, unix_stream, fds[0]));
    b = std::make_unique<Stream>(Socket(io, unix_stream, fds[1]));
  }
};

awaitable<void> accept_side(Stream* s, SSL_CTX* ctx, std::optional<Result<void>>* out) {
  *out = co_await s->accept_tls(ctx);
}
awaitable<void> connect_side(Stream* s, SSL_CTX* ctx, std::optional<Result<void>>* out) {
  *out = co_await s->connect_tls(ctx, "");
}
awaitable<void> write_side(Stream* s, std::string bytes, std::optional<Result<void>>* out) {
  *out = co_await s->write_all(bytes);
}
// Reads until `want` bytes arrived or the stream ended, `chunk` bytes at most per read.
awaitable<void> read_side(Stream* s, size_t want, size_t chunk, std::string* got, bool* ended) {
  std::string buffer(chunk, '\0');
  while (got->size() < want) {
    auto n = co_await s->read_some(std::span<char>(buffer.data(), buffer.size()));
    if (!n || *n == 0) {
      *ended = true;
      co_return;
    }
    got->append(buffer.data(), *n);
  }
}
awaitable<void> wait_side(Stream* s, bool* ready) {
  auto r = co_await s->wait_readable();
  *ready = r.has_value();
}

void handshake(Pair& p, const Contexts& c) {
  std::optional<Result<void>> accepted, connected;
  asio::co_spawn(p.io, accept_side(p.a.get(), c.server.get(), &accepted), asio::detached);
  asio::co_spawn(p.io, connect_side(p.b.get(), c.client.get(), &connected), asio::detached);
  p.io.run();
  p.io.restart();
  ASSERT_TRUE(accepted && *accepted) << (accepted ? accepted->error().message : "not finished");
  ASSERT_TRUE(connected && *connected) << (connected ? connected->error().message : "not finished");
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Sends `bytes` from `from` and reads them at `to` in `chunk`-byte reads.
void transfer(Pair& p, Stream* from, Stream* to, const std::string& bytes, size_t chunk) {
  std::optional<Result<void>> wrote;
  std::string got;
  bool ended = false;
  asio::co_spawn(p.io, write_side(from, bytes, &wrote), asio::detached);
  asio::co_spawn(p.io, read_side(to, bytes.size(), chunk, &got, &ended), asio::detached);
  p.io.run();
  p.io.restart();
  ASSERT_TRUE(wrote && *wrote);
  EXPECT_FALSE(ended);
  EXPECT_EQ(got.size(), bytes.size());
  EXPECT_TRUE(got == bytes);
}

struct Case {
  const char* name;
  bool tls;
  size_t bytes;
  size_t chunk;
};

class StreamTransfer : public ::testing::TestWithParam<Case> {};

TEST_P(StreamTransfer, BytesArriveWholeAndInOrderBothWays) {
  const Case& c = GetParam();
  Pair p;
  if (c.tls) handshake(p, make_contexts());
  EXPECT_EQ(p.a->tls(), c.tls);
  transfer(p, p.b.get(), p.a.get(), pattern(c.bytes), c.chunk);
  transfer(p, p.a.get(), p.b.get(), pattern(c.bytes + 1), c.chunk);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, StreamTransfer,
    ::testing::Values(Case{"PlainOneByte", false, 1, 1}, Case{"PlainMegabyte", false, 1 << 20, 16384},
                      Case{"TlsOneByte", true, 1, 1}, Case{"TlsSmallReadsOfManyRecords", true, 100000, 7},
                      Case{"TlsRecordSizedReads", true, 1 << 20, 16384}, Case{"TlsHugeReads", true, 1 << 20, 1 << 20}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Stream, TlsEndOfStreamReadsAsZero) {
  Pair p;
  handshake(p, make_contexts());
  p.b->close();
  std::string got;
  bool ended = false;
  asio::co_spawn(p.io, read_side(p.a.get(), 1, 64, &got, &ended), asio::detached);
  p.io.run();
  EXPECT_TRUE(ended);
  EXPECT_TRUE(got.empty());
}

TEST(Stream, TlsHandshakeWithAPeerThatLeavesFails) {
  Pair p;
  const Contexts c = make_contexts();
  p.b->close();
  std::optional<Result<void>> accepted;
  asio::co_spawn(p.io, accept_side(p.a.get(), c.server.get(), &accepted), asio::detached);
  p.io.run();
  ASSERT_TRUE(accepted.has_value());
  ASSERT_FALSE(accepted->has_value());
  EXPECT_EQ(accepted->error().message, "TLS handshake: the peer closed the connection");
}

TEST(Stream, TlsHandshakeWithGarbageFailsWithTheReason) {
  Pair p;
  const Contexts c = make_contexts();
  std::optional<Result<void>> accepted, wrote;
  asio::co_spawn(p.io, accept_side(p.a.get(), c.server.get(), &accepted), asio::detached);
  asio::co_spawn(p.io, write_side(p.b.get(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &wrote), asio::detached);
  p.io.run();
  ASSERT_TRUE(accepted.has_value());
  ASSERT_FALSE(accepted->has_value());
  EXPECT_NE(accepted->error().message.find("TLS handshake"), std::string::npos) << accepted->error().message;
}

TEST(Stream, TlsStateFollowsAMovedStream) {
  Pair p;
  handshake(p, make_contexts());
  auto moved = std::make_unique<Stream>(std::move(*p.a));
  p.a = std::move(moved);
  transfer(p, p.b.get(), p.a.get(), pattern(50000), 1000);
  transfer(p, p.a.get(), p.b.get(), pattern(50000), 1000);
}

TEST(Stream, DetachAndAttachKeepBytesAlreadyBuffered) {
  Pair p;
  handshake(p, make_contexts());
  // Three TLS records arrive, one byte is read: the rest of the first record is held by
  // OpenSSL, the other two by the Stream, as ciphertext (the server side reads no further ahead).
  const std::string message = pattern(40000);
  std::optional<Result<void>> wrote;
  std::string first;
  bool ended = false;
  asio::co_spawn(p.io, write_side(p.b.get(), message, &wrote), asio::detached);
  p.io.run();
  p.io.restart();
  asio::co_spawn(p.io, read_side(p.a.get(), 1, 1, &first, &ended), asio::detached);
  p.io.run();
  p.io.restart();
  ASSERT_EQ(first, message.substr(0, 1));
  EXPECT_TRUE(p.a->readable_now());

  asio::io_context other;
  Stream::Detached detached = p.a->detach();
  EXPECT_FALSE(p.a->is_open());
  EXPECT_TRUE(Stream::readable_now(detached));
  auto attached = std::make_unique<Stream>(Stream::attach(other, std::move(detached)));
  EXPECT_TRUE(attached->readable_now());
  bool ready = false;
  asio::co_spawn(other, wait_side(attached.get(), &ready), asio::detached);
  other.run();
  other.restart();
  EXPECT_TRUE(ready);
  std::string rest;
  asio::co_spawn(other, read_side(attached.get(), message.size() - 1, 100, &rest, &ended), asio::detached);
  other.run();
  EXPECT_FALSE(ended);
  EXPECT_TRUE(rest == message.substr(1));
}

TEST(Stream, AnIdleTlsStreamMovesBetweenIoContextsAndWorksThere) {
  Pair p;
  handshake(p, make_contexts());
  EXPECT_FALSE(p.a->readable_now());
  Stream::Detached detached = p.a->detach();
  EXPECT_FALSE(Stream::readable_now(detached));
  auto attached = std::make_unique<Stream>(Stream::attach(p.io, std::move(detached)));
  EXPECT_FALSE(attached->readable_now());
  p.a = std::move(attached);
  transfer(p, p.b.get(), p.a.get(), pattern(20000), 512);
  transfer(p, p.a.get(), p.b.get(), pattern(20000), 512);
}

TEST(Stream, AnIdleTlsStreamIsNotReadableUntilThePeerWrites) {
  Pair p;
  handshake(p, make_contexts());
  EXPECT_FALSE(p.a->readable_now());
  std::optional<Result<void>> wrote;
  asio::co_spawn(p.io, write_side(p.b.get(), "x", &wrote), asio::detached);
  p.io.run();
  p.io.restart();
  EXPECT_TRUE(p.a->readable_now());
  bool ready = false;
  asio::co_spawn(p.io, wait_side(p.a.get(), &ready), asio::detached);
  p.io.run();
  EXPECT_TRUE(ready);
}

}  // namespace
}  // namespace iamdb::gateway
