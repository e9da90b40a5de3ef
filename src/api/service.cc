// Authentication, routing and the XML envelopes of the Query API.
#include "api/service.h"

#include <chrono>

#include "common/encoding.h"
#include "common/strings.h"
#include "crypto/random.h"
#include "sigv4/signing_key.h"
#include "sigv4/verifier.h"

namespace iamdb::api {
namespace {

std::string_view xmlns_of(std::string_view service) {
  if (service == "sts") return kStsXmlns;
  if (service == "rds") return kRdsXmlns;
  return kIamXmlns;
}

HttpResponse error_response(const ApiError& e, std::string_view service, const std::string& request_id) {
  XmlWriter xml("ErrorResponse", xmlns_of(service));
  xml.open("Error").leaf("Type", e.sender ? "Sender" : "Receiver").leaf("Code", e.code).leaf("Message", e.message);
  xml.close();
  xml.leaf("RequestId", request_id);
  HttpResponse r;
  r.status = e.status;
  r.body = xml.finish();
  r.headers.emplace_back("x-amzn-RequestId", request_id);
  return r;
}

HttpResponse text(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

sigv4::Request to_sigv4(const HttpRequest& http) {
  sigv4::Request r;
  r.method = http.method;
  r.path = std::string(http.path());
  r.query = std::string(http.query());
  for (const auto& [k, v] : http.headers) r.headers.push_back({k, v});
  r.body = http.body;
  return r;
}

ApiError credential_error(iam::CredentialError e) {
  if (e == iam::CredentialError::kSessionExpired)
    return {403, "ExpiredToken", "The security token included in the request is expired", true};
  return {403, "InvalidClientTokenId", "The security token included in the request is invalid.", true};
}

// The parameters of a request: the query string (without SigV4's own X-Amz-* parameters) and,
// for a form POST, the body.
ApiResult<Params> request_params(const HttpRequest& http) {
  std::vector<std::pair<std::string, std::string>> pairs;
  auto query = parse_query_string(http.query(), true);
  if (!query) return api_error(400, "MalformedQueryString", "The query string has a malformed percent-escape.");
  for (auto& [k, v] : *query)
    if (!istarts_with(k, "X-Amz-")) pairs.emplace_back(std::move(k), std::move(v));
  if (http.method == "POST") {
    const std::string* type = http.header("Content-Type");
    if (type && !istarts_with(trim(*type), "application/x-www-form-urlencoded"))
      return api_error(400, "InvalidRequest", "Query API requests must be application/x-www-form-urlencoded, not " + *type);
    auto body = parse_query_string(http.body, true);
    if (!body) return api_error(400, "MalformedQueryString", "The request body has a malformed percent-escape.");
    for (auto& p : *body) pairs.push_back(std::move(p));
  } else if (http.method != "GET") {
    return api_error(405, "InvalidRequest", "The Query API accepts GET and POST, not " + http.method);
  }
  auto params = Params::from_pairs(std::move(pairs));
  if (!params) return api_error(400, "InvalidParameterCombination", params.error().message);
  return std::move(*params);
}

}  // namespace

Service::Service(registry::Registry& registry, const config::Config& config, const Clock& clock,
                 audit::Pipeline& audit, audit::Metrics& metrics)
    : registry_(registry), config_(config), clock_(clock), audit_(audit), metrics_(metrics) {
  register_iam_user_actions(actions_);
  register_iam_group_actions(actions_);
  register_iam_role_actions(actions_);
  register_iam_policy_actions(actions_);
  register_iam_simulate_actions(actions_);
  register_sts_actions(actions_);
  register_rds_actions(actions_);
}

HttpResponse Service::handle(HttpRequest&& request) {
  const std::string_view path = request.path();
  if (path == "/healthz" && request.method == "GET") return text(200, "ok\n");
  if (path == "/metrics" && request.method == "GET")
    return text(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  if (path != "/") return text(404, "not found: the Query API is served at /\n");

  const auto started = std::chrono::steady_clock::now();
  audit::Event event;
  event.kind = audit::Kind::kApi;
  event.time = clock_.now();
  event.request_id = crypto::request_id();
  event.source_address = request.remote_address;
  event.via = "api";
  HttpResponse response = handle_api(request, event);
  event.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  audit_.submit(std::move(event));
  return response;
}

HttpResponse Service::handle_api(const HttpRequest& http, audit::Event& event) {
  // Each control-plane thread keeps its own derived keys; no locks.
  thread_local sigv4::SigningKeyCache signing_keys(256);
  const std::string& rid = event.request_id;
  const auto refuse = [&](const ApiError& e, std::string_view service) {
    event.outcome = e.status >= 500 ? audit::Outcome::kError : audit::Outcome::kDenied;
    event.reason = e.code;
    event.detail = e.message;
    return error_response(e, service, rid);
  };

  const sigv4::Request signed_request = to_sigv4(http);
  auto auth = sigv4::parse_request_auth(signed_request);
  if (!auth) {
    const bool missing = auth.error().code == sigv4::AuthErrorCode::kMissingAuthentication;
    return refuse({missing ? 403 : 400, std::string(sigv4::aws_error_code(auth.error().code)), auth.error().message,
                   true},
                  "iam");
  }
  const std::string service = auth->credential.scope.service;
  event.access_key_id = auth->credential.access_key_id;
  if (service != "iam" && service != "sts" && service != "rds")
    return refuse({400, "InvalidClientTokenId",
                   "Credential should be scoped to a service this endpoint serves (iam, sts or rds), not '" + service +
                       "'.",
                   true},
                  "iam");
  if (auto ok = sigv4::check_request_time(*auth, clock_.now(), std::chrono::seconds(config_.api.request_time_skew_seconds));
      !ok)
    return refuse({403, std::string(sigv4::aws_error_code(ok.error().code)), ok.error().message, true}, service);

  auto snapshot = registry_.snapshot();
  auto caller = iam::resolve_caller(*snapshot, auth->credential.access_key_id, auth->session_token, clock_.now());
  if (!caller) {
    event.detail = std::string(iam::credential_error_name(caller.error()));
    ApiError e = credential_error(caller.error());
    event.outcome = audit::Outcome::kDenied;
    event.reason = e.code;
    return error_response(e, service, rid);
  }
  const auto& scope = auth->credential.scope;
  const crypto::HmacKey& key = signing_keys.get(caller->secret, scope.day, scope.region, scope.service);
  if (auto ok = sigv4::verify_signature(signed_request, *auth, key); !ok)
    return refuse({403, std::string(sigv4::aws_error_code(ok.error().code)), ok.error().message, true}, service);
  event.principal_arn = caller->arn;
  if (caller->session) event.session_name = caller->session->session_name;
  registry_.record_key_use(caller->access_key_id, service, scope.region, clock_.now());

  auto params = request_params(http);
  if (!params) return refuse(params.error(), service);
  const auto action = params->get("Action");
  if (!action || action->empty()) return refuse({400, "MissingAction", "The request must contain the parameter Action.", true}, service);
  event.action = service + ":" + std::string(*action);
  const Handler handler = actions_.find(service, *action);
  if (!handler) {
    const auto version = params->get("Version");
    return refuse({400, "InvalidAction",
                   "Could not find operation " + std::string(*action) + " for version " +
                       std::string(version ? *version : "NO_VERSION_SPECIFIED"),
                   true},
                  service);
  }

  Context ctx(http, *params, rid, std::move(snapshot), std::move(*caller), clock_, registry_, config_);
  ctx.set_sessions(sessions_);
  XmlWriter result;
  if (auto ok = handler(ctx, result); !ok) return refuse(ok.error(), service);
  event.outcome = audit::Outcome::kAllowed;
  event.reason = "allowed";
  event.detail = std::move(ctx.audit_detail);

  const std::string name(*action);
  XmlWriter xml(name + "Response", xmlns_of(service));
  // Always present, even empty: botocore expects the wrapper of every output shape, and
  // ignores it for actions that have none.
  xml.open(name + "Result").raw(result.finish()).close();
  xml.open("ResponseMetadata").leaf("RequestId", rid).close();
  HttpResponse r;
  r.body = xml.finish();
  r.headers.emplace_back("x-amzn-RequestId", rid);
  return r;
}

void ActionTable::add(std::string_view service, std::string_view action, Handler handler) {
  handlers_[{std::string(service), std::string(action)}] = handler;
}

Handler ActionTable::find(std::string_view service, std::string_view action) const {
  const auto it = handlers_.find(std::pair<std::string, std::string>(service, action));
  return it == handlers_.end() ? nullptr : it->second;
}

}  // namespace iamdb::api
