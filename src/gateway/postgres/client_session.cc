// A gateway client's life: admission, TLS, log-in (IAM or relayed), relay, reset, end.
#include "gateway/postgres/client_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <optional>

#include "crypto/random.h"
#include "gateway/deadline.h"
#include "gateway/postgres/be_read.h"
#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/fe_write.h"
#include "gateway/postgres/relay_tracker.h"
#include "gateway/postgres/wire.h"

namespace iamdb::gateway::pg {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;
namespace sqlstate = pgwire::sqlstate;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kRelayBuffer = 16 * 1024;
constexpr auto kResetTimeout = std::chrono::seconds(10);
constexpr auto kCancelTimeout = std::chrono::seconds(5);
constexpr std::string_view kTlsRequired =
    "the iamdb gateway accepts only TLS connections: connect with sslmode=require (or verify-full)";

// SQLSTATEs of refusals PostgreSQL has no single code for.
constexpr std::string_view kRejectedConnection = "08004";  // sqlserver_rejected_establishment_of_sqlconnection
constexpr std::string_view kConfigurationLimit = "53400";  // configuration_limit_exceeded

enum class RelayEnd { kClientTerminate, kClientClosed, kClientError, kBackendClosed, kBackendError, kClientProtocol,
                      kServerProtocol };

struct Refusal {
  std::string_view sqlstate;
  std::string message;
  std::string reason;
};

void append_raw(std::string& out, const pgwire::Message& m) {
  const size_t at = pgwire::wire::begin(out, m.type);
  out.append(m.body);
  pgwire::wire::finish(out, at);
}

bool is_terminate_message(std::string_view bytes) { return bytes == std::string_view("X\0\0\0\4", 5); }

// The DETAIL of the 57P01 error a stopped session's client gets.
std::string_view stop_detail(StopReason reason) {
  switch (reason) {
    case StopReason::kKeyRevoked: return "The access key of this session was deactivated or deleted.";
    case StopReason::kShutdown: return "The iamdb server is shutting down.";
    case StopReason::kKilled: return "The session was ended with iamdb sessions kill.";
  }
  return {};
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// The pool key: user, database, then every other startup parameter, sorted.
std::string pool_key(const std::vector<pgwire::StartupParameter>& parameters, std::string_view user,
                     std::string_view database) {
  std::vector<std::string> others;
  for (const auto& p : parameters)
    if (p.name != "user" && p.name != "database") others.push_back(p.name + '=' + p.value);
  std::sort(others.begin(), others.end());
  std::string key(user);
  key.push_back('\0');
  key.append(database);
  for (const std::string& o : others) {
    key.push_back('\0');
    key.append(o);
  }
  return key;
}

class ClientSession final : public SessionControl, public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(GatewayContext* gateway, std::shared_ptr<InstanceRuntime> runtime, asio::io_context* io, Socket socket,
                std::string address)
      : g_(*gateway),
        runtime_(std::move(runtime)),
        io_(*io),
        executor_(io->get_executor()),
        client_(std::make_unique<Stream>(std::move(socket))),
        address_(std::move(address)),
        cancel_done_(io->get_executor()) {
    g_.clients.fetch_add(1, std::memory_order_relaxed);
  }
  ~ClientSession() override {
    g_.clients.fetch_sub(1, std::memory_order_relaxed);
    std::fill(token_.begin(), token_.end(), '\0');
  }

  awaitable<void> run();
  void stop(StopReason reason) override;
  void cancel_query() override;
  void cancel_finished();

 private:
  enum class Startup { kLogin, kDone };

  const iam::Instance& instance() const { return *runtime_->instance; }
  std::optional<Refusal> admission();
  awaitable<Startup> read_startup();
  awaitable<bool> login_iam();
  awaitable<bool> login_relay();
  awaitable<bool> attach_backend();
  awaitable<RelayEnd> pump_client();
  awaitable<RelayEnd> pump_backend();
  awaitable<void> relay();
  awaitable<void> release_backend(bool reusable);
  // Sends `request` (an authentication request) and reads the client's answer; on a closed
  // client, the startup timeout or a malformed message, ends the log-in (refusing where the
  // client can still hear it) and returns nothing.
  awaitable<std::optional<pgwire::Message>> ask_client(std::string_view request, MessageReader& reader);
  awaitable<void> refuse(std::string_view state, std::string message, std::string reason);
  awaitable<void> refuse_backend(const BackendFailure& failure);
  awaitable<void> send_fatal(std::string_view state, std::string_view message, std::string_view detail = {});
  void register_session();
  void write_ready(std::string& out, const Parameters& parameters);
  std::string backend_secret() const;
  void audit_start();
  void audit_end();

  GatewayContext& g_;
  std::shared_ptr<InstanceRuntime> runtime_;
  asio::io_context& io_;
  asio::any_io_executor executor_;
  std::unique_ptr<Stream> client_;
  std::string address_;

  SteadyClock::time_point started_ = SteadyClock::now();
  SystemTime started_wall_;
  bool startup_expired_ = false;
  bool can_message_ = true;  // a message written now would reach the client intact
  pgwire::StartupMessage startup_;
  std::vector<pgwire::StartupParameter> backend_parameters_;  // the startup parameters sent on
  std::string negotiate_;                                    // NegotiateProtocolVersion, if due
  std::string leftover_;  // client bytes that arrived with its log-in, relayed first
  bool poolable_ = true;
  std::string key_;

  bool iam_ = false;
  std::string token_;
  std::string session_id_;
  std::string principal_, access_key_, session_name_;
  bool decision_audited_ = false;  // a refused IAM log-in is audited by the verifier's event

  std::optional<PooledConnection> backend_;
  bool pooled_ = false;
  bool releasing_ = false;
  pgwire::RelayTracker tracker_;
  std::string violation_;

  std::shared_ptr<SessionTable::Entry> entry_;
  bool ready_ = false;
  double time_to_ready_ = 0;
  std::optional<StopReason> stop_;
  uint32_t cancels_in_flight_ = 0;
  asio::steady_timer cancel_done_;

  std::string end_reason_;  // stable name, for the audit log and metrics
  std::string end_detail_;
  audit::Outcome end_outcome_ = audit::Outcome::kAllowed;
};

awaitable<void> cancel_backend_query(std::shared_ptr<ClientSession> session, std::shared_ptr<const BackendTarget> target,
                                     int32_t process_id, uint32_t secret_key) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  if (auto ok = co_await send_cancel(executor, *target, process_id, secret_key, kCancelTimeout); !ok)
    spdlog::warn("gateway: could not forward a cancel request to {}: {}", target->describe(), ok.error().message);
  session->cancel_finished();
}

