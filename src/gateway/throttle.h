// Admission rules of the gateways that depend on time: refusing a source address for a while
// after repeated failed logins, and a per-instance limit on new connections per second.
//
// Both take time from a Clock (tests move a ManualClock; nothing sleeps) and are thread-safe:
// every worker consults them (one short mutex each; a few map operations per connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace iamdb::gateway {

// `failures` failed logins from one address within `window` block it for `block`. A successful
// login clears the address's count. `failures` 0 turns the rule off.
class FailureThrottle {
 public:
  struct Options {
    uint32_t failures = 10;
    std::chrono::seconds window{60};
    std::chrono::seconds block{300};
  };
  FailureThrottle(Options options, const Clock& clock) : options_(options), clock_(clock) {}

  // Until when `address` is refused, or nullopt if it may log in.
  std::optional<SystemTime> blocked_until(std::string_view address);
  // Counts a failure; true when this failure blocks the address (so it is logged once).
  bool record_failure(std::string_view address);
  void record_success(std::string_view address);
  // Forgets addresses whose window and block have passed; returns how many remain.
  size_t prune();

 private:
  struct Entry {
    SystemTime window_start;
    uint32_t failures = 0;
    std::optional<SystemTime> blocked_until;
  };
  Options options_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// A token bucket: `per_second` new connections a second, with bursts of as many. 0: no limit.
class RateLimiter {
 public:
  RateLimiter(uint32_t per_second, const Clock& clock);
  bool try_acquire();
  uint32_t per_second() const { return per_second_; }

 private:
  uint32_t per_second_;
  const Clock& clock_;
  std::mutex mu_;
  double tokens_;
  SystemTime last_;
};

}  // namespace iamdb::gateway
