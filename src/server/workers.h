// The data plane's threads: N workers, each running its own io_context, so a connection
// handed to a worker stays on that thread for its whole life and needs no locks.
//
// Thread-safety: `next()` may be called from any thread; `run()`/`stop()`/`join()` from the
// owning thread.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace iamdb::server {

class Workers {
 public:
  // `count` 0 means one per core.
  explicit Workers(unsigned count);
  ~Workers();

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(size_t i) { return *contexts_[i]; }
  // Round-robin choice of a worker for a new connection.
  boost::asio::io_context& next();

  void start();
  // Stops every io_context; pending handlers are abandoned.
  void stop();
  void join();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace iamdb::server