std::optional<Refusal> ClientSession::admission() {
  if (g_.clients.load(std::memory_order_relaxed) > g_.config->max_clients)
    return Refusal{sqlstate::kTooManyConnections, "sorry, too many clients already", "too_many_clients"};
  if (const auto until = g_.throttle->blocked_until(address_)) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(*until - g_.clock->now()).count();
    return Refusal{kRejectedConnection,
                   "too many failed log-ins from " + address_ + "; try again in " + std::to_string(left) + " seconds",
                   "source_blocked"};
  }
  if (!runtime_->rate->try_acquire())
    return Refusal{kConfigurationLimit,
                   "instance " + instance().id + " accepts at most " + std::to_string(runtime_->rate->per_second()) +
                       " new connections per second; try again",
                   "rate_limited"};
  return std::nullopt;
}

awaitable<void> ClientSession::send_fatal(std::string_view state, std::string_view message, std::string_view detail) {
  if (!can_message_ || client_->write_interrupted() || !client_->is_open()) co_return;
  std::string out;
  pgwire::write_error_response(out, {.severity = pgwire::Severity::kFatal,
                                     .sqlstate = state,
                                     .message = message,
                                     .detail = detail});
  Deadline deadline(executor_, std::chrono::seconds(5), [c = client_.get()] { c->close(); });
  (void)co_await client_->write_all(out);
}

awaitable<std::optional<pgwire::Message>> ClientSession::ask_client(std::string_view request,
                                                                    MessageReader& reader) {
  if (auto ok = co_await client_->write_all(request); !ok) {
    end_reason_ = "client_closed_during_authentication";
    end_outcome_ = audit::Outcome::kDenied;
    co_return std::nullopt;
  }
  auto message = co_await reader.next(*client_);
  if (message) co_return std::move(*message);
  if (startup_expired_) {
    co_await refuse(sqlstate::kQueryCanceled, "canceling authentication due to timeout", "startup_timeout");
  } else if (reader.stream_ended()) {
    end_reason_ = "client_closed_during_authentication";
    end_outcome_ = audit::Outcome::kDenied;
  } else {
    co_await refuse(sqlstate::kProtocolViolation, message.error().message, "malformed_password_message");
  }
  co_return std::nullopt;
}

