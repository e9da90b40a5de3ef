// The IAM database authentication decision, one row per situation: each refusal names its
// reason, and only a valid token whose principal's policies allow rds-db:connect gets in.
#include "verify/verifier.h"

#include <gtest/gtest.h>

#include "common/time.h"
#include "registry/registry.h"
#include "store/sqlite/sqlite_store.h"
#include "support/iam_fixture.h"
#include "support/temp_dir.h"
#include "token/token.h"

namespace iamdb::verify {
namespace {

const SystemTime kNow = *parse_iso8601("2026-11-27T10:00:00Z");
constexpr const char* kHost = "db.example.internal";

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    iam::State s = testing::empty_state(kNow);
    iam::User& alice = testing::add_user(s, "alice", kNow);
    alice.inline_policies.push_back({"connect", testing::doc(R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:*/${aws:username}",
         "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
        {"Effect":"Deny","Action":"rds-db:connect","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.6.6.6/32"}}}]})")});
    testing::add_key(s, "alice", "AKIAALICE0000000000A", "alice-secret", kNow);
    testing::add_instance(s, "orders", kHost, 5432, true, kNow);
    testing::add_instance(s, "off", "off.example.internal", 5432, false, kNow);
    auto store = store::SqliteStore::open(dir_.path() / "iamdb.db", crypto::generate_key());
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    ASSERT_TRUE(store_->initialize(s.account));
    ASSERT_TRUE(store_->commit(iam::State{}, s));
    auto registry = registry::Registry::open(*store_);
    ASSERT_TRUE(registry);
    registry_ = std::move(*registry);
    verifier_ = std::make_unique<Verifier>(*registry_, clock_, Options{});
  }

  std::string token(const std::string& user, const std::string& host = kHost, uint16_t port = 5432) {
    return token::build_token({host, port, "us-east-1", user}, {"AKIAALICE0000000000A", "alice-secret", ""}, kNow);
  }

  audit::Event decide(std::string_view instance, std::string_view user, std::string_view tok,
                      std::string_view client = "10.0.0.7", bool tls = true) {
    return verifier_->decide({instance, user, tok, client, tls, "test"}, keys_);
  }

  testing::TempDir dir_;
  ManualClock clock_{kNow + std::chrono::seconds(30)};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<Verifier> verifier_;
  sigv4::SigningKeyCache keys_;
};

TEST_F(VerifierTest, AllowsAValidTokenThePolicyAllows) {
  const auto e = decide("orders", "alice", token("alice"));
  EXPECT_EQ(e.outcome, audit::Outcome::kAllowed);
  EXPECT_EQ(e.reason, "allowed");
  EXPECT_EQ(e.principal_arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(e.access_key_id, "AKIAALICE0000000000A");
  EXPECT_FALSE(e.decided_by.empty());
  EXPECT_EQ(e.request_id.size(), 36u);
}

TEST_F(VerifierTest, EachRefusalNamesItsReason) {
  const std::string alice = token("alice");
  struct Row {
    const char* name;
    audit::Event event;
    const char* reason;
  } rows[] = {
      {"unregistered instance", decide("nope", "alice", alice), "unknown_instance"},
      {"IAM switch off", decide("off", "alice", token("alice", "off.example.internal")), "iam_disabled"},
      {"no TLS", decide("orders", "alice", alice, "10.0.0.7", false), "tls_required"},
      {"token for another user", decide("orders", "bob", alice), "user_mismatch"},
      {"token for another endpoint", decide("orders", "alice", token("alice", "other.example", 5432)), "endpoint_mismatch"},
      {"policy does not match the user", decide("orders", "bob", token("bob")), "policy_implicit_deny"},
      {"source outside the allowed range", decide("orders", "alice", alice, "192.168.1.1"), "policy_implicit_deny"},
      {"explicit deny wins", decide("orders", "alice", alice, "10.6.6.6"), "policy_explicit_deny"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(row.event.outcome, audit::Outcome::kDenied) << row.name;
    EXPECT_EQ(row.event.reason, row.reason) << row.name << ": " << row.event.detail;
  }
}

TEST_F(VerifierTest, ExpiredTokensAreRefused) {
  clock_.set(kNow + std::chrono::seconds(900 + 300 + 1));
  EXPECT_EQ(decide("orders", "alice", token("alice")).reason, "expired");
}

TEST_F(VerifierTest, DeactivatingTheKeyTakesEffectAtOnce) {
  const std::string alice = token("alice");
  ASSERT_EQ(decide("orders", "alice", alice).outcome, audit::Outcome::kAllowed);
  auto ok = registry_->update<Error>(
      [](iam::State& s) -> std::expected<void, Error> {
        auto key = std::make_shared<iam::AccessKey>(*s.find_access_key("AKIAALICE0000000000A"));
        key->active = false;
        s.access_keys[key->id] = key;
        return {};
      },
      [](const Error& e) { return e; });
  ASSERT_TRUE(ok);
  EXPECT_EQ(decide("orders", "alice", alice).reason, "inactive_access_key");
}

TEST_F(VerifierTest, TurningIamOffDeniesEveryToken) {
  const std::string alice = token("alice");
  auto ok = registry_->update<Error>(
      [](iam::State& s) -> std::expected<void, Error> {
        auto db = std::make_shared<iam::Instance>(*s.find_instance("orders"));
        db->iam_enabled = false;
        s.instances["orders"] = db;
        return {};
      },
      [](const Error& e) { return e; });
  ASSERT_TRUE(ok);
  EXPECT_EQ(decide("orders", "alice", alice).reason, "iam_disabled");
}

TEST_F(VerifierTest, AFailedCommitChangesNothing) {
  auto failed = registry_->update<Error>(
      [](iam::State& s) -> std::expected<void, Error> {
        s.instances.clear();
        return std::unexpected(Error{"refused"});
      },
      [](const Error& e) { return e; });
  EXPECT_FALSE(failed);
  EXPECT_EQ(decide("orders", "alice", token("alice")).outcome, audit::Outcome::kAllowed);
}

}  // namespace
}  // namespace iamdb::verify
