// Server and client OpenSSL contexts for the gateways, and reloading of the server's files.
#include "gateway/tls.h"

#include <openssl/err.h>

namespace iamdb::gateway {
namespace {

namespace fs = std::filesystem;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "OpenSSL error " + std::to_string(code);
}

SslContext wrap(SSL_CTX* ctx) { return SslContext(ctx, SSL_CTX_free); }

void common_options(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // OpenSSL takes the buffered ciphertext in one piece, not a record header and then its body.
  SSL_CTX_set_read_ahead(ctx, 1);
}

}  // namespace

Result<std::unique_ptr<ServerTls>> ServerTls::load(fs::path cert, fs::path key) {
  std::unique_ptr<ServerTls> tls(new ServerTls(std::move(cert), std::move(key)));
  auto stamp = tls->stamp();
  if (!stamp) return std::unexpected(stamp.error());
  auto ctx = tls->build();
  if (!ctx) return std::unexpected(ctx.error());
  tls->loaded_ = *stamp;
  tls->current_.store(std::move(*ctx), std::memory_order_release);
  return tls;
}

Result<ServerTls::Stamp> ServerTls::stamp() const {
  std::error_code ec;
  Stamp s;
  s.cert_time = fs::last_write_time(cert_, ec);
  if (!ec) s.cert_size = fs::file_size(cert_, ec);
  if (ec) return fail("cannot read the gateway certificate ", cert_.string(), ": ", ec.message());
  s.key_time = fs::last_write_time(key_, ec);
  if (!ec) s.key_size = fs::file_size(key_, ec);
  if (ec) return fail("cannot read the gateway key ", key_.string(), ": ", ec.message());
  return s;
}

Result<SslContext> ServerTls::build() const {
  SslContext ctx = wrap(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail("cannot create a TLS context: ", openssl_error());
  common_options(ctx.get());
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_.c_str()) != 1)
    return fail("cannot load the gateway certificate ", cert_.string(), ": ", openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("cannot load the gateway key ", key_.string(), ": ", openssl_error());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return fail("the gateway key ", key_.string(), " does not belong to the certificate ", cert_.string());
  return ctx;
}

Result<bool> ServerTls::reload_if_changed() {
  auto now = stamp();
  if (!now) {
    if (now.error().message == refused_error_) return false;  // said already
    refused_error_ = now.error().message;
    refused_.reset();
    return std::unexpected(now.error());
  }
  if (*now == loaded_ || *now == refused_) return false;
  auto ctx = build();
  if (!ctx) {
    refused_ = *now;
    refused_error_.clear();
    return std::unexpected(ctx.error());
  }
  refused_.reset();
  refused_error_.clear();
  loaded_ = *now;
  current_.store(std::move(*ctx), std::memory_order_release);
  return true;
}

Result<SslContext> make_client_tls(bool verify, const std::string& ca_file) {
  SslContext ctx = wrap(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail("cannot create a TLS context: ", openssl_error());
  common_options(ctx.get());
  if (!verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                     : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1)
    return fail("cannot load the backend CA ", ca_file.empty() ? "(system trust store)" : ca_file, ": ", openssl_error());
  return ctx;
}

}  // namespace iamdb::gateway
