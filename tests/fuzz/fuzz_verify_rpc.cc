// Fuzz target: the verify RPC's two parsers, the daemon's (verify::parse_request) and the
// plugins' (plugin::parse_response), on any bytes, and both directions' round trips: a request
// the plugins encode always parses on the daemon with the same fields, and an answer the daemon
// formats always parses in the plugins with the same decision. The input is either one line
// (both parsers) or, after a leading 0x00, fields separated by 0x01 (the round trips).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event.h"
#include "plugins/common/verify_protocol.h"
#include "verify/rpc.h"

namespace {

using namespace iamdb;

void require(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string_view> fields_of(std::string_view s) {
  std::vector<std::string_view> out;
  while (out.size() < 5) {
    const size_t cut = s.find('\x01');
    out.push_back(s.substr(0, cut));
    if (cut == std::string_view::npos) break;
    s.remove_prefix(cut + 1);
  }
  while (out.size() < 5) out.emplace_back();
  return out;
}

void request_round_trip(const std::vector<std::string_view>& f) {
  const plugin::VerifyRequest request{f[0], f[1], f[2], f[3], !f[4].empty()};
  const auto line = plugin::encode_request(request);
  if (!line) return;  // refused with a reason: not UTF-8, empty or oversized token
  require(!line->empty() && line->back() == '\n' && line->size() <= plugin::kMaxLineBytes);
  const auto parsed = verify::parse_request(std::string_view(*line).substr(0, line->size() - 1));
  require(parsed.has_value());
  require(parsed->instance == f[0] && parsed->user == f[1] && parsed->token == f[2] &&
          parsed->client_addr == f[3] && parsed->tls == !f[4].empty());
}

void response_round_trip(const std::vector<std::string_view>& f) {
  audit::Event decided;
  decided.outcome = f[4].empty() ? audit::Outcome::kDenied : audit::Outcome::kAllowed;
  decided.request_id = f[0];
  decided.principal_arn = f[1];
  decided.reason = f[2];
  const std::string line = verify::format_response(decided);
  if (line.size() >= plugin::kMaxLineBytes) return;  // the daemon's answers are far shorter
  const auto parsed = plugin::parse_response(line);
  require(parsed.has_value());
  require(parsed->allow == (decided.outcome == audit::Outcome::kAllowed));
  if (plugin::is_utf8(f[0])) require(parsed->request_id == f[0]);
  if (plugin::is_utf8(f[2])) require(parsed->reason == f[2]);
  const auto refusal = plugin::parse_response(verify::format_refusal("r", f[2]));
  if (plugin::is_utf8(f[2])) require(refusal.has_value() && !refusal->allow && refusal->reason == f[2]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input.front() == '\0') {
    const auto fields = fields_of(input.substr(1));
    request_round_trip(fields);
    response_round_trip(fields);
    return 0;
  }
  // Any bytes: a value or a reason, never a crash; an allow only from a well-formed answer.
  const auto request = verify::parse_request(input);
  if (request) require(input.find("\"v\"") != std::string_view::npos);
  const auto response = plugin::parse_response(input);
  if (response && response->allow) require(input.find("true") != std::string_view::npos);
  return 0;
}