awaitable<void> ClientSession::refuse(std::string_view state, std::string message, std::string reason) {
  co_await send_fatal(state, message);
  end_reason_ = std::move(reason);
  end_detail_ = std::move(message);
  end_outcome_ = audit::Outcome::kDenied;
}

awaitable<void> ClientSession::refuse_backend(const BackendFailure& f) {
  spdlog::warn("gateway {}: {}", instance().id, f.reason);
  end_reason_ = f.kind == BackendFailure::Kind::kRefused ? "backend_refused" : "backend_unavailable";
  end_detail_ = f.reason;
  end_outcome_ = f.kind == BackendFailure::Kind::kRefused ? audit::Outcome::kDenied : audit::Outcome::kError;
  if (f.kind == BackendFailure::Kind::kRefused) {
    std::string out;
    if (can_message_ && !client_->write_interrupted()) {
      pgwire::write_error_response(out, {.severity = pgwire::Severity::kFatal,
                                         .sqlstate = f.sqlstate,
                                         .message = f.message,
                                         .detail = f.detail,
                                         .hint = f.hint});
      (void)co_await client_->write_all(out);
    }
    co_return;
  }
  co_await send_fatal(sqlstate::kConnectionFailure,
                      "the iamdb gateway cannot log in to the database of instance " + instance().id +
                          " (the server log says why)");
}

awaitable<ClientSession::Startup> ClientSession::read_startup() {
  std::string buffer;
  const size_t max_packet = g_.config->max_startup_packet_bytes;
  for (;;) {
    auto step = pgwire::decode_startup_packet(buffer, max_packet);
    if (!step) {
      co_await refuse(sqlstate::kProtocolViolation, step.error().message, "malformed_startup_packet");
      co_return Startup::kDone;
    }
    if (!step->packet) {
      const size_t old = buffer.size();
      const size_t want = std::max<size_t>(step->needed, 512);
      buffer.resize(old + want);
      auto n = co_await client_->read_some(std::span<char>(buffer.data() + old, want));
      buffer.resize(old + (n ? *n : 0));
      if (!n || *n == 0) {
        if (startup_expired_) {
          co_await refuse(sqlstate::kQueryCanceled, "canceling authentication due to timeout", "startup_timeout");
        } else {
          end_reason_ = "client_closed_during_startup";
          end_outcome_ = audit::Outcome::kDenied;
        }
        co_return Startup::kDone;
      }
      continue;
    }
    const bool extra = buffer.size() > step->consumed;
    if (std::holds_alternative<pgwire::SslRequest>(*step->packet) ||
        std::holds_alternative<pgwire::GssEncRequest>(*step->packet)) {
      const bool ssl = std::holds_alternative<pgwire::SslRequest>(*step->packet);
      if (client_->tls()) {
        co_await refuse(sqlstate::kProtocolViolation, "encryption negotiation inside an encrypted connection",
                        "malformed_startup_packet");
        co_return Startup::kDone;
      }
      if (extra) {
        co_await refuse(sqlstate::kProtocolViolation, "received unencrypted data after SSL request",
                        "malformed_startup_packet");
        co_return Startup::kDone;
      }
      buffer.clear();
      std::string answer;
      if (!ssl) {
        pgwire::write_gssenc_response(answer, false);
        if (auto ok = co_await client_->write_all(answer); !ok) {
          end_reason_ = "client_closed_during_startup";
          co_return Startup::kDone;
        }
        continue;
      }
      pgwire::write_ssl_response(answer, true);
      can_message_ = false;
      if (auto ok = co_await client_->write_all(answer); !ok) {
        end_reason_ = "client_closed_during_startup";
        end_outcome_ = audit::Outcome::kDenied;
        co_return Startup::kDone;
      }
      const SslContext tls = g_.tls->current();
      if (auto ok = co_await client_->accept_tls(tls.get()); !ok) {
        end_reason_ = startup_expired_ ? "startup_timeout" : "tls_handshake_failed";
        end_detail_ = ok.error().message;
        end_outcome_ = audit::Outcome::kDenied;
        co_return Startup::kDone;
      }
      can_message_ = true;
      continue;
    }
    if (auto* cancel = std::get_if<pgwire::CancelRequest>(&*step->packet)) {
      // A cancel key is a secret; guessing at them counts as failing to log in.
      if (g_.throttle->blocked_until(address_)) {
        end_reason_ = "source_blocked";
      } else if (g_.sessions->cancel(cancel->process_id, cancel->secret_key)) {
        end_reason_ = "cancel_request";
      } else {
        end_reason_ = "cancel_request_unknown_key";
        if (g_.throttle->record_failure(address_))
          spdlog::warn("gateway: {} is blocked after repeated failures (cancel keys)", address_);
      }
      co_return Startup::kDone;
    }
    startup_ = std::move(std::get<pgwire::StartupMessage>(*step->packet));
    leftover_ = buffer.substr(step->consumed);
    co_return Startup::kLogin;
  }
}

