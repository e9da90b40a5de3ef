// The server's PostgreSQL gateway: one listener per registered postgres instance that has a
// gateway address (GatewaySettings), each with one SO_REUSEPORT socket per worker so that the
// kernel spreads clients over the workers and a client never changes threads.
//
// Listeners follow the registry: an instance added, changed or removed (an on_publish listener)
// starts, restarts or stops its listener without a server restart. Changed backend or pool
// settings give the instance a new runtime (pool, monitor, rate limit); sessions keep the one
// they started with, and its connections are closed rather than pooled when they end. With
// `[gateway] end_sessions_on_key_revocation`, an access key made Inactive or deleted ends the
// sessions that logged in with it.
//
// Once a second a maintenance tick on worker 0 sweeps the pools, reloads the TLS certificate
// when its files changed (every `tls_reload_seconds`; a certificate that could not be loaded at
// start is looked for as often, and its listeners start once it loads), forgets old throttle
// entries and publishes the gauges and counters (clients, backend connections by state, waiting
// clients, pool hits and misses) to audit::Metrics.
//
// Lifetimes: the gateway must outlive the workers' io_contexts (coroutines of its sessions may
// still be pending in them), and `shutdown_io` must run after the worker threads have stopped
// and before the io_contexts are destroyed. The gateway ignores SIGPIPE for the whole process:
// OpenSSL writes to sockets that a peer may have closed.
//
// Thread-safety: `start`, `stop_accepting`, `stop_sessions` and `shutdown_io` are called by the
// server's owner thread; registry listeners run on the API's writer thread; one mutex guards
// the listener table.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "audit/metrics.h"
#include "audit/pipeline.h"
#include "common/clock.h"
#include "common/error.h"
#include "config/config.h"
#include "gateway/postgres/client_session.h"
#include "gateway/sessions.h"
#include "gateway/throttle.h"
#include "gateway/tls.h"
#include "registry/registry.h"
#include "verify/verifier.h"

namespace iamdb::gateway::pg {

class PostgresGateway {
 public:
  struct Services {
    registry::Registry& registry;
    verify::Verifier& verifier;
    audit::Pipeline& audit;
    audit::Metrics& metrics;
    SessionTable& sessions;
    const config::Config& config;
    std::vector<boost::asio::io_context*> workers;  // at least one
    const Clock& clock;
  };

  // Loads the gateway's TLS certificate when one exists; without it listeners do not start (and
  // say why) until the files appear.
  explicit PostgresGateway(Services services);
  ~PostgresGateway();
  PostgresGateway(const PostgresGateway&) = delete;
  PostgresGateway& operator=(const PostgresGateway&) = delete;

  // Starts the listeners of the instances registered now, follows the registry from then on,
  // and starts the maintenance tick.
  void start();
  // Closes every listener; sessions go on.
  void stop_accepting();
  // Asks every ready session to end (its client gets 57P01).
  void stop_sessions();
  // Client connections open, in every stage.
  uint32_t clients() const;
  // Destroys the listeners, the tick and the monitor connections. After the workers stopped.
  void shutdown_io();

  // "INSTANCE=HOST:PORT" for each instance being served.
  std::vector<std::string> listening() const;

  struct Listener;

 private:
  void reconcile(const iam::Snapshot& snapshot);
  void reconcile_locked(const iam::Snapshot& snapshot);  // with mu_ held
  void on_publish(const iam::Snapshot& before, const iam::Snapshot& after);
  std::shared_ptr<InstanceRuntime> make_runtime(std::shared_ptr<const iam::Instance> instance);
  Result<std::shared_ptr<Listener>> bind(const iam::Instance& instance);
  void close(Listener& listener);
  void retire(const std::shared_ptr<InstanceRuntime>& runtime);
  void schedule_tick();
  void tick();
  void reload_tls();
  void publish_metrics();

  Services s_;
  std::filesystem::path tls_cert_, tls_key_;
  std::unique_ptr<ServerTls> tls_;  // null until the certificate loads; set on worker 0, under mu_
  FailureThrottle throttle_;
  GatewayContext context_;

  mutable std::mutex mu_;
  bool accepting_ = true;
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // by instance id
  std::vector<std::weak_ptr<InstanceRuntime>> runtimes_;         // every runtime that may be alive
  size_t next_monitor_worker_ = 0;

  std::unique_ptr<boost::asio::steady_timer> tick_timer_;
  uint64_t ticks_ = 0;
  std::set<std::string> instances_with_metrics_;
};

}  // namespace iamdb::gateway::pg
