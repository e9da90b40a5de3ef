// Reading what a backend (PostgreSQL server) sends, for the messages the gateway inspects:
// Authentication* requests, ParameterStatus, BackendKeyData, ReadyForQuery, ErrorResponse and
// NoticeResponse fields, CommandComplete, CopyInResponse / CopyOutResponse / CopyBothResponse
// (the session is in COPY until CopyDone, CopyFail or an error), NegotiateProtocolVersion, and
// the RowDescription and DataRow of the gateway's own queries (the list of IAM users).
// Formats follow the PostgreSQL 15 documentation, 55.7 and 55.8 (error and notice fields).
//
// Each parser takes a Message cut by MessageFramer, checks its type byte and that its body is
// exactly as long as its format says, and returns views into the body: they are valid while the
// buffer the message came from is. Pure functions; errors name what was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "gateway/postgres/framer.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

// An 'R' message. Only the fields of its `request` kind are set.
struct Authentication {
  AuthRequest request = AuthRequest::kOk;
  Md5Salt salt{};                            // kMd5Password
  std::vector<std::string_view> mechanisms;  // kSasl: in the server's order of preference
  std::string_view data;                     // kSaslContinue, kSaslFinal, kGssContinue
};
[[nodiscard]] Result<Authentication> parse_authentication(const Message& message);

struct ParameterStatus {
  std::string_view name;
  std::string_view value;
};
[[nodiscard]] Result<ParameterStatus> parse_parameter_status(const Message& message);

// Protocol 3.0's form: process id and a 4-byte secret key.
struct BackendKeyData {
  int32_t process_id = 0;
  uint32_t secret_key = 0;
};
[[nodiscard]] Result<BackendKeyData> parse_backend_key_data(const Message& message);

[[nodiscard]] Result<TransactionStatus> parse_ready_for_query(const Message& message);

// The fields of an ErrorResponse or NoticeResponse (55.8), in the order sent. Frontends must
// ignore field types they do not know, so every field is kept and none is required.
struct ErrorFields {
  std::vector<std::pair<char, std::string_view>> fields;

  // The first field of `code`, or "" when absent.
  std::string_view get(char code) const;
  // 'V' (never localised, PostgreSQL 9.6+) when present, else 'S'.
  std::string_view severity() const;
  std::string_view sqlstate() const { return get('C'); }
  std::string_view message() const { return get('M'); }
  std::string_view detail() const { return get('D'); }
  std::string_view hint() const { return get('H'); }
};
[[nodiscard]] Result<ErrorFields> parse_error_response(const Message& message);
[[nodiscard]] Result<ErrorFields> parse_notice_response(const Message& message);

// CommandComplete: the command tag ("SELECT 1", "COPY 2").
[[nodiscard]] Result<std::string_view> parse_command_complete(const Message& message);

enum class CopyDirection { kIn, kOut, kBoth };
struct CopyResponse {
  CopyDirection direction = CopyDirection::kIn;
  bool binary = false;                  // the overall format
  std::vector<int16_t> column_formats;  // 0 text, 1 binary, one per column
};
// True for 'G', 'H' and 'W', the three messages that put a session into COPY.
constexpr bool is_copy_response(char type) {
  return type == backend::kCopyInResponse || type == backend::kCopyOutResponse ||
         type == backend::kCopyBothResponse;
}
[[nodiscard]] Result<CopyResponse> parse_copy_response(const Message& message);

// NegotiateProtocolVersion: the newest minor version the server supports and the `_pq_.`
// options it did not recognise.
struct NegotiateProtocolVersion {
  uint32_t newest_minor = 0;
  std::vector<std::string_view> unrecognized_options;
};
[[nodiscard]] Result<NegotiateProtocolVersion> parse_negotiate_protocol_version(
    const Message& message);

// RowDescription: the column names, in order (the other per-column fields are checked for
// length and skipped).
[[nodiscard]] Result<std::vector<std::string_view>> parse_row_description(const Message& message);

// DataRow: one value per column, nullopt for SQL NULL (length -1).
[[nodiscard]] Result<std::vector<std::optional<std::string_view>>> parse_data_row(
    const Message& message);

}  // namespace iamdb::pgwire
