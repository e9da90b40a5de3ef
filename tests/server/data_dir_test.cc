// The data directory: one owner at a time, and master-key rotation that a crash at any step
// leaves readable with exactly one key.
#include "server/data_dir.h"

#include <gtest/gtest.h>

#include <fstream>

#include "crypto/key_file.h"
#include "support/iam_fixture.h"
#include "support/temp_dir.h"

namespace iamdb::server {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = dir_.path();
    auto key = crypto::create_key_file(config_.resolve(config_.master_key));
    ASSERT_TRUE(key);
    key_ = *key;
    auto store = store::SqliteStore::open(config_.resolve(config_.store.sqlite), key_);
    ASSERT_TRUE(store);
    iam::State s = testing::empty_state(SystemClock::instance().now());
    testing::add_user(s, "alice", SystemClock::instance().now());
    testing::add_key(s, "alice", "AKIAROTATEROTATE0001", "the-secret", SystemClock::instance().now());
    ASSERT_TRUE((*store)->initialize(s.account));
    ASSERT_TRUE((*store)->commit(iam::State{}, s));
  }

  std::string key_text() {
    std::ifstream in(config_.resolve(config_.master_key));
    std::string text;
    std::getline(in, text);
    return text;
  }

  std::string secret_after_open() {
    auto store = open_store(config_);
    if (!store) return "error: " + store.error().message;
    return (*store)->load()->find_access_key("AKIAROTATEROTATE0001")->secret;
  }

  testing::TempDir dir_;
  config::Config config_;
  crypto::AeadKey key_;
};

TEST_F(DataDirTest, OneOwnerAtATime) {
  auto first = DirectoryLock::acquire(dir_.path());
  ASSERT_TRUE(first);
  auto second = DirectoryLock::acquire(dir_.path());
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("already running"), std::string::npos);
  EXPECT_NE(second.error().message.find("pid"), std::string::npos);
}

TEST_F(DataDirTest, RotationReplacesTheKeyAndKeepsTheSecrets) {
  const std::string before = key_text();
  ASSERT_TRUE(rotate_master_key(config_));
  EXPECT_NE(key_text(), before);
  EXPECT_FALSE(std::filesystem::exists(config_.resolve("master.key.new")));
  EXPECT_EQ(secret_after_open(), "the-secret");
  // The old key opens nothing any more.
  auto old = store::SqliteStore::open(config_.resolve(config_.store.sqlite), key_);
  ASSERT_TRUE(old);
  EXPECT_FALSE((*old)->load());
}

TEST_F(DataDirTest, ACrashBeforeTheStoreChangedKeepsTheOldKey) {
  const std::string before = key_text();
  ASSERT_TRUE(crypto::create_key_file(config_.resolve("master.key.new")));
  EXPECT_EQ(secret_after_open(), "the-secret");
  EXPECT_EQ(key_text(), before);
  EXPECT_FALSE(std::filesystem::exists(config_.resolve("master.key.new")));
}

TEST_F(DataDirTest, ACrashAfterTheStoreChangedFinishesTheRotation) {
  auto new_key = crypto::create_key_file(config_.resolve("master.key.new"));
  ASSERT_TRUE(new_key);
  {
    auto old = store::SqliteStore::open(config_.resolve(config_.store.sqlite), key_);
    auto state = (*old)->load();
    auto rekeyed = store::SqliteStore::open(config_.resolve(config_.store.sqlite), *new_key);
    ASSERT_TRUE((*rekeyed)->commit(iam::State{}, *state));
  }
  EXPECT_EQ(secret_after_open(), "the-secret");
  EXPECT_FALSE(std::filesystem::exists(config_.resolve("master.key.new")));
  auto now_key = crypto::read_key_file(config_.resolve(config_.master_key));
  ASSERT_TRUE(now_key);
  EXPECT_EQ(*now_key, *new_key);
}

}  // namespace
}  // namespace iamdb::server
