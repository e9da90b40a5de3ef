// JSON lines of the verify RPC.
#include "verify/rpc.h"

#include <nlohmann/json.hpp>

namespace iamdb::verify {

Result<RpcRequest> parse_request(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) return fail("the request is not valid JSON");
  if (!j.is_object()) return fail("the request is not a JSON object");
  const auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<long long>() != 1)
    return fail("the request's \"v\" is not 1");
  RpcRequest r;
  const std::pair<const char*, std::string*> strings[] = {
      {"instance", &r.instance}, {"user", &r.user}, {"token", &r.token}, {"client_addr", &r.client_addr}};
  for (const auto& [name, target] : strings) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return fail("the request's \"", name, "\" is missing or not a string");
    *target = it->get<std::string>();
  }
  const auto tls = j.find("tls");
  if (tls == j.end() || !tls->is_boolean()) return fail("the request's \"tls\" is missing or not a boolean");
  r.tls = tls->get<bool>();
  return r;
}

std::string format_response(const audit::Event& e) {
  nlohmann::ordered_json j;
  j["v"] = 1;
  j["allow"] = e.outcome == audit::Outcome::kAllowed;
  j["request_id"] = e.request_id;
  if (!e.principal_arn.empty()) j["principal"] = e.principal_arn;
  j["reason"] = e.reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_refusal(std::string_view request_id, std::string_view reason) {
  nlohmann::ordered_json j;
  j["v"] = 1;
  j["allow"] = false;
  j["request_id"] = request_id;
  j["reason"] = reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace iamdb::verify
