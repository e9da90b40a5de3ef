// Logging in to a backend as the gateway, and relaying a password user's log-in, message by message.
#include "gateway/postgres/backend_login.h"

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_write.h"
#include "gateway/postgres/md5_password.h"
#include "gateway/postgres/wire.h"

namespace iamdb::gateway::pg {
namespace {

using pgwire::AuthRequest;
namespace backend = pgwire::backend;

void append_raw(std::string& out, const pgwire::Message& m) {
  const size_t at = pgwire::wire::begin(out, m.type);
  out.append(m.body);
  pgwire::wire::finish(out, at);
}

std::string unexpected_message(const pgwire::Message& m, std::string_view when) {
  return "unexpected " + pgwire::describe_message_type(pgwire::Peer::kBackend, m.type) + " from the backend " +
         std::string(when);
}

}  // namespace

std::string_view backend_auth_name(BackendAuth auth) {
  switch (auth) {
    case BackendAuth::kToken: return "token";
    case BackendAuth::kTrust: return "trust";
    case BackendAuth::kPassword: return "password";
  }
  return "token";
}

BackendLogin::Step BackendLogin::fail(BackendFailure::Kind kind, std::string reason) const {
  Step step;
  step.failure.emplace();
  step.failure->kind = kind;
  step.failure->reason = std::move(reason);
  return step;
}

std::string BackendLogin::cannot_answer(std::string_view asked) const {
  std::string why = "the backend asks for " + std::string(asked) + " for user \"" + user_ + "\"";
  switch (auth_) {
    case BackendAuth::kToken:
      return why + ", but backend_auth is token, which sends the client's token as a cleartext password: "
                   "let this user log in with pam (pam_iamdb) on the backend, or change backend_auth";
    case BackendAuth::kTrust:
      return why + ", but backend_auth is trust: let the gateway in with trust in pg_hba.conf, or store a "
                   "backend password and use backend_auth password";
    case BackendAuth::kPassword:
      return why + ", but no backend password is stored for this user: store one with "
                   "`iamdb instance modify --backend-password USER=...`";
  }
  return why;
}

BackendLogin::Step BackendLogin::on_authentication(const pgwire::Message& message) {
  using Kind = BackendFailure::Kind;
  if (authenticated_) return fail(Kind::kProtocol, "the backend asked to authenticate twice");
  auto auth = pgwire::parse_authentication(message);
  if (!auth) return fail(Kind::kProtocol, "backend authentication request: " + auth.error().message);
  Step step;
  const AuthRequest request = auth->request;
  if (request == AuthRequest::kOk) {
    authenticated_ = true;
  } else if (request == AuthRequest::kCleartextPassword) {
    if (secret_.empty()) return fail(Kind::kCannotAnswer, cannot_answer("a password"));
    pgwire::write_password_message(step.reply, secret_);
  } else if (request == AuthRequest::kMd5Password) {
    if (secret_.empty() || auth_ == BackendAuth::kToken) return fail(Kind::kCannotAnswer, cannot_answer("an md5 password"));
    pgwire::write_password_message(step.reply, pgwire::md5_password_response(secret_, user_, auth->salt));
  } else if (request == AuthRequest::kSasl) {
    bool offered = false;
    for (std::string_view m : auth->mechanisms) offered = offered || m == pgwire::kScramSha256;
    if (!offered) return fail(Kind::kCannotAnswer, "the backend offers no SASL mechanism the gateway speaks");
    if (secret_.empty() || auth_ == BackendAuth::kToken) return fail(Kind::kCannotAnswer, cannot_answer("SCRAM-SHA-256"));
    auto client = pgwire::ScramClient::create(secret_);
    if (!client) return fail(Kind::kProtocol, client.error().message);
    scram_.emplace(std::move(*client));
    pgwire::write_sasl_initial_response(step.reply, pgwire::kScramSha256, scram_->client_first_message());
  } else if (request == AuthRequest::kSaslContinue) {
    if (!scram_) return fail(Kind::kProtocol, "SASLContinue before SASL started");
    auto final_message = scram_->client_final_message(auth->data);
    if (!final_message) return fail(Kind::kProtocol, "SCRAM with the backend: " + final_message.error().message);
    pgwire::write_sasl_response(step.reply, *final_message);
  } else if (request == AuthRequest::kSaslFinal) {
    if (!scram_) return fail(Kind::kProtocol, "SASLFinal before SASL started");
    if (auto ok = scram_->verify_server_final(auth->data); !ok)
      return fail(Kind::kProtocol, "SCRAM with the backend: " + ok.error().message);
  } else {
    return fail(Kind::kCannotAnswer, cannot_answer("GSSAPI, SSPI or Kerberos authentication"));
  }
  return step;
}

BackendLogin::Step BackendLogin::on_message(const pgwire::Message& message) {
  using Kind = BackendFailure::Kind;
  if (message.type == backend::kAuthentication) return on_authentication(message);
  if (message.type == backend::kErrorResponse) {
    auto fields = pgwire::parse_error_response(message);
    if (!fields) return fail(Kind::kProtocol, "backend ErrorResponse: " + fields.error().message);
    Step step = fail(Kind::kRefused, "");
    BackendFailure& f = *step.failure;
    f.severity = fields->severity();
    f.sqlstate = fields->sqlstate();
    f.message = fields->message();
    f.detail = fields->detail();
    f.hint = fields->hint();
    f.reason = "the backend refused the log-in of \"" + user_ + "\" (backend_auth " +
               std::string(backend_auth_name(auth_)) + "): " + f.sqlstate + " " + f.message;
    return step;
  }
  if (!authenticated_ && message.type != backend::kNoticeResponse && message.type != backend::kNegotiateProtocolVersion)
    return fail(Kind::kProtocol, unexpected_message(message, "before authentication"));
  if (message.type == backend::kParameterStatus) {
    auto p = pgwire::parse_parameter_status(message);
    if (!p) return fail(Kind::kProtocol, "backend ParameterStatus: " + p.error().message);
    parameters_.emplace_back(std::string(p->name), std::string(p->value));
    return {};
  }
  if (message.type == backend::kBackendKeyData) {
    auto key = pgwire::parse_backend_key_data(message);
    if (!key) return fail(Kind::kProtocol, "backend BackendKeyData: " + key.error().message);
    process_id_ = key->process_id;
    secret_key_ = key->secret_key;
    return {};
  }
  if (message.type == backend::kReadyForQuery) {
    Step step;
    step.ready = true;
    return step;
  }
  if (message.type == backend::kNoticeResponse || message.type == backend::kNegotiateProtocolVersion) return {};
  return fail(Kind::kProtocol, unexpected_message(message, "during log-in"));
}

RelayLogin::Step RelayLogin::on_message(const pgwire::Message& message) {
  Step step;
  const auto refuse = [&step](std::string_view state, std::string text, std::string reason) {
    step.gateway_refusal.emplace(std::string(state), std::move(text));
    step.reason = std::move(reason);
    return step;
  };
  if (message.type == backend::kAuthentication) {
    auto auth = pgwire::parse_authentication(message);
    if (!auth || authenticated_)
      return refuse(pgwire::sqlstate::kProtocolViolation, "the database sent an invalid authentication request",
                    "backend_protocol_violation");
    if (auth->request == AuthRequest::kOk) {
      if (!challenged_ && !allow_passwordless_)
        return refuse(pgwire::sqlstate::kInvalidAuthorizationSpecification,
                      "the database lets this user in without a password, which the iamdb gateway does not allow",
                      "passwordless_relay_refused");
      authenticated_ = true;
      append_raw(step.to_client, message);
      return step;
    }
    challenged_ = true;
    if (auth->request == AuthRequest::kSasl) {
      if (auto ok = pgwire::write_sasl_without_channel_binding(step.to_client, message); !ok)
        return refuse(pgwire::sqlstate::kFeatureNotSupported, ok.error().message, "sasl_channel_binding_only");
    } else {
      append_raw(step.to_client, message);
    }
    step.client_answers = auth->request != AuthRequest::kSaslFinal;
    return step;
  }
  if (message.type == backend::kErrorResponse) {
    auto fields = pgwire::parse_error_response(message);
    append_raw(step.to_client, message);
    step.refused = true;
    const std::string state = fields ? std::string(fields->sqlstate()) : "";
    step.reason = state.starts_with("28") ? "backend_authentication_failed" : "backend_refused";
    return step;
  }
  if (message.type == backend::kBackendKeyData) {
    auto key = pgwire::parse_backend_key_data(message);
    if (!key || !authenticated_)
      return refuse(pgwire::sqlstate::kProtocolViolation, "the database sent an invalid BackendKeyData",
                    "backend_protocol_violation");
    process_id_ = key->process_id;
    secret_key_ = key->secret_key;
    return step;
  }
  if (message.type == backend::kReadyForQuery) {
    if (!authenticated_)
      return refuse(pgwire::sqlstate::kProtocolViolation, "the database was ready before authentication",
                    "backend_protocol_violation");
    ready_message_.clear();
    append_raw(ready_message_, message);
    step.ready = true;
    return step;
  }
  if (message.type == backend::kParameterStatus || message.type == backend::kNoticeResponse ||
      message.type == backend::kNegotiateProtocolVersion) {
    append_raw(step.to_client, message);
    return step;
  }
  return refuse(pgwire::sqlstate::kProtocolViolation,
                "unexpected " + pgwire::describe_message_type(pgwire::Peer::kBackend, message.type) +
                    " from the database during authentication",
                "backend_protocol_violation");
}

}  // namespace iamdb::gateway::pg
