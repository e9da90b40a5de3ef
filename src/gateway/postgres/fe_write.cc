// Encoders of the messages the gateway sends to clients.
#include "gateway/postgres/fe_write.h"

#include <cassert>
#include <vector>

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {
namespace {

void write_auth(std::string& out, AuthRequest request, std::string_view data = {}) {
  const size_t at = wire::begin(out, backend::kAuthentication);
  wire::put_i32(out, static_cast<int32_t>(request));
  out.append(data);
  wire::finish(out, at);
}

[[maybe_unused]] bool is_error_severity(Severity s) {
  return s == Severity::kError || s == Severity::kFatal || s == Severity::kPanic;
}

[[maybe_unused]] bool valid_sqlstate(std::string_view code) {
  if (code.size() != 5) return false;
  for (char c : code)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

void write_diagnostic(std::string& out, char type, const Diagnostic& d) {
  assert(valid_sqlstate(d.sqlstate));
  const size_t at = wire::begin(out, type);
  const std::string_view severity = severity_name(d.severity);
  const auto field = [&out](char code, std::string_view value) {
    out.push_back(code);
    wire::put_cstring(out, value);
  };
  field('S', severity);
  field('V', severity);
  field('C', d.sqlstate);
  field('M', d.message);
  if (!d.detail.empty()) field('D', d.detail);
  if (!d.hint.empty()) field('H', d.hint);
  out.push_back('\0');
  wire::finish(out, at);
}

}  // namespace

void write_ssl_response(std::string& out, bool accept) { out.push_back(accept ? 'S' : 'N'); }
void write_gssenc_response(std::string& out, bool accept) { out.push_back(accept ? 'G' : 'N'); }

void write_authentication_ok(std::string& out) { write_auth(out, AuthRequest::kOk); }

void write_authentication_cleartext_password(std::string& out) {
  write_auth(out, AuthRequest::kCleartextPassword);
}

void write_authentication_md5_password(std::string& out, const Md5Salt& salt) {
  write_auth(out, AuthRequest::kMd5Password,
             std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
}

void write_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms) {
  assert(!mechanisms.empty());
  const size_t at = wire::begin(out, backend::kAuthentication);
  wire::put_i32(out, static_cast<int32_t>(AuthRequest::kSasl));
  for (std::string_view m : mechanisms) {
    assert(!m.empty());
    wire::put_cstring(out, m);
  }
  out.push_back('\0');
  wire::finish(out, at);
}

void write_authentication_sasl_continue(std::string& out, std::string_view data) {
  write_auth(out, AuthRequest::kSaslContinue, data);
}

void write_authentication_sasl_final(std::string& out, std::string_view data) {
  write_auth(out, AuthRequest::kSaslFinal, data);
}

void write_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  assert(!name.empty());
  const size_t at = wire::begin(out, backend::kParameterStatus);
  wire::put_cstring(out, name);
  wire::put_cstring(out, value);
  wire::finish(out, at);
}

void write_backend_key_data(std::string& out, int32_t process_id, uint32_t secret_key) {
  const size_t at = wire::begin(out, backend::kBackendKeyData);
  wire::put_i32(out, process_id);
  wire::put_u32(out, secret_key);
  wire::finish(out, at);
}

void write_ready_for_query(std::string& out, TransactionStatus status) {
  const size_t at = wire::begin(out, backend::kReadyForQuery);
  out.push_back(static_cast<char>(status));
  wire::finish(out, at);
}

void write_negotiate_protocol_version(std::string& out, uint32_t newest_minor,
                                      std::span<const std::string_view> unrecognized_options) {
  const size_t at = wire::begin(out, backend::kNegotiateProtocolVersion);
  wire::put_u32(out, newest_minor);
  wire::put_i32(out, static_cast<int32_t>(unrecognized_options.size()));
  for (std::string_view option : unrecognized_options) wire::put_cstring(out, option);
  wire::finish(out, at);
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kError: return "ERROR";
    case Severity::kFatal: return "FATAL";
    case Severity::kPanic: return "PANIC";
    case Severity::kWarning: return "WARNING";
    case Severity::kNotice: return "NOTICE";
    case Severity::kDebug: return "DEBUG";
    case Severity::kInfo: return "INFO";
    case Severity::kLog: return "LOG";
  }
  return "ERROR";
}

void write_error_response(std::string& out, const Diagnostic& diagnostic) {
  assert(is_error_severity(diagnostic.severity));
  write_diagnostic(out, backend::kErrorResponse, diagnostic);
}

void write_notice_response(std::string& out, const Diagnostic& diagnostic) {
  assert(!is_error_severity(diagnostic.severity));
  write_diagnostic(out, backend::kNoticeResponse, diagnostic);
}

void write_authentication_failed(std::string& out, std::string_view message) {
  write_error_response(out, {.severity = Severity::kFatal,
                             .sqlstate = sqlstate::kInvalidAuthorizationSpecification,
                             .message = message});
}

std::string iam_authentication_failed_message(std::string_view user, std::string_view request_id) {
  std::string text = "IAM authentication failed for user \"";
  text.append(user).append("\" (request id ").append(request_id).append(")");
  return text;
}

Result<void> write_sasl_without_channel_binding(std::string& out, const Message& backend_message) {
  auto auth = parse_authentication(backend_message);
  if (!auth) return std::unexpected(auth.error());
  if (auth->request != AuthRequest::kSasl)
    return fail("expected AuthenticationSASL, got request code ",
                std::to_string(static_cast<int32_t>(auth->request)));
  std::vector<std::string_view> kept;
  for (std::string_view m : auth->mechanisms)
    if (!m.ends_with("-PLUS")) kept.push_back(m);
  if (kept.empty())
    return fail(
        "the server offers only channel-binding SASL mechanisms, which cannot pass a "
        "TLS-terminating gateway");
  write_authentication_sasl(out, kept);
  return {};
}

}  // namespace iamdb::pgwire
