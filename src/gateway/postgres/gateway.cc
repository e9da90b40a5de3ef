// Listeners that follow the registry, instance runtimes, maintenance and metrics.
#include "gateway/postgres/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <set>

#include "gateway/listen.h"

namespace iamdb::gateway::pg {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct PostgresGateway::Listener {
  std::string instance_id;
  std::string address;  // the listen setting it was bound for
  std::atomic<std::shared_ptr<InstanceRuntime>> runtime;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;  // one per worker, same index
  bool steered = false;                                   // each acceptor names a CPU (SO_INCOMING_CPU)
};

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string ip_text(const tcp::endpoint& endpoint) {
  asio::ip::address a = endpoint.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

asio::awaitable<void> accept_loop(std::shared_ptr<PostgresGateway::Listener> listener,
                                  std::shared_ptr<tcp::acceptor> acceptor, GatewayContext* context,
                                  asio::io_context* io) {
  asio::steady_timer backoff(*io);
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(*io, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors, typically: let connections close before trying again.
      spdlog::warn("gateway {}: accept failed: {}", listener->instance_id, ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    boost::system::error_code ignored;
    const tcp::endpoint remote = socket.remote_endpoint(ignored);
    socket.set_option(tcp::no_delay(true), ignored);
    std::shared_ptr<InstanceRuntime> runtime = listener->runtime.load(std::memory_order_acquire);
    asio::co_spawn(*io, serve_client(context, std::move(runtime), io, Socket(std::move(socket)), ip_text(remote)),
                   asio::detached);
  }
}

}  // namespace

PostgresGateway::PostgresGateway(Services services)
    : s_(std::move(services)),
      throttle_({s_.config.gateway.auth_failures, std::chrono::seconds(s_.config.gateway.auth_failure_window_seconds),
                 std::chrono::seconds(s_.config.gateway.auth_block_seconds)},
                s_.clock) {
  std::signal(SIGPIPE, SIG_IGN);
  const config::Config& c = s_.config;
  tls_cert_ = c.gateway.tls_cert.empty() ? c.resolve(c.tls.cert) : c.resolve(c.gateway.tls_cert);
  tls_key_ = c.gateway.tls_key.empty() ? c.resolve(c.tls.key) : c.resolve(c.gateway.tls_key);
  auto tls = ServerTls::load(tls_cert_, tls_key_);
  if (tls) tls_ = std::move(*tls);
  else spdlog::warn("gateway: no TLS certificate yet, so no gateway listens: {}", tls.error().message);
  context_.config = &c.gateway;
  context_.verifier = &s_.verifier;
  context_.audit = &s_.audit;
  context_.sessions = &s_.sessions;
  context_.tls = tls_.get();
  context_.throttle = &throttle_;
  context_.clock = &s_.clock;
}

PostgresGateway::~PostgresGateway() = default;

void PostgresGateway::start() {
  s_.registry.on_publish([this](const iam::Snapshot& before, const iam::Snapshot& after) { on_publish(before, after); });
  reconcile(*s_.registry.snapshot());
  tick_timer_ = std::make_unique<asio::steady_timer>(*s_.workers.front());
  schedule_tick();
}

std::shared_ptr<InstanceRuntime> PostgresGateway::make_runtime(std::shared_ptr<const iam::Instance> instance) {
  const iam::GatewaySettings& g = instance->gateway;
  auto target = BackendTarget::from(g, std::chrono::seconds(s_.config.gateway.backend_connect_timeout_seconds));
  if (!target) {
    spdlog::error("gateway {}: {}", instance->id, target.error().message);
    return nullptr;
  }
  auto rt = std::make_shared<InstanceRuntime>();
  rt->relay_target = std::make_shared<const BackendTarget>(target->for_relay());
  rt->target = std::make_shared<const BackendTarget>(std::move(*target));
  PoolLimits limits;
  limits.max_total = g.max_backends;
  limits.max_per_user = g.max_backends_per_user;
  limits.idle_timeout = std::chrono::seconds(g.pool_idle_timeout_seconds);
  limits.max_lifetime = std::chrono::seconds(g.pool_max_lifetime_seconds);
  rt->pool = std::make_unique<BackendPool>(limits, s_.clock);
  asio::io_context& monitor_io = *s_.workers[next_monitor_worker_++ % s_.workers.size()];
  rt->iam_users = std::make_shared<IamUsers>(
      monitor_io, rt->target,
      IamUsers::Options{g.monitor_user, g.monitor_database, std::chrono::seconds(s_.config.gateway.iam_users_ttl_seconds)});
  rt->rate = std::make_unique<RateLimiter>(g.max_new_connections_per_second, s_.clock);
  rt->instance = std::move(instance);
  std::erase_if(runtimes_, [](const auto& w) { return w.expired(); });
  runtimes_.push_back(rt);
  return rt;
}

Result<std::shared_ptr<PostgresGateway::Listener>> PostgresGateway::bind(const iam::Instance& instance) {
  auto address = config::parse_listen_address(instance.gateway.listen);
  if (!address) return std::unexpected(address.error());
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address->host, ec);
  if (ec) return fail("the gateway listen address ", instance.gateway.listen, " must be an IP address and port");
  const tcp::endpoint endpoint(ip, address->port);
  auto listener = std::make_shared<Listener>();
  listener->instance_id = instance.id;
  listener->address = instance.gateway.listen;
  const std::vector<int> cpus = steering_cpus(s_.config.gateway.cpu_steering, ip, s_.workers.size(), allowed_cpus());
  listener->steered = !cpus.empty();
  for (size_t i = 0; i < s_.workers.size(); ++i) {
    auto acceptor = open_listener(*s_.workers[i], endpoint, listener->steered ? std::optional(cpus[i]) : std::nullopt);
    if (!acceptor) {
      for (auto& a : listener->acceptors) a->close(ec);
      return fail("cannot listen on ", instance.gateway.listen, ": ", acceptor.error().message);
    }
    listener->acceptors.push_back(std::move(*acceptor));
  }
  // SO_REUSEPORT would let another process of this user share the clients; refuse instead.
  auto foreign = foreign_listener(endpoint);
  if (!foreign) {
    spdlog::warn("gateway {}: could not check that no other process listens on {}: {}", instance.id,
                 instance.gateway.listen, foreign.error().message);
  } else if (*foreign) {
    for (auto& a : listener->acceptors) a->close(ec);
    return fail("cannot listen on ", instance.gateway.listen, ": another process listens there too (socket inode ",
                std::to_string(**foreign), "; `ss -ltnpe` names it) and would take a share of the clients");
  }
  return listener;
}

void PostgresGateway::close(Listener& listener) {
  for (size_t i = 0; i < listener.acceptors.size(); ++i)
    asio::post(*s_.workers[i], [acceptor = listener.acceptors[i]] {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    });
}

void PostgresGateway::retire(const std::shared_ptr<InstanceRuntime>& runtime) {
  if (!runtime) return;
  runtime->retired.store(true, std::memory_order_relaxed);
  runtime->pool->retire();
  runtime->iam_users->retire();
}

void PostgresGateway::reconcile(const iam::Snapshot& snapshot) {
  std::lock_guard lock(mu_);
  reconcile_locked(snapshot);
}

void PostgresGateway::reconcile_locked(const iam::Snapshot& snapshot) {
  if (!accepting_) return;
  std::map<std::string, std::shared_ptr<const iam::Instance>> wanted;
  for (const auto& [key, db] : snapshot.state().instances)
    if (db->engine == "postgres" && db->gateway.enabled()) wanted.emplace(db->id, db);

  for (auto it = listeners_.begin(); it != listeners_.end();) {
    const auto w = wanted.find(it->first);
    if (w != wanted.end() && w->second->gateway.listen == it->second->address) {
      ++it;
      continue;
    }
    close(*it->second);
    retire(it->second->runtime.load());
    spdlog::info("gateway {}: stopped listening on {}", it->first, it->second->address);
    it = listeners_.erase(it);
  }
  for (const auto& [id, db] : wanted) {
    const auto existing = listeners_.find(id);
    if (existing != listeners_.end()) {
      auto current = existing->second->runtime.load();
      if (current && current->instance->gateway == db->gateway) continue;
      auto runtime = make_runtime(db);
      if (!runtime) continue;
      existing->second->runtime.store(runtime);
      retire(current);
      spdlog::info("gateway {}: new settings in use (backend {}, {})", id, db->gateway.backend, db->gateway.backend_auth);
      continue;
    }
    if (!tls_) {
      spdlog::error("gateway {}: not listening on {}: no TLS certificate could be loaded", id, db->gateway.listen);
      continue;
    }
    bool taken = false;
    for (const auto& [other, l] : listeners_) taken = taken || l->address == db->gateway.listen;
    if (taken) {
      spdlog::error("gateway {}: {} is already the gateway address of another instance", id, db->gateway.listen);
      continue;
    }
    auto runtime = make_runtime(db);
    if (!runtime) continue;
    auto listener = bind(*db);
    if (!listener) {
      spdlog::error("gateway {}: {}", id, listener.error().message);
      retire(runtime);
      continue;
    }
    (*listener)->runtime.store(runtime);
    for (size_t i = 0; i < (*listener)->acceptors.size(); ++i)
      asio::co_spawn(*s_.workers[i], accept_loop(*listener, (*listener)->acceptors[i], &context_, s_.workers[i]),
                     asio::detached);
    spdlog::info("gateway {}: listening on {} for backend {} (backend auth {}{})", id, db->gateway.listen,
                 db->gateway.backend, db->gateway.backend_auth,
                 (*listener)->steered ? "; new connections steered to the worker of their CPU" : "");
    listeners_.emplace(id, std::move(*listener));
  }
}

void PostgresGateway::on_publish(const iam::Snapshot& before, const iam::Snapshot& after) {
  reconcile(after);
  if (!s_.config.gateway.end_sessions_on_key_revocation) return;
  std::set<std::string> revoked;
  for (const auto& [id, key] : before.state().access_keys) {
    if (!key->active) continue;
    const iam::AccessKey* now = after.state().find_access_key(id);
    if (!now || !now->active) revoked.insert(id);
  }
  if (revoked.empty()) return;
  const size_t stopped = s_.sessions.stop_access_keys(revoked);
  if (stopped > 0) spdlog::info("gateway: ending {} session(s) of {} revoked access key(s)", stopped, revoked.size());
}

void PostgresGateway::stop_accepting() {
  std::lock_guard lock(mu_);
  accepting_ = false;
  for (auto& [id, listener] : listeners_) close(*listener);
}

void PostgresGateway::stop_sessions() { s_.sessions.stop_all(StopReason::kShutdown); }

uint32_t PostgresGateway::clients() const { return context_.clients.load(std::memory_order_relaxed); }

std::vector<std::string> PostgresGateway::listening() const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, listener] : listeners_) out.push_back(id + "=" + listener->address);
  return out;
}

