// Properties of the evaluation logic over random policies: adding an explicit Deny that
// matches never yields `allowed`, removing every Allow never yields `allowed`, and the order of
// policies and statements never changes a decision.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "policy/evaluate.h"
#include "policy_testing.h"

namespace iamdb::policy {
namespace {

using namespace testing;

const char* const kActions[] = {"rds-db:connect", "rds-db:*", "rds-db:Conn*", "*", "iam:*", "iam:CreateUser",
                                "sts:AssumeRole", "rds-db:c?nnect"};
const char* const kResources[] = {
    "*",
    "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/*",
    "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/alice",
    "arn:aws:rds-db:*:*:dbuser:db-12ABC34DEFG5HIJ6KLMNOP78QR/bob",
    "arn:aws:rds-db:us-east-2:123456789012:dbuser:*/${aws:username}",
    "arn:aws:iam::123456789012:user/*",
};
const char* const kConditions[] = {
    "",
    R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})",
    R"({"Bool":{"aws:SecureTransport":"true"}})",
    R"({"StringEquals":{"aws:username":"alice"}})",
    R"({"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ops"}})",
    R"({"DateLessThan":{"aws:CurrentTime":"2026-07-01T00:00:00Z"}})",
    R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})",
};

struct RandomStatement {
  bool deny;
  bool not_action;
  bool not_resource;
  std::string action, resource, condition;

  std::string json() const {
    std::string s = std::string("{\"Effect\":\"") + (deny ? "Deny" : "Allow") + "\",\"" +
                    (not_action ? "NotAction" : "Action") + "\":\"" + action + "\",\"" +
                    (not_resource ? "NotResource" : "Resource") + "\":\"" + resource + "\"";
    if (!condition.empty()) s += ",\"Condition\":" + condition;
    return s + "}";
  }
};

using RandomPolicy = std::vector<RandomStatement>;

std::string to_json(const RandomPolicy& p) {
  std::string s = R"({"Version":"2012-10-17","Statement":[)";
  for (size_t i = 0; i < p.size(); ++i) s += (i ? "," : "") + p[i].json();
  return s + "]}";
}

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {}

  RandomStatement statement(bool deny) {
    return {deny, pick(8) == 0, pick(8) == 0, kActions[pick(std::size(kActions))],
            kResources[pick(std::size(kResources))], kConditions[pick(std::size(kConditions))]};
  }
  std::vector<RandomPolicy> policies() {
    std::vector<RandomPolicy> out(1 + pick(4));
    for (RandomPolicy& p : out) {
      p.resize(1 + pick(5));
      for (RandomStatement& s : p) s = statement(pick(4) == 0);
    }
    return out;
  }
  std::vector<std::string> context() {
    std::vector<std::string> c;
    if (pick(2)) c.push_back(std::string("aws:SourceIp=") + (pick(2) ? "10.1.2.3" : "192.0.2.1"));
    if (pick(2)) c.push_back(std::string("aws:SecureTransport=") + (pick(2) ? "true" : "false"));
    if (pick(2)) c.push_back(std::string("aws:username=") + (pick(2) ? "alice" : "bob"));
    if (pick(2)) c.push_back("aws:PrincipalTag/team=ops");
    if (pick(2)) c.push_back(std::string("aws:CurrentTime=") + (pick(2) ? "2026-06-15T08:30:07Z" : "2026-08-01T00:00:00Z"));
    if (pick(2)) c.push_back(std::string("aws:TagKeys=") + (pick(2) ? "[env]" : "[env,owner]"));
    return c;
  }
  std::string action() { return pick(2) ? "rds-db:connect" : (pick(2) ? "iam:CreateUser" : "sts:AssumeRole"); }
  std::string resource() {
    switch (pick(4)) {
      case 0: return dbuser("alice");
      case 1: return dbuser("bob");
      case 2: return dbuser("alice", "db-OTHER0000000000000000000000", "eu-west-1");
      default: return "arn:aws:iam::123456789012:user/carol";
    }
  }
  size_t pick(size_t n) { return rng_() % n; }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

