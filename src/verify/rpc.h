// The verify RPC's lines as the daemon reads and writes them (docs/verify-rpc.md). Pure.
#pragma once

#include <string>
#include <string_view>

#include "audit/event.h"
#include "common/error.h"

namespace iamdb::verify {

struct RpcRequest {
  std::string instance;
  std::string user;
  std::string token;
  std::string client_addr;
  bool tls = false;
};

// Strict: a JSON object with "v":1, string instance, user, token and client_addr, bool tls.
// Unknown keys are ignored (newer clients may add some). The error names what is wrong.
Result<RpcRequest> parse_request(std::string_view line);

// The answer line (without '\n') for a decided attempt.
std::string format_response(const audit::Event& decided);
// The answer to a line that is not a valid request.
std::string format_refusal(std::string_view request_id, std::string_view reason);

}  // namespace iamdb::verify
