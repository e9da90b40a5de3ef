// Fuzz target: an RDS auth token through parsing and every check, with a fixed clock, a fixed
// instance and a resolver that knows the keys of the seed corpus. A check must return a reason
// or a verified identity for any bytes, and an identity only for a key it knows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/time.h"
#include "token/check.h"
#include "token/table_resolver.h"

namespace {

using namespace iamdb;

struct Fixture {
  token::testing::TableResolver resolver;
  ManualClock clock{*parse_iso8601("2026-11-23T12:00:00Z")};
  sigv4::SigningKeyCache signing_keys{8};
  token::Endpoint endpoints[2] = {{"db.example.internal", 5432}, {"::1", 5432}};

  Fixture() {
    resolver.add("AKIAIOSFODNN7EXAMPLE", {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""});
    resolver.add(
        "ASIAQWERTYUIOPASDFGH",
        {"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
         "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token=="});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto result = token::check_token({token, "alice", fixture.endpoints, "us-east-1"},
                                         fixture.clock, fixture.resolver, fixture.signing_keys);
  if (result) {
    if (result->access_key_id != "AKIAIOSFODNN7EXAMPLE" &&
        result->access_key_id != "ASIAQWERTYUIOPASDFGH")
      std::abort();
  } else if (token::reason_name(result.error().reason) == "unknown" ||
             result.error().detail.empty()) {
    std::abort();
  }
  return 0;
}
