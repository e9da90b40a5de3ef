// The JSON-lines audit log: one event per line, appended, rotated by size
// (audit.log -> audit.log.1 -> ... -> audit.log.N, the oldest dropped).
//
// Not thread-safe: the audit pipeline's single thread owns it. Each batch is written with one
// write(2) per event line and flushed to the kernel before `write` returns; `sync` fsyncs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "audit/event.h"
#include "common/error.h"

namespace iamdb::audit {

class FileSink {
 public:
  static Result<FileSink> open(std::filesystem::path path, uint64_t max_bytes, uint32_t max_files);
  ~FileSink();
  FileSink(FileSink&& other) noexcept;
  FileSink& operator=(FileSink&&) = delete;

  Result<void> write(std::span<const Event> events);
  void sync();

 private:
  FileSink(std::filesystem::path path, int fd, uint64_t size, uint64_t max_bytes, uint32_t max_files)
      : path_(std::move(path)), fd_(fd), size_(size), max_bytes_(max_bytes), max_files_(max_files) {}
  Result<void> rotate();

  std::filesystem::path path_;
  int fd_;
  uint64_t size_;
  uint64_t max_bytes_;
  uint32_t max_files_;
};

}  // namespace iamdb::audit
