// A time limit on a stretch of a connection's coroutine (TLS handshake and login, a backend
// log-in, a reset query): if it passes while the Deadline object lives, `on_expiry` runs on the
// coroutine's executor, typically closing the socket the coroutine waits on, so the wait ends
// with an error and `expired()` says why.
//
// The handler never outlives what it touches: destroying the Deadline disarms it, also when the
// timer has already fired and its completion is queued. One executor (worker thread) only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace iamdb::gateway {

class Deadline {
 public:
  Deadline(const boost::asio::any_io_executor& executor, std::chrono::steady_clock::duration limit,
           std::function<void()> on_expiry)
      : state_(std::make_shared<State>(executor, std::move(on_expiry))) {
    state_->timer.expires_after(limit);
    state_->timer.async_wait([state = state_](const boost::system::error_code& ec) {
      if (ec || !state->armed) return;
      state->expired = true;
      state->on_expiry();
    });
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline() { disarm(); }

  bool expired() const { return state_->expired; }
  void disarm() {
    state_->armed = false;
    state_->timer.cancel();
  }

 private:
  struct State {
    State(const boost::asio::any_io_executor& executor, std::function<void()> f)
        : timer(executor), on_expiry(std::move(f)) {}
    boost::asio::steady_timer timer;
    std::function<void()> on_expiry;
    bool armed = true;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace iamdb::gateway
