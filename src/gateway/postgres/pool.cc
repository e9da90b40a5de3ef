// Idle backend connections handed between workers, waiting clients, recorded parameters.
#include "gateway/postgres/pool.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/postgres/be_write.h"

namespace iamdb::gateway::pg {
namespace {

namespace asio = boost::asio;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

BackendPool::BackendPool(PoolLimits limits, const Clock& clock) : clock_(clock), ledger_(limits) {}

BackendPool::~BackendPool() {
  for (auto& [id, idle] : idle_) close_idle(idle.detached);
}

void BackendPool::close_idle(Stream::Detached d) {
  // A polite Terminate, if the socket takes it at once; the server copes without.
  std::string terminate;
  pgwire::write_terminate(terminate);
  if (d.ssl) {
    ERR_clear_error();
    SSL_write(d.ssl, terminate.data(), static_cast<int>(terminate.size()));
    ERR_clear_error();
  } else if (d.fd >= 0) {
    [[maybe_unused]] const ssize_t n = ::send(d.fd, terminate.data(), terminate.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  Stream::discard(d);
}

BackendPool::Idle BackendPool::take_idle(PoolLedger::Id id) {
  auto node = idle_.extract(id);
  return std::move(node.mapped());
}

void BackendPool::serve_waiters(std::vector<Stream::Detached>& to_close) {
  for (auto& grant : ledger_.grant()) {
    auto node = waiters_.extract(grant.waiter);
    for (PoolLedger::Id id : grant.decision.close) to_close.push_back(take_idle(id).detached);
    const std::shared_ptr<Waiter>& w = node.mapped();
    w->granted = true;
    w->decision = std::move(grant.decision);
    if (w->decision.kind == PoolLedger::Decision::Kind::kReuse) w->idle = take_idle(w->decision.reuse);
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
  }
}

asio::awaitable<BackendPool::Acquired> BackendPool::acquire(asio::io_context& io, std::string key, std::string user,
                                                            std::chrono::milliseconds wait) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  for (;;) {
    std::vector<Stream::Detached> to_close;
    std::shared_ptr<Waiter> waiter;
    PoolLedger::Decision decision;
    Idle idle;
    {
      std::lock_guard lock(mu_);
      decision = ledger_.acquire(key, user);
      for (PoolLedger::Id id : decision.close) to_close.push_back(take_idle(id).detached);
      if (decision.kind == PoolLedger::Decision::Kind::kReuse) {
        idle = take_idle(decision.reuse);
      } else if (decision.kind == PoolLedger::Decision::Kind::kWait && wait.count() > 0) {
        waiter = std::make_shared<Waiter>(executor);
        waiter->id = ledger_.enqueue(key, user);
        waiters_.emplace(waiter->id, waiter);
      }
    }
    for (auto& d : to_close) close_idle(d);

    if (waiter) {
      waiter->timer.expires_after(wait);
      co_await waiter->timer.async_wait(kTuple);
      std::lock_guard lock(mu_);
      if (!waiter->granted) {
        ledger_.cancel(waiter->id);
        waiters_.erase(waiter->id);
        timeouts_.fetch_add(1, std::memory_order_relaxed);
        co_return Acquired{};
      }
      decision = std::move(waiter->decision);
      idle = std::move(waiter->idle);
    } else if (decision.kind == PoolLedger::Decision::Kind::kWait) {
      timeouts_.fetch_add(1, std::memory_order_relaxed);
      co_return Acquired{};
    }

    if (decision.kind == PoolLedger::Decision::Kind::kOpen) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      co_return Acquired{Acquired::Kind::kOpen, {}};
    }
    // A reused connection: make sure the server did not end it while it was idle.
    if (Stream::readable_now(idle.detached)) {
      close_idle(idle.detached);
      std::vector<Stream::Detached> more;
      {
        std::lock_guard lock(mu_);
        ledger_.release(decision.reuse, false, clock_.now());
        serve_waiters(more);
      }
      for (auto& d : more) close_idle(d);
      continue;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    Acquired out{Acquired::Kind::kReuse, {}};
    out.connection.id = decision.reuse;
    out.connection.stream = std::make_unique<Stream>(Stream::attach(io, idle.detached));
    out.connection.process_id = idle.process_id;
    out.connection.secret_key = idle.secret_key;
    co_return out;
  }
}

PoolLedger::Id BackendPool::opened(const std::string& key, const std::string& user) {
  std::lock_guard lock(mu_);
  return ledger_.opened(key, user, clock_.now());
}

void BackendPool::open_failed(const std::string& user) {
  std::vector<Stream::Detached> to_close;
  {
    std::lock_guard lock(mu_);
    ledger_.open_failed(user);
    serve_waiters(to_close);
  }
  for (auto& d : to_close) close_idle(d);
}

void BackendPool::release(PooledConnection connection, bool reusable) {
  std::vector<Stream::Detached> to_close;
  Idle idle;
  if (reusable && connection.stream && connection.stream->is_open() && !connection.stream->write_interrupted()) {
    idle.detached = connection.stream->detach();
    idle.process_id = connection.process_id;
    idle.secret_key = connection.secret_key;
  } else {
    reusable = false;
    if (connection.stream) connection.stream->close();
  }
  {
    std::lock_guard lock(mu_);
    const bool kept = ledger_.release(connection.id, reusable && !retired_, clock_.now());
    if (kept) idle_.emplace(connection.id, std::move(idle));
    else if (reusable) to_close.push_back(idle.detached);
    serve_waiters(to_close);
  }
  for (auto& d : to_close) close_idle(d);
}

void BackendPool::sweep() {
  std::vector<Stream::Detached> to_close;
  {
    std::lock_guard lock(mu_);
    for (PoolLedger::Id id : ledger_.expire(clock_.now())) to_close.push_back(take_idle(id).detached);
    std::vector<PoolLedger::Id> ended;
    for (const auto& [id, idle] : idle_)
      if (Stream::readable_now(idle.detached)) ended.push_back(id);
    for (PoolLedger::Id id : ended)
      if (ledger_.closed(id)) to_close.push_back(take_idle(id).detached);
    serve_waiters(to_close);
  }
  for (auto& d : to_close) close_idle(d);
}

void BackendPool::retire() {
  std::vector<Stream::Detached> to_close;
  {
    std::lock_guard lock(mu_);
    retired_ = true;
    for (PoolLedger::Id id : ledger_.drain_idle()) to_close.push_back(take_idle(id).detached);
    serve_waiters(to_close);
  }
  for (auto& d : to_close) close_idle(d);
}

std::shared_ptr<const Parameters> BackendPool::parameters(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = parameters_.find(key);
  return it == parameters_.end() ? nullptr : it->second;
}

void BackendPool::record_parameters(const std::string& key, Parameters parameters) {
  auto shared = std::make_shared<const Parameters>(std::move(parameters));
  std::lock_guard lock(mu_);
  parameters_[key] = std::move(shared);
}

BackendPool::Stats BackendPool::stats() const {
  Stats s;
  {
    std::lock_guard lock(mu_);
    s.total = ledger_.total();
    s.idle = ledger_.idle();
    s.waiting = ledger_.waiting();
  }
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace iamdb::gateway::pg
