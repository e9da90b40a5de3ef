// The client side of SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash), as PostgreSQL uses it
// (PostgreSQL 15 documentation 55.3.1): the gateway authenticates to a backend with a stored
// per-user password. PostgreSQL takes the user name from the startup packet, so libpq sends an
// empty one (`n,,n=,r=...`); the gateway offers no channel binding (gs2 header "n,,", so the
// final message carries c=biws).
//
// The exchange, with the SASL messages of be_write.h / be_read.h around it:
//   client_first_message()            -> SASLInitialResponse("SCRAM-SHA-256", data)
//   AuthenticationSASLContinue data   -> client_final_message(data) -> SASLResponse
//   AuthenticationSASLFinal data      -> verify_server_final(data), then AuthenticationOk
// Server-first is checked (mandatory extensions refused, nonce must extend ours, salt must be
// base64, iteration count between 1 and `max_iterations`, since a hostile server could make
// the PBKDF2 cost unbounded); server-final must carry the server signature, compared in
// constant time, which proves the server knew the password's verifier. Calls out of order fail.
//
// The password is hashed as its raw bytes; see saslprep.h for where that matches PostgreSQL's
// SASLprep. A ScramClient is one exchange, owned by one connection; not thread-safe. The
// password is wiped from memory once the proof is computed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "crypto/digest.h"
#include "gateway/postgres/saslprep.h"

namespace iamdb::pgwire {

// PostgreSQL's default is 4096; its maximum is INT_MAX, which no sane server uses.
inline constexpr uint32_t kDefaultMaxScramIterations = 1'000'000;

class ScramClient {
 public:
  struct Options {
    std::string_view username = {};  // PostgreSQL ignores it; RFC 7677's example uses "user"
    std::string_view nonce = {};     // empty: 18 random bytes in base64, as libpq makes it
    uint32_t max_iterations = kDefaultMaxScramIterations;
  };

  // Fails only for an injected nonce that is not printable ASCII without ','.
  [[nodiscard]] static Result<ScramClient> create(std::string_view password,
                                                  const Options& options);
  [[nodiscard]] static Result<ScramClient> create(std::string_view password) {
    return create(password, Options{});
  }

  ScramClient(ScramClient&&) noexcept = default;
  ScramClient& operator=(ScramClient&&) noexcept = default;
  ~ScramClient();

  // "n,,n=<username>,r=<nonce>", the data of SASLInitialResponse.
  const std::string& client_first_message() const { return client_first_; }
  // Reads server-first ("r=...,s=...,i=...") and returns client-final ("c=biws,r=...,p=...").
  [[nodiscard]] Result<std::string> client_final_message(std::string_view server_first);
  // Checks server-final ("v=<signature>"); "e=<reason>" and a wrong signature fail.
  [[nodiscard]] Result<void> verify_server_final(std::string_view server_final);

  bool server_verified() const { return state_ == State::kDone; }
  SaslPrepOutcome saslprep() const { return saslprep_; }

 private:
  enum class State { kFirstSent, kFinalSent, kDone, kFailed };
  ScramClient() = default;
  Result<std::string> compute_final(std::string_view server_first);

  State state_ = State::kFirstSent;
  std::string password_;
  std::string client_nonce_;
  std::string client_first_;  // gs2 header + client-first-bare
  size_t gs2_header_size_ = 0;
  uint32_t max_iterations_ = kDefaultMaxScramIterations;
  crypto::Sha256Digest server_signature_{};
  SaslPrepOutcome saslprep_ = SaslPrepOutcome::kUnchanged;
};

}  // namespace iamdb::pgwire
