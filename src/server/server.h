// `iamdb server`: the daemon. It owns the data directory (an exclusive lock on
// DATA_DIR/iamdb.lock, so a second server refuses to start), opens the store with the master
// key, serves the Query API, /healthz and /metrics over HTTP(S) on the control plane's threads,
// and the verify RPC on the data plane's workers, and writes every decision to the audit
// pipeline.
//
// Lifecycle: `start` brings everything up or fails with a message that says what to change;
// `run` blocks until SIGTERM or SIGINT (or `request_stop`), then stops accepting, lets open
// connections finish (up to the drain timeout), flushes the audit log and returns.
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "config/config.h"

namespace iamdb::server {

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(config::Config config);
  ~Server();

  // "ready api=http://127.0.0.1:8750 verify=/path/verify.sock"
  std::string ready_line() const;
  // Blocks until a stop signal, then drains and shuts down. Returns the exit status.
  int run();
  // Asks `run` to return (thread-safe).
  void request_stop();

  struct Parts;

 private:
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace iamdb::server
