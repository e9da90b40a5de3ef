// Connecting, logging in, querying and cancelling on the backend, as the gateway.
#include "gateway/postgres/backend.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "config/config.h"
#include "gateway/deadline.h"
#include "gateway/postgres/be_read.h"
#include "gateway/postgres/be_write.h"

namespace iamdb::gateway::pg {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using pgwire::AuthRequest;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Backend messages during log-in and the gateway's own queries are small; an error with a long
// detail or a wide monitor row stays far below this.
constexpr uint32_t kBackendMessageLimit = 1 << 20;

std::unexpected<BackendFailure> failure(BackendFailure::Kind kind, std::string reason) {
  BackendFailure f;
  f.kind = kind;
  f.reason = std::move(reason);
  return std::unexpected(std::move(f));
}

// Connects `stream`'s socket to the target, without TLS.
awaitable<Result<void>> connect_socket(Stream& stream, const BackendTarget& target) {
  Socket& socket = stream.socket();
  if (!target.unix_path.empty()) {
    const asio::generic::stream_protocol::endpoint ep{asio::local::stream_protocol::endpoint(target.unix_path)};
    auto [ec] = co_await socket.async_connect(ep, kTuple);
    if (ec) co_return fail("cannot connect to the backend socket ", target.unix_path, ": ", ec.message());
    co_return Result<void>{};
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  boost::system::error_code not_ip;
  const auto address = asio::ip::make_address(target.host, not_ip);
  if (!not_ip) {
    endpoints.emplace_back(address, target.port);
  } else {
    asio::ip::tcp::resolver resolver(socket.get_executor());
    auto [ec, results] = co_await resolver.async_resolve(target.host, std::to_string(target.port), kTuple);
    if (ec) co_return fail("cannot resolve the backend host ", target.host, ": ", ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  std::string last_error = "no address";
  for (const auto& tcp : endpoints) {
    boost::system::error_code ignored;
    socket.close(ignored);
    auto [ec] = co_await socket.async_connect(asio::generic::stream_protocol::endpoint(tcp), kTuple);
    if (!ec) {
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      co_return Result<void>{};
    }
    last_error = ec.message();
    if (!socket.is_open() && ec == asio::error::operation_aborted) break;
  }
  co_return fail("cannot connect to the backend ", target.describe(), ": ", last_error);
}

// SSLRequest, then the TLS handshake if the backend agrees.
awaitable<std::expected<void, BackendFailure>> start_tls(Stream& stream, const BackendTarget& target) {
  std::string request;
  pgwire::write_ssl_request(request);
  if (auto ok = co_await stream.write_all(request); !ok)
    co_return failure(BackendFailure::Kind::kUnreachable, "cannot send SSLRequest to the backend: " + ok.error().message);
  char answer = 0;
  auto n = co_await stream.read_some(std::span<char>(&answer, 1));
  if (!n || *n == 0)
    co_return failure(BackendFailure::Kind::kUnreachable,
                      "the backend closed the connection after SSLRequest" + (n ? std::string() : ": " + n.error().message));
  if (answer == 'N')
    co_return failure(BackendFailure::Kind::kTls,
                      "the backend " + target.describe() + " does not accept TLS (ssl = off), but the gateway requires it");
  if (answer != 'S')
    co_return failure(BackendFailure::Kind::kProtocol, "the backend answered SSLRequest with an unexpected byte");
  if (auto ok = co_await stream.connect_tls(target.tls.get(), target.host); !ok)
    co_return failure(BackendFailure::Kind::kTls, "TLS to the backend " + target.describe() + " failed: " + ok.error().message);
  co_return std::expected<void, BackendFailure>{};
}

awaitable<std::expected<void, BackendFailure>> open_into(Stream& stream, const BackendTarget& target) {
  if (auto ok = co_await connect_socket(stream, target); !ok)
    co_return failure(BackendFailure::Kind::kUnreachable, ok.error().message);
  if (target.tls) co_return co_await start_tls(stream, target);
  co_return std::expected<void, BackendFailure>{};
}

}  // namespace

Result<BackendTarget> BackendTarget::from(const iam::GatewaySettings& s, std::chrono::seconds connect_timeout) {
  BackendTarget t;
  t.connect_timeout = connect_timeout;
  if (s.backend.starts_with('/')) {
    t.unix_path = s.backend;
  } else {
    auto address = config::parse_listen_address(s.backend);
    if (!address || address->port == 0) return fail("the gateway backend ", s.backend, " is not HOST:PORT or a socket path");
    t.host = address->host;
    t.port = address->port;
  }
  if (s.backend_auth == "token") t.auth = BackendAuth::kToken;
  else if (s.backend_auth == "trust") t.auth = BackendAuth::kTrust;
  else if (s.backend_auth == "password") t.auth = BackendAuth::kPassword;
  else return fail("unknown backend_auth ", s.backend_auth);
  if (s.backend_tls == "require" || s.backend_tls == "verify-full") {
    if (!t.unix_path.empty()) return fail("TLS to a backend Unix socket is not supported");
    auto tls = make_client_tls(s.backend_tls == "verify-full", s.backend_ca);
    if (!tls) return std::unexpected(tls.error());
    t.tls = std::move(*tls);
  } else if (s.backend_tls != "disable") {
    return fail("unknown backend_tls ", s.backend_tls);
  }
  for (const auto& p : s.backend_passwords) t.passwords.emplace(p.user, p.password);
  return t;
}

std::string BackendTarget::describe() const {
  if (!unix_path.empty()) return unix_path;
  return config::ListenAddress{host, port}.to_string();
}

bool BackendTarget::loopback() const {
  if (!unix_path.empty()) return false;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

BackendTarget BackendTarget::for_relay() const {
  BackendTarget relay = *this;
  if (loopback()) relay.tls.reset();
  return relay;
}

const std::string* BackendTarget::password_of(std::string_view user) const {
  const auto it = passwords.find(user);
  return it == passwords.end() ? nullptr : &it->second;
}

awaitable<std::expected<std::unique_ptr<Stream>, BackendFailure>> open_backend(asio::any_io_executor executor,
                                                                               const BackendTarget& target) {
  auto stream = std::make_unique<Stream>(Socket(executor));
  Deadline deadline(executor, target.connect_timeout, [s = stream.get()] { s->close(); });
  auto opened = co_await open_into(*stream, target);
  if (deadline.expired())
    co_return failure(BackendFailure::Kind::kTimeout, "connecting to the backend " + target.describe() + " timed out");
  if (!opened) co_return std::unexpected(std::move(opened.error()));
  co_return std::move(stream);
}

// GCC 12 reports Asio's recycled coroutine frame allocation and sized deallocation here as a
// mismatch (-Wmismatched-new-delete): a known false positive with Asio's awaitable frames.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
awaitable<std::expected<BackendSession, BackendFailure>> login_backend(std::unique_ptr<Stream> stream,
                                                                       const BackendTarget& target,
                                                                       std::vector<pgwire::StartupParameter> parameters,
                                                                       std::string secret) {
  std::string user;
  for (const auto& p : parameters)
    if (p.name == "user") user = p.value;
  std::string out;
  pgwire::write_startup_message(out, parameters);
  BackendLogin login(target.auth, user, std::move(secret));
  std::optional<BackendFailure> failed;
  if (auto ok = co_await stream->write_all(out); !ok)
    failed = failure(BackendFailure::Kind::kUnreachable, "cannot send the startup message to the backend: " + ok.error().message).error();
  MessageReader reader(pgwire::Peer::kBackend, kBackendMessageLimit);
  bool ready = false;
  while (!failed && !ready) {
    auto message = co_await reader.next(*stream);
    if (!message) {
      failed = failure(BackendFailure::Kind::kProtocol,
                       "the backend " + target.describe() + " ended the log-in: " + message.error().message).error();
      break;
    }
    BackendLogin::Step step = login.on_message(*message);
    if (step.failure) {
      failed = std::move(step.failure);
      break;
    }
    if (!step.reply.empty()) {
      auto ok = co_await stream->write_all(step.reply);
      if (!ok) failed = failure(BackendFailure::Kind::kUnreachable, "cannot answer the backend: " + ok.error().message).error();
    }
    ready = step.ready;
  }
  if (!failed && reader.buffered() > 0)
    failed = failure(BackendFailure::Kind::kProtocol, "the backend sent more after ReadyForQuery").error();
  if (failed) co_return std::unexpected(std::move(*failed));
  BackendSession session;
  session.stream = std::move(stream);
  session.process_id = login.process_id();
  session.secret_key = login.secret_key();
  session.parameters = std::move(login.parameters());
  session.created = std::chrono::steady_clock::now();
  co_return std::move(session);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

awaitable<std::expected<BackendSession, BackendFailure>> connect_backend(asio::any_io_executor executor,
                                                                         const BackendTarget& target,
                                                                         std::vector<pgwire::StartupParameter> parameters,
                                                                         std::string secret) {
  auto stream = std::make_unique<Stream>(Socket(executor));
  Stream* raw = stream.get();
  Deadline deadline(executor, target.connect_timeout, [raw] { raw->close(); });
  auto opened = co_await open_into(*stream, target);
  if (!opened) {
    if (deadline.expired())
      co_return failure(BackendFailure::Kind::kTimeout, "connecting to the backend " + target.describe() + " timed out");
    co_return std::unexpected(std::move(opened.error()));
  }
  auto session = co_await login_backend(std::move(stream), target, std::move(parameters), std::move(secret));
  if (!session && deadline.expired())
    co_return failure(BackendFailure::Kind::kTimeout, "logging in to the backend " + target.describe() + " timed out");
  co_return session;
}

namespace {

// Takes one message of the answer to the gateway's own query into `result`; true at the end.
Result<bool> take_answer(const pgwire::Message& message, QueryRows& result, std::string& error) {
  namespace backend = pgwire::backend;
  if (message.type == backend::kDataRow) {
    auto row = pgwire::parse_data_row(message);
    if (!row) return std::unexpected(row.error());
    auto& values = result.rows.emplace_back();
    for (const auto& v : *row) values.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
    return false;
  }
  if (message.type == backend::kErrorResponse) {
    auto fields = pgwire::parse_error_response(message);
    error = fields ? std::string(fields->sqlstate()) + " " + std::string(fields->message()) : "malformed ErrorResponse";
    return false;
  }
  if (message.type == backend::kReadyForQuery) {
    auto status = pgwire::parse_ready_for_query(message);
    if (!status) return std::unexpected(status.error());
    result.status = *status;
    return true;
  }
  for (char allowed : {backend::kRowDescription, backend::kCommandComplete, backend::kEmptyQueryResponse,
                       backend::kNoticeResponse, backend::kParameterStatus, backend::kNotificationResponse})
    if (message.type == allowed) return false;
  return fail("unexpected ", pgwire::describe_message_type(pgwire::Peer::kBackend, message.type),
              " in the answer to the gateway's query");
}

}  // namespace

awaitable<Result<QueryRows>> simple_query(Stream& stream, MessageReader& reader, std::string sql) {
  std::string out;
  pgwire::write_query(out, sql);
  if (auto ok = co_await stream.write_all(out); !ok) co_return std::unexpected(ok.error());
  QueryRows result;
  std::string error;
  for (;;) {
    auto message = co_await reader.next(stream);
    if (!message) co_return std::unexpected(message.error());
    auto done = take_answer(*message, result, error);
    if (!done) co_return std::unexpected(done.error());
    if (!*done) continue;
    if (!error.empty()) co_return fail(error);
    co_return result;
  }
}

awaitable<Result<void>> send_cancel(asio::any_io_executor executor, const BackendTarget& target, int32_t process_id,
                                    uint32_t secret_key, std::chrono::seconds timeout) {
  Stream stream{Socket(executor)};
  Deadline deadline(executor, timeout, [s = &stream] { s->close(); });
  if (auto ok = co_await connect_socket(stream, target); !ok) co_return std::unexpected(ok.error());
  std::string out;
  pgwire::write_cancel_request(out, process_id, secret_key);
  if (auto ok = co_await stream.write_all(out); !ok) co_return std::unexpected(ok.error());
  // The postmaster closes the connection once it has signalled the backend.
  char byte;
  for (;;) {
    auto n = co_await stream.read_some(std::span<char>(&byte, 1));
    if (!n) {
      if (deadline.expired()) co_return fail("the backend did not answer the cancel request in time");
      co_return std::unexpected(n.error());
    }
    if (*n == 0) co_return Result<void>{};
  }
}

}  // namespace iamdb::gateway::pg
