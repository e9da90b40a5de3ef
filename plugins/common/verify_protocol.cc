// Encoding verify RPC requests and strictly parsing its responses (docs/verify-rpc.md).
#include "plugins/common/verify_protocol.h"

#include <cstdint>
#include <set>

#include <nlohmann/json.hpp>

namespace iamdb::plugin {
namespace {

using nlohmann::json;

// Appends `value` (valid UTF-8) as a JSON string (RFC 8259 section 7): '"' and '\\' escaped,
// control characters as short escapes or \u00XX, everything else as is.
void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (byte < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0x0F]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

Result<std::string> string_field(const json& object, const char* name, bool required) {
  const auto it = object.find(name);
  if (it == object.end()) {
    if (required) return fail("response has no \"", name, "\"");
    return std::string();
  }
  if (!it->is_string()) return fail("response field \"", name, "\" is not a string");
  return it->get<std::string>();
}

}  // namespace

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<uint8_t>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    uint32_t code_point = 0;
    uint32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<uint8_t>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

Result<std::string> encode_request(const VerifyRequest& request) {
  const std::pair<const char*, std::string_view> fields[] = {
      {"instance", request.instance},
      {"user", request.user},
      {"token", request.token},
      {"client_addr", request.client_addr},
  };
  std::size_t worst_case = 64;
  for (const auto& [name, value] : fields) {
    if (!is_utf8(value)) return fail("request field \"", name, "\" is not valid UTF-8");
    worst_case += 16 + 6 * value.size();
  }
  if (request.token.empty()) return fail("the token is empty");
  if (request.token.size() > kMaxTokenBytes) {
    return fail("the token is ", std::to_string(request.token.size()), " bytes, more than ",
                std::to_string(kMaxTokenBytes));
  }
  // Reserving the worst case keeps the token in this one buffer: no reallocation leaves a
  // copy behind, so the caller can wipe it after sending.
  std::string line;
  line.reserve(worst_case);
  line.append("{\"v\":").append(std::to_string(kProtocolVersion));
  for (const auto& [name, value] : fields) {
    line.append(",\"").append(name).append("\":");
    append_json_string(line, value);
  }
  line.append(",\"tls\":").append(request.tls ? "true" : "false").append("}\n");
  if (line.size() > kMaxLineBytes) {
    return fail("the request is ", std::to_string(line.size()), " bytes, more than ",
                std::to_string(kMaxLineBytes));
  }
  return line;
}

Result<VerifyResponse> parse_response(std::string_view line) {
  if (line.size() >= kMaxLineBytes) return fail("response line is too long");
  bool duplicate_key = false;
  std::set<std::string> top_level_keys;
  const json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event,
                                                json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !top_level_keys.insert(parsed.get<std::string>()).second) {
      duplicate_key = true;
    }
    return true;
  };
  const json object = json::parse(line, note_keys, /*allow_exceptions=*/false);
  if (object.is_discarded()) return fail("response is not valid JSON");
  if (!object.is_object()) return fail("response is not a JSON object");
  if (duplicate_key) return fail("response repeats a key");

  const auto version = object.find("v");
  if (version == object.end()) return fail("response has no \"v\"");
  if (!version->is_number_integer() || version->get<long long>() != kProtocolVersion) {
    return fail("response \"v\" is not ", std::to_string(kProtocolVersion));
  }
  const auto allow = object.find("allow");
  if (allow == object.end()) return fail("response has no \"allow\"");
  if (!allow->is_boolean()) return fail("response field \"allow\" is not a boolean");

  VerifyResponse response;
  response.allow = allow->get<bool>();
  auto request_id = string_field(object, "request_id", true);
  if (!request_id) return std::unexpected(request_id.error());
  auto reason = string_field(object, "reason", true);
  if (!reason) return std::unexpected(reason.error());
  auto principal = string_field(object, "principal", false);
  if (!principal) return std::unexpected(principal.error());
  response.request_id = std::move(*request_id);
  response.reason = std::move(*reason);
  response.principal = std::move(*principal);
  return response;
}

}  // namespace iamdb::plugin
