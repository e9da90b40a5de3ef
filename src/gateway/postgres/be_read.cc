// Decoding of the backend messages the gateway inspects.
#include "gateway/postgres/be_read.h"

#include <cstdio>
#include <cstring>

#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {
namespace {

Result<void> expect(const Message& message, char type) {
  return expect_type(message, Peer::kBackend, type);
}

Result<void> no_trailing(const wire::BodyReader& reader, std::string_view what) {
  if (reader.at_end()) return {};
  return fail(what, " has ", std::to_string(reader.remaining()), " unexpected trailing bytes");
}

std::string_view auth_name(AuthRequest request) {
  switch (request) {
    case AuthRequest::kOk: return "AuthenticationOk";
    case AuthRequest::kKerberosV5: return "AuthenticationKerberosV5";
    case AuthRequest::kCleartextPassword: return "AuthenticationCleartextPassword";
    case AuthRequest::kMd5Password: return "AuthenticationMD5Password";
    case AuthRequest::kGss: return "AuthenticationGSS";
    case AuthRequest::kGssContinue: return "AuthenticationGSSContinue";
    case AuthRequest::kSspi: return "AuthenticationSSPI";
    case AuthRequest::kSasl: return "AuthenticationSASL";
    case AuthRequest::kSaslContinue: return "AuthenticationSASLContinue";
    case AuthRequest::kSaslFinal: return "AuthenticationSASLFinal";
  }
  return "Authentication";
}

Result<ErrorFields> parse_fields(const Message& message, char type, std::string_view what) {
  if (auto ok = expect(message, type); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  ErrorFields out;
  for (;;) {
    const auto code = reader.u8();
    if (!code) return fail(what, " is not terminated by a zero byte");
    if (*code == 0) break;
    const auto value = reader.cstring();
    if (!value)
      return fail(what, " field '", std::string(1, static_cast<char>(*code)),
                  "' is not NUL-terminated");
    out.fields.emplace_back(static_cast<char>(*code), *value);
  }
  if (auto ok = no_trailing(reader, what); !ok) return std::unexpected(ok.error());
  return out;
}

}  // namespace

Result<Authentication> parse_authentication(const Message& message) {
  if (auto ok = expect(message, backend::kAuthentication); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto code = reader.i32();
  if (!code) return fail("Authentication message is too short for its request code");
  Authentication out;
  out.request = static_cast<AuthRequest>(*code);
  switch (out.request) {
    case AuthRequest::kOk:
    case AuthRequest::kKerberosV5:
    case AuthRequest::kCleartextPassword:
    case AuthRequest::kGss:
    case AuthRequest::kSspi: break;
    case AuthRequest::kMd5Password: {
      const auto salt = reader.bytes(4);
      if (!salt) return fail("AuthenticationMD5Password is missing its 4-byte salt");
      std::memcpy(out.salt.data(), salt->data(), 4);
      break;
    }
    case AuthRequest::kSasl:
      for (;;) {
        const auto name = reader.cstring();
        if (!name) return fail("AuthenticationSASL mechanism list is not terminated");
        if (name->empty()) break;
        out.mechanisms.push_back(*name);
      }
      if (out.mechanisms.empty()) return fail("AuthenticationSASL offers no mechanism");
      break;
    case AuthRequest::kSaslContinue:
    case AuthRequest::kSaslFinal:
    case AuthRequest::kGssContinue: out.data = reader.take_rest(); break;
    default: return fail("unknown authentication request code ", std::to_string(*code));
  }
  if (auto ok = no_trailing(reader, auth_name(out.request)); !ok)
    return std::unexpected(ok.error());
  return out;
}

Result<ParameterStatus> parse_parameter_status(const Message& message) {
  if (auto ok = expect(message, backend::kParameterStatus); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto name = reader.cstring();
  const auto value = name ? reader.cstring() : std::nullopt;
  if (!name || !value) return fail("ParameterStatus needs two NUL-terminated strings");
  if (name->empty()) return fail("ParameterStatus has an empty parameter name");
  if (auto ok = no_trailing(reader, "ParameterStatus"); !ok) return std::unexpected(ok.error());
  return ParameterStatus{*name, *value};
}

Result<BackendKeyData> parse_backend_key_data(const Message& message) {
  if (auto ok = expect(message, backend::kBackendKeyData); !ok) return std::unexpected(ok.error());
  if (message.body.size() != 8)
    return fail("BackendKeyData has a ", std::to_string(message.body.size()),
                "-byte body; protocol 3.0 sends 8 (process id and secret key)");
  return BackendKeyData{static_cast<int32_t>(wire::load_u32(message.body)),
                        wire::load_u32(message.body.substr(4))};
}

Result<TransactionStatus> parse_ready_for_query(const Message& message) {
  if (auto ok = expect(message, backend::kReadyForQuery); !ok) return std::unexpected(ok.error());
  if (message.body.size() != 1)
    return fail("ReadyForQuery has a ", std::to_string(message.body.size()),
                "-byte body; expected 1");
  switch (message.body[0]) {
    case 'I': return TransactionStatus::kIdle;
    case 'T': return TransactionStatus::kInTransaction;
    case 'E': return TransactionStatus::kFailed;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(message.body[0]));
      return fail("ReadyForQuery has transaction status ", hex, "; expected I, T or E");
    }
  }
}

std::string_view ErrorFields::get(char code) const {
  for (const auto& [c, value] : fields)
    if (c == code) return value;
  return {};
}

std::string_view ErrorFields::severity() const {
  const std::string_view v = get('V');
  return v.empty() ? get('S') : v;
}

Result<ErrorFields> parse_error_response(const Message& message) {
  return parse_fields(message, backend::kErrorResponse, "ErrorResponse");
}

Result<ErrorFields> parse_notice_response(const Message& message) {
  return parse_fields(message, backend::kNoticeResponse, "NoticeResponse");
}

Result<std::string_view> parse_command_complete(const Message& message) {
  if (auto ok = expect(message, backend::kCommandComplete); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto tag = reader.cstring();
  if (!tag) return fail("CommandComplete tag is not NUL-terminated");
  if (auto ok = no_trailing(reader, "CommandComplete"); !ok) return std::unexpected(ok.error());
  return *tag;
}

Result<CopyResponse> parse_copy_response(const Message& message) {
  CopyResponse out;
  switch (message.type) {
    case backend::kCopyInResponse: out.direction = CopyDirection::kIn; break;
    case backend::kCopyOutResponse: out.direction = CopyDirection::kOut; break;
    case backend::kCopyBothResponse: out.direction = CopyDirection::kBoth; break;
    default:
      return fail("expected CopyInResponse, CopyOutResponse or CopyBothResponse, got ",
                  describe_message_type(Peer::kBackend, message.type));
  }
  const std::string what = std::string(message_name(Peer::kBackend, message.type));
  wire::BodyReader reader(message.body);
  const auto format = reader.u8();
  const auto columns = format ? reader.i16() : std::nullopt;
  if (!format || !columns) return fail(what, " is too short for its format and column count");
  if (*format > 1) return fail(what, " has overall format ", std::to_string(*format));
  if (*columns < 0) return fail(what, " has a negative column count");
  out.binary = *format == 1;
  if (reader.remaining() != 2 * static_cast<size_t>(*columns))
    return fail(what, " announces ", std::to_string(*columns), " columns but carries ",
                std::to_string(reader.remaining()), " bytes of column formats");
  out.column_formats.reserve(static_cast<size_t>(*columns));
  for (int16_t i = 0; i < *columns; ++i) {
    const int16_t f = *reader.i16();
    if (f != 0 && f != 1)
      return fail(what, " column ", std::to_string(i), " has format ", std::to_string(f));
    if (f == 1 && !out.binary) return fail(what, " has a binary column in a textual copy");
    out.column_formats.push_back(f);
  }
  return out;
}

Result<NegotiateProtocolVersion> parse_negotiate_protocol_version(const Message& message) {
  if (auto ok = expect(message, backend::kNegotiateProtocolVersion); !ok)
    return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto newest = reader.u32();
  const auto count = newest ? reader.i32() : std::nullopt;
  if (!newest || !count)
    return fail("NegotiateProtocolVersion is too short for its version and option count");
  if (*count < 0) return fail("NegotiateProtocolVersion has a negative option count");
  NegotiateProtocolVersion out;
  out.newest_minor = *newest;
  for (int32_t i = 0; i < *count; ++i) {
    const auto name = reader.cstring();
    if (!name)
      return fail("NegotiateProtocolVersion announces ", std::to_string(*count),
                  " options but carries ", std::to_string(i));
    out.unrecognized_options.push_back(*name);
  }
  if (auto ok = no_trailing(reader, "NegotiateProtocolVersion"); !ok)
    return std::unexpected(ok.error());
  return out;
}

Result<std::vector<std::string_view>> parse_row_description(const Message& message) {
  if (auto ok = expect(message, backend::kRowDescription); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto count = reader.i16();
  if (!count) return fail("RowDescription is too short for its column count");
  if (*count < 0) return fail("RowDescription has a negative column count");
  std::vector<std::string_view> names;
  names.reserve(static_cast<size_t>(*count));
  for (int16_t i = 0; i < *count; ++i) {
    const auto name = reader.cstring();
    // Table OID, column number, type OID, type size, type modifier, format code.
    if (!name || !reader.bytes(4 + 2 + 4 + 2 + 4 + 2))
      return fail("RowDescription announces ", std::to_string(*count), " columns but column ",
                  std::to_string(i), " is truncated");
    names.push_back(*name);
  }
  if (auto ok = no_trailing(reader, "RowDescription"); !ok) return std::unexpected(ok.error());
  return names;
}

Result<std::vector<std::optional<std::string_view>>> parse_data_row(const Message& message) {
  if (auto ok = expect(message, backend::kDataRow); !ok) return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  const auto count = reader.i16();
  if (!count) return fail("DataRow is too short for its column count");
  if (*count < 0) return fail("DataRow has a negative column count");
  std::vector<std::optional<std::string_view>> values;
  values.reserve(static_cast<size_t>(*count));
  for (int16_t i = 0; i < *count; ++i) {
    const auto length = reader.i32();
    if (!length)
      return fail("DataRow announces ", std::to_string(*count), " columns but carries ",
                  std::to_string(i));
    if (*length == -1) {
      values.emplace_back(std::nullopt);
      continue;
    }
    if (*length < 0)
      return fail("DataRow column ", std::to_string(i), " has length ", std::to_string(*length));
    const auto value = reader.bytes(static_cast<size_t>(*length));
    if (!value)
      return fail("DataRow column ", std::to_string(i), " of ", std::to_string(*length),
                  " bytes is truncated");
    values.emplace_back(*value);
  }
  if (auto ok = no_trailing(reader, "DataRow"); !ok) return std::unexpected(ok.error());
  return values;
}

}  // namespace iamdb::pgwire