void PostgresGateway::schedule_tick() {
  tick_timer_->expires_after(std::chrono::seconds(1));
  tick_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    schedule_tick();
  });
}

void PostgresGateway::tick() {
  ++ticks_;
  std::vector<std::shared_ptr<InstanceRuntime>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, listener] : listeners_)
      if (auto rt = listener->runtime.load()) live.push_back(std::move(rt));
  }
  for (const auto& rt : live) rt->pool->sweep();
  if (ticks_ % std::max<uint32_t>(1, s_.config.gateway.tls_reload_seconds) == 0) reload_tls();
  if (ticks_ % 60 == 0) throttle_.prune();
  publish_metrics();
}

void PostgresGateway::reload_tls() {
  if (tls_) {
    auto reloaded = tls_->reload_if_changed();
    if (!reloaded) spdlog::warn("gateway: keeping the current TLS certificate: {}", reloaded.error().message);
    else if (*reloaded) spdlog::info("gateway: TLS certificate reloaded");
    return;
  }
  // No certificate could be loaded at start (said once then); the listeners wait for one.
  auto tls = ServerTls::load(tls_cert_, tls_key_);
  if (!tls) return;
  spdlog::info("gateway: TLS certificate loaded from {}", tls_cert_.string());
  std::lock_guard lock(mu_);
  tls_ = std::move(*tls);
  // Read by sessions, which start only on listeners bound after this.
  context_.tls = tls_.get();
  // The snapshot is taken under the lock: a publish after it reconciles again, after this.
  reconcile_locked(*s_.registry.snapshot());
}