std::string ClientSession::backend_secret() const {
  switch (runtime_->target->auth) {
    case BackendAuth::kToken: return token_;
    case BackendAuth::kTrust: return {};
    case BackendAuth::kPassword: {
      const std::string* password = runtime_->target->password_of(startup_.user());
      return password ? *password : std::string();
    }
  }
  return {};
}

void ClientSession::register_session() {
  api::DbSession info;
  info.id = session_id_.empty() ? crypto::request_id() : session_id_;
  session_id_ = info.id;
  info.instance = instance().id;
  info.engine = "postgres";
  info.db_user = std::string(startup_.user());
  info.database = std::string(startup_.database());
  info.client_address = address_;
  info.iam = iam_;
  info.principal_arn = principal_;
  info.access_key_id = access_key_;
  info.session_name = session_name_;
  info.started = started_wall_;
  entry_ = g_.sessions->add(std::move(info), executor_, weak_from_this());
}

void ClientSession::write_ready(std::string& out, const Parameters& parameters) {
  pgwire::write_authentication_ok(out);
  for (const auto& [name, value] : parameters) pgwire::write_parameter_status(out, name, value);
  pgwire::write_backend_key_data(out, entry_->process_id(), entry_->secret_key());
  pgwire::write_ready_for_query(out, pgwire::TransactionStatus::kIdle);
}

awaitable<bool> ClientSession::attach_backend() {
  const auto& target = runtime_->target;
  if (!poolable_) {
    auto session = co_await connect_backend(executor_, *target, backend_parameters_, backend_secret());
    if (!session) {
      co_await refuse_backend(session.error());
      co_return false;
    }
    runtime_->pool->record_parameters(key_, session->parameters);
    backend_ = PooledConnection{0, std::move(session->stream), session->process_id, session->secret_key};
    pooled_ = false;
    co_return true;
  }
  const auto wait = std::chrono::seconds(instance().gateway.pool_wait_timeout_seconds);
  auto acquired = co_await runtime_->pool->acquire(io_, key_, std::string(startup_.user()),
                                                  std::chrono::duration_cast<std::chrono::milliseconds>(wait));
  if (acquired.kind == BackendPool::Acquired::Kind::kTimeout) {
    co_await refuse(sqlstate::kTooManyConnections,
                    "no backend connection of instance " + instance().id + " became free within " +
                        std::to_string(wait.count()) + " s (at most " + std::to_string(instance().gateway.max_backends) +
                        " connections)",
                    "pool_wait_timeout");
    co_return false;
  }
  if (acquired.kind == BackendPool::Acquired::Kind::kReuse) {
    backend_ = std::move(acquired.connection);
    pooled_ = true;
    co_return true;
  }
  const std::string user(startup_.user());
  auto session = co_await connect_backend(executor_, *target, backend_parameters_, backend_secret());
  if (!session) {
    runtime_->pool->open_failed(user);
    co_await refuse_backend(session.error());
    co_return false;
  }
  runtime_->pool->record_parameters(key_, session->parameters);
  const PoolLedger::Id id = runtime_->pool->opened(key_, user);
  backend_ = PooledConnection{id, std::move(session->stream), session->process_id, session->secret_key};
  pooled_ = true;
  co_return true;
}

