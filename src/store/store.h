// Where iamdb's state and audit events live durably.
//
// One interface, two implementations: SQLite (the embedded default, `store/sqlite`) and
// PostgreSQL (a shared store for several iamdb nodes). The data plane never calls the store:
// it reads the in-memory snapshot. The control plane (API requests, one write at a time)
// loads the state at start-up and commits each change before acknowledging it.
//
// Thread-safety: implementations serialize calls internally; any thread may call any method.
// A commit either happens completely or not at all, and once it returns success it survives a
// crash of the process or the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/event.h"
#include "common/error.h"
#include "iam/state.h"

namespace iamdb::store {

struct EventQuery {
  std::optional<audit::Kind> kind;
  std::optional<audit::Outcome> outcome;
  std::string principal;  // substring of the principal ARN
  std::string db_user;
  std::string instance;
  std::optional<SystemTime> since, until;
  int64_t after_id = 0;   // only events stored after this id (for following)
  size_t limit = 100;     // newest first unless after_id is set (then oldest first)
};

struct StoredEvent {
  int64_t id = 0;
  audit::Event event;
};

class Store {
 public:
  virtual ~Store() = default;

  // The account this store belongs to; set once by `initialize`.
  virtual Result<iam::Account> account() = 0;
  // Records the account of a new store. Refuses if the store already has one.
  virtual Result<void> initialize(const iam::Account& account) = 0;

  // Reads every entity. Policy documents are compiled again; secrets are unsealed.
  virtual Result<iam::State> load() = 0;
  // Makes `after` durable, given that `before` is the durable state: writes the entities that
  // differ (compared by identity: a changed entity is a new object) and deletes the ones gone.
  virtual Result<void> commit(const iam::State& before, const iam::State& after) = 0;

  virtual Result<void> append_events(std::span<const audit::Event> events) = 0;
  virtual Result<std::vector<StoredEvent>> query_events(const EventQuery& query) = 0;
  // Deletes events older than `cutoff`; returns how many.
  virtual Result<size_t> prune_events(SystemTime cutoff) = 0;
};

}  // namespace iamdb::store
