// STS: GetCallerIdentity, AssumeRole and GetSessionToken. Temporary credentials are an ASIA
// access key id, a secret, and an opaque session token; iamdb stores the session (with the
// token's hash) so that keys can be checked, listed in audit, and expire.
#include <algorithm>

#include "api/actions.h"
#include "common/encoding.h"
#include "common/strings.h"
#include "common/time.h"
#include "crypto/digest.h"
#include "iam/arn.h"
#include "iam/documents.h"
#include "iam/ids.h"
#include "policy/policy.h"

namespace iamdb::api {
namespace {

constexpr long long kMinDuration = 900;
constexpr long long kRoleChainingMax = 3600;

struct Issued {
  iam::Session session;
  std::string token;
};

// Builds a new session's credentials; the caller fills in who it is for.
Issued new_session(const Context& ctx, iam::Session::Kind kind, std::chrono::seconds duration) {
  Issued out;
  out.token = iam::new_session_token();
  iam::Session& s = out.session;
  s.kind = kind;
  s.access_key_id = iam::new_access_key_id(true);
  s.secret = iam::new_secret_access_key();
  s.token_sha256 = hex_encode(crypto::sha256(out.token));
  s.issued = ctx.now();
  s.expires = floor_seconds(s.issued) + duration;
  s.caller_arn = ctx.caller().arn;
  return out;
}

void write_credentials(XmlWriter& out, const Issued& issued) {
  out.open("Credentials")
      .leaf("AccessKeyId", issued.session.access_key_id)
      .leaf("SecretAccessKey", issued.session.secret)
      .leaf("SessionToken", issued.token)
      .leaf("Expiration", format_iso8601(issued.session.expires))
      .close();
}

// Stores a session, dropping sessions that have expired on the way.
ApiResult<void> store_session(Context& ctx, const iam::Session& session) {
  return ctx.update([&](iam::State& s) -> ApiResult<void> {
    const SystemTime now = ctx.now();
    std::erase_if(s.sessions, [&](const auto& kv) { return kv.second->expires <= now; });
    if (session.kind == iam::Session::Kind::kAssumedRole && !s.find_role(session.role))
      return api_error(403, "AccessDenied", "The role was deleted while it was being assumed.");
    s.sessions.emplace(session.access_key_id, std::make_shared<const iam::Session>(session));
    return {};
  });
}

ApiResult<void> get_caller_identity(Context& ctx, XmlWriter& out) {
  // AWS answers this for any valid credentials, whatever the policies say.
  const iam::Caller& c = ctx.caller();
  out.leaf("Arn", c.arn).leaf("UserId", c.user_id).leaf("Account", c.account);
  return {};
}

ApiResult<void> assume_role(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string role_arn_text, ctx.required("RoleArn"));
  IAMDB_TRY(std::string session_name, ctx.name("RoleSessionName", iam::kRoleSessionName));
  const iam::Caller& caller = ctx.caller();
  IAMDB_TRY(auto duration, ctx.integer("DurationSeconds", kMinDuration, 43200));
  IAMDB_TRY(iam::Tags tags, ctx.tags("Tags"));
  IAMDB_TRY(auto policy_arns, ctx.struct_list("PolicyArns"));
  const auto source_identity = ctx.optional("SourceIdentity");
  const auto external_id = ctx.optional("ExternalId");
  if (ctx.params().has("SerialNumber") || ctx.params().has("TokenCode"))
    return api_error(403, "AccessDenied", "MFA devices are not supported by iamdb.");

  const auto arn = iam::parse_arn(role_arn_text);
  if (!arn || arn->service != "iam" || !arn->resource.starts_with("role/"))
    return validation_error("1 validation error detected: Value '" + role_arn_text +
                            "' at 'roleArn' failed to satisfy constraint: Member must be a role ARN");
  const std::string role_name = arn->resource.substr(arn->resource.rfind('/') + 1);
  const iam::Role* role = arn->account == ctx.account() ? ctx.state().find_role(role_name) : nullptr;
  const auto denied = [&] {
    return api_error(403, "AccessDenied",
                     "User: " + caller.arn + " is not authorized to perform: sts:AssumeRole on resource: " +
                         role_arn_text);
  };
  if (!role || iam::role_arn(ctx.account(), role->path, role->name) != role_arn_text) return denied();