awaitable<bool> ClientSession::login_iam() {
  std::string out = negotiate_;
  pgwire::write_authentication_cleartext_password(out);
  MessageReader reader(pgwire::Peer::kFrontend, g_.config->max_password_bytes + 4);
  reader.prepend(leftover_);
  leftover_.clear();
  auto message = co_await ask_client(out, reader);
  if (!message) co_return false;
  auto password = pgwire::parse_password_message(*message);
  if (!password) {
    co_await refuse(sqlstate::kProtocolViolation, password.error().message, "malformed_password_message");
    co_return false;
  }
  if (reader.buffered() > 0) {
    co_await refuse(sqlstate::kProtocolViolation, "the client sent messages before authentication completed",
                    "malformed_password_message");
    co_return false;
  }

  thread_local sigv4::SigningKeyCache signing_keys;
  audit::Event decision = g_.verifier->decide(
      {instance().id, startup_.user(), *password, address_, client_->tls(), "gateway"}, signing_keys);
  const bool allowed = decision.outcome == audit::Outcome::kAllowed;
  session_id_ = decision.request_id;
  principal_ = decision.principal_arn;
  access_key_ = decision.access_key_id;
  session_name_ = decision.session_name;
  const std::string reason = decision.reason;
  g_.audit->submit(std::move(decision));
  if (!allowed) {
    decision_audited_ = true;
    if (g_.throttle->record_failure(address_))
      spdlog::warn("gateway: {} is blocked for {}s after {} failed log-ins", address_,
                   g_.config->auth_block_seconds, g_.config->auth_failures);
    co_await refuse(sqlstate::kInvalidAuthorizationSpecification,
                    pgwire::iam_authentication_failed_message(startup_.user(), session_id_), reason);
    co_return false;
  }
  g_.throttle->record_success(address_);
  token_ = std::string(*password);

  if (runtime_->target->auth == BackendAuth::kPassword && !runtime_->target->password_of(startup_.user())) {
    spdlog::warn("gateway {}: no backend password stored for IAM user \"{}\"", instance().id, startup_.user());
    co_await refuse(sqlstate::kInvalidAuthorizationSpecification,
                    "the iamdb gateway holds no backend password for user \"" + std::string(startup_.user()) + "\"",
                    "no_backend_password");
    co_return false;
  }

  key_ = pool_key(backend_parameters_, startup_.user(), startup_.database());
  std::shared_ptr<const Parameters> parameters = runtime_->pool->parameters(key_);
  if (!parameters || !poolable_) {
    const bool attached = co_await attach_backend();
    if (!attached) co_return false;
    parameters = runtime_->pool->parameters(key_);
  }
  register_session();
  out.clear();
  write_ready(out, parameters ? *parameters : Parameters{});
  if (auto ok = co_await client_->write_all(out); !ok) {
    end_reason_ = "client_closed_during_authentication";
    co_return false;
  }
  co_return true;
}

awaitable<bool> ClientSession::login_relay() {
  auto opened = co_await open_backend(executor_, *runtime_->relay_target);
  if (!opened) {
    co_await refuse_backend(opened.error());
    co_return false;
  }
  std::unique_ptr<Stream> backend = std::move(*opened);
  std::string out;
  pgwire::write_startup_message(out, backend_parameters_);
  if (auto ok = co_await backend->write_all(out); !ok) {
    BackendFailure f;
    f.reason = "cannot send the startup message to the backend: " + ok.error().message;
    co_await refuse_backend(f);
    co_return false;
  }
  MessageReader from_backend(pgwire::Peer::kBackend, 1u << 20);
  MessageReader from_client(pgwire::Peer::kFrontend, g_.config->max_password_bytes + 4);
  from_client.prepend(leftover_);
  leftover_.clear();
  RelayLogin login(g_.config->allow_passwordless_relay);
  std::string to_client = negotiate_;
  for (;;) {
    auto message = co_await from_backend.next(*backend);
    if (!message) {
      co_await refuse(sqlstate::kConnectionFailure, "the database closed the connection during authentication",
                      "backend_closed_during_authentication");
      co_return false;
    }
    RelayLogin::Step step = login.on_message(*message);
    to_client += step.to_client;
    if (step.gateway_refusal) {
      if (step.reason == "passwordless_relay_refused")
        spdlog::warn("gateway {}: the backend let \"{}\" in without a password; refused (only rds_iam members may be "
                     "trusted on the gateway's path, see [gateway] allow_passwordless_relay)",
                     instance().id, startup_.user());
      co_await refuse(step.gateway_refusal->first, step.gateway_refusal->second, step.reason);
      co_return false;
    }
    if (step.refused) {
      if (can_message_) (void)co_await client_->write_all(to_client);
      end_reason_ = step.reason;
      end_outcome_ = audit::Outcome::kDenied;
      if (step.reason == "backend_authentication_failed" && g_.throttle->record_failure(address_))
        spdlog::warn("gateway: {} is blocked for {}s after {} failed log-ins", address_, g_.config->auth_block_seconds,
                     g_.config->auth_failures);
      co_return false;
    }
    if (step.ready) break;
    if (!step.client_answers) continue;
    auto answer = co_await ask_client(to_client, from_client);
    if (!answer) co_return false;
    to_client.clear();
    if (answer->type != pgwire::frontend::kPassword) {
      co_await refuse(sqlstate::kProtocolViolation,
                      "expected a password message, got " +
                          pgwire::describe_message_type(pgwire::Peer::kFrontend, answer->type),
                      "malformed_password_message");
      co_return false;
    }
    std::string forward;
    append_raw(forward, *answer);
    if (auto ok = co_await backend->write_all(forward); !ok) {
      co_await refuse(sqlstate::kConnectionFailure, "the database closed the connection during authentication",
                      "backend_closed_during_authentication");
      co_return false;
    }
  }
  g_.throttle->record_success(address_);
  register_session();
  pgwire::write_backend_key_data(to_client, entry_->process_id(), entry_->secret_key());
  to_client += login.ready_message();
  if (auto ok = co_await client_->write_all(to_client); !ok) {
    end_reason_ = "client_closed_during_authentication";
    co_return false;
  }
  leftover_ = from_client.take_buffered();
  backend_ = PooledConnection{0, std::move(backend), login.process_id(), login.secret_key()};
  pooled_ = false;
  co_return true;
}

