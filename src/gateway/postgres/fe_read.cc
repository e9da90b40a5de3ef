// Decoding of the client's startup packets and of the client messages the gateway inspects.
#include "gateway/postgres/fe_read.h"

#include <algorithm>

#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {
namespace {

std::string version_text(uint32_t code) {
  return std::to_string(protocol_major(code)) + "." + std::to_string(protocol_minor(code));
}

// Checks the code word as soon as it has arrived, so that a wrong code fails before the rest of
// a long packet is read.
Result<void> check_code(uint32_t code, uint32_t length) {
  const char* fixed_name = nullptr;
  uint32_t fixed_length = 0;
  switch (code) {
    case kCancelRequestCode:
      fixed_name = "CancelRequest";
      fixed_length = 16;
      break;
    case kSslRequestCode:
      fixed_name = "SSLRequest";
      fixed_length = 8;
      break;
    case kGssEncRequestCode:
      fixed_name = "GSSENCRequest";
      fixed_length = 8;
      break;
    default: break;
  }
  if (fixed_name != nullptr) {
    if (length != fixed_length)
      return fail("invalid length ", std::to_string(length), " of ", fixed_name, ": expected ",
                  std::to_string(fixed_length));
    return {};
  }
  const uint16_t major = protocol_major(code);
  if (major == 3) return {};
  if (major == 1234)
    return fail("unknown startup request code ", std::to_string(code), " (", version_text(code),
                ")");
  return fail("unsupported frontend protocol ", version_text(code), ": the server supports 3.0");
}

Result<StartupMessage> parse_startup_message(uint32_t code, std::string_view body) {
  StartupMessage startup;
  startup.minor_version = protocol_minor(code);
  wire::BodyReader reader(body);
  for (;;) {
    const auto name = reader.cstring();
    if (!name)
      return fail("invalid startup packet layout: expected an empty name as the terminator");
    if (name->empty()) break;
    const auto value = reader.cstring();
    if (!value)
      return fail("invalid startup packet layout: parameter \"", *name, "\" has no value");
    if (startup.find(*name) != nullptr)
      return fail("startup parameter \"", *name, "\" appears more than once");
    startup.parameters.push_back({std::string(*name), std::string(*value)});
  }
  if (!reader.at_end())
    return fail("invalid startup packet layout: expected terminator as last byte, ",
                std::to_string(reader.remaining()), " bytes follow it");
  const std::string* user = startup.find("user");
  if (user == nullptr || user->empty())
    return fail("no PostgreSQL user name specified in startup packet");
  return startup;
}

// For parsers whose message must be one String and nothing else.
Result<std::string_view> single_string(const Message& message, std::string_view what) {
  const size_t nul = message.body.find('\0');
  if (nul == std::string_view::npos) return fail(what, " is not NUL-terminated");
  if (nul + 1 != message.body.size()) return fail(what, " contains a NUL byte before its end");
  return message.body.substr(0, nul);
}

}  // namespace

const std::string* StartupMessage::find(std::string_view name) const {
  for (const StartupParameter& p : parameters)
    if (p.name == name) return &p.value;
  return nullptr;
}

std::string_view StartupMessage::user() const {
  const std::string* user = find("user");
  return user ? std::string_view(*user) : std::string_view();
}

std::string_view StartupMessage::database() const {
  const std::string* database = find("database");
  return database && !database->empty() ? std::string_view(*database) : user();
}

std::vector<std::string_view> StartupMessage::protocol_extensions() const {
  std::vector<std::string_view> names;
  for (const StartupParameter& p : parameters)
    if (p.name.starts_with("_pq_.")) names.push_back(p.name);
  return names;
}

Result<StartupStep> decode_startup_packet(std::string_view buffered, size_t max_length) {
  StartupStep step;
  if (buffered.size() < 4) {
    step.needed = 4 - buffered.size();
    return step;
  }
  const uint32_t length = wire::load_u32(buffered);
  if (length < 8 || length - 4 > max_length)
    return fail("invalid length of startup packet: ", std::to_string(static_cast<int32_t>(length)),
                " (at least 8, at most ", std::to_string(max_length + 4), ")");
  if (buffered.size() < 8) {
    step.needed = 8 - buffered.size();
    return step;
  }
  const uint32_t code = wire::load_u32(buffered.substr(4));
  if (auto checked = check_code(code, length); !checked) return std::unexpected(checked.error());
  if (buffered.size() < length) {
    step.needed = length - buffered.size();
    return step;
  }
  const std::string_view body = buffered.substr(8, length - 8);
  switch (code) {
    case kSslRequestCode: step.packet = SslRequest{}; break;
    case kGssEncRequestCode: step.packet = GssEncRequest{}; break;
    case kCancelRequestCode:
      step.packet =
          CancelRequest{static_cast<int32_t>(wire::load_u32(body)), wire::load_u32(body.substr(4))};
      break;
    default: {
      auto startup = parse_startup_message(code, body);
      if (!startup) return std::unexpected(startup.error());
      step.packet = std::move(*startup);
    }
  }
  step.consumed = length;
  return step;
}

Result<std::string_view> parse_password_message(const Message& message) {
  if (auto ok = expect_type(message, Peer::kFrontend, frontend::kPassword); !ok)
    return std::unexpected(ok.error());
  return single_string(message, "password message");
}

Result<SaslInitialResponse> parse_sasl_initial_response(const Message& message) {
  if (auto ok = expect_type(message, Peer::kFrontend, frontend::kPassword); !ok)
    return std::unexpected(ok.error());
  wire::BodyReader reader(message.body);
  SaslInitialResponse out;
  const auto mechanism = reader.cstring();
  if (!mechanism) return fail("SASLInitialResponse: mechanism name is not NUL-terminated");
  if (mechanism->empty()) return fail("SASLInitialResponse: empty mechanism name");
  out.mechanism = *mechanism;
  const auto length = reader.i32();
  if (!length) return fail("SASLInitialResponse: missing the length of the initial response");
  if (*length == -1) {
    if (!reader.at_end())
      return fail("SASLInitialResponse: ", std::to_string(reader.remaining()),
                  " bytes follow an absent initial response");
    return out;
  }
  if (*length < 0)
    return fail("SASLInitialResponse: invalid initial response length ", std::to_string(*length));
  if (static_cast<size_t>(*length) != reader.remaining())
    return fail("SASLInitialResponse: initial response length ", std::to_string(*length), " but ",
                std::to_string(reader.remaining()), " bytes follow");
  out.data = reader.take_rest();
  return out;
}

Result<std::string_view> parse_sasl_response(const Message& message) {
  if (auto ok = expect_type(message, Peer::kFrontend, frontend::kPassword); !ok)
    return std::unexpected(ok.error());
  return message.body;
}

Result<std::string_view> parse_query(const Message& message) {
  if (auto ok = expect_type(message, Peer::kFrontend, frontend::kQuery); !ok)
    return std::unexpected(ok.error());
  return single_string(message, "Query");
}

Result<void> parse_terminate(const Message& message) {
  if (auto ok = expect_type(message, Peer::kFrontend, frontend::kTerminate); !ok) return ok;
  if (!message.body.empty())
    return fail("Terminate carries ", std::to_string(message.body.size()),
                " bytes; it has no body");
  return {};
}

}  // namespace iamdb::pgwire
