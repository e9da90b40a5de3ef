// Fuzz target: a signed API request as the server receives it, through SigV4's parsing, time and
// signature checks (src/sigv4/verifier.h), and the signer/verifier agreement. The input reads as
// an HTTP request: "METHOD TARGET" on the first line, "name: value" header lines (names that are
// not HTTP tokens are dropped, as the server's HTTP parser refuses them), an empty line, the body. Whatever the bytes, each step returns a value or a named error, never a crash; a
// request signed by sign() or presign() with any path, query, headers and body verifies.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/time.h"
#include "sigv4/signing_key.h"
#include "sigv4/verifier.h"

namespace {

using namespace iamdb;

const sigv4::Credentials kKey{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token=="};
const SystemTime kNow = *parse_iso8601("2015-08-30T12:36:00Z");

void require(bool ok) {
  if (!ok) std::abort();
}

std::string_view next_line(std::string_view& s) {
  const size_t end = s.find('\n');
  std::string_view line = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// RFC 9110 token characters: the only header names an HTTP parser (Beast, in the server) passes.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

sigv4::Request parse_http(std::string_view s) {
  sigv4::Request r;
  const std::string_view first = next_line(s);
  const size_t space = first.find(' ');
  r.method = std::string(first.substr(0, space));
  const std::string_view target = space == std::string_view::npos ? "/" : first.substr(space + 1);
  const size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  for (std::string_view line = next_line(s); !line.empty(); line = next_line(s)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  r.body = std::string(s);
  return r;
}

void check_as_received(const sigv4::Request& request, sigv4::SigningKeyCache& keys) {
  const auto auth = sigv4::parse_request_auth(request);
  if (!auth) {
    require(!sigv4::error_name(auth.error().code).empty());
    return;
  }
  (void)sigv4::check_request_time(*auth, kNow);
  const auto& key = keys.get(kKey.secret_access_key, format_amz_day(auth->signed_at),
                             auth->credential.scope.region, auth->credential.scope.service);
  (void)sigv4::verify_signature(request, *auth, key);
}

void signed_round_trip(sigv4::Request request, bool presigned, sigv4::SigningKeyCache& keys) {
  if (!request.header("host")) request.set_header("Host", "iam.amazonaws.com");
  const sigv4::SigningParams params{"us-east-1", "iam", kNow, {}, false, true};
  const auto signed_ = presigned ? sigv4::presign(request, kKey, params, std::chrono::seconds(300))
                                 : sigv4::sign(request, kKey, params);
  if (!signed_) return;  // a bad percent-escape in the query: refused, not signed
  const auto auth = sigv4::parse_request_auth(request);
  if (!auth) return;  // the fuzzed headers or query carry their own, conflicting auth parameters
  if (auth->credential.access_key_id != kKey.access_key_id) return;
  const auto& key = keys.get(kKey.secret_access_key, "20150830", "us-east-1", "iam");
  const auto verified = sigv4::verify_signature(request, *auth, key);
  if (!verified) {
    std::fprintf(stderr, "signed by us, refused by us: %s\ncanonical request:\n%s\n", verified.error().message.c_str(),
                 signed_->canonical_request.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sigv4::SigningKeyCache keys(16);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const sigv4::Request request = parse_http(input);
  check_as_received(request, keys);
  sigv4::Request unsigned_request = request;
  std::erase_if(unsigned_request.headers, [](const sigv4::Header& h) {
    std::string name = h.name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token";
  });
  signed_round_trip(unsigned_request, (size & 1) != 0, keys);
  return 0;
}
