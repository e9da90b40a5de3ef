// Who must log in with IAM on one backend: the members of `rds_iam` (directly or through other
// roles, as pg_hba.conf's `+rds_iam` counts them; a superuser is not a member just for being
// one), learned through a low-privilege monitor connection and cached.
//
// The answer for a user comes from the cached list while it is fresh (`ttl`). A user who is not
// on the list triggers a refresh (at most once a second), so that `GRANT rds_iam TO u` takes
// effect at u's next log-in. When a refresh fails, a user on the stale list still counts as an
// IAM user (asking for a token is the safe side); a user who is not on it cannot be classified
// and the caller refuses the log-in (rather than relaying a password that might belong to an
// IAM user).
//
// The monitor logs in with its stored backend password (the instance's `backend_passwords`) in
// every backend_auth mode, or without one as trusted.
//
// Refreshes run on one worker (`monitor_io`), over one connection kept open between refreshes;
// concurrent callers share one refresh. Thread-safety: `is_iam` may be awaited from any worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "gateway/postgres/backend.h"

namespace iamdb::gateway::pg {

// The recursive membership query the monitor runs.
extern const std::string_view kIamMembersQuery;

class IamUsers : public std::enable_shared_from_this<IamUsers> {
 public:
  struct Options {
    std::string monitor_user;
    std::string monitor_database;
    std::chrono::seconds ttl{10};
  };
  IamUsers(boost::asio::io_context& monitor_io, std::shared_ptr<const BackendTarget> target, Options options);

  // True if `user` must present a token; an error when that cannot be known.
  boost::asio::awaitable<Result<bool>> is_iam(std::string user);

  // The instance's settings were replaced (or it was removed): the sessions that started under
  // these settings still get answers, but the monitor connection no longer stays open between
  // refreshes. Closes it now unless a refresh is using it, which then closes it.
  void retire();
  // Destroys the monitor connection; only once the workers have stopped (server shutdown).
  void release_connection();

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    bool done = false;  // the refresh it waited for has finished
    bool ok = false;    // ... successfully
  };
  using Clock = std::chrono::steady_clock;

  // The cached answer, or nullopt when a refresh is needed. With mu_ held.
  std::optional<bool> cached(const std::string& user, Clock::time_point now) const;
  friend boost::asio::awaitable<void> refresh_members(std::shared_ptr<IamUsers> self);
  boost::asio::awaitable<Result<std::unordered_set<std::string>>> query();
  void finish_refresh(Result<std::unordered_set<std::string>> members);
  void close_connection();  // on monitor_io_

  boost::asio::io_context& monitor_io_;
  std::shared_ptr<const BackendTarget> target_;
  std::shared_ptr<const BackendTarget> monitor_target_;  // target_, logging in as the monitor
  Options options_;

  mutable std::mutex mu_;
  std::unordered_set<std::string> members_;
  std::optional<Clock::time_point> fetched_;
  Clock::time_point last_attempt_{};
  bool refreshing_ = false;
  bool retired_ = false;
  std::string last_error_;
  std::vector<std::shared_ptr<Waiter>> waiters_;

  // Used on monitor_io_ only.
  std::optional<BackendSession> connection_;
  std::optional<MessageReader> reader_;
};

}  // namespace iamdb::gateway::pg
