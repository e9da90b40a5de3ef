// SQLite implementation of the store: WAL, synchronous=FULL, numbered migrations, one table
// per entity kind holding JSON documents, and an audit table with the columns queries filter on.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <array>
#include <chrono>

#include "common/time.h"

namespace iamdb::store {
namespace {

using nlohmann::json;

// Migration N (1-based) brings the schema from version N-1 to N. Never edit one that has
// shipped; add the next.
constexpr std::array<const char*, 1> kMigrations = {
    R"sql(
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE users (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE groups (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE roles (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE policies (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE access_keys (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE sessions (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE instances (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE audit_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      time_ms INTEGER NOT NULL,
      kind TEXT NOT NULL,
      outcome TEXT NOT NULL,
      principal TEXT NOT NULL,
      db_user TEXT NOT NULL,
      instance TEXT NOT NULL,
      doc TEXT NOT NULL);
    CREATE INDEX audit_events_time ON audit_events (time_ms);
    )sql",
};

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  void bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Error sqlite_error(sqlite3* db, std::string_view what) {
  return Error{std::string(what) + ": " + sqlite3_errmsg(db)};
}

int64_t millis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Writes the rows of one table that differ between two versions of it.
template <class T>
Result<void> write_diff(sqlite3* db, const char* table, const iam::Table<T>& before, const iam::Table<T>& after,
                        const Codec& codec) {
  const std::string upsert_sql = std::string("INSERT OR REPLACE INTO ") + table + " (key, doc) VALUES (?, ?)";
  const std::string delete_sql = std::string("DELETE FROM ") + table + " WHERE key = ?";
  Statement upsert(db, upsert_sql.c_str()), remove(db, delete_sql.c_str());
  if (!upsert.ok() || !remove.ok()) return std::unexpected(sqlite_error(db, "preparing a write"));
  for (const auto& [key, value] : after) {
    const auto old = before.find(key);
    if (old != before.end() && old->second == value) continue;
    upsert.bind(1, key);
    upsert.bind(2, codec.encode(*value).dump());
    if (upsert.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db, std::string("writing ") + table));
    upsert.reset();
  }
  for (const auto& [key, value] : before) {
    if (after.contains(key)) continue;
    remove.bind(1, key);
    if (remove.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db, std::string("deleting from ") + table));
    remove.reset();
  }
  return {};
}

template <class T, class Decode>
Result<void> read_table(sqlite3* db, const char* table, iam::Table<T>& out, Decode decode) {
  const std::string sql = std::string("SELECT key, doc FROM ") + table;
  Statement select(db, sql.c_str());
  if (!select.ok()) return std::unexpected(sqlite_error(db, "preparing a read"));
  int rc;
  while ((rc = select.step()) == SQLITE_ROW) {
    const json doc = json::parse(select.text(1), nullptr, false);
    if (doc.is_discarded()) return fail("row ", select.text(0), " of ", table, " is not JSON");
    auto value = decode(doc);
    if (!value) return fail(table, " ", select.text(0), ": ", value.error().message);
    out.emplace(select.text(0), std::make_shared<const T>(std::move(*value)));
  }
  if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(db, std::string("reading ") + table));
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path, crypto::AeadKey master_key) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e = sqlite_error(db, "cannot open the store " + path.string());
    sqlite3_close(db);
    return std::unexpected(e);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, master_key, false));
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000",
                             "PRAGMA foreign_keys=ON"}) {
    if (auto ok = store->exec(pragma); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = store->migrate(); !ok) return std::unexpected(ok.error());
  return store;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open_read_only(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Error e = sqlite_error(db, "cannot open the store " + path.string());
    sqlite3_close(db);
    return std::unexpected(e);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, crypto::AeadKey{}, true));
  if (auto ok = store->exec("PRAGMA busy_timeout=10000"); !ok) return std::unexpected(ok.error());
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

Result<void> SqliteStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return fail("store: ", text);
  }
  return {};
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  Statement s(db_, "PRAGMA user_version");
  return s.ok() && s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : -1;
}

