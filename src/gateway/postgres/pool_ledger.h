// The accounting of one instance's backend connections: which are in use, which are idle and for
// which pool key, who waits, and what a client that needs a connection gets — without any I/O,
// so that the limits and the order of service can be tested as a table.
//
// A pool key is (user, database, the other startup parameters): a reset session (DISCARD ALL)
// returns to the state its startup packet gave it, so it is handed only to clients that would
// have started it the same way. Limits: connections of the instance (`max_total`) and of one
// user (`max_per_user`, 0 for none) count connections in use, idle, and being opened. Idle
// connections live at most `idle_timeout`, every connection at most `max_lifetime`.
//
// A client that needs a connection gets, in order of preference: the most recently used idle
// connection of its key (kReuse); room to open a new one (kOpen), if need be by closing the
// least recently used idle connection of another key (or, at the per-user limit, of the same
// user); or a place in the queue (kWait). Whenever room appears (`release`, `closed`,
// `open_failed`, `expire`), `grant` serves queued clients in arrival order, skipping those that
// still cannot be served.
//
// Not thread-safe: BackendPool holds it under its mutex. Time comes in as arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace iamdb::gateway::pg {

struct PoolLimits {
  uint32_t max_total = 100;
  uint32_t max_per_user = 0;
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds max_lifetime{3600};
};

class PoolLedger {
 public:
  using Id = uint64_t;        // a backend connection
  using WaiterId = uint64_t;  // a queued client

  struct Decision {
    enum class Kind { kReuse, kOpen, kWait };
    Kind kind = Kind::kWait;
    Id reuse = 0;             // kReuse: the idle connection now in use by the client
    std::vector<Id> close;    // kOpen: idle connections removed to make room, to be closed
  };
  struct Grant {
    WaiterId waiter = 0;
    Decision decision;        // kReuse or kOpen
  };

  explicit PoolLedger(PoolLimits limits) : limits_(limits) {}

  // A client of `user` needs a connection for `key`. kOpen reserves room, which `opened` or
  // `open_failed` settles; kWait does not queue the client (see `enqueue`).
  Decision acquire(const std::string& key, const std::string& user);

  // A connection was opened in room that acquire (or a grant) reserved; it is in use.
  Id opened(const std::string& key, const std::string& user, SystemTime now);
  void open_failed(const std::string& user);

  // A client is done with connection `id`: it becomes idle if `reusable` and younger than
  // max_lifetime (returns true), else it is forgotten and the caller closes it (false).
  bool release(Id id, bool reusable, SystemTime now);
  // The I/O layer closed idle connection `id` (the server ended it). Returns whether it was
  // idle in the ledger (false if a client took it meanwhile).
  bool closed(Id id);
  // Idle connections past idle_timeout or max_lifetime, removed from the ledger: close them.
  std::vector<Id> expire(SystemTime now);

  WaiterId enqueue(const std::string& key, const std::string& user);
  // Removes a queued client (timed out, gone). False if it was granted meanwhile: the grant
  // must then be taken and settled.
  bool cancel(WaiterId waiter);
  // Serves queued clients while there is something to give them.
  std::vector<Grant> grant();

  // Every connection in use or idle is released or closed from now on; returns the idle ones,
  // removed, to be closed. Queued clients stay queued (they may be granted room as connections
  // close) — the caller decides what to tell them.
  std::vector<Id> drain_idle();

  uint32_t total() const { return total_; }  // in use + idle + being opened
  uint32_t idle() const { return static_cast<uint32_t>(idle_order_.size()); }
  uint32_t waiting() const { return static_cast<uint32_t>(queue_.size()); }
  uint32_t of_user(const std::string& user) const;
  const PoolLimits& limits() const { return limits_; }

 private:
  struct Connection {
    std::string key;
    std::string user;
    SystemTime created;
    std::optional<SystemTime> idle_since;  // set while idle
  };
  struct Waiter {
    WaiterId id;
    std::string key;
    std::string user;
  };

  void take_idle(Id id);  // idle -> in use
  void forget(Id id);     // removes an in-use or idle connection and its room
  std::optional<Id> least_recently_used_idle(const std::string* user, const std::string& except_key) const;

  PoolLimits limits_;
  uint32_t total_ = 0;
  std::unordered_map<std::string, uint32_t> per_user_;
  std::unordered_map<Id, Connection> connections_;
  std::unordered_map<std::string, std::vector<Id>> idle_by_key_;  // most recently used last
  std::set<std::pair<SystemTime, Id>> idle_order_;                 // least recently used first
  std::deque<Waiter> queue_;
  Id next_id_ = 1;
  WaiterId next_waiter_ = 1;
};

}  // namespace iamdb::gateway::pg
