// The live IAM state of a running server: the current snapshot for readers, and the one door
// for writers.
//
// Readers call `snapshot()` (an atomic load of a `shared_ptr<const Snapshot>`; no lock held
// while reading) and keep the pointer for as long as they need a consistent view. Writers call
// `update(change)`: under the writer mutex the registry copies the current state, lets `change`
// edit the copy, commits the difference to the store, and only then publishes a new snapshot
// — a change is visible to the data plane exactly when it is durable, and a failed commit
// leaves both the store and the snapshot as they were. Listeners registered with
// `on_publish` run after each publish, on the writer's thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "iam/state.h"
#include "store/store.h"

namespace iamdb::registry {

class Registry {
 public:
  // Loads the state from `store` (which must outlive the registry).
  static Result<std::unique_ptr<Registry>> open(store::Store& store);

  std::shared_ptr<const iam::Snapshot> snapshot() const { return current_.load(std::memory_order_acquire); }

  // `change` edits a private copy of the state and returns success, or an error that leaves
  // everything untouched. Its error type E is returned unchanged; a store failure is turned
  // into an E by `on_store_error`.
  template <class E, class Change, class OnStoreError>
  std::expected<void, E> update(Change&& change, OnStoreError&& on_store_error) {
    std::lock_guard lock(write_mu_);
    const auto before = snapshot();
    auto next = std::make_shared<iam::State>(before->state());
    if (std::expected<void, E> ok = change(*next); !ok) return ok;
    if (auto ok = store_.commit(before->state(), *next); !ok) return std::unexpected(on_store_error(ok.error()));
    publish(std::move(next), before->version() + 1);
    return {};
  }

  using Listener = std::function<void(const iam::Snapshot& before, const iam::Snapshot& after)>;
  void on_publish(Listener listener);

  store::Store& store() { return store_; }

  // When each access key was last used, and for what (GetAccessKeyLastUsed). Kept in memory;
  // any thread may record (a short lock), readers get a copy.
  struct KeyUse {
    SystemTime when;
    std::string service;  // "iam", "sts", "rds", "rds-db"
    std::string region;
  };
  void record_key_use(std::string_view access_key_id, std::string_view service, std::string_view region, SystemTime when);
  std::optional<KeyUse> last_key_use(std::string_view access_key_id) const;

 private:
  explicit Registry(store::Store& store) : store_(store) {}
  void publish(std::shared_ptr<const iam::State> state, uint64_t version);

  store::Store& store_;
  std::mutex write_mu_;
  std::atomic<std::shared_ptr<const iam::Snapshot>> current_;
  std::vector<Listener> listeners_;
  mutable std::mutex usage_mu_;
  std::unordered_map<std::string, KeyUse> key_use_;
};

}  // namespace iamdb::registry
