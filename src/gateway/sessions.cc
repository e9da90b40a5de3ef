// The table of live gateway sessions, their cancel keys, and requests posted to them.
#include "gateway/sessions.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>

#include "crypto/digest.h"
#include "crypto/random.h"

namespace iamdb::gateway {
namespace {

void post_stop(const boost::asio::any_io_executor& executor, std::weak_ptr<SessionControl> control,
               StopReason reason) {
  boost::asio::post(executor, [control = std::move(control), reason] {
    if (auto c = control.lock()) c->stop(reason);
  });
}

uint32_t random_u32() {
  uint8_t bytes[4];
  crypto::random_bytes(bytes);
  uint32_t v;
  std::memcpy(&v, bytes, sizeof v);
  return v;
}

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kKilled: return "killed";
    case StopReason::kKeyRevoked: return "access_key_revoked";
    case StopReason::kShutdown: return "server_shutdown";
  }
  return "killed";
}

SessionTable::SessionTable() : next_process_id_(static_cast<int32_t>(random_u32() % 0x40000000u) + 1) {}

std::shared_ptr<SessionTable::Entry> SessionTable::add(api::DbSession info, boost::asio::any_io_executor executor,
                                                       std::weak_ptr<SessionControl> control) {
  auto entry = std::make_shared<Entry>();
  entry->info_ = std::move(info);
  entry->executor_ = std::move(executor);
  entry->control_ = std::move(control);
  entry->secret_key_ = random_u32();
  std::lock_guard lock(mu_);
  // Process ids count up from a random start, skip those in use and stay positive.
  do {
    entry->process_id_ = next_process_id_;
    next_process_id_ = next_process_id_ == INT32_MAX ? 1 : next_process_id_ + 1;
  } while (by_process_id_.contains(entry->process_id_));
  by_process_id_.emplace(entry->process_id_, entry);
  by_id_.emplace(entry->info_.id, entry);
  return entry;
}

void SessionTable::remove(const Entry& entry) {
  std::lock_guard lock(mu_);
  const auto it = by_process_id_.find(entry.process_id_);
  if (it != by_process_id_.end() && it->second.get() == &entry) by_process_id_.erase(it);
  const auto id = by_id_.find(entry.info_.id);
  if (id != by_id_.end() && id->second.get() == &entry) by_id_.erase(id);
}

bool SessionTable::cancel(int32_t process_id, uint32_t secret_key) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    const auto it = by_process_id_.find(process_id);
    if (it == by_process_id_.end()) return false;
    entry = it->second;
  }
  const uint32_t expected = entry->secret_key_;
  if (!crypto::constant_time_equal(std::string_view(reinterpret_cast<const char*>(&expected), 4),
                                   std::string_view(reinterpret_cast<const char*>(&secret_key), 4)))
    return false;
  boost::asio::post(entry->executor_, [control = entry->control_] {
    if (auto c = control.lock()) c->cancel_query();
  });
  return true;
}

api::DbSession SessionTable::snapshot(const Entry& e) const {
  api::DbSession s = e.info_;
  s.bytes_from_client = e.from_client();
  s.bytes_to_client = e.to_client();
  s.active = e.active_.load(std::memory_order_relaxed);
  return s;
}

template <class Match>
std::vector<api::DbSession> SessionTable::stop_matching(Match match, StopReason reason) {
  std::vector<api::DbSession> stopped;
  std::lock_guard lock(mu_);
  for (const auto& [id, entry] : by_id_) {
    if (!match(*entry)) continue;
    stopped.push_back(snapshot(*entry));
    post_stop(entry->executor_, entry->control_, reason);
  }
  return stopped;
}

size_t SessionTable::stop_access_keys(const std::set<std::string>& ids) {
  return stop_matching([&](const Entry& e) { return !e.info_.access_key_id.empty() && ids.contains(e.info_.access_key_id); },
                       StopReason::kKeyRevoked)
      .size();
}

size_t SessionTable::stop_all(StopReason reason) {
  return stop_matching([](const Entry&) { return true; }, reason).size();
}

size_t SessionTable::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

std::map<std::string, size_t> SessionTable::count_by_instance() const {
  std::map<std::string, size_t> counts;
  std::lock_guard lock(mu_);
  for (const auto& [id, entry] : by_id_) ++counts[entry->info_.instance];
  return counts;
}

std::vector<api::DbSession> SessionTable::list(const api::SessionFilter& filter) const {
  std::vector<api::DbSession> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, entry] : by_id_) {
      api::DbSession s = snapshot(*entry);
      if (filter.matches(s)) out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.started != b.started ? a.started < b.started : a.id < b.id;
  });
  return out;
}

std::vector<api::DbSession> SessionTable::kill(const api::SessionFilter& filter) {
  auto stopped = stop_matching([&](const Entry& e) { return filter.matches(e.info_); }, StopReason::kKilled);
  std::sort(stopped.begin(), stopped.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return stopped;
}

}  // namespace iamdb::gateway