awaitable<RelayEnd> ClientSession::pump_client() {
  std::unique_ptr<char[]> buffer(new char[kRelayBuffer]);
  size_t held = 0;
  std::string first = std::move(leftover_);
  for (;;) {
    size_t n = 0;
    if (!first.empty()) {
      n = std::min(first.size(), kRelayBuffer - held);
      std::memcpy(buffer.get() + held, first.data(), n);
      first.erase(0, n);
    } else {
      auto got = co_await client_->read_some(std::span<char>(buffer.get() + held, kRelayBuffer - held));
      if (!got) co_return RelayEnd::kClientError;
      if (*got == 0) co_return RelayEnd::kClientClosed;
      n = *got;
    }
    entry_->add_from_client(n);
    auto scan = tracker_.scan_client(std::string_view(buffer.get() + held, n));
    if (!scan) {
      violation_ = scan.error().message;
      co_return RelayEnd::kClientProtocol;
    }
    if (scan->forward > 0) {
      auto ok = co_await backend_->stream->write_all(std::string_view(buffer.get(), scan->forward));
      if (!ok) co_return RelayEnd::kBackendError;
    }
    if (scan->terminate) co_return RelayEnd::kClientTerminate;
    const size_t total = held + n;
    held = tracker_.held();
    std::memmove(buffer.get(), buffer.get() + total - held, held);
  }
}

awaitable<RelayEnd> ClientSession::pump_backend() {
  std::unique_ptr<char[]> buffer(new char[kRelayBuffer]);
  for (;;) {
    auto got = co_await backend_->stream->read_some(std::span<char>(buffer.get(), kRelayBuffer));
    if (!got) co_return RelayEnd::kBackendError;
    if (*got == 0) co_return RelayEnd::kBackendClosed;
    const std::string_view bytes(buffer.get(), *got);
    if (auto ok = tracker_.scan_server(bytes); !ok) {
      violation_ = ok.error().message;
      co_return RelayEnd::kServerProtocol;
    }
    if (auto ok = co_await client_->write_all(bytes); !ok) co_return RelayEnd::kClientError;
    entry_->add_to_client(*got);
  }
}

awaitable<void> ClientSession::release_backend(bool reusable) {
  if (!backend_) co_return;
  releasing_ = true;
  if (!pooled_) {
    std::string terminate;
    pgwire::write_terminate(terminate);
    if (!backend_->stream->write_interrupted()) {
      Deadline deadline(executor_, std::chrono::seconds(2), [s = backend_->stream.get()] { s->close(); });
      (void)co_await backend_->stream->write_all(terminate);
    }
    backend_->stream->close();
    backend_.reset();
    co_return;
  }
  bool ok = reusable && tracker_.reusable() && !backend_->stream->write_interrupted() && !stop_ &&
            !runtime_->retired.load(std::memory_order_relaxed);
  if (ok && cancels_in_flight_ > 0) {
    // A cancel on its way must reach this backend before another client's query could.
    cancel_done_.expires_after(kCancelTimeout + std::chrono::seconds(1));
    co_await cancel_done_.async_wait(kTuple);
    ok = cancels_in_flight_ == 0;
  }
  const std::string& reset = instance().gateway.pool_reset_query;
  if (ok && !reset.empty()) {
    MessageReader reader(pgwire::Peer::kBackend, 1u << 20);
    Deadline deadline(executor_, kResetTimeout, [s = backend_->stream.get()] { s->close(); });
    auto result = co_await simple_query(*backend_->stream, reader, reset);
    ok = result && result->status == pgwire::TransactionStatus::kIdle && reader.buffered() == 0;
    if (!result) spdlog::debug("gateway {}: reset of a backend session failed: {}", instance().id, result.error().message);
  }
  runtime_->pool->release(std::move(*backend_), ok);
  backend_.reset();
}

