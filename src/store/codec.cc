// JSON documents for entities, with sealed secrets.
#include "store/codec.h"

#include "common/time.h"
#include "crypto/base64.h"
#include "iam/documents.h"

namespace iamdb::store {
namespace {

using nlohmann::json;

json time_json(SystemTime t) { return format_iso8601_millis(t); }

// What a backend password is bound to: its instance and user, so it opens nowhere else.
std::string backend_password_binding(std::string_view instance, std::string_view user) {
  return "instance/" + std::string(instance) + "/backend-password/" + std::string(user);
}

SystemTime time_of(const json& j, const char* field) {
  const auto t = parse_iso8601(j.at(field).get<std::string>());
  if (!t) throw std::runtime_error(std::string("bad time in ") + field);
  return *t;
}

json tags_json(const iam::Tags& tags) {
  json out = json::array();
  for (const auto& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

iam::Tags tags_of(const json& j) {
  iam::Tags out;
  if (j.contains("tags"))
    for (const auto& t : j.at("tags")) out.push_back({t.at("key").get<std::string>(), t.at("value").get<std::string>()});
  return out;
}

iam::Document document_of(const json& j, iam::DocumentKind kind) {
  auto doc = iam::make_document(j.get<std::string>(), kind);
  if (!doc) throw std::runtime_error("stored policy no longer compiles: " + doc.error().message);
  return std::move(*doc);
}

void encode_principal(const iam::Principal& p, json& j) {
  j["name"] = p.name;
  j["id"] = p.id;
  j["path"] = p.path;
  j["created"] = time_json(p.created);
  json inl = json::array();
  for (const auto& ip : p.inline_policies) inl.push_back({{"name", ip.name}, {"document", ip.document.text}});
  j["inline_policies"] = inl;
  j["attached"] = p.attached;
}

void decode_principal(const json& j, iam::Principal& p) {
  p.name = j.at("name").get<std::string>();
  p.id = j.at("id").get<std::string>();
  p.path = j.at("path").get<std::string>();
  p.created = time_of(j, "created");
  for (const auto& ip : j.at("inline_policies"))
    p.inline_policies.push_back(
        {ip.at("name").get<std::string>(), document_of(ip.at("document"), iam::DocumentKind::kIdentity)});
  p.attached = j.at("attached").get<std::vector<std::string>>();
}

// Runs a decoder, turning the exceptions of nlohmann::json accessors into an error value.
template <class T, class F>
Result<T> guarded(const char* what, F f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail("stored ", what, " is damaged: ", e.what());
  }
}

}  // namespace

std::string Codec::seal(std::string_view secret, std::string_view bound_to) const {
  return crypto::base64_encode(crypto::seal(key_, secret, bound_to));
}

Result<std::string> Codec::open(const json& j, const char* field, std::string_view bound_to) const {
  const auto box = crypto::base64_decode(j.at(field).get<std::string>());
  if (!box) return fail("sealed ", field, " of ", bound_to, " is not base64");
  auto plain = crypto::open(key_, *box, bound_to);
  if (!plain)
    return fail("sealed ", field, " of ", bound_to,
                " does not open with this master key (wrong master.key, or the store was altered)");
  return std::move(*plain);
}

json Codec::encode(const iam::User& v) const {
  json j;
  encode_principal(v, j);
  j["tags"] = tags_json(v.tags);
  j["boundary"] = v.boundary_arn;
  return j;
}

json Codec::encode(const iam::Group& v) const {
  json j;
  encode_principal(v, j);
  j["members"] = v.members;
  return j;
}

json Codec::encode(const iam::Role& v) const {
  json j;
  encode_principal(v, j);
  j["trust_policy"] = v.trust_policy.text;
  j["description"] = v.description;
  j["max_session_duration"] = v.max_session_duration;
  j["tags"] = tags_json(v.tags);
  j["boundary"] = v.boundary_arn;
  return j;
}

json Codec::encode(const iam::ManagedPolicy& v) const {
  json versions = json::array();
  for (const auto& pv : v.versions)
    versions.push_back({{"id", pv.id}, {"document", pv.document.text}, {"created", time_json(pv.created)}});
  return {{"arn", v.arn},
          {"name", v.name},
          {"id", v.id},
          {"path", v.path},
          {"description", v.description},
          {"created", time_json(v.created)},
          {"updated", time_json(v.updated)},
          {"default_version", v.default_version},
          {"versions", versions},
          {"next_version", v.next_version},
          {"tags", tags_json(v.tags)},
          {"aws_managed", v.aws_managed}};
}

json Codec::encode(const iam::AccessKey& v) const {
  return {{"id", v.id},
          {"user", v.user},
          {"secret", seal(v.secret, v.id)},
          {"active", v.active},
          {"created", time_json(v.created)}};
}

json Codec::encode(const iam::Session& v) const {
  json j = {{"kind", v.kind == iam::Session::Kind::kAssumedRole ? "assumed_role" : "session_token"},
            {"access_key_id", v.access_key_id},
            {"secret", seal(v.secret, v.access_key_id)},
            {"token_sha256", v.token_sha256},
            {"issued", time_json(v.issued)},
            {"expires", time_json(v.expires)},
            {"role", v.role},
            {"user", v.user},
            {"session_name", v.session_name},
            {"session_policy_arns", v.session_policy_arns},
            {"session_tags", tags_json(v.session_tags)},
            {"source_identity", v.source_identity},
            {"caller_arn", v.caller_arn}};
  if (v.session_policy) j["session_policy"] = v.session_policy->text;
  return j;
}

json Codec::encode(const iam::Instance& v) const {
  json j = {{"id", v.id},
            {"engine", v.engine},
            {"host", v.host},
            {"port", v.port},
            {"aliases", v.aliases},
            {"dbi_resource_id", v.dbi_resource_id},
            {"iam_enabled", v.iam_enabled},
            {"created", time_json(v.created)}};
  const iam::GatewaySettings& g = v.gateway;
  if (g == iam::GatewaySettings{}) return j;
  json passwords = json::array();
  for (const auto& p : g.backend_passwords)
    passwords.push_back({{"user", p.user}, {"password", seal(p.password, backend_password_binding(v.id, p.user))}});
  j["gateway"] = {{"listen", g.listen},
                  {"backend", g.backend},
                  {"backend_auth", g.backend_auth},
                  {"backend_tls", g.backend_tls},
                  {"backend_ca", g.backend_ca},
                  {"monitor_user", g.monitor_user},
                  {"monitor_database", g.monitor_database},
                  {"max_backends", g.max_backends},
                  {"max_backends_per_user", g.max_backends_per_user},
                  {"pool_idle_timeout_seconds", g.pool_idle_timeout_seconds},
                  {"pool_max_lifetime_seconds", g.pool_max_lifetime_seconds},
                  {"pool_wait_timeout_seconds", g.pool_wait_timeout_seconds},
                  {"pool_reset_query", g.pool_reset_query},
                  {"max_new_connections_per_second", g.max_new_connections_per_second},
                  {"backend_passwords", passwords}};
  return j;
}

Result<iam::User> Codec::decode_user(const json& j) const {
  return guarded<iam::User>("user", [&] {
    iam::User v;
    decode_principal(j, v);
    v.tags = tags_of(j);
    v.boundary_arn = j.at("boundary").get<std::string>();
    return v;
  });
}

Result<iam::Group> Codec::decode_group(const json& j) const {
  return guarded<iam::Group>("group", [&] {
    iam::Group v;
    decode_principal(j, v);
    v.members = j.at("members").get<std::vector<std::string>>();
    return v;
  });
}

Result<iam::Role> Codec::decode_role(const json& j) const {
  return guarded<iam::Role>("role", [&] {
    iam::Role v;
    decode_principal(j, v);
    v.trust_policy = document_of(j.at("trust_policy"), iam::DocumentKind::kTrust);
    v.description = j.at("description").get<std::string>();
    v.max_session_duration = j.at("max_session_duration").get<uint32_t>();
    v.tags = tags_of(j);
    v.boundary_arn = j.at("boundary").get<std::string>();
    return v;
  });
}

Result<iam::ManagedPolicy> Codec::decode_policy(const json& j) const {
  return guarded<iam::ManagedPolicy>("policy", [&] {
    iam::ManagedPolicy v;
    v.arn = j.at("arn").get<std::string>();
    v.name = j.at("name").get<std::string>();
    v.id = j.at("id").get<std::string>();
    v.path = j.at("path").get<std::string>();
    v.description = j.at("description").get<std::string>();
    v.created = time_of(j, "created");
    v.updated = time_of(j, "updated");
    v.default_version = j.at("default_version").get<std::string>();
    for (const auto& pv : j.at("versions"))
      v.versions.push_back({pv.at("id").get<std::string>(),
                            document_of(pv.at("document"), iam::DocumentKind::kIdentity), time_of(pv, "created")});
    if (v.versions.empty() || !v.find_version(v.default_version))
      throw std::runtime_error("policy " + v.arn + " has no default version");
    v.next_version = j.at("next_version").get<uint32_t>();
    v.tags = tags_of(j);
    v.aws_managed = j.value("aws_managed", false);
    return v;
  });
}

Result<iam::AccessKey> Codec::decode_access_key(const json& j) const {
  auto key = guarded<iam::AccessKey>("access key", [&] {
    iam::AccessKey v;
    v.id = j.at("id").get<std::string>();
    v.user = j.at("user").get<std::string>();
    v.active = j.at("active").get<bool>();
    v.created = time_of(j, "created");
    return v;
  });
  if (!key) return key;
  auto secret = guarded<Result<std::string>>("access key", [&] { return open(j, "secret", key->id); });
  if (!secret) return std::unexpected(secret.error());
  if (!*secret) return std::unexpected(secret->error());
  key->secret = std::move(**secret);
  return key;
}

Result<iam::Session> Codec::decode_session(const json& j) const {
  auto session = guarded<iam::Session>("session", [&] {
    iam::Session v;
    v.kind = j.at("kind").get<std::string>() == "assumed_role" ? iam::Session::Kind::kAssumedRole
                                                               : iam::Session::Kind::kSessionToken;
    v.access_key_id = j.at("access_key_id").get<std::string>();
    v.token_sha256 = j.at("token_sha256").get<std::string>();
    v.issued = time_of(j, "issued");
    v.expires = time_of(j, "expires");
    v.role = j.at("role").get<std::string>();
    v.user = j.at("user").get<std::string>();
    v.session_name = j.at("session_name").get<std::string>();
    v.session_policy_arns = j.at("session_policy_arns").get<std::vector<std::string>>();
    v.session_tags = [&] {
      iam::Tags t;
      for (const auto& tag : j.at("session_tags"))
        t.push_back({tag.at("key").get<std::string>(), tag.at("value").get<std::string>()});
      return t;
    }();
    v.source_identity = j.at("source_identity").get<std::string>();
    v.caller_arn = j.at("caller_arn").get<std::string>();
    if (j.contains("session_policy"))
      v.session_policy = document_of(j.at("session_policy"), iam::DocumentKind::kIdentity);
    return v;
  });
  if (!session) return session;
  auto secret = guarded<Result<std::string>>("session", [&] { return open(j, "secret", session->access_key_id); });
  if (!secret) return std::unexpected(secret.error());
  if (!*secret) return std::unexpected(secret->error());
  session->secret = std::move(**secret);
  return session;
}

Result<iam::Instance> Codec::decode_instance(const json& j) const {
  auto instance = guarded<iam::Instance>("instance", [&] {
    iam::Instance v;
    v.id = j.at("id").get<std::string>();
    v.engine = j.at("engine").get<std::string>();
    v.host = j.at("host").get<std::string>();
    v.port = j.at("port").get<uint16_t>();
    v.aliases = j.at("aliases").get<std::vector<std::string>>();
    v.dbi_resource_id = j.at("dbi_resource_id").get<std::string>();
    v.iam_enabled = j.at("iam_enabled").get<bool>();
    v.created = time_of(j, "created");
    if (j.contains("gateway")) {
      const json& g = j.at("gateway");
      iam::GatewaySettings& s = v.gateway;
      s.listen = g.at("listen").get<std::string>();
      s.backend = g.at("backend").get<std::string>();
      s.backend_auth = g.at("backend_auth").get<std::string>();
      s.backend_tls = g.at("backend_tls").get<std::string>();
      s.backend_ca = g.at("backend_ca").get<std::string>();
      s.monitor_user = g.at("monitor_user").get<std::string>();
      s.monitor_database = g.at("monitor_database").get<std::string>();
      s.max_backends = g.at("max_backends").get<uint32_t>();
      s.max_backends_per_user = g.at("max_backends_per_user").get<uint32_t>();
      s.pool_idle_timeout_seconds = g.at("pool_idle_timeout_seconds").get<uint32_t>();
      s.pool_max_lifetime_seconds = g.at("pool_max_lifetime_seconds").get<uint32_t>();
      s.pool_wait_timeout_seconds = g.at("pool_wait_timeout_seconds").get<uint32_t>();
      s.pool_reset_query = g.at("pool_reset_query").get<std::string>();
      s.max_new_connections_per_second = g.at("max_new_connections_per_second").get<uint32_t>();
    }
    return v;
  });
  if (!instance || !j.contains("gateway")) return instance;
  // Backend passwords are sealed: open each, bound to this instance and user.
  auto passwords = guarded<Result<std::vector<iam::GatewaySettings::BackendPassword>>>("instance", [&] {
    std::vector<iam::GatewaySettings::BackendPassword> out;
    for (const auto& p : j.at("gateway").at("backend_passwords")) {
      std::string user = p.at("user").get<std::string>();
      auto password = open(p, "password", backend_password_binding(instance->id, user));
      if (!password) return Result<std::vector<iam::GatewaySettings::BackendPassword>>(std::unexpected(password.error()));
      out.push_back({std::move(user), std::move(*password)});
    }
    return Result<std::vector<iam::GatewaySettings::BackendPassword>>(std::move(out));
  });
  if (!passwords) return std::unexpected(passwords.error());
  if (!*passwords) return std::unexpected(passwords->error());
  instance->gateway.backend_passwords = std::move(**passwords);
  return instance;
}

}  // namespace iamdb::store
