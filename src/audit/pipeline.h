// Carries audit events from the threads that decide (verify workers, gateways, the API) to
// the sinks (JSON-lines file, store, metrics) on one background thread, so a decision never
// waits for a disk.
//
// `submit` is thread-safe and cheap: it appends to a vector under a short lock and wakes
// nobody. The thread drains in batches every 100 ms (sooner when many are waiting); `stop` drains what is left, fsyncs the file and
// joins. Sink errors are reported through `on_error` (the server logs them) and never drop the
// file line because the store failed, or the reverse.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "audit/event.h"
#include "audit/file_sink.h"
#include "audit/metrics.h"

namespace iamdb::audit {

class Pipeline {
 public:
  using StoreSink = std::function<Result<void>(std::span<const Event>)>;
  using ErrorReport = std::function<void(const std::string&)>;

  Pipeline(std::optional<FileSink> file, StoreSink store, Metrics& metrics, ErrorReport on_error);
  ~Pipeline();

  void submit(Event event);
  void start();
  void stop();
  // Blocks until every event submitted before the call reached the sinks (tests, shutdown).
  void flush();

 private:
  void run();

  static constexpr size_t kEarlyDrain = 512;

  std::optional<FileSink> file_;
  StoreSink store_;
  Metrics& metrics_;
  ErrorReport on_error_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<Event> pending_;
  uint64_t submitted_ = 0;
  uint64_t written_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace iamdb::audit
