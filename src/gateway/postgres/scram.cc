// SCRAM-SHA-256 client messages and proofs (RFC 5802 section 3 and 7) over crypto's primitives.
#include "gateway/postgres/scram.h"

#include <cassert>
#include <optional>
#include <vector>

#include "common/strings.h"
#include "crypto/base64.h"
#include "crypto/random.h"

namespace iamdb::pgwire {
namespace {

constexpr std::string_view kGs2Header = "n,,";        // no channel binding, no authzid
constexpr std::string_view kChannelBinding = "biws";  // base64 of the gs2 header
constexpr size_t kRawNonceSize = 18;                  // libpq's SCRAM_RAW_NONCE_LEN

// RFC 5802 "printable": %x21-2B / %x2D-7E.
bool printable(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

// RFC 5802 saslname: '=' and ',' are escaped as =3D and =2C.
std::string saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out.push_back(c);
  }
  return out;
}

// An attribute "a=value" with a single ASCII letter as the name.
bool is_attribute(std::string_view part) {
  return part.size() >= 2 &&
         ((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= 'A' && part[0] <= 'Z')) &&
         part[1] == '=';
}

std::optional<std::string_view> attribute(std::string_view part, char name) {
  if (!is_attribute(part) || part[0] != name) return std::nullopt;
  return part.substr(2);
}

void wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

std::string_view bytes_of(const crypto::Sha256Digest& d) { return crypto::as_chars(d); }

}  // namespace

Result<ScramClient> ScramClient::create(std::string_view password, const Options& options) {
  assert(options.max_iterations >= 1);
  ScramClient client;
  if (options.nonce.empty()) {
    client.client_nonce_ = crypto::base64_encode(crypto::random_bytes(kRawNonceSize));
  } else {
    if (!printable(options.nonce)) return fail("SCRAM nonce must be printable ASCII without ','");
    client.client_nonce_ = options.nonce;
  }
  client.password_ = password;
  client.saslprep_ = saslprep_outcome(password);
  client.max_iterations_ = options.max_iterations;
  client.client_first_ =
      std::string(kGs2Header) + "n=" + saslname(options.username) + ",r=" + client.client_nonce_;
  client.gs2_header_size_ = kGs2Header.size();
  return client;
}

ScramClient::~ScramClient() { wipe(password_); }

Result<std::string> ScramClient::client_final_message(std::string_view server_first) {
  if (state_ != State::kFirstSent) return fail("SCRAM server-first-message arrived out of order");
  auto final_message = compute_final(server_first);
  wipe(password_);
  state_ = final_message ? State::kFinalSent : State::kFailed;
  return final_message;
}

Result<std::string> ScramClient::compute_final(std::string_view server_first) {
  if (server_first.starts_with("m="))
    return fail("SCRAM server-first-message requires an extension (m=) this client does not know");
  const std::vector<std::string_view> parts = split(server_first, ',');
  if (parts.size() < 3)
    return fail("malformed SCRAM server-first-message: expected r=, s= and i= attributes");
  const auto nonce = attribute(parts[0], 'r');
  const auto salt_b64 = attribute(parts[1], 's');
  const auto iterations_text = attribute(parts[2], 'i');
  if (!nonce || !salt_b64 || !iterations_text)
    return fail("malformed SCRAM server-first-message: expected r=, s= and i= in that order");
  for (size_t i = 3; i < parts.size(); ++i)
    if (!is_attribute(parts[i]))
      return fail("malformed SCRAM server-first-message: garbage after the iteration count");
  if (!printable(*nonce) || !nonce->starts_with(client_nonce_) ||
      nonce->size() == client_nonce_.size())
    return fail("SCRAM server nonce does not extend the client nonce");
  const auto salt = crypto::base64_decode(*salt_b64);
  if (!salt || salt->empty()) return fail("SCRAM salt is not non-empty base64");
  long long iterations = 0;
  if (!parse_uint(*iterations_text, iterations) || iterations < 1)
    return fail("SCRAM iteration count is not a positive integer");
  if (iterations > static_cast<long long>(max_iterations_))
    return fail("SCRAM iteration count ", std::string(*iterations_text), " exceeds the limit of ",
                std::to_string(max_iterations_));

  // RFC 5802 section 3.
  const crypto::Sha256Digest salted_password =
      crypto::pbkdf2_hmac_sha256(password_, *salt, static_cast<uint32_t>(iterations));
  const crypto::HmacKey salted_key(salted_password);
  const crypto::Sha256Digest client_key = salted_key.mac("Client Key");
  const crypto::Sha256Digest server_key = salted_key.mac("Server Key");
  const crypto::Sha256Digest stored_key = crypto::sha256(bytes_of(client_key));

  std::string final_message = "c=";
  final_message.append(kChannelBinding).append(",r=").append(*nonce);
  std::string auth_message(std::string_view(client_first_).substr(gs2_header_size_));
  auth_message.append(",").append(server_first).append(",").append(final_message);

  const crypto::Sha256Digest client_signature = crypto::hmac_sha256(stored_key, auth_message);
  std::string proof(32, '\0');
  for (size_t i = 0; i < proof.size(); ++i)
    proof[i] = static_cast<char>(client_key[i] ^ client_signature[i]);
  server_signature_ = crypto::hmac_sha256(server_key, auth_message);
  final_message.append(",p=").append(crypto::base64_encode(proof));
  return final_message;
}

Result<void> ScramClient::verify_server_final(std::string_view server_final) {
  if (state_ != State::kFinalSent) return fail("SCRAM server-final-message arrived out of order");
  state_ = State::kFailed;
  const std::vector<std::string_view> parts = split(server_final, ',');
  if (const auto error = attribute(parts[0], 'e'))
    return fail("the server refused SCRAM authentication: ", *error);
  const auto verifier = attribute(parts[0], 'v');
  if (!verifier) return fail("malformed SCRAM server-final-message: expected v=");
  for (size_t i = 1; i < parts.size(); ++i)
    if (!is_attribute(parts[i]))
      return fail("malformed SCRAM server-final-message: garbage after the signature");
  const auto signature = crypto::base64_decode(*verifier);
  if (!signature) return fail("SCRAM server signature is not base64");
  if (!crypto::constant_time_equal(*signature, bytes_of(server_signature_)))
    return fail(
        "SCRAM server signature does not match: the server does not hold this "
        "password's verifier");
  state_ = State::kDone;
  return {};
}

}  // namespace iamdb::pgwire
