// The gateway's side of logging in to a backend, as a state machine without I/O: each message the
// backend sends goes in, and out comes what to answer, whether the session is ready, or why the
// log-in failed (PostgreSQL 15 documentation 55.2.1-55.2.2 and 55.3). The coroutine that owns
// the socket only reads, feeds, and writes.
//
// `secret` answers a password challenge: the client's token (backend_auth token: cleartext
// only, since a token cannot be turned into an md5 or SCRAM proof), the stored password
// (password: cleartext, md5 or SCRAM-SHA-256, whose server signature must verify), or nothing
// (trust). Kerberos, GSSAPI and SSPI are refused with a reason that says what to change.
//
// The same machine relays nothing: the relay of password users' own authentication is
// RelayLogin, below. Not thread-safe; one per log-in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/postgres/framer.h"
#include "gateway/postgres/scram.h"

namespace iamdb::gateway::pg {

enum class BackendAuth { kToken, kTrust, kPassword };
std::string_view backend_auth_name(BackendAuth auth);

// Why a log-in to the backend failed, shaped for what the client is told.
struct BackendFailure {
  enum class Kind {
    kUnreachable,     // connect failed (refused, no route, no such socket)
    kTimeout,         // connect + log-in took longer than connect_timeout
    kTls,             // TLS could not be set up or the certificate was refused
    kProtocol,        // the backend said something malformed or unexpected
    kCannotAnswer,    // the backend asked for a credential this mode cannot give
    kRefused,         // the backend sent an ErrorResponse (its fields below)
  };
  Kind kind = Kind::kUnreachable;
  std::string reason;  // for the log and the audit log
  std::string severity, sqlstate, message, detail, hint;  // kRefused: the backend's own words
};

class BackendLogin {
 public:
  BackendLogin(BackendAuth auth, std::string user, std::string secret)
      : auth_(auth), user_(std::move(user)), secret_(std::move(secret)) {}

  struct Step {
    std::string reply;                      // bytes to send to the backend now (may be empty)
    bool ready = false;                     // ReadyForQuery after AuthenticationOk
    std::optional<BackendFailure> failure;  // the log-in failed
  };
  Step on_message(const pgwire::Message& message);

  int32_t process_id() const { return process_id_; }
  uint32_t secret_key() const { return secret_key_; }
  std::vector<std::pair<std::string, std::string>>& parameters() { return parameters_; }

 private:
  Step on_authentication(const pgwire::Message& message);
  Step fail(BackendFailure::Kind kind, std::string reason) const;
  std::string cannot_answer(std::string_view asked) const;

  BackendAuth auth_;
  std::string user_;
  std::string secret_;
  std::optional<pgwire::ScramClient> scram_;
  bool authenticated_ = false;
  int32_t process_id_ = 0;
  uint32_t secret_key_ = 0;
  std::vector<std::pair<std::string, std::string>> parameters_;
};

// A password user's own authentication relayed between client and backend: each backend message
// goes in; out comes what to send the client, whether the client must answer next, and when the
// session is ready. SASL offers lose their channel-binding mechanisms (the client's TLS ends at
// the gateway); the backend's BackendKeyData is kept (the client gets the gateway's own key);
// a backend that lets the user in without asking anything is refused unless allowed, since the
// gateway's path to the backend may be trusted for IAM users.
class RelayLogin {
 public:
  explicit RelayLogin(bool allow_passwordless) : allow_passwordless_(allow_passwordless) {}

  struct Step {
    std::string to_client;      // bytes for the client (ErrorResponse included)
    bool client_answers = false;  // send to_client, then relay one message of the client
    bool ready = false;         // ReadyForQuery: send to_client without it; the session is ready
    bool refused = false;       // the backend refused the log-in (its error is in to_client)
    std::optional<std::pair<std::string, std::string>> gateway_refusal;  // (SQLSTATE, message)
    std::string reason;         // with refused / gateway_refusal: for the audit log
  };
  Step on_message(const pgwire::Message& message);

  int32_t process_id() const { return process_id_; }
  uint32_t secret_key() const { return secret_key_; }
  // The ReadyForQuery that ended the log-in, to send after the gateway's BackendKeyData.
  const std::string& ready_message() const { return ready_message_; }

 private:
  bool allow_passwordless_;
  bool challenged_ = false;
  bool authenticated_ = false;
  int32_t process_id_ = 0;
  uint32_t secret_key_ = 0;
  std::string ready_message_;
};

}  // namespace iamdb::gateway::pg