awaitable<void> ClientSession::relay() {
  if (entry_) entry_->set_active(true);
  RelayEnd end = RelayEnd::kClientError;
  if (!stop_) {
    auto outcome = co_await (pump_client() || pump_backend());
    end = std::visit([](RelayEnd e) { return e; }, outcome);
  }
  if (stop_) {
    co_await send_fatal(sqlstate::kAdminShutdown, "terminating connection due to administrator command",
                        stop_detail(*stop_));
    end_reason_ = std::string(stop_reason_name(*stop_));
    client_->close();
    co_await release_backend(false);
    co_return;
  }
  const bool client_left =
      end == RelayEnd::kClientTerminate || end == RelayEnd::kClientClosed || end == RelayEnd::kClientError;
  if (client_left) {
    end_reason_ = end == RelayEnd::kClientTerminate ? "client_terminated"
                  : end == RelayEnd::kClientClosed  ? "client_closed"
                                                    : "client_error";
    client_->close();
    if (entry_) g_.sessions->remove(*entry_);
    co_await release_backend(end != RelayEnd::kClientError);
    co_return;
  }
  std::string fatal_state, fatal_message;
  if (end == RelayEnd::kBackendClosed || end == RelayEnd::kBackendError) {
    end_reason_ = "backend_closed";
    end_outcome_ = audit::Outcome::kError;
    if (tracker_.last_server_message() != pgwire::backend::kErrorResponse) {
      fatal_state = sqlstate::kConnectionFailure;
      fatal_message = "the database closed the connection unexpectedly";
    }
  } else if (end == RelayEnd::kClientProtocol) {
    end_reason_ = "client_protocol_violation";
    end_detail_ = violation_;
    end_outcome_ = audit::Outcome::kDenied;
    fatal_state = sqlstate::kProtocolViolation;
    fatal_message = "invalid message from the client: " + violation_;
  } else {
    end_reason_ = "backend_protocol_violation";
    end_detail_ = violation_;
    end_outcome_ = audit::Outcome::kError;
    fatal_state = sqlstate::kProtocolViolation;
    fatal_message = "the database sent an invalid message";
  }
  if (!fatal_state.empty()) co_await send_fatal(fatal_state, fatal_message);
  client_->close();
  co_await release_backend(false);
}

void ClientSession::stop(StopReason reason) {
  if (stop_ || !entry_) return;
  stop_ = reason;
  if (backend_) backend_->stream->shutdown();
  client_->cancel();
}

void ClientSession::cancel_query() {
  if (!backend_ || releasing_ || !tracker_.busy()) return;
  ++cancels_in_flight_;
  asio::co_spawn(executor_,
                 cancel_backend_query(shared_from_this(), runtime_->target, backend_->process_id, backend_->secret_key),
                 asio::detached);
}

void ClientSession::cancel_finished() {
  if (cancels_in_flight_ > 0 && --cancels_in_flight_ == 0) cancel_done_.cancel();
}

void ClientSession::audit_start() {
  audit::Event e;
  e.kind = audit::Kind::kSessionStart;
  e.time = started_wall_;
  e.request_id = session_id_;
  e.action = "rds-db:connect";
  e.principal_arn = principal_;
  e.access_key_id = access_key_;
  e.session_name = session_name_;
  e.source_address = address_;
  e.instance = instance().id;
  e.engine = "postgres";
  e.db_user = std::string(startup_.user());
  e.via = "gateway";
  e.outcome = audit::Outcome::kAllowed;
  e.reason = iam_ ? "iam" : "relayed";
  e.detail = "database " + std::string(startup_.database()) + (client_->tls() ? ", " + std::string(client_->tls_version()) : "");
  e.latency_ms = time_to_ready_ * 1000;
  g_.audit->submit(std::move(e));
}

void ClientSession::audit_end() {
  if (end_reason_.empty()) end_reason_ = "closed";
  if (!ready_ && decision_audited_) return;
  audit::Event e;
  e.kind = audit::Kind::kSessionEnd;
  e.time = g_.clock->now();
  e.request_id = session_id_.empty() ? crypto::request_id() : session_id_;
  e.action = "rds-db:connect";
  e.principal_arn = principal_;
  e.access_key_id = access_key_;
  e.session_name = session_name_;
  e.source_address = address_;
  e.instance = instance().id;
  e.engine = "postgres";
  e.db_user = std::string(startup_.user());
  e.via = "gateway";
  e.outcome = end_outcome_;
  e.reason = end_reason_;
  e.detail = end_detail_;
  e.latency_ms = seconds_since(started_) * 1000;
  if (ready_) {
    e.duration_seconds = seconds_since(started_);
    e.bytes_from_client = entry_ ? entry_->from_client() : 0;
    e.bytes_to_client = entry_ ? entry_->to_client() : 0;
  }
  g_.audit->submit(std::move(e));
}

