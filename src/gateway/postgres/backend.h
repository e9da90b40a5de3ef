// The gateway as a client of the PostgreSQL server behind it (the backend): where it is, how
// the gateway logs in to it, and the few things the gateway says itself — the pool's reset
// query, the monitor's queries, and cancel requests (PostgreSQL 15 documentation 55.2).
//
// Backend authentication of IAM users follows the instance's `backend_auth`:
//   token     the client's token, already checked by the gateway, is sent as the cleartext
//             password to a backend that checks it again (pam_iamdb): no stored secret;
//   trust     the backend lets the gateway in without a password (a Unix socket or loopback
//             address reserved for the gateway in pg_hba.conf);
//   password  a per-user password stored (sealed) with the instance, answered to the
//             backend's cleartext, md5 or SCRAM-SHA-256 challenge.
// A backend that asks for something the mode cannot answer fails the log-in with a reason that
// says what to change.
//
// Everything here runs on the calling coroutine's worker; a BackendTarget is an immutable value
// shared by the sessions of one instance.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "gateway/postgres/backend_login.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/message_io.h"
#include "gateway/stream.h"
#include "gateway/tls.h"
#include "iam/model.h"

namespace iamdb::gateway::pg {

struct BackendTarget {
  std::string unix_path;  // non-empty: a Unix socket
  std::string host;       // otherwise TCP
  uint16_t port = 0;
  BackendAuth auth = BackendAuth::kToken;
  SslContext tls;         // null: no TLS to the backend
  std::chrono::seconds connect_timeout{10};
  std::map<std::string, std::string, std::less<>> passwords;  // user -> stored password

  // Reads an instance's gateway settings; fails on values the API should have refused and on a
  // CA file that cannot be loaded.
  static Result<BackendTarget> from(const iam::GatewaySettings& settings, std::chrono::seconds connect_timeout);
  // "127.0.0.1:5432" or the socket path, for logs.
  std::string describe() const;
  // A loopback IP address (127.0.0.0/8, ::1): the connection never leaves the machine.
  bool loopback() const;
  // The target that password users' relayed log-ins use. Their SCRAM exchange cannot be bound
  // to the backend's TLS channel (the client's TLS ends at the gateway), so libpq, having TLS to
  // the gateway but seeing no SCRAM-SHA-256-PLUS offer, sends the "y" flag, which PostgreSQL
  // refuses on a TLS connection (SQLSTATE 08P01, channel binding negotiation error). On
  // loopback the relay therefore goes without TLS; to a remote TLS backend it keeps TLS, and
  // such users need `channel_binding=disable` (or md5/password authentication).
  BackendTarget for_relay() const;
  const std::string* password_of(std::string_view user) const;
};

// A logged-in backend connection, ready for queries.
struct BackendSession {
  std::unique_ptr<Stream> stream;
  int32_t process_id = 0;
  uint32_t secret_key = 0;
  std::vector<std::pair<std::string, std::string>> parameters;  // ParameterStatus, in order
  std::chrono::steady_clock::time_point created;
};

// Opens a connection to the backend (TCP_NODELAY on TCP), with TLS when the target says so.
boost::asio::awaitable<std::expected<std::unique_ptr<Stream>, BackendFailure>> open_backend(
    boost::asio::any_io_executor executor, const BackendTarget& target);

// Opens a connection and logs in with `parameters` (a StartupMessage; `user` among them),
// answering a password challenge with `secret` (the token, or the stored password; empty when
// there is none), all within the target's connect_timeout.
boost::asio::awaitable<std::expected<BackendSession, BackendFailure>> connect_backend(
    boost::asio::any_io_executor executor, const BackendTarget& target,
    std::vector<pgwire::StartupParameter> parameters, std::string secret);

// Logs in over an open stream.
boost::asio::awaitable<std::expected<BackendSession, BackendFailure>> login_backend(
    std::unique_ptr<Stream> stream, const BackendTarget& target, std::vector<pgwire::StartupParameter> parameters,
    std::string secret);

// Runs one simple query and collects its rows (text format). An ErrorResponse fails with the
// backend's message; so does a ReadyForQuery other than idle when `require_idle`.
struct QueryRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  pgwire::TransactionStatus status = pgwire::TransactionStatus::kIdle;
};
boost::asio::awaitable<Result<QueryRows>> simple_query(Stream& stream, MessageReader& reader, std::string sql);

// Sends a CancelRequest for backend process `process_id` and waits (up to `timeout`) until the
// postmaster has handled it, which it signals by closing the connection.
boost::asio::awaitable<Result<void>> send_cancel(boost::asio::any_io_executor executor, const BackendTarget& target,
                                                 int32_t process_id, uint32_t secret_key,
                                                 std::chrono::seconds timeout);

}  // namespace iamdb::gateway::pg