  // The caller's identity policies and the role's trust policy must both agree (same account:
  // a trust policy naming the caller directly is enough on its own).
  std::vector<std::pair<std::string_view, std::string_view>> keys = {{"sts:RoleSessionName", session_name}};
  if (external_id) keys.emplace_back("sts:ExternalId", *external_id);
  if (source_identity) keys.emplace_back("sts:SourceIdentity", *source_identity);
  std::vector<std::string> tag_key_storage;
  for (const auto& t : tags) tag_key_storage.push_back("aws:RequestTag/" + t.key);
  for (size_t i = 0; i < tags.size(); ++i) keys.emplace_back(tag_key_storage[i], tags[i].value);
  const policy::NamedPolicy trust{"role/" + role->name + " trust policy", role->trust_policy.compiled.get()};
  const auto check = [&](std::string_view action) {
    iam::AccessRequest req;
    req.action = action;
    req.resource = role_arn_text;
    req.now = ctx.now();
    req.source_ip = ctx.http().remote_address;
    req.secure_transport = ctx.http().tls;
    req.extra_keys = keys;
    req.resource_policies = std::span(&trust, 1);
    req.resource_policy_required = true;
    return iam::authorize(ctx.snapshot(), caller, req);
  };
  const iam::AccessResult assume = check("sts:AssumeRole");
  if (!assume.allowed()) {
    ctx.audit_detail = assume.explanation;
    return denied();
  }
  if (!tags.empty() && !check("sts:TagSession").allowed())
    return api_error(403, "AccessDenied",
                     "User: " + caller.arn + " is not authorized to perform: sts:TagSession on resource: " +
                         role_arn_text);
  if (source_identity && !check("sts:SetSourceIdentity").allowed())
    return api_error(403, "AccessDenied",
                     "User: " + caller.arn + " is not authorized to perform: sts:SetSourceIdentity on resource: " +
                         role_arn_text);

  long long seconds = duration.value_or(3600);
  if (caller.kind == iam::Caller::Kind::kRoleSession && seconds > kRoleChainingMax)
    return validation_error("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                            "role chaining.");
  if (seconds > role->max_session_duration)
    return validation_error("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");

  Issued issued = new_session(ctx, iam::Session::Kind::kAssumedRole, std::chrono::seconds(seconds));
  iam::Session& session = issued.session;
  session.role = role->name;
  session.session_name = session_name;
  session.session_tags = tags;
  if (source_identity) session.source_identity = *source_identity;
  // Role chaining keeps the first session's source identity, as AWS does.
  if (caller.session && !caller.session->source_identity.empty()) session.source_identity = caller.session->source_identity;
  if (auto text = ctx.optional("Policy")) {
    if (policy::policy_size(*text) > ctx.config().policy_limits.session_bytes)
      return api_error(400, "PackedPolicyTooLarge",
                       "Packed size of consolidated session policies and session tags exceeds the limit.");
    auto doc = iam::make_document(std::move(*text), iam::DocumentKind::kIdentity);
    if (!doc) return malformed_policy(doc.error().message);
    session.session_policy = std::move(*doc);
  }
  for (const auto& entry : policy_arns) {
    const auto it = entry.find("arn");
    if (it == entry.end()) return validation_error("PolicyArns entries need an arn");
    if (!ctx.state().find_policy(it->second)) return no_such_entity("Policy " + it->second + " does not exist.");
    session.session_policy_arns.push_back(it->second);
  }
  IAMDB_CHECK(store_session(ctx, session));

  write_credentials(out, issued);
  out.open("AssumedRoleUser")
      .leaf("AssumedRoleId", role->id + ":" + session_name)
      .leaf("Arn", iam::assumed_role_arn(ctx.account(), role->name, session_name))
      .close();
  const size_t packed = session.session_policy ? policy::policy_size(session.session_policy->text) : 0;
  out.leaf("PackedPolicySize", static_cast<long long>((packed * 100 + 2047) / 2048));
  if (!session.source_identity.empty()) out.leaf("SourceIdentity", session.source_identity);
  ctx.audit_detail = "assumed role " + role->name + " as session " + session_name + " with key " + session.access_key_id;
  return {};
}

ApiResult<void> get_session_token(Context& ctx, XmlWriter& out) {
  const iam::Caller& caller = ctx.caller();
  if (caller.kind != iam::Caller::Kind::kUser)
    return api_error(403, "AccessDenied", "Cannot call GetSessionToken with session credentials");
  IAMDB_TRY(auto duration, ctx.integer("DurationSeconds", kMinDuration, 129600));
  if (ctx.params().has("SerialNumber") || ctx.params().has("TokenCode"))
    return api_error(403, "AccessDenied", "MFA devices are not supported by iamdb.");
  Issued issued = new_session(ctx, iam::Session::Kind::kSessionToken, std::chrono::seconds(duration.value_or(43200)));
  issued.session.user = caller.user->name;
  IAMDB_CHECK(store_session(ctx, issued.session));
  write_credentials(out, issued);
  ctx.audit_detail = "issued session key " + issued.session.access_key_id;
  return {};
}

}  // namespace

void register_sts_actions(ActionTable& t) {
  t.add("sts", "GetCallerIdentity", get_caller_identity);
  t.add("sts", "AssumeRole", assume_role);
  t.add("sts", "GetSessionToken", get_session_token);
}

}  // namespace iamdb::api
