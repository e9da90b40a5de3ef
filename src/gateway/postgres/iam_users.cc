// The cached list of rds_iam members, refreshed over the monitor connection.
#include "gateway/postgres/iam_users.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/deadline.h"

namespace iamdb::gateway::pg {
namespace {

namespace asio = boost::asio;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// A user not on the list is looked up again at most this often.
constexpr auto kMissRefresh = std::chrono::seconds(1);

// The monitor's startup parameters. Built outside the coroutine: GCC 12 destroys the
// temporaries of a braced initializer list inside a coroutine twice.
std::vector<pgwire::StartupParameter> monitor_parameters(const IamUsers::Options& options) {
  std::vector<pgwire::StartupParameter> parameters;
  parameters.push_back({"user", options.monitor_user});
  parameters.push_back({"database", options.monitor_database});
  parameters.push_back({"application_name", "iamdb gateway monitor"});
  return parameters;
}

}  // namespace

const std::string_view kIamMembersQuery =
    "WITH RECURSIVE members(oid) AS ("
    " SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'rds_iam'"
    " UNION SELECT m.member FROM pg_catalog.pg_auth_members m JOIN members ON m.roleid = members.oid) "
    "SELECT r.rolname FROM pg_catalog.pg_roles r JOIN members ON r.oid = members.oid "
    "WHERE r.rolname <> 'rds_iam'";

asio::awaitable<void> refresh_members(std::shared_ptr<IamUsers> self) {
  auto members = co_await self->query();
  self->finish_refresh(std::move(members));
}

IamUsers::IamUsers(asio::io_context& monitor_io, std::shared_ptr<const BackendTarget> target, Options options)
    : monitor_io_(monitor_io), target_(std::move(target)), options_(std::move(options)) {
  // The monitor is no IAM user: it logs in with its stored password whatever the instance's
  // backend_auth (a token cannot answer md5 or SCRAM), or, without one, as trusted.
  auto monitor = std::make_shared<BackendTarget>(*target_);
  monitor->auth = monitor->password_of(options_.monitor_user) ? BackendAuth::kPassword : BackendAuth::kTrust;
  monitor_target_ = std::move(monitor);
}

std::optional<bool> IamUsers::cached(const std::string& user, Clock::time_point now) const {
  if (!fetched_) return std::nullopt;
  if (members_.contains(user)) {
    if (now - *fetched_ < options_.ttl) return true;
    return std::nullopt;
  }
  if (now - *fetched_ < kMissRefresh) return false;
  return std::nullopt;
}

asio::awaitable<Result<bool>> IamUsers::is_iam(std::string user) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const auto now = Clock::now();
  auto waiter = std::make_shared<Waiter>(executor);
  bool start_refresh = false;
  {
    std::lock_guard lock(mu_);
    if (auto answer = cached(user, now)) co_return *answer;
    const bool failed_recently = !last_error_.empty() && now - last_attempt_ < kMissRefresh;
    if (failed_recently && !refreshing_) {
      if (members_.contains(user)) co_return true;
      co_return fail("cannot list the members of rds_iam: ", last_error_);
    }
    waiters_.push_back(waiter);
    if (!refreshing_) {
      refreshing_ = true;
      last_attempt_ = now;
      start_refresh = true;
    }
  }
  // Outside the lock: co_spawn may start the refresh right here when this is the monitor's worker.
  if (start_refresh) asio::co_spawn(monitor_io_, refresh_members(shared_from_this()), asio::detached);
  waiter->timer.expires_after(target_->connect_timeout + std::chrono::seconds(5));
  co_await waiter->timer.async_wait(kTuple);
  std::lock_guard lock(mu_);
  if (!waiter->done) {
    std::erase(waiters_, waiter);
    if (members_.contains(user)) co_return true;
    co_return fail("listing the members of rds_iam took too long");
  }
  if (waiter->ok || members_.contains(user)) co_return members_.contains(user);
  co_return fail("cannot list the members of rds_iam: ", last_error_);
}

asio::awaitable<Result<std::unordered_set<std::string>>> IamUsers::query() {
  const asio::any_io_executor executor = monitor_io_.get_executor();
  std::string last_error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connection_) {
      const std::string* password = monitor_target_->password_of(options_.monitor_user);
      std::vector<pgwire::StartupParameter> parameters = monitor_parameters(options_);
      // Named, not a conditional expression in the co_await: GCC 12 destroys such a temporary twice.
      std::string secret = password ? *password : std::string();
      auto session = co_await connect_backend(executor, *monitor_target_, std::move(parameters), std::move(secret));
      if (!session) co_return fail("the monitor user \"", options_.monitor_user, "\" cannot log in: ", session.error().reason);
      connection_.emplace(std::move(*session));
      reader_.emplace(pgwire::Peer::kBackend, 1u << 24);
    }
    Stream* stream = connection_->stream.get();
    Deadline deadline(executor, target_->connect_timeout, [stream] { stream->close(); });
    std::string sql(kIamMembersQuery);
    auto rows = co_await simple_query(*stream, *reader_, std::move(sql));
    if (!rows) {
      last_error = deadline.expired() ? "the membership query timed out" : rows.error().message;
      connection_.reset();
      reader_.reset();
      continue;  // the server may have restarted since the last refresh: try a new connection
    }
    std::unordered_set<std::string> members;
    for (const auto& row : rows->rows)
      if (!row.empty() && row[0]) members.insert(*row[0]);
    bool retired = false;
    {
      std::lock_guard lock(mu_);
      retired = retired_;
    }
    if (retired) {
      deadline.disarm();
      close_connection();
    }
    co_return members;
  }
  co_return fail(last_error);
}

void IamUsers::finish_refresh(Result<std::unordered_set<std::string>> members) {
  std::lock_guard lock(mu_);
  refreshing_ = false;
  if (members) {
    members_ = std::move(*members);
    fetched_ = Clock::now();
    last_error_.clear();
  } else {
    last_error_ = members.error().message;
  }
  for (const auto& w : waiters_) {
    w->done = true;
    w->ok = members.has_value();
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
  }
  waiters_.clear();
}

void IamUsers::retire() {
  {
    std::lock_guard lock(mu_);
    retired_ = true;
  }
  asio::post(monitor_io_, [self = shared_from_this()] {
    bool refreshing = false;
    {
      std::lock_guard lock(self->mu_);
      refreshing = self->refreshing_;
    }
    if (!refreshing) self->close_connection();  // else the refresh closes it when done
  });
}

void IamUsers::close_connection() {
  if (connection_) connection_->stream->close();
  connection_.reset();
  reader_.reset();
}

void IamUsers::release_connection() {
  connection_.reset();
  reader_.reset();
}

}  // namespace iamdb::gateway::pg