awaitable<void> ClientSession::run() {
  started_wall_ = g_.clock->now();
  const std::optional<Refusal> refusal = admission();
  {
    Deadline startup(executor_, std::chrono::seconds(g_.config->startup_timeout_seconds), [this] {
      startup_expired_ = true;
      client_->cancel();
    });
    const Startup step = co_await read_startup();
    if (step == Startup::kDone) {
      if (end_reason_ == "cancel_request" || end_reason_ == "cancel_request_unknown_key") co_return;
      audit_end();
      co_return;
    }
    if (refusal) {
      co_await refuse(refusal->sqlstate, refusal->message, refusal->reason);
      audit_end();
      co_return;
    }
    if (!client_->tls()) {
      co_await refuse(sqlstate::kInvalidAuthorizationSpecification, std::string(kTlsRequired), "tls_required");
      audit_end();
      co_return;
    }
    // The gateway speaks protocol 3.0; newer clients and `_pq_.` options are told so.
    const auto extensions = startup_.protocol_extensions();
    if (startup_.minor_version > 0 || !extensions.empty())
      pgwire::write_negotiate_protocol_version(negotiate_, 0, extensions);
    for (const auto& p : startup_.parameters)
      if (!p.name.starts_with("_pq_.")) backend_parameters_.push_back(p);
    poolable_ = startup_.find("replication") == nullptr;

    auto iam = co_await runtime_->iam_users->is_iam(std::string(startup_.user()));
    if (startup_expired_) {
      co_await refuse(sqlstate::kQueryCanceled, "canceling authentication due to timeout", "startup_timeout");
      audit_end();
      co_return;
    }
    if (!iam) {
      spdlog::warn("gateway {}: {}", instance().id, iam.error().message);
      co_await refuse(sqlstate::kCannotConnectNow,
                      "the iamdb gateway cannot tell yet how user \"" + std::string(startup_.user()) +
                          "\" logs in; try again",
                      "iam_users_unavailable");
      end_detail_ = iam.error().message;
      audit_end();
      co_return;
    }
    iam_ = *iam;
    bool logged_in = false;
    if (iam_) {
      logged_in = co_await login_iam();
    } else {
      logged_in = co_await login_relay();
    }
    if (!logged_in) {
      if (startup_expired_ && end_reason_.empty()) end_reason_ = "startup_timeout";
      if (entry_) g_.sessions->remove(*entry_);
      if (backend_) co_await release_backend(false);
      audit_end();
      co_return;
    }
    startup.disarm();
  }
  ready_ = true;
  time_to_ready_ = seconds_since(started_);
  audit_start();

  if (!backend_) {
    // Ready without a backend: attach one when the client first says something.
    auto readable = co_await client_->wait_readable();
    if (stop_) {
      co_await send_fatal(sqlstate::kAdminShutdown, "terminating connection due to administrator command",
                          stop_detail(*stop_));
      end_reason_ = std::string(stop_reason_name(*stop_));
    } else if (!readable) {
      end_reason_ = "client_error";
    } else {
      std::string first(kRelayBuffer, '\0');
      auto n = co_await client_->read_some(std::span<char>(first.data(), first.size()));
      if (!n || *n == 0 || is_terminate_message(std::string_view(first.data(), *n))) {
        end_reason_ = n && *n > 0 ? "client_terminated" : "client_closed";
      } else {
        first.resize(*n);
        leftover_ = std::move(first);
        const bool attached = co_await attach_backend();
        if (attached) co_await relay();
      }
    }
  } else {
    co_await relay();
  }
  client_->close();
  if (entry_) g_.sessions->remove(*entry_);
  if (backend_) co_await release_backend(false);
  audit_end();
}

}  // namespace

awaitable<void> serve_client(GatewayContext* gateway, std::shared_ptr<InstanceRuntime> instance, asio::io_context* io,
                             Socket socket, std::string client_address) {
  auto session = std::make_shared<ClientSession>(gateway, std::move(instance), io, std::move(socket),
                                                 std::move(client_address));
  co_await session->run();
}

}  // namespace iamdb::gateway::pg
