// Writing what the gateway sends to its frontends (clients), in the formats of the PostgreSQL 15
// documentation 55.7: authentication requests, ParameterStatus, BackendKeyData, ReadyForQuery,
// ErrorResponse and NoticeResponse (fields per 55.8), NegotiateProtocolVersion, and the one-byte
// answers to SSLRequest and GSSENCRequest.
//
// Every writer appends one complete message to `out`, the connection's output buffer; nothing
// else is allocated. Arguments are the gateway's own text or strings taken from parsed messages,
// so they contain no NUL byte (a broken invariant, asserted). Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "gateway/postgres/framer.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

// The answers to SSLRequest ('S': go ahead with the TLS handshake, 'N': continue unencrypted
// or give up) and to GSSENCRequest ('G' or 'N').
void write_ssl_response(std::string& out, bool accept);
void write_gssenc_response(std::string& out, bool accept);

void write_authentication_ok(std::string& out);
void write_authentication_cleartext_password(std::string& out);
void write_authentication_md5_password(std::string& out, const Md5Salt& salt);
void write_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms);
void write_authentication_sasl_continue(std::string& out, std::string_view data);
void write_authentication_sasl_final(std::string& out, std::string_view data);

void write_parameter_status(std::string& out, std::string_view name, std::string_view value);
void write_backend_key_data(std::string& out, int32_t process_id, uint32_t secret_key);
void write_ready_for_query(std::string& out, TransactionStatus status);
// Answers a client that asked for a newer minor version or for `_pq_.` options: the gateway
// speaks 3.`newest_minor` and ignores `unrecognized_options`.
void write_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                      std::span<const std::string_view> unrecognized_options);

enum class Severity { kError, kFatal, kPanic, kWarning, kNotice, kDebug, kInfo, kLog };
// "ERROR", "FATAL", ... as PostgreSQL writes them in the S and V fields.
std::string_view severity_name(Severity severity);

// What an ErrorResponse or NoticeResponse says. ErrorResponse takes kError, kFatal or kPanic;
// NoticeResponse the others. `sqlstate` is five characters of 0-9 and A-Z.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string_view sqlstate;
  std::string_view message;
  std::string_view detail = {};  // omitted when empty
  std::string_view hint = {};    // omitted when empty
};
// Writes fields S, V, C, M, then D and H when set.
void write_error_response(std::string& out, const Diagnostic& diagnostic);
void write_notice_response(std::string& out, const Diagnostic& diagnostic);

// FATAL with SQLSTATE 28000 (invalid_authorization_specification) and `message`, the generic
// text a client sees when authentication fails; the reason goes to the audit log only.
void write_authentication_failed(std::string& out, std::string_view message);
// `IAM authentication failed for user "alice" (request id 1b2c...)`, the gateway's wording of
// that message, shaped like PostgreSQL's "PAM authentication failed for user".
std::string iam_authentication_failed_message(std::string_view user, std::string_view request_id);

// Relays a backend's AuthenticationSASL to the client without the channel-binding mechanisms
// (names ending in "-PLUS", such as SCRAM-SHA-256-PLUS): the client's TLS channel ends at the
// gateway, so a binding to it could never verify at the backend. Fails if `backend_message` is
// not a valid AuthenticationSASL or offers nothing else.
[[nodiscard]] Result<void> write_sasl_without_channel_binding(std::string& out,
                                                              const Message& backend_message);

}  // namespace iamdb::pgwire
