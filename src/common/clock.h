// Where time comes from. Every rule that depends on time (token expiry, policy date
// conditions, session lifetimes) takes a `const Clock&`, so tests can freeze or move time
// instead of sleeping.
//
// Thread-safety: SystemClock is stateless; ManualClock may be read from several threads while
// one thread moves it (its value is an atomic).
#pragma once

#include <atomic>
#include <chrono>

namespace iamdb {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  // One instance for the whole program; it has no state.
  static const SystemClock& instance();
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SystemTime start) : now_(start.time_since_epoch().count()) {}
  SystemTime now() const override {
    return SystemTime(SystemTime::duration(now_.load(std::memory_order_relaxed)));
  }
  void set(SystemTime t) { now_.store(t.time_since_epoch().count(), std::memory_order_relaxed); }
  void advance(SystemTime::duration d) { now_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<SystemTime::rep> now_;
};

}  // namespace iamdb
