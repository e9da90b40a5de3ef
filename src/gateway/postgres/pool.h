// One instance's pool of logged-in backend connections, shared by every worker: the ledger's
// decisions (pool_ledger.h) carried out on real connections.
//
// An idle connection is kept detached from any worker (its descriptor and TLS state), so a
// client on any worker can take it: `acquire` attaches it to the caller's io_context. Before a
// reused connection is handed out it is checked for anything the server sent while it was idle
// (a connection the server ended, after a restart for example, has an error or an end of
// stream waiting): such a connection is closed and the next one tried. `sweep` closes idle
// connections past their idle timeout or lifetime, and those the server ended.
//
// The pool also remembers, per pool key, the ParameterStatus values a backend reported at
// log-in: a client whose key has them can be told it is ready before any backend is attached.
//
// Clients that find no room wait in the ledger's queue; each waits on its own worker with a
// timer that the granting thread cancels (by posting to the waiter's executor).
//
// Thread-safety: every method may be called from any worker; one mutex guards the ledger,
// the idle connections and the parameters, and is never held across I/O.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "gateway/postgres/pool_ledger.h"
#include "gateway/stream.h"

namespace iamdb::gateway::pg {

using Parameters = std::vector<std::pair<std::string, std::string>>;

// A backend connection a client holds.
struct PooledConnection {
  PoolLedger::Id id = 0;
  std::unique_ptr<Stream> stream;
  int32_t process_id = 0;
  uint32_t secret_key = 0;
};

class BackendPool {
 public:
  BackendPool(PoolLimits limits, const Clock& clock);
  ~BackendPool();
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  struct Acquired {
    enum class Kind { kReuse, kOpen, kTimeout } kind = Kind::kTimeout;
    PooledConnection connection;  // kReuse
  };
  // A connection for (key, user): an idle one attached to `io` (the caller's worker), room to
  // open one (then `opened` or `open_failed`), or kTimeout after waiting `wait` for either.
  boost::asio::awaitable<Acquired> acquire(boost::asio::io_context& io, std::string key, std::string user,
                                           std::chrono::milliseconds wait);
  PoolLedger::Id opened(const std::string& key, const std::string& user);
  void open_failed(const std::string& user);

  // Gives a held connection back: kept for the next client of its key when `reusable` (the
  // session was reset), closed otherwise.
  void release(PooledConnection connection, bool reusable);

  // Closes idle connections that expired or that the server ended; serves waiters.
  void sweep();
  // From now on every connection is closed when released; idle ones are closed now.
  void retire();

  std::shared_ptr<const Parameters> parameters(const std::string& key) const;
  void record_parameters(const std::string& key, Parameters parameters);

  struct Stats {
    uint32_t total = 0, idle = 0, waiting = 0;
    uint64_t hits = 0, misses = 0, timeouts = 0;
  };
  Stats stats() const;

 private:
  struct Idle {
    Stream::Detached detached;
    int32_t process_id = 0;
    uint32_t secret_key = 0;
  };
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    PoolLedger::WaiterId id = 0;
    bool granted = false;
    PoolLedger::Decision decision;
    Idle idle;  // kReuse grants
  };

  // With mu_ held: hands what the ledger grants to waiters and wakes them.
  void serve_waiters(std::vector<Stream::Detached>& to_close);
  Idle take_idle(PoolLedger::Id id);
  static void close_idle(Stream::Detached detached);

  const Clock& clock_;
  mutable std::mutex mu_;
  PoolLedger ledger_;
  bool retired_ = false;
  std::unordered_map<PoolLedger::Id, Idle> idle_;
  std::unordered_map<PoolLedger::WaiterId, std::shared_ptr<Waiter>> waiters_;
  std::unordered_map<std::string, std::shared_ptr<const Parameters>> parameters_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, timeouts_{0};
};

}  // namespace iamdb::gateway::pg
