// The embedded store: one SQLite database file in WAL mode with `synchronous=FULL`, so a
// commit that returned survives a crash of the process or the machine. The schema is
// versioned with `PRAGMA user_version` and upgraded by numbered migrations at open.
//
// Thread-safety: one connection guarded by a mutex; every method may be called from any
// thread. Other processes may read the same file at the same time (`iamdb audit` does);
// keeping a second writer away is the server's job (it locks its data directory).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "store/codec.h"
#include "store/store.h"

struct sqlite3;

namespace iamdb::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and brings its schema up to date.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path, crypto::AeadKey master_key);
  // Opens an existing database read-only (audit queries); load() and commit() refuse.
  static Result<std::unique_ptr<SqliteStore>> open_read_only(const std::filesystem::path& path);
  ~SqliteStore() override;

  Result<iam::Account> account() override;
  Result<void> initialize(const iam::Account& account) override;
  Result<iam::State> load() override;
  Result<void> commit(const iam::State& before, const iam::State& after) override;
  Result<void> append_events(std::span<const audit::Event> events) override;
  Result<std::vector<StoredEvent>> query_events(const EventQuery& query) override;
  Result<size_t> prune_events(SystemTime cutoff) override;

  // Result of `PRAGMA integrity_check` ("ok" when sound); for tests and `iamdb` diagnostics.
  Result<std::string> integrity_check();
  int schema_version();

 private:
  SqliteStore(sqlite3* db, crypto::AeadKey key, bool read_only) : db_(db), codec_(key), read_only_(read_only) {}
  Result<void> exec(const char* sql);
  Result<void> migrate();
  Result<iam::Account> read_account();  // with mu_ held

  std::mutex mu_;
  sqlite3* db_;
  Codec codec_;
  bool read_only_;
};

}  // namespace iamdb::store
