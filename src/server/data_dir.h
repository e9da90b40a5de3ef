// What owning a data directory means: an exclusive lock (one server, or one offline command
// such as rotate-master-key, at a time), and opening its store with its master key, including
// the completion of a master-key rotation that a crash interrupted.
//
// A rotation writes `master.key.new`, re-seals every secret in the store under it in one
// transaction, then renames it over `master.key`. Whichever step a crash stops at, the next
// open finds the store readable with exactly one of the two files and settles on that one.
#pragma once

#include <filesystem>
#include <memory>

#include "common/error.h"
#include "config/config.h"
#include "store/sqlite/sqlite_store.h"

namespace iamdb::server {

class DirectoryLock {
 public:
  // Fails, naming the holder's pid, when another process holds the directory.
  static Result<DirectoryLock> acquire(const std::filesystem::path& dir);
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

// Opens the store with the master key (finishing or undoing an interrupted rotation first) and
// checks that every secret opens. The caller holds the DirectoryLock.
Result<std::unique_ptr<store::SqliteStore>> open_store(const config::Config& config);

// Replaces the master key: re-seals every stored secret under a fresh key in one transaction.
// The server must not be running (the caller holds the DirectoryLock).
Result<void> rotate_master_key(const config::Config& config);

}  // namespace iamdb::server
