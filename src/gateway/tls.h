// OpenSSL contexts of the gateways: the server side (the certificate clients see), reloaded
// from its files when they change, and the client side used towards backends.
//
// Server contexts accept TLS 1.2 and 1.3 only, never renegotiate, issue no session tickets and
// keep no session cache (clients such as libpq do not resume sessions, and every cached session
// is memory), treat a peer that closes without close_notify as a normal end of stream, and
// release record buffers of idle connections.
//
// Thread-safety: `current()` may be called from any thread (an atomic load); a connection keeps
// the context it started with alive through SSL_new's reference, so a reload never disturbs
// connections in progress. `reload_if_changed` is called from one maintenance thread.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"

namespace iamdb::gateway {

using SslContext = std::shared_ptr<SSL_CTX>;

class ServerTls {
 public:
  // Loads `cert` (a PEM chain) and `key`; fails with a message naming the file.
  static Result<std::unique_ptr<ServerTls>> load(std::filesystem::path cert, std::filesystem::path key);

  SslContext current() const { return current_.load(std::memory_order_acquire); }

  // Loads the files again if their modification time or size changed since the last load.
  // Returns true when a new context is in use; on failure the old one stays and the error says
  // why, once: the same files failing the same way again return false until they change.
  Result<bool> reload_if_changed();

 private:
  struct Stamp {
    std::filesystem::file_time_type cert_time, key_time;
    uintmax_t cert_size = 0, key_size = 0;
    bool operator==(const Stamp&) const = default;
  };
  ServerTls(std::filesystem::path cert, std::filesystem::path key) : cert_(std::move(cert)), key_(std::move(key)) {}
  Result<Stamp> stamp() const;
  Result<SslContext> build() const;

  std::filesystem::path cert_, key_;
  Stamp loaded_;
  std::optional<Stamp> refused_;  // files that failed to load, not tried again
  std::string refused_error_;     // why the files could not be read, reported once
  std::atomic<SslContext> current_;
};

// A client context towards a backend. `verify`: the server's certificate must chain to
// `ca_file` (or, when empty, the system's trust store) and name the host connected to.
Result<SslContext> make_client_tls(bool verify, const std::string& ca_file);

}  // namespace iamdb::gateway