void PostgresGateway::publish_metrics() {
  std::vector<std::shared_ptr<InstanceRuntime>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, listener] : listeners_)
      if (auto rt = listener->runtime.load()) live.push_back(std::move(rt));
  }
  const auto ready = s_.sessions.count_by_instance();
  std::set<std::string> seen;
  for (const auto& rt : live) {
    const std::string& id = rt->instance->id;
    seen.insert(id);
    const BackendPool::Stats st = rt->pool->stats();
    const auto it = ready.find(id);
    s_.metrics.set("iamdb_gateway_clients", {{"instance", id}}, it == ready.end() ? 0 : static_cast<double>(it->second));
    s_.metrics.set("iamdb_gateway_backend_connections", {{"instance", id}, {"state", "idle"}}, st.idle);
    s_.metrics.set("iamdb_gateway_backend_connections", {{"instance", id}, {"state", "in_use"}}, st.total - st.idle);
    s_.metrics.set("iamdb_gateway_pool_waiting_clients", {{"instance", id}}, st.waiting);
    s_.metrics.add("iamdb_gateway_pool_hits_total", {{"instance", id}}, static_cast<double>(st.hits - rt->published_hits));
    s_.metrics.add("iamdb_gateway_pool_misses_total", {{"instance", id}},
                   static_cast<double>(st.misses - rt->published_misses));
    s_.metrics.add("iamdb_gateway_pool_wait_timeouts_total", {{"instance", id}},
                   static_cast<double>(st.timeouts - rt->published_timeouts));
    rt->published_hits = st.hits;
    rt->published_misses = st.misses;
    rt->published_timeouts = st.timeouts;
  }
  for (const std::string& gone : instances_with_metrics_) {
    if (seen.contains(gone)) continue;
    s_.metrics.set("iamdb_gateway_clients", {{"instance", gone}}, 0);
    s_.metrics.set("iamdb_gateway_backend_connections", {{"instance", gone}, {"state", "idle"}}, 0);
    s_.metrics.set("iamdb_gateway_backend_connections", {{"instance", gone}, {"state", "in_use"}}, 0);
    s_.metrics.set("iamdb_gateway_pool_waiting_clients", {{"instance", gone}}, 0);
  }
  instances_with_metrics_ = std::move(seen);
  s_.metrics.set("iamdb_gateway_connections", {}, clients());
}

void PostgresGateway::shutdown_io() {
  std::lock_guard lock(mu_);
  accepting_ = false;
  tick_timer_.reset();
  for (auto& [id, listener] : listeners_) {
    boost::system::error_code ignored;
    for (auto& a : listener->acceptors) a->close(ignored);
    listener->acceptors.clear();
  }
  for (const auto& weak : runtimes_)
    if (auto rt = weak.lock()) rt->iam_users->release_connection();
}

}  // namespace iamdb::gateway::pg
