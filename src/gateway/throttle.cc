// Failure throttling per source address and new-connection rate limits.
#include "gateway/throttle.h"

#include <algorithm>

namespace iamdb::gateway {

std::optional<SystemTime> FailureThrottle::blocked_until(std::string_view address) {
  if (options_.failures == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  const auto it = entries_.find(std::string(address));
  if (it == entries_.end() || !it->second.blocked_until) return std::nullopt;
  if (*it->second.blocked_until <= clock_.now()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.blocked_until;
}

bool FailureThrottle::record_failure(std::string_view address) {
  if (options_.failures == 0) return false;
  const SystemTime now = clock_.now();
  std::lock_guard lock(mu_);
  Entry& e = entries_[std::string(address)];
  if (e.blocked_until) {
    if (*e.blocked_until > now) return false;
    e = Entry{};
  }
  if (e.failures == 0 || now - e.window_start >= options_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures < options_.failures) return false;
  e.blocked_until = now + options_.block;
  return true;
}

void FailureThrottle::record_success(std::string_view address) {
  if (options_.failures == 0) return;
  std::lock_guard lock(mu_);
  const auto it = entries_.find(std::string(address));
  if (it != entries_.end() && !it->second.blocked_until) entries_.erase(it);
}

size_t FailureThrottle::prune() {
  const SystemTime now = clock_.now();
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return e.blocked_until ? *e.blocked_until <= now : now - e.window_start >= options_.window;
  });
  return entries_.size();
}

RateLimiter::RateLimiter(uint32_t per_second, const Clock& clock)
    : per_second_(per_second), clock_(clock), tokens_(per_second), last_(clock.now()) {}

bool RateLimiter::try_acquire() {
  if (per_second_ == 0) return true;
  const SystemTime now = clock_.now();
  std::lock_guard lock(mu_);
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min<double>(per_second_, tokens_ + elapsed * per_second_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace iamdb::gateway