Result<void> SqliteStore::migrate() {
  int version;
  {
    Statement s(db_, "PRAGMA user_version");
    if (!s.ok() || s.step() != SQLITE_ROW) return std::unexpected(sqlite_error(db_, "reading the schema version"));
    version = static_cast<int>(s.integer(0));
  }
  if (version > static_cast<int>(kMigrations.size()))
    return fail("the store has schema version ", std::to_string(version), ", newer than this iamdb knows (",
                std::to_string(kMigrations.size()), "): upgrade iamdb");
  for (int next = version + 1; next <= static_cast<int>(kMigrations.size()); ++next) {
    if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
    const std::string bump = "PRAGMA user_version=" + std::to_string(next);
    auto ok = exec(kMigrations[next - 1]);
    if (ok) ok = exec(bump.c_str());
    if (ok) ok = exec("COMMIT");
    if (!ok) {
      (void)exec("ROLLBACK");
      return fail("migrating the store to schema ", std::to_string(next), ": ", ok.error().message);
    }
  }
  return {};
}

Result<iam::Account> SqliteStore::account() {
  std::lock_guard lock(mu_);
  return read_account();
}

Result<iam::Account> SqliteStore::read_account() {
  Statement s(db_, "SELECT key, value FROM meta WHERE key IN ('account_id', 'region')");
  if (!s.ok()) return std::unexpected(sqlite_error(db_, "reading the account"));
  iam::Account account;
  while (s.step() == SQLITE_ROW) (s.text(0) == "account_id" ? account.id : account.region) = s.text(1);
  if (account.id.empty()) return fail("the store has no account: it was not made by `iamdb init`");
  return account;
}

Result<void> SqliteStore::initialize(const iam::Account& account) {
  std::lock_guard lock(mu_);
  if (read_only_) return fail("the store is open read-only");
  if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
  Statement check(db_, "SELECT value FROM meta WHERE key = 'account_id'");
  if (check.ok() && check.step() == SQLITE_ROW) {
    (void)exec("ROLLBACK");
    return fail("the store already belongs to account ", check.text(0));
  }
  Statement put(db_, "INSERT INTO meta (key, value) VALUES (?, ?)");
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"account_id", account.id}, {"region", account.region}}) {
    put.bind(1, k);
    put.bind(2, v);
    if (put.step() != SQLITE_DONE) {
      Error e = sqlite_error(db_, "recording the account");
      (void)exec("ROLLBACK");
      return std::unexpected(e);
    }
    put.reset();
  }
  return exec("COMMIT");
}

Result<iam::State> SqliteStore::load() {
  std::lock_guard lock(mu_);
  if (read_only_) return fail("the store is open read-only");
  iam::State state;
  if (auto ok = exec("BEGIN"); !ok) return std::unexpected(ok.error());
  auto account = read_account();
  if (!account) {
    (void)exec("COMMIT");
    return std::unexpected(account.error());
  }
  state.account = std::move(*account);
  auto ok = read_table<iam::User>(db_, "users", state.users, [&](const json& j) { return codec_.decode_user(j); });
  if (ok) ok = read_table<iam::Group>(db_, "groups", state.groups, [&](const json& j) { return codec_.decode_group(j); });
  if (ok) ok = read_table<iam::Role>(db_, "roles", state.roles, [&](const json& j) { return codec_.decode_role(j); });
  if (ok)
    ok = read_table<iam::ManagedPolicy>(db_, "policies", state.policies,
                                        [&](const json& j) { return codec_.decode_policy(j); });
  if (ok)
    ok = read_table<iam::AccessKey>(db_, "access_keys", state.access_keys,
                                    [&](const json& j) { return codec_.decode_access_key(j); });
  if (ok)
    ok = read_table<iam::Session>(db_, "sessions", state.sessions, [&](const json& j) { return codec_.decode_session(j); });
  if (ok)
    ok = read_table<iam::Instance>(db_, "instances", state.instances,
                                   [&](const json& j) { return codec_.decode_instance(j); });
  (void)exec("COMMIT");
  if (!ok) return std::unexpected(ok.error());
  return state;
}

Result<void> SqliteStore::commit(const iam::State& before, const iam::State& after) {
  std::lock_guard lock(mu_);
  if (read_only_) return fail("the store is open read-only");
  if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
  auto ok = write_diff(db_, "users", before.users, after.users, codec_);
  if (ok) ok = write_diff(db_, "groups", before.groups, after.groups, codec_);
  if (ok) ok = write_diff(db_, "roles", before.roles, after.roles, codec_);
  if (ok) ok = write_diff(db_, "policies", before.policies, after.policies, codec_);
  if (ok) ok = write_diff(db_, "access_keys", before.access_keys, after.access_keys, codec_);
  if (ok) ok = write_diff(db_, "sessions", before.sessions, after.sessions, codec_);
  if (ok) ok = write_diff(db_, "instances", before.instances, after.instances, codec_);
  if (ok) ok = exec("COMMIT");
  if (!ok) {
    (void)exec("ROLLBACK");
    return ok;
  }
  return {};
}

