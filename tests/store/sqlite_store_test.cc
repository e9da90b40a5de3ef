// The SQLite store keeps every entity exactly, seals secrets, applies only the differences of
// a commit, refuses another master key, and keeps audit events queryable.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/time.h"
#include "support/iam_fixture.h"
#include "support/temp_dir.h"

namespace iamdb::store {
namespace {

using testing::TempDir;

const SystemTime kNow = *parse_iso8601("2026-11-27T10:00:00.250Z");

iam::State rich_state() {
  iam::State s = testing::empty_state(kNow);
  iam::User& alice = testing::add_user(s, "Alice", kNow);
  alice.path = "/eng/";
  alice.tags = {{"team", "db"}, {"cost", "42"}};
  alice.boundary_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  alice.inline_policies.push_back(
      {"connect", testing::doc(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect","Resource":"*"}})")});
  alice.attached.push_back("arn:aws:iam::aws:policy/ReadOnlyAccess");
  testing::add_key(s, "Alice", "AKIAEXAMPLEEXAMPLE01", "secret/with+chars", kNow, false);

  auto group = std::make_shared<iam::Group>();
  group->name = "dbas";
  group->id = "AGPAEXAMPLE";
  group->created = kNow;
  group->members = {"Alice"};
  s.groups["dbas"] = group;

  auto role = std::make_shared<iam::Role>();
  role->name = "deploy";
  role->id = "AROAEXAMPLE";
  role->created = kNow;
  role->description = "ci";
  role->max_session_duration = 7200;
  role->trust_policy = testing::doc(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/Alice"},"Action":"sts:AssumeRole"}]})",
      iam::DocumentKind::kTrust);
  s.roles["deploy"] = role;

  auto session = std::make_shared<iam::Session>();
  session->access_key_id = "ASIAEXAMPLEEXAMPLE01";
  session->secret = "session-secret";
  session->token_sha256 = "ab";
  session->issued = kNow;
  session->expires = kNow + std::chrono::hours(1);
  session->role = "deploy";
  session->session_name = "ci-1";
  session->session_tags = {{"project", "x"}};
  session->session_policy = testing::doc(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})");
  s.sessions[session->access_key_id] = session;

  iam::Instance& db = testing::add_instance(s, "orders", "db.example.internal", 5432, true, kNow);
  db.aliases = {"orders.internal:6432"};
  return s;
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SqliteStore, EveryEntitySurvivesAReopen) {
  TempDir dir;
  const auto key = crypto::generate_key();
  const iam::State state = rich_state();
  {
    auto store = SqliteStore::open(dir.path() / "iamdb.db", key);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->initialize(state.account));
    ASSERT_TRUE((*store)->commit(iam::State{}, state));
  }
  auto store = SqliteStore::open(dir.path() / "iamdb.db", key);
  ASSERT_TRUE(store);
  auto loaded = (*store)->load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->account.id, testing::kAccount);
  const Codec codec(key);
  const auto same = [&](const auto& a, const auto& b) { EXPECT_EQ(codec.encode(a).dump(), codec.encode(b).dump()); };
  ASSERT_EQ(loaded->users.size(), 1u);
  // Sealed secrets differ per encoding (random nonces): compare the entity fields instead.
  EXPECT_EQ(loaded->find_access_key("AKIAEXAMPLEEXAMPLE01")->secret, "secret/with+chars");
  EXPECT_FALSE(loaded->find_access_key("AKIAEXAMPLEEXAMPLE01")->active);
  EXPECT_EQ(loaded->find_session("ASIAEXAMPLEEXAMPLE01")->secret, "session-secret");
  EXPECT_TRUE(loaded->find_session("ASIAEXAMPLEEXAMPLE01")->session_policy->compiled);
  same(*loaded->find_user("alice"), *state.find_user("alice"));
  same(*loaded->find_group("dbas"), *state.find_group("dbas"));
  same(*loaded->find_role("deploy"), *state.find_role("deploy"));
  same(*loaded->find_instance("orders"), *state.find_instance("orders"));
  for (const auto& [arn, p] : state.policies) same(*loaded->find_policy(arn), *p);
  EXPECT_TRUE(loaded->find_user("alice")->inline_policies[0].document.compiled);
  EXPECT_EQ((*store)->integrity_check(), "ok");
  EXPECT_EQ((*store)->schema_version(), 1);
}

