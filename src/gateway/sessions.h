// The gateways' live client sessions, shared by every worker: what `iamdb sessions list` shows
// (through the Query API's DescribeDBSessions), how sessions are ended on request
// (KillDBSessions, a revoked access key, shutdown), and the cancel keys clients were given.
//
// A session registers once it is ready for queries and stays registered until it ends; the
// returned Entry carries the counters it updates (relaxed atomics, no lock on the relay path).
// Requests to a session (stop, cancel its query) are posted to the session's own executor and
// reach it only while it lives (a weak reference): a stale cancel key finds nothing, and a key
// is never reused while its session lives.
//
// Thread-safety: every method may be called from any thread; one mutex guards the tables.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "api/sessions.h"

namespace iamdb::gateway {

enum class StopReason { kKilled, kKeyRevoked, kShutdown };
std::string_view stop_reason_name(StopReason reason);

// What a session offers to the rest of the gateway. Called on the session's executor only.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  virtual void stop(StopReason reason) = 0;
  // The client asked (through its cancel key) to cancel what its backend is running.
  virtual void cancel_query() = 0;
};

class SessionTable final : public api::SessionDirectory {
 public:
  class Entry {
   public:
    const api::DbSession& info() const { return info_; }
    int32_t process_id() const { return process_id_; }
    uint32_t secret_key() const { return secret_key_; }
    void add_from_client(uint64_t n) { from_client_.fetch_add(n, std::memory_order_relaxed); }
    void add_to_client(uint64_t n) { to_client_.fetch_add(n, std::memory_order_relaxed); }
    void set_active(bool active) { active_.store(active, std::memory_order_relaxed); }
    uint64_t from_client() const { return from_client_.load(std::memory_order_relaxed); }
    uint64_t to_client() const { return to_client_.load(std::memory_order_relaxed); }

   private:
    friend class SessionTable;
    api::DbSession info_;
    int32_t process_id_ = 0;
    uint32_t secret_key_ = 0;
    boost::asio::any_io_executor executor_;
    std::weak_ptr<SessionControl> control_;
    std::atomic<uint64_t> from_client_{0}, to_client_{0};
    std::atomic<bool> active_{false};
  };

  SessionTable();

  // Registers a ready session and gives it a cancel key (process id and secret) of its own.
  // `info.id` must be unique. Call `remove` when the session ends.
  std::shared_ptr<Entry> add(api::DbSession info, boost::asio::any_io_executor executor,
                             std::weak_ptr<SessionControl> control);
  void remove(const Entry& entry);

  // Posts a cancel to the session holding this key, if the key is live and the secret matches
  // (compared in constant time). Returns whether it did.
  bool cancel(int32_t process_id, uint32_t secret_key);

  // Stops the sessions of these access keys (a key was made Inactive or deleted).
  size_t stop_access_keys(const std::set<std::string>& access_key_ids);
  size_t stop_all(StopReason reason);
  size_t size() const;
  // Live sessions per instance, for the gauges.
  std::map<std::string, size_t> count_by_instance() const;

  std::vector<api::DbSession> list(const api::SessionFilter& filter) const override;
  std::vector<api::DbSession> kill(const api::SessionFilter& filter) override;

 private:
  api::DbSession snapshot(const Entry& e) const;
  template <class Match>
  std::vector<api::DbSession> stop_matching(Match match, StopReason reason);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> by_id_;
  std::unordered_map<int32_t, std::shared_ptr<Entry>> by_process_id_;
  int32_t next_process_id_;
};

}  // namespace iamdb::gateway
