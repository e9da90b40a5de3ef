// The audit thread: batches events from every thread into the sinks.
#include "audit/pipeline.h"

#include <chrono>

namespace iamdb::audit {

Pipeline::Pipeline(std::optional<FileSink> file, StoreSink store, Metrics& metrics, ErrorReport on_error)
    : file_(std::move(file)), store_(std::move(store)), metrics_(metrics), on_error_(std::move(on_error)) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::submit(Event event) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(event));
    ++submitted_;
    // The thread drains every 100 ms anyway; wake it early only for a large batch, so a burst
    // of logins does not cost a thread wake-up each.
    wake = pending_.size() == kEarlyDrain;
  }
  if (wake) wake_.notify_one();
}

void Pipeline::start() { thread_ = std::thread([this] { run(); }); }

void Pipeline::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Pipeline::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = submitted_;
  wake_.notify_one();
  drained_.wait(lock, [&] { return written_ >= target || !thread_.joinable(); });
}

void Pipeline::run() {
  std::vector<Event> batch;
  for (;;) {
    bool last;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return !pending_.empty() || stopping_; });
      batch.swap(pending_);
      last = stopping_;
    }
    if (!batch.empty()) {
      for (const Event& e : batch) metrics_.count(e);
      if (file_)
        if (auto ok = file_->write(batch); !ok) on_error_(ok.error().message);
      if (store_)
        if (auto ok = store_(batch); !ok) on_error_("audit events not stored: " + ok.error().message);
      {
        std::lock_guard lock(mu_);
        written_ += batch.size();
      }
      drained_.notify_all();
      batch.clear();
    }
    if (last) {
      std::lock_guard lock(mu_);
      if (pending_.empty()) break;
    }
  }
  if (file_) file_->sync();
  drained_.notify_all();
}

}  // namespace iamdb::audit
