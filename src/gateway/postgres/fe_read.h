// Reading what a frontend (client: psql, libpq, JDBC, psycopg) sends to the gateway.
//
// The startup phase (PostgreSQL 15 documentation 55.2.1 and 55.7) has untyped packets: Int32
// length (counting itself), Int32 code, body. `decode_startup_packet` frames and parses one of
// them from the bytes received so far: a StartupMessage for protocol 3.x, an SSLRequest, a
// GSSENCRequest or a CancelRequest. It refuses, as PostgreSQL 15 does, lengths below 8 or above
// the maximum (10,000 bytes after the length word by default), protocol 2 and other versions,
// unknown request codes, and malformed parameter lists; it also refuses a parameter named twice,
// which PostgreSQL would resolve silently (last one wins) while the gateway decided on another.
// Bad lengths and codes fail as soon as their bytes arrive, without waiting for the rest.
// CancelRequest carries protocol 3.0's 4-byte secret key; the longer keys of protocol 3.2
// (PostgreSQL 18) never occur, since the gateway negotiates clients down to 3.0.
//
// After an SSLRequest or GSSENCRequest the client must wait for the one-byte answer, so bytes
// beyond `consumed` were sent before encryption started: the gateway must refuse them rather than
// treat them as protected (PostgreSQL's fix for CVE-2021-23214).
//
// The parsers of typed messages (PasswordMessage, SASLInitialResponse, SASLResponse, Query,
// Terminate) take a Message cut by MessageFramer and return views into its body. All functions
// are pure; errors name what was wrong for the audit log and SQLSTATE 08P01.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "gateway/postgres/framer.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

struct StartupParameter {
  std::string name;
  std::string value;
  bool operator==(const StartupParameter&) const = default;
};

// StartupMessage (protocol 3.x). Owns its strings: the gateway keeps them for the whole
// connection (backend startup, pool key), long after the read buffer moved on.
struct StartupMessage {
  uint16_t minor_version = 0;  // 0 for every client before PostgreSQL 18; higher ones get
                               // NegotiateProtocolVersion from the gateway
  std::vector<StartupParameter> parameters;  // in the order sent; names are unique

  // The value of `name`, or nullptr when the client did not send it.
  const std::string* find(std::string_view name) const;
  // Never empty in a parsed message.
  std::string_view user() const;
  // `database`, or the user name when it is absent or empty, as PostgreSQL does.
  std::string_view database() const;
  // Parameters named `_pq_.*`: protocol extensions a 3.0 server must report as unrecognised.
  std::vector<std::string_view> protocol_extensions() const;
};

struct SslRequest {
  bool operator==(const SslRequest&) const = default;
};
struct GssEncRequest {
  bool operator==(const GssEncRequest&) const = default;
};
struct CancelRequest {
  int32_t process_id = 0;
  uint32_t secret_key = 0;
  bool operator==(const CancelRequest&) const = default;
};

using StartupPacket = std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest>;

struct StartupStep {
  std::optional<StartupPacket> packet;  // empty until the whole packet has arrived
  size_t consumed = 0;                  // with a packet: its size, to drop from the buffer
  size_t needed = 0;                    // without: at least this many more bytes are needed
};

// Decodes the startup packet at the front of `buffered`. `max_length` bounds the packet after
// its length word, like PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
[[nodiscard]] Result<StartupStep> decode_startup_packet(
    std::string_view buffered, size_t max_length = kDefaultMaxStartupPacket);

// PasswordMessage in reply to AuthenticationCleartextPassword: the password, which must be
// NUL-terminated and contain no other NUL. An empty password is returned as such; refusing it
// is the caller's decision (PostgreSQL fails the authentication).
[[nodiscard]] Result<std::string_view> parse_password_message(const Message& message);

// SASLInitialResponse: the chosen mechanism and the optional initial client response (absent
// when the length field is -1).
struct SaslInitialResponse {
  std::string_view mechanism;
  std::optional<std::string_view> data;
};
[[nodiscard]] Result<SaslInitialResponse> parse_sasl_initial_response(const Message& message);

// SASLResponse: the mechanism-specific data, the whole body.
[[nodiscard]] Result<std::string_view> parse_sasl_response(const Message& message);

// Query: the SQL text, NUL-terminated, with nothing after it.
[[nodiscard]] Result<std::string_view> parse_query(const Message& message);

// Terminate: an empty body.
[[nodiscard]] Result<void> parse_terminate(const Message& message);

}  // namespace iamdb::pgwire
