// The verify RPC's wire format, version 1 (docs/verify-rpc.md): one request line out, one
// response line back.
//
// Pure functions over strings: no I/O, no global state, safe from any thread. Every string
// that goes on the wire is JSON-escaped ('"', '\\', control characters); user names may be
// any UTF-8. Parsing is strict because the caller grants access only on a well-formed
// `"allow":true`: anything else, including a duplicated key or a field of the wrong type, is
// an error. Neither function throws for any input (allocation failure aside).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"

namespace iamdb::plugin {

inline constexpr int kProtocolVersion = 1;
// The largest token (the password the client sent) a request may carry.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;
// The largest line either side may send, newline included.
inline constexpr std::size_t kMaxLineBytes = 16 * 1024;

// Borrowed views: the strings must outlive the call to encode_request.
struct VerifyRequest {
  std::string_view instance;
  std::string_view user;
  std::string_view token;
  std::string_view client_addr;  // IPv4 or IPv6 literal, or empty when unknown
  bool tls = false;
};

struct VerifyResponse {
  bool allow = false;
  std::string request_id;
  std::string principal;  // empty when the daemon did not name one
  std::string reason;
};

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view s);

// The request as one JSON line ending in '\n'. Fails, naming the field, when a field is not
// UTF-8, the token is empty or longer than kMaxTokenBytes, or the line would exceed
// kMaxLineBytes. The returned line is the only copy of the token this function makes.
Result<std::string> encode_request(const VerifyRequest& request);

// Parses one response line (without its '\n'). Requires a JSON object with `"v":1`, a boolean
// `allow`, string `request_id` and `reason`, and, when present, a string `principal`; other
// keys are ignored for forward compatibility, but no key may appear twice.
Result<VerifyResponse> parse_response(std::string_view line);

}  // namespace iamdb::plugin
