// Bringing the daemon up, running it, and shutting it down cleanly.
#include "server/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <thread>

#include "api/service.h"
#include "audit/metrics.h"
#include "audit/pipeline.h"
#include "gateway/postgres/gateway.h"
#include "gateway/sessions.h"
#include "iam/bootstrap.h"
#include "registry/registry.h"
#include "server/data_dir.h"
#include "server/http_server.h"
#include "server/verify_server.h"
#include "server/workers.h"
#include "store/sqlite/sqlite_store.h"
#include "verify/rpc.h"
#include "verify/verifier.h"

namespace iamdb::server {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr auto kDrainTimeout = std::chrono::seconds(10);
constexpr auto kMaintenanceInterval = std::chrono::seconds(30);

struct Server::Parts {
  config::Config config;
  std::optional<DirectoryLock> lock;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<registry::Registry> registry;
  audit::Metrics metrics;
  std::unique_ptr<audit::Pipeline> audit;
  std::unique_ptr<verify::Verifier> verifier;
  // Declared before the workers: sessions still pending in the workers' io_contexts when those
  // are destroyed refer to the gateway and its session table.
  gateway::SessionTable sessions;
  std::unique_ptr<gateway::pg::PostgresGateway> postgres_gateway;
  std::unique_ptr<Workers> workers;
  std::unique_ptr<VerifyServer> verify_server;
  asio::io_context control{2};
  std::optional<asio::ssl::context> api_tls;
  std::unique_ptr<api::Service> api;
  std::unique_ptr<HttpServer> http;
  std::vector<std::thread> control_threads;
  asio::signal_set signals{control, SIGTERM, SIGINT};
  asio::steady_timer maintenance{asio::make_strand(control)};  // re-armed and cancelled on its strand
  std::string ready;
  std::atomic<bool> stopping{false};
};

namespace {

Result<void> configure_tls(asio::ssl::context& ctx, const config::Config& c) {
  boost::system::error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                  ec);
  if (ctx.use_certificate_chain_file(c.resolve(c.tls.cert).string(), ec); ec)
    return fail("cannot load the TLS certificate ", c.resolve(c.tls.cert).string(), ": ", ec.message());
  if (ctx.use_private_key_file(c.resolve(c.tls.key).string(), asio::ssl::context::pem, ec); ec)
    return fail("cannot load the TLS key ", c.resolve(c.tls.key).string(), ": ", ec.message());
  return {};
}

// Removes expired STS sessions from the state and old events from the store.
void maintain(Server::Parts& p) {
  const SystemTime now = SystemClock::instance().now();
  const auto snapshot = p.registry->snapshot();
  bool expired = false;
  for (const auto& [id, s] : snapshot->state().sessions) expired = expired || s->expires <= now;
  if (expired) {
    auto ok = p.registry->update<Error>(
        [&](iam::State& s) -> std::expected<void, Error> {
          std::erase_if(s.sessions, [&](const auto& kv) { return kv.second->expires <= now; });
          return {};
        },
        [](const Error& e) { return e; });
    if (!ok) spdlog::warn("could not remove expired sessions: {}", ok.error().message);
  }
  if (p.config.audit.store) {
    const auto cutoff = now - std::chrono::hours(24) * p.config.audit.store_retention_days;
    if (auto n = p.store->prune_events(cutoff); !n) spdlog::warn("could not prune audit events: {}", n.error().message);
  }
}

void schedule_maintenance(Server::Parts& p) {
  p.maintenance.expires_after(kMaintenanceInterval);
  p.maintenance.async_wait([&p](const boost::system::error_code& ec) {
    if (ec || p.stopping) return;
    maintain(p);
    schedule_maintenance(p);
  });
}

std::string verify_line(Server::Parts& p, std::string_view line, bool oversized) {
  thread_local sigv4::SigningKeyCache signing_keys;
  if (oversized) return verify::format_refusal("", "request_too_large");
  auto request = verify::parse_request(line);
  if (!request) {
    spdlog::warn("verify RPC: refused a malformed request: {}", request.error().message);
    return verify::format_refusal("", "malformed_request");
  }
  audit::Event event = p.verifier->decide({request->instance, request->user, request->token, request->client_addr,
                                           request->tls, "verify-rpc"},
                                          signing_keys);
  std::string response = verify::format_response(event);
  p.audit->submit(std::move(event));
  return response;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(config::Config config) {
  auto parts = std::make_unique<Parts>();
  Parts& p = *parts;
  p.config = std::move(config);
  const config::Config& c = p.config;
  std::error_code fs_ec;
  if (!fs::is_directory(c.data_dir, fs_ec))
    return fail("the data directory ", c.data_dir.string(), " does not exist: create one with `iamdb init --data-dir ",
                c.data_dir.string(), "`");
  auto lock = DirectoryLock::acquire(c.data_dir);
  if (!lock) return std::unexpected(lock.error());
  p.lock.emplace(std::move(*lock));

  auto store = open_store(c);
  if (!store) return std::unexpected(store.error());
  p.store = std::move(*store);
  auto account = p.store->account();
  if (!account) return std::unexpected(account.error());
  if (!c.account_id.empty() && account->id != c.account_id)
    return fail("the configuration names account ", c.account_id, " but the store belongs to account ", account->id);
  if (account->region != c.region)
    return fail("the configuration names region ", c.region, " but the store was made for region ", account->region,
                "; the region is fixed when a store is made");
  auto registry = registry::Registry::open(*p.store);
  if (!registry) return std::unexpected(registry.error());
  p.registry = std::move(*registry);
  // A newer iamdb may bring AWS-managed policies that an older store lacks.
  if (auto ok = p.registry->update<Error>(
          [](iam::State& s) { return iam::add_aws_managed_policies(s, SystemClock::instance().now()); },
          [](const Error& e) { return e; });
      !ok)
    return std::unexpected(ok.error());

  std::optional<audit::FileSink> file;
  auto sink = audit::FileSink::open(c.resolve(c.audit.file), c.audit.max_file_bytes, c.audit.max_files);
  if (!sink) return std::unexpected(sink.error());
  file.emplace(std::move(*sink));
  audit::Pipeline::StoreSink store_sink;
  if (c.audit.store) store_sink = [&p](std::span<const audit::Event> events) { return p.store->append_events(events); };
  p.audit = std::make_unique<audit::Pipeline>(std::move(file), std::move(store_sink), p.metrics,
                                              [](const std::string& message) { spdlog::error("audit: {}", message); });

  p.verifier = std::make_unique<verify::Verifier>(
      *p.registry, SystemClock::instance(),
      verify::Options{std::chrono::seconds(c.verify.token_clock_skew_seconds), 8192});
  p.workers = std::make_unique<Workers>(c.worker_threads);
  VerifyLimits verify_limits;
  verify_limits.idle_timeout = std::chrono::seconds(c.verify.idle_timeout_seconds);
  verify_limits.max_connections = c.verify.max_connections;
  p.verify_server = std::make_unique<VerifyServer>(
      *p.workers, verify_limits, [&p](std::string_view line, bool oversized) { return verify_line(p, line, oversized); });
  const fs::path socket = c.resolve(c.verify.socket);
  if (auto ok = p.verify_server->listen(socket, c.verify.socket_group); !ok) return std::unexpected(ok.error());

  if (c.api.tls) {
    p.api_tls.emplace(asio::ssl::context::tls_server);
    if (auto ok = configure_tls(*p.api_tls, c); !ok) return std::unexpected(ok.error());
  }
  p.api = std::make_unique<api::Service>(*p.registry, p.config, SystemClock::instance(), *p.audit, p.metrics);
  p.api->set_sessions(&p.sessions);
  std::vector<asio::io_context*> worker_contexts;
  for (size_t i = 0; i < p.workers->size(); ++i) worker_contexts.push_back(&p.workers->at(i));
  p.postgres_gateway = std::make_unique<gateway::pg::PostgresGateway>(gateway::pg::PostgresGateway::Services{
      *p.registry, *p.verifier, *p.audit, p.metrics, p.sessions, p.config, std::move(worker_contexts),
      SystemClock::instance()});
  HttpLimits http_limits;
  http_limits.max_body_bytes = c.api.max_body_bytes;
  http_limits.header_timeout = std::chrono::seconds(c.api.header_timeout_seconds);
  http_limits.body_timeout = std::chrono::seconds(c.api.body_timeout_seconds);
  http_limits.idle_timeout = std::chrono::seconds(c.api.idle_timeout_seconds);
  http_limits.max_connections = c.api.max_connections;
  p.http = std::make_unique<HttpServer>(
      p.control, http_limits, [&p](api::HttpRequest&& r) { return p.api->handle(std::move(r)); },
      p.api_tls ? &*p.api_tls : nullptr);
  auto listen = config::parse_listen_address(c.api.listen);
  if (!listen) return std::unexpected(listen.error());
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen->host, ec);
  if (ec) return fail("[api] listen host ", listen->host, " is not an IP address");
  if (auto ok = p.http->listen({address, listen->port}); !ok) return std::unexpected(ok.error());

  const auto bound = p.http->local_endpoint();
  const config::ListenAddress shown{bound.address().to_string(), bound.port()};
  p.ready = "ready api=" + std::string(c.api.tls ? "https://" : "http://") + shown.to_string() +
            " verify=" + socket.string();

  p.audit->start();
  p.workers->start();
  p.verify_server->start();
  p.postgres_gateway->start();
  p.http->start();
  p.signals.async_wait([&p](const boost::system::error_code& e, int signal) {
    if (e) return;
    spdlog::info("received signal {}, shutting down", signal);
    p.stopping = true;
    p.stopping.notify_all();
  });
  schedule_maintenance(p);
  for (int i = 0; i < 2; ++i) p.control_threads.emplace_back([&p] { p.control.run(); });
  spdlog::info("iamdb server for account {} in {}: {}", account->id, c.region, p.ready);
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() {
  Parts& p = *parts_;
  p.stopping = true;
  p.http->stop();
  p.verify_server->stop();
  p.control.stop();
  for (auto& t : p.control_threads)
    if (t.joinable()) t.join();
  p.workers->stop();
  p.workers->join();
  p.postgres_gateway->shutdown_io();
  p.audit->stop();
}

std::string Server::ready_line() const { return parts_->ready; }

void Server::request_stop() {
  parts_->stopping = true;
  parts_->stopping.notify_all();
}

int Server::run() {
  Parts& p = *parts_;
  p.stopping.wait(false);
  // Stop accepting; let what is in flight finish.
  p.http->stop();
  p.verify_server->stop();
  p.postgres_gateway->stop_accepting();
  p.postgres_gateway->stop_sessions();
  asio::post(p.maintenance.get_executor(), [&p] { p.maintenance.cancel(); });
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  const auto busy = [&p] {
    return p.http->requests_in_flight() + p.verify_server->requests_in_flight() + p.postgres_gateway->clients();
  };
  while (busy() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (busy() > 0) spdlog::warn("{} requests still unanswered after {}s; closing them", busy(), kDrainTimeout.count());
  p.audit->flush();
  spdlog::info("stopped");
  return 0;
}

}  // namespace iamdb::server
