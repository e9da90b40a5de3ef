// The verify RPC listener (docs/verify-rpc.md): a Unix stream socket, newline-delimited JSON
// requests, one JSON line answered per request.
//
// The listening socket is accepted on worker 0 and each connection is handed to a worker in
// turn; the connection's coroutine stays on that worker and calls `handler` there, so the
// handler must not block (it reads the in-memory snapshot). Lines longer than 16 KiB and
// connections idle past `idle_timeout` are closed; connections over `max_connections` are
// refused at accept.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"
#include "server/workers.h"

namespace iamdb::server {

struct VerifyLimits {
  std::chrono::seconds idle_timeout{30};
  uint32_t max_connections = 4096;
  size_t max_line_bytes = 16 * 1024;
};

// Takes one request line (without the newline); returns the response line (without it).
// A line longer than the limit is passed as `oversized = true` with the part that was read.
using LineHandler = std::function<std::string(std::string_view line, bool oversized)>;

class VerifyServer {
 public:
  VerifyServer(Workers& workers, VerifyLimits limits, LineHandler handler);
  ~VerifyServer();

  // Creates the socket at `path` (mode 0660, group `group` if not empty). A stale socket file
  // left by a crashed server is replaced; a live one (another server answering) is an error.
  Result<void> listen(const std::filesystem::path& path, const std::string& group);
  void start();
  void stop();
  // Requests read and not yet answered (for draining at shutdown).
  uint32_t requests_in_flight() const;

  struct Shared;

 private:
  Workers& workers_;
  std::shared_ptr<Shared> shared_;
  std::filesystem::path path_;
};

}  // namespace iamdb::server
