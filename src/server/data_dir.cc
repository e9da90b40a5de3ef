// The data directory's lock, and opening or re-keying its store.
#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "crypto/key_file.h"

namespace iamdb::server {

namespace fs = std::filesystem;

Result<DirectoryLock> DirectoryLock::acquire(const fs::path& dir) {
  const fs::path path = dir / "iamdb.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot open ", path.string(), ": ", std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "";
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return fail("another iamdb process is already running on ", dir.string(),
                who.empty() ? "" : " (pid " + who + ")", "; stop it first, or use another --data-dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

fs::path pending_key_path(const config::Config& c) { return fs::path(c.resolve(c.master_key).string() + ".new"); }

// Opens the store with `key` and loads everything, which unseals every secret.
Result<std::unique_ptr<store::SqliteStore>> open_and_check(const config::Config& c, const crypto::AeadKey& key) {
  auto store = store::SqliteStore::open(c.resolve(c.store.sqlite), key);
  if (!store) return store;
  if (auto state = (*store)->load(); !state) return std::unexpected(state.error());
  return store;
}

Result<void> sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open ", dir.string(), ": ", std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail("cannot sync ", dir.string(), ": ", std::strerror(errno));
  return {};
}

}  // namespace

Result<std::unique_ptr<store::SqliteStore>> open_store(const config::Config& c) {
  const fs::path key_path = c.resolve(c.master_key);
  const fs::path pending = pending_key_path(c);
  auto key = crypto::read_key_file(key_path);
  if (!key) return std::unexpected(key.error());
  auto store = open_and_check(c, *key);
  std::error_code ec;
  if (!fs::exists(pending, ec)) return store;
  // A rotation was interrupted: keep whichever key the store's secrets open with.
  if (store) {
    fs::remove(pending, ec);
    return store;
  }
  auto new_key = crypto::read_key_file(pending);
  if (!new_key) return std::unexpected(store.error());
  auto rekeyed = open_and_check(c, *new_key);
  if (!rekeyed) return std::unexpected(store.error());
  fs::rename(pending, key_path, ec);
  if (ec) return fail("cannot finish the master key rotation (rename ", pending.string(), "): ", ec.message());
  if (auto ok = sync_directory(key_path.parent_path()); !ok) return std::unexpected(ok.error());
  return rekeyed;
}

Result<void> rotate_master_key(const config::Config& c) {
  auto old_store = open_store(c);
  if (!old_store) return std::unexpected(old_store.error());
  auto state = (*old_store)->load();
  if (!state) return std::unexpected(state.error());
  old_store->reset();

  const fs::path key_path = c.resolve(c.master_key);
  const fs::path pending = pending_key_path(c);
  auto new_key = crypto::create_key_file(pending);
  if (!new_key) return std::unexpected(new_key.error());
  if (auto ok = sync_directory(pending.parent_path()); !ok) return ok;
  auto store = store::SqliteStore::open(c.resolve(c.store.sqlite), *new_key);
  if (!store) return std::unexpected(store.error());
  // Every row again, sealed under the new key, in one transaction.
  if (auto ok = (*store)->commit(iam::State{}, *state); !ok) return ok;
  std::error_code ec;
  fs::rename(pending, key_path, ec);
  if (ec) return fail("cannot move ", pending.string(), " over ", key_path.string(), ": ", ec.message());
  return sync_directory(key_path.parent_path());
}

}  // namespace iamdb::server