// `matched` receives (policy index, statement index) of every statement that applied.
Decision decide(const std::vector<RandomPolicy>& policies, const std::string& boundary, const RequestBuilder& rb,
                std::vector<std::pair<size_t, size_t>>* matched = nullptr) {
  std::vector<std::shared_ptr<const Policy>> compiled;
  std::vector<NamedPolicy> identity;
  for (size_t i = 0; i < policies.size(); ++i) {
    compiled.push_back(must_compile(to_json(policies[i])));
    identity.push_back({"p" + std::to_string(i), compiled.back().get()});
  }
  std::shared_ptr<const Policy> b;
  NamedPolicy named_boundary;
  if (!boundary.empty()) {
    b = must_compile(boundary);
    named_boundary = {"boundary", b.get()};
  }
  const PolicySet set{.identity = identity, .boundary = boundary.empty() ? nullptr : &named_boundary};
  std::vector<StatementRef> refs;
  const Decision d = evaluate(set, rb.request(), refs).decision;
  if (matched) {
    for (const StatementRef& ref : refs)
      if (ref.role == PolicyRole::kIdentity) matched->emplace_back(static_cast<size_t>(ref.policy - identity.data()), ref.index);
  }
  return d;
}

constexpr int kRounds = 1500;

TEST(PolicyProperties, AMatchingDenyIsNeverAllowed) {
  World w(1);
  for (int round = 0; round < kRounds; ++round) {
    auto policies = w.policies();
    const RequestBuilder rb(w.action(), w.resource(), kAlice, w.context());
    std::vector<std::pair<size_t, size_t>> matched;
    const Decision before = decide(policies, "", rb, &matched);
    // A Deny that matches this request: either one of the statements that applied, turned
    // into a Deny, or a catch-all Deny; placed in a random policy.
    RandomStatement d{true, false, false, "*", "*", ""};
    if (!matched.empty() && w.pick(2)) {
      const auto [policy_index, statement_index] = matched[w.pick(matched.size())];
      d = policies[policy_index][statement_index];
      d.deny = true;
    }
    auto& target = policies[w.pick(policies.size())];
    target.insert(target.begin() + static_cast<long>(w.pick(target.size() + 1)), d);
    const Decision after = decide(policies, "", rb);
    EXPECT_EQ(after, Decision::kExplicitDeny) << "round " << round << " was " << to_string(before);
  }
}

TEST(PolicyProperties, WithoutAllowsNothingIsAllowed) {
  World w(2);
  for (int round = 0; round < kRounds; ++round) {
    auto policies = w.policies();
    for (RandomPolicy& p : policies) {
      std::erase_if(p, [](const RandomStatement& s) { return !s.deny; });
      if (p.empty()) p.push_back(w.statement(true));
    }
    const std::string boundary = w.pick(2) ? "" : allow("*", "*");
    const RequestBuilder rb(w.action(), w.resource(), kAlice, w.context());
    EXPECT_NE(decide(policies, boundary, rb), Decision::kAllowed) << "round " << round;
  }
}

TEST(PolicyProperties, OrderDoesNotMatter) {
  World w(3);
  for (int round = 0; round < kRounds; ++round) {
    auto policies = w.policies();
    const RequestBuilder rb(w.action(), w.resource(), kAlice, w.context());
    const Decision before = decide(policies, "", rb);
    std::shuffle(policies.begin(), policies.end(), w.rng());
    for (RandomPolicy& p : policies) std::shuffle(p.begin(), p.end(), w.rng());
    EXPECT_EQ(decide(policies, "", rb), before) << "round " << round;
  }
}

TEST(PolicyProperties, ABoundaryNeverWidens) {
  World w(4);
  for (int round = 0; round < kRounds; ++round) {
    const auto policies = w.policies();
    const RequestBuilder rb(w.action(), w.resource(), kAlice, w.context());
    const Decision without = decide(policies, "", rb);
    const std::string boundary = to_json({w.statement(false), w.statement(w.pick(3) == 0)});
    const Decision with = decide(policies, boundary, rb);
    if (without != Decision::kAllowed) {
      EXPECT_NE(with, Decision::kAllowed) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace iamdb::policy
