// Test tool: checks one RDS auth token against one known access key, so that the integration
// tests can verify tokens made by the AWS CLI and boto3. Prints "ok" (exit 0) or the failed
// check's reason and detail (exit 1); bad usage exits 2.
//   verify_token_tool --token T --user U --host H --port P --region R --access-key-id A
//                     --secret S [--session-token X] [--time 2026-06-15T08:30:07Z]
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/strings.h"
#include "common/time.h"
#include "token/check.h"
#include "token/table_resolver.h"

int main(int argc, char** argv) {
  using namespace iamdb;
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) break;
    args[argv[i] + 2] = argv[i + 1];
  }
  for (const char* required :
       {"token", "user", "host", "port", "region", "access-key-id", "secret"}) {
    if (!args.count(required)) {
      std::fprintf(stderr, "verify_token_tool: --%s is required\n", required);
      return 2;
    }
  }
  long long port = 0;
  if (!parse_uint(args["port"], port) || port < 1 || port > 65535) {
    std::fprintf(stderr, "verify_token_tool: bad --port\n");
    return 2;
  }
  SystemTime now = SystemClock::instance().now();
  if (args.count("time")) {
    const auto parsed = parse_iso8601(args["time"]);
    if (!parsed) {
      std::fprintf(stderr, "verify_token_tool: bad --time\n");
      return 2;
    }
    now = *parsed;
  }
  const ManualClock clock(now);

  token::testing::TableResolver resolver;
  resolver.add(args["access-key-id"], {args["secret"], args["session-token"]});
  sigv4::SigningKeyCache signing_keys;
  const token::Endpoint endpoints[] = {{args["host"], static_cast<uint16_t>(port)}};
  const auto result = token::check_token({args["token"], args["user"], endpoints, args["region"]},
                                         clock, resolver, signing_keys);
  if (!result) {
    std::printf("%.*s: %s\n", static_cast<int>(token::reason_name(result.error().reason).size()),
                token::reason_name(result.error().reason).data(), result.error().detail.c_str());
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