TEST(SqliteStore, SecretsAreNotInTheFile) {
  TempDir dir;
  const iam::State state = rich_state();
  {
    auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
    ASSERT_TRUE((*store)->initialize(state.account));
    ASSERT_TRUE((*store)->commit(iam::State{}, state));
  }
  std::string everything = file_text(dir.path() / "iamdb.db");
  if (std::filesystem::exists(dir.path() / "iamdb.db-wal")) everything += file_text(dir.path() / "iamdb.db-wal");
  EXPECT_EQ(everything.find("secret/with+chars"), std::string::npos);
  EXPECT_EQ(everything.find("session-secret"), std::string::npos);
}

TEST(SqliteStore, AnotherMasterKeyCannotLoad) {
  TempDir dir;
  const iam::State state = rich_state();
  {
    auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
    ASSERT_TRUE((*store)->initialize(state.account));
    ASSERT_TRUE((*store)->commit(iam::State{}, state));
  }
  auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
  ASSERT_TRUE(store);
  auto loaded = (*store)->load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("does not open with this master key"), std::string::npos);
}

TEST(SqliteStore, CommitsWriteChangesAndDeletions) {
  TempDir dir;
  const auto key = crypto::generate_key();
  auto store = SqliteStore::open(dir.path() / "iamdb.db", key);
  const iam::State v1 = rich_state();
  ASSERT_TRUE((*store)->initialize(v1.account));
  ASSERT_TRUE((*store)->commit(iam::State{}, v1));
  iam::State v2 = v1;
  v2.users.erase("alice");
  auto db = std::make_shared<iam::Instance>(*v1.find_instance("orders"));
  db->iam_enabled = false;
  v2.instances["orders"] = db;
  ASSERT_TRUE((*store)->commit(v1, v2));
  auto loaded = (*store)->load();
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->find_user("alice"));
  EXPECT_FALSE(loaded->find_instance("orders")->iam_enabled);
  EXPECT_TRUE(loaded->find_role("deploy"));
}

TEST(SqliteStore, InitializeRefusesASecondAccount) {
  TempDir dir;
  auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
  ASSERT_TRUE((*store)->initialize({"123456789012", "us-east-1"}));
  EXPECT_FALSE((*store)->initialize({"210987654321", "us-east-1"}));
  EXPECT_EQ((*store)->account()->id, "123456789012");
}

TEST(SqliteStore, AuditEventsAreQueryableAndPruned) {
  TempDir dir;
  auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
  std::vector<audit::Event> events(5);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].time = kNow + std::chrono::minutes(i);
    events[i].request_id = "r" + std::to_string(i);
    events[i].db_user = i % 2 ? "alice" : "bob";
    events[i].principal_arn = "arn:aws:iam::123456789012:user/" + events[i].db_user;
    events[i].outcome = i == 4 ? audit::Outcome::kDenied : audit::Outcome::kAllowed;
  }
  ASSERT_TRUE((*store)->append_events(events));
  EventQuery q;
  q.db_user = "alice";
  auto alice = (*store)->query_events(q);
  ASSERT_TRUE(alice);
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ(alice->front().event.request_id, "r3") << "newest first";
  q = {};
  q.outcome = audit::Outcome::kDenied;
  EXPECT_EQ((*store)->query_events(q)->size(), 1u);
  q = {};
  q.since = kNow + std::chrono::minutes(3);
  EXPECT_EQ((*store)->query_events(q)->size(), 2u);
  q = {};
  q.after_id = alice->back().id;
  auto after = (*store)->query_events(q);
  ASSERT_FALSE(after->empty());
  EXPECT_GT(after->front().id, alice->back().id) << "following reads oldest first";
  EXPECT_EQ((*store)->prune_events(kNow + std::chrono::minutes(2)), 2u);
  EXPECT_EQ((*store)->query_events({})->size(), 3u);
}

TEST(SqliteStore, ReadOnlyStoreReadsEventsButNeverWrites) {
  TempDir dir;
  {
    auto store = SqliteStore::open(dir.path() / "iamdb.db", crypto::generate_key());
    ASSERT_TRUE((*store)->append_events(std::vector<audit::Event>(3)));
  }
  auto ro = SqliteStore::open_read_only(dir.path() / "iamdb.db");
  ASSERT_TRUE(ro);
  EXPECT_EQ((*ro)->query_events({})->size(), 3u);
  EXPECT_FALSE((*ro)->append_events(std::vector<audit::Event>(1)));
  EXPECT_FALSE((*ro)->load());
}

}  // namespace
}  // namespace iamdb::store
