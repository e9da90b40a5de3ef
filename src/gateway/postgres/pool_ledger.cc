// Pool accounting: limits, idle connections by key, the wait queue.
#include "gateway/postgres/pool_ledger.h"

#include <algorithm>
#include <cassert>

namespace iamdb::gateway::pg {

uint32_t PoolLedger::of_user(const std::string& user) const {
  const auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

std::optional<PoolLedger::Id> PoolLedger::least_recently_used_idle(const std::string* user,
                                                                   const std::string& except_key) const {
  for (const auto& [since, id] : idle_order_) {
    const Connection& c = connections_.at(id);
    if (c.key == except_key) continue;
    if (user && c.user != *user) continue;
    return id;
  }
  return std::nullopt;
}

void PoolLedger::take_idle(Id id) {
  Connection& c = connections_.at(id);
  assert(c.idle_since);
  idle_order_.erase({*c.idle_since, id});
  auto& list = idle_by_key_[c.key];
  list.erase(std::find(list.begin(), list.end(), id));
  if (list.empty()) idle_by_key_.erase(c.key);
  c.idle_since.reset();
}

void PoolLedger::forget(Id id) {
  const auto it = connections_.find(id);
  assert(it != connections_.end());
  if (it->second.idle_since) take_idle(id);
  if (--per_user_[it->second.user] == 0) per_user_.erase(it->second.user);
  --total_;
  connections_.erase(it);
}

PoolLedger::Decision PoolLedger::acquire(const std::string& key, const std::string& user) {
  Decision d;
  if (const auto it = idle_by_key_.find(key); it != idle_by_key_.end()) {
    d.kind = Decision::Kind::kReuse;
    d.reuse = it->second.back();
    take_idle(d.reuse);
    return d;
  }
  const bool user_full = limits_.max_per_user > 0 && of_user(user) >= limits_.max_per_user;
  const bool total_full = total_ >= limits_.max_total;
  if (user_full || total_full) {
    // Make room by closing an idle connection of another key: of this user when the user is at
    // its limit (closing someone else's would not help), else of anyone.
    const auto victim = least_recently_used_idle(user_full ? &user : nullptr, key);
    if (!victim) return d;  // kWait
    d.close.push_back(*victim);
    forget(*victim);
  }
  d.kind = Decision::Kind::kOpen;
  ++total_;
  ++per_user_[user];
  return d;
}

PoolLedger::Id PoolLedger::opened(const std::string& key, const std::string& user, SystemTime now) {
  const Id id = next_id_++;
  connections_.emplace(id, Connection{key, user, now, std::nullopt});
  return id;
}

void PoolLedger::open_failed(const std::string& user) {
  assert(total_ > 0);
  --total_;
  if (--per_user_[user] == 0) per_user_.erase(user);
}

bool PoolLedger::release(Id id, bool reusable, SystemTime now) {
  const auto it = connections_.find(id);
  assert(it != connections_.end() && !it->second.idle_since);
  if (!reusable || now - it->second.created >= limits_.max_lifetime) {
    forget(id);
    return false;
  }
  it->second.idle_since = now;
  idle_order_.insert({now, id});
  idle_by_key_[it->second.key].push_back(id);
  return true;
}

bool PoolLedger::closed(Id id) {
  const auto it = connections_.find(id);
  if (it == connections_.end() || !it->second.idle_since) return false;
  forget(id);
  return true;
}

std::vector<PoolLedger::Id> PoolLedger::expire(SystemTime now) {
  std::vector<Id> out;
  for (const auto& [since, id] : idle_order_) {
    const Connection& c = connections_.at(id);
    if (now - since >= limits_.idle_timeout || now - c.created >= limits_.max_lifetime) out.push_back(id);
  }
  for (Id id : out) forget(id);
  return out;
}

PoolLedger::WaiterId PoolLedger::enqueue(const std::string& key, const std::string& user) {
  const WaiterId id = next_waiter_++;
  queue_.push_back({id, key, user});
  return id;
}

bool PoolLedger::cancel(WaiterId waiter) {
  const auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Waiter& w) { return w.id == waiter; });
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

std::vector<PoolLedger::Grant> PoolLedger::grant() {
  std::vector<Grant> out;
  for (auto it = queue_.begin(); it != queue_.end();) {
    Decision d = acquire(it->key, it->user);
    if (d.kind == Decision::Kind::kWait) {
      ++it;
      continue;
    }
    out.push_back({it->id, std::move(d)});
    it = queue_.erase(it);
  }
  return out;
}

std::vector<PoolLedger::Id> PoolLedger::drain_idle() {
  std::vector<Id> out;
  for (const auto& [since, id] : idle_order_) out.push_back(id);
  for (Id id : out) forget(id);
  return out;
}

}  // namespace iamdb::gateway::pg
