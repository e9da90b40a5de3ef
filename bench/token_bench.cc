// Throughput of RDS auth token checks with a warm and a cold signing-key cache, and of token
// generation, on one thread: items_per_second is operations per second per core.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <string>

#include "common/time.h"
#include "crypto/digest.h"
#include "token/check.h"
#include "token/table_resolver.h"
#include "token/token.h"

namespace {

using namespace iamdb;

const SystemTime kSignedAt = *parse_iso8601("2026-11-23T12:00:00Z");
const sigv4::Credentials kPermanent{"AKIAIOSFODNN7EXAMPLE",
                                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const sigv4::Credentials kTemporary{
    "ASIAQWERTYUIOPASDFGH", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token=="};
const token::TokenSpec kSpec{"db.example.internal", 5432, "us-east-1", "alice"};
const token::Endpoint kEndpoints[] = {{"db.example.internal", 5432}};

token::testing::TableResolver resolver_for(const sigv4::Credentials& c) {
  token::testing::TableResolver resolver;
  resolver.add(c.access_key_id, {c.secret_access_key, c.session_token});
  return resolver;
}

void check_once(benchmark::State& state, const std::string& token, const Clock& clock,
                token::KeyResolver& resolver, sigv4::SigningKeyCache& cache) {
  const auto result =
      token::check_token({token, "alice", kEndpoints, "us-east-1"}, clock, resolver, cache);
  if (!result) {
    state.SkipWithError(std::string(token::reason_name(result.error().reason)).c_str());
    return;
  }
  benchmark::DoNotOptimize(result);
}

void verify_warm(benchmark::State& state, const sigv4::Credentials& credentials) {
  const std::string token = token::build_token(kSpec, credentials, kSignedAt);
  auto resolver = resolver_for(credentials);
  const ManualClock clock(kSignedAt + std::chrono::seconds(60));
  sigv4::SigningKeyCache cache;
  for (auto _ : state) check_once(state, token, clock, resolver, cache);
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(token.size());
}

void BM_VerifyWarmCache(benchmark::State& state) { verify_warm(state, kPermanent); }
void BM_VerifyWarmCacheSessionToken(benchmark::State& state) { verify_warm(state, kTemporary); }

// Every check derives its signing key: two keys alternate through a one-entry cache.
void BM_VerifyColdCache(benchmark::State& state) {
  sigv4::Credentials other = kPermanent;
  other.access_key_id = "AKIAOTHERKEYEXAMPLE1";
  other.secret_access_key = "another/secret/EXAMPLEKEY";
  const std::array<std::string, 2> tokens = {token::build_token(kSpec, kPermanent, kSignedAt),
                                             token::build_token(kSpec, other, kSignedAt)};
  token::testing::TableResolver resolver = resolver_for(kPermanent);
  resolver.add(other.access_key_id, {other.secret_access_key, ""});
  const ManualClock clock(kSignedAt + std::chrono::seconds(60));
  sigv4::SigningKeyCache cache(1);
  size_t i = 0;
  for (auto _ : state) check_once(state, tokens[i++ & 1], clock, resolver, cache);
  state.SetItemsProcessed(state.iterations());
  if (cache.hits() != 0) state.SkipWithError("the cache was not cold");
}

void BM_Generate(benchmark::State& state) {
  SystemTime now = kSignedAt;
  for (auto _ : state) {
    benchmark::DoNotOptimize(token::build_token(kSpec, kPermanent, now));
    now += std::chrono::seconds(1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyRefusedSignature(benchmark::State& state) {
  std::string token = token::build_token(kSpec, kPermanent, kSignedAt);
  token.back() = token.back() == '0' ? '1' : '0';
  auto resolver = resolver_for(kPermanent);
  const ManualClock clock(kSignedAt + std::chrono::seconds(60));
  sigv4::SigningKeyCache cache;
  for (auto _ : state) {
    const auto result =
        token::check_token({token, "alice", kEndpoints, "us-east-1"}, clock, resolver, cache);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor under a warm check: hashing a canonical request of a token's size and MACing a
// string to sign with a cached key, with nothing else.
void BM_CryptoFloor(benchmark::State& state) {
  const std::string canonical(330, 'x');
  const std::string to_sign(130, 'y');
  const crypto::HmacKey key(std::string_view("0123456789abcdef0123456789abcdef"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::sha256(canonical));
    benchmark::DoNotOptimize(key.mac(to_sign));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_VerifyWarmCache);
BENCHMARK(BM_VerifyWarmCacheSessionToken);
BENCHMARK(BM_VerifyColdCache);
BENCHMARK(BM_VerifyRefusedSignature);
BENCHMARK(BM_Generate);
BENCHMARK(BM_CryptoFloor);

}  // namespace

BENCHMARK_MAIN();