Result<void> SqliteStore::append_events(std::span<const audit::Event> events) {
  std::lock_guard lock(mu_);
  if (read_only_) return fail("the store is open read-only");
  if (events.empty()) return {};
  if (auto ok = exec("BEGIN IMMEDIATE"); !ok) return ok;
  Statement insert(db_,
                   "INSERT INTO audit_events (time_ms, kind, outcome, principal, db_user, instance, doc) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) {
    (void)exec("ROLLBACK");
    return std::unexpected(sqlite_error(db_, "preparing an audit write"));
  }
  for (const audit::Event& e : events) {
    insert.bind(1, millis(e.time));
    insert.bind(2, audit::kind_name(e.kind));
    insert.bind(3, audit::outcome_name(e.outcome));
    insert.bind(4, e.principal_arn);
    insert.bind(5, e.db_user);
    insert.bind(6, e.instance);
    insert.bind(7, audit::to_json_line(e));
    if (insert.step() != SQLITE_DONE) {
      Error err = sqlite_error(db_, "writing audit events");
      (void)exec("ROLLBACK");
      return std::unexpected(err);
    }
    insert.reset();
  }
  return exec("COMMIT");
}

Result<std::vector<StoredEvent>> SqliteStore::query_events(const EventQuery& q) {
  std::lock_guard lock(mu_);
  std::string sql = "SELECT id, doc FROM audit_events WHERE id > ?1";
  if (q.kind) sql += " AND kind = ?2";
  if (q.outcome) sql += " AND outcome = ?3";
  if (!q.principal.empty()) sql += " AND instr(principal, ?4) > 0";
  if (!q.db_user.empty()) sql += " AND db_user = ?5";
  if (!q.instance.empty()) sql += " AND instance = ?6";
  if (q.since) sql += " AND time_ms >= ?7";
  if (q.until) sql += " AND time_ms <= ?8";
  sql += q.after_id > 0 ? " ORDER BY id ASC" : " ORDER BY id DESC";
  sql += " LIMIT ?9";
  Statement s(db_, sql.c_str());
  if (!s.ok()) return std::unexpected(sqlite_error(db_, "preparing an audit query"));
  s.bind(1, q.after_id);
  if (q.kind) s.bind(2, audit::kind_name(*q.kind));
  if (q.outcome) s.bind(3, audit::outcome_name(*q.outcome));
  if (!q.principal.empty()) s.bind(4, q.principal);
  if (!q.db_user.empty()) s.bind(5, q.db_user);
  if (!q.instance.empty()) s.bind(6, q.instance);
  if (q.since) s.bind(7, millis(*q.since));
  if (q.until) s.bind(8, millis(*q.until));
  s.bind(9, static_cast<int64_t>(q.limit));
  std::vector<StoredEvent> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto event = audit::from_json_line(s.text(1));
    if (!event) return fail("audit event ", std::to_string(s.integer(0)), " is damaged");
    out.push_back({s.integer(0), std::move(*event)});
  }
  if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(db_, "querying audit events"));
  return out;
}

Result<size_t> SqliteStore::prune_events(SystemTime cutoff) {
  std::lock_guard lock(mu_);
  if (read_only_) return fail("the store is open read-only");
  Statement s(db_, "DELETE FROM audit_events WHERE time_ms < ?");
  if (!s.ok()) return std::unexpected(sqlite_error(db_, "preparing an audit prune"));
  s.bind(1, millis(cutoff));
  if (s.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db_, "pruning audit events"));
  return static_cast<size_t>(sqlite3_changes(db_));
}

Result<std::string> SqliteStore::integrity_check() {
  std::lock_guard lock(mu_);
  Statement s(db_, "PRAGMA integrity_check");
  if (!s.ok() || s.step() != SQLITE_ROW) return std::unexpected(sqlite_error(db_, "integrity check"));
  return s.text(0);
}

}  // namespace iamdb::store
