// Policy evaluation cost on the verify hot path: a user with 10 attached policies of 10
// statements each, asked for rds-db:connect with the context the gateway fills. The
// budget is 5 µs per decision on one core; the benchmark prints it, nothing asserts it.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "policy/context.h"
#include "policy/evaluate.h"
#include "policy/policy.h"

namespace {

using namespace iamdb::policy;

constexpr const char* kResource = "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-12ABC34DEFG5HIJ6KLMNOP78QR/alice";

// Ten statements of the kinds real policies mix: other services, other instances, a
// wildcard-heavy resource, variables, conditions. Policy `p` allows rds-db:connect for alice
// only in its last statement (when `grants`).
std::string policy_document(int p, bool grants) {
  const std::string n = std::to_string(p);
  std::string s = R"({"Version":"2012-10-17","Statement":[)";
  s += R"({"Sid":"S3Read)" + n + R"(","Effect":"Allow","Action":["s3:GetObject","s3:List*"],"Resource":"arn:aws:s3:::bucket-)" + n + R"(/*"},)";
  s += R"({"Effect":"Allow","Action":"iam:Get*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"},)";
  s += R"({"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:eu-west-1:123456789012:dbuser:*/*"},)";
  s += R"({"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:db-OTHER)" + n + R"(/*"},)";
  s += R"({"Effect":"Deny","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/postgres"},)";
  s += R"({"Effect":"Allow","Action":"rds:Describe*","Resource":"*"},)";
  s += R"({"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:db-*/reporting_)" + n + R"("},)";
  s += R"({"Effect":"Deny","Action":"rds-db:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},)";
  s += R"({"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/ops-)" + n + R"("},)";
  if (grants) {
    s += R"({"Sid":"Connect","Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:*/${aws:username}",
             "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]})";
  } else {
    s += R"({"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:*/app_)" + n + R"("}]})";
  }
  return s;
}

struct Fixture {
  std::vector<std::shared_ptr<const Policy>> compiled;
  std::vector<NamedPolicy> named;
  RequestTime time{iamdb::SystemTime{} + std::chrono::seconds(1781512207)};
  Request request;

  explicit Fixture(bool granted) {
    for (int p = 0; p < 10; ++p) {
      auto c = Policy::compile(policy_document(p, granted && p == 9), {PolicyKind::kIdentity, 10240});
      if (!c) throw std::runtime_error(c.error().message);
      compiled.push_back(*c);
      named.push_back({"arn:aws:iam::123456789012:policy/p" + std::to_string(p), c->get()});
    }
    request.action = "rds-db:connect";
    request.resource = kResource;
    request.principal = {PrincipalType::kAws, "arn:aws:iam::123456789012:user/alice", "123456789012", {}};
    // What the verify path sets.
    request.context.set(keys::kUsername, "alice");
    request.context.set(keys::kUserid, "AIDAJQABLZS4A3QDU576Q");
    request.context.set(keys::kPrincipalArn, "arn:aws:iam::123456789012:user/alice");
    request.context.set(keys::kPrincipalAccount, "123456789012");
    request.context.set(keys::kPrincipalType, "User");
    request.context.set(keys::kSourceIp, "10.1.2.3");
    request.context.set(keys::kSecureTransport, "true");
    request.context.set(keys::kRequestedRegion, "us-east-1");
    time.add_to(request.context);
  }
};

void BM_ConnectAllowedBy100Statements(benchmark::State& state) {
  const Fixture f(true);
  const PolicySet set{.identity = f.named};
  if (evaluate(set, f.request).decision != Decision::kAllowed) state.SkipWithError("expected allowed");
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(set, f.request));
}
BENCHMARK(BM_ConnectAllowedBy100Statements);

void BM_ConnectImplicitlyDenied100Statements(benchmark::State& state) {
  const Fixture f(false);
  const PolicySet set{.identity = f.named};
  if (evaluate(set, f.request).decision != Decision::kImplicitDeny) state.SkipWithError("expected implicitDeny");
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(set, f.request));
}
BENCHMARK(BM_ConnectImplicitlyDenied100Statements);

void BM_CompileTenStatementPolicy(benchmark::State& state) {
  const std::string doc = policy_document(3, true);
  for (auto _ : state) benchmark::DoNotOptimize(Policy::compile(doc, {PolicyKind::kIdentity, 10240}));
}
BENCHMARK(BM_CompileTenStatementPolicy);

}  // namespace

BENCHMARK_MAIN();
