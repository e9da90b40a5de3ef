// AssumeRole for role_arn profiles, with a file cache of the temporary credentials.
#include "client/assume_role.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "client/query_client.h"
#include "common/encoding.h"
#include "common/time.h"
#include "crypto/digest.h"

namespace iamdb::client {
namespace {

namespace fs = std::filesystem;
constexpr auto kRefreshBefore = std::chrono::minutes(15);
constexpr int kMaxChain = 10;

std::string cache_key(const AssumeRoleRequest& r) {
  // A generated session name changes with every run, so it does not take part (as in botocore).
  nlohmann::json j = {{"role_arn", r.role_arn},
                      {"session_name", r.session_name_generated ? "" : r.session_name},
                      {"external_id", r.external_id}, {"duration", r.duration_seconds},
                      {"source", r.source.access_key_id}, {"endpoint", r.endpoint_url}};
  return crypto::sha256_hex(j.dump());
}

std::optional<TemporaryCredentials> read_cache(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    const auto expiration = parse_iso8601(j.at("Expiration").get<std::string>());
    if (!expiration) return std::nullopt;
    return TemporaryCredentials{{j.at("AccessKeyId").get<std::string>(), j.at("SecretAccessKey").get<std::string>(),
                                 j.at("SessionToken").get<std::string>()},
                                *expiration};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void write_cache(const fs::path& file, const TemporaryCredentials& t) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  const nlohmann::json j = {{"AccessKeyId", t.credentials.access_key_id},
                            {"SecretAccessKey", t.credentials.secret_access_key},
                            {"SessionToken", t.credentials.session_token},
                            {"Expiration", format_iso8601(t.expiration)}};
  const std::string text = j.dump();
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;  // a cache that cannot be written only costs a call next time
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (ok) fs::rename(tmp, file, ec);
  else fs::remove(tmp, ec);
}

// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then the first endpoint_url along the profile's
// source_profile links.
std::string endpoint_for(const ClientContext& context, const Environment& env, const Profile& role) {
  for (const char* var : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"})
    if (auto v = env.non_empty(var)) return *v;
  Profile p = role;
  for (int i = 0; i < kMaxChain && p.exists; ++i) {
    if (auto v = p.get("endpoint_url")) return *v;
    if (p.source_profile().empty() || p.source_profile() == p.name) break;
    p = find_profile(context.files, p.source_profile());
  }
  return "";
}

Result<ResolvedCredentials> resolve_profile(const ClientContext& context, const Environment& env, RoleAssumer& assumer,
                                            const Profile& profile, int depth) {
  if (profile.role_arn().empty()) {
    auto creds = static_profile_credentials(context.files, profile.name);
    if (!creds) return std::unexpected(creds.error());
    if (!*creds) return fail("The source profile \"", profile.name, "\" must have credentials.");
    return ResolvedCredentials{std::move(**creds), "shared-credentials-file"};
  }
  if (depth >= kMaxChain) return fail("The profile \"", profile.name, "\" leads to a loop of source_profile roles.");
  std::optional<Profile> source_profile;
  sigv4::Credentials source;
  if (const std::string name = profile.source_profile(); !name.empty()) {
    source_profile = find_profile(context.files, name);
    if (!source_profile->exists) return fail("The source_profile \"", name, "\" referenced in the profile \"",
                                             profile.name, "\" does not exist.");
    // A profile naming itself uses its own static keys to assume its role (botocore does).
    if (name == profile.name) {
      auto creds = static_profile_credentials(context.files, name);
      if (!creds) return std::unexpected(creds.error());
      if (!*creds) return fail("The source profile \"", name, "\" must have credentials.");
      source = std::move(**creds);
    } else {
      auto inner = resolve_profile(context, env, assumer, *source_profile, depth + 1);
      if (!inner) return inner;
      source = std::move(inner->credentials);
    }
  } else if (profile.credential_source() == "Environment") {
    const auto id = env.non_empty("AWS_ACCESS_KEY_ID");
    const auto secret = env.non_empty("AWS_SECRET_ACCESS_KEY");
    if (!id || !secret) return fail("No credentials found in credential_source referenced in profile ", profile.name);
    source = {*id, *secret, env.non_empty("AWS_SESSION_TOKEN").value_or("")};
  } else if (!profile.credential_source().empty()) {
    return fail("The profile \"", profile.name, "\" uses credential_source ", profile.credential_source(),
                ", which iamdb does not support (use source_profile or Environment)");
  } else {
    return fail("The profile \"", profile.name, "\" has role_arn but neither source_profile nor credential_source");
  }
  AssumeRoleRequest request;
  request.role_arn = profile.role_arn();
  request.session_name = profile.role_session_name();
  if (request.session_name.empty()) {
    request.session_name = "iamdb-session-" + std::to_string(epoch_seconds(SystemClock::instance().now()));
    request.session_name_generated = true;
  }
  request.external_id = profile.external_id();
  if (auto d = profile.get("duration_seconds")) request.duration_seconds = std::atoi(d->c_str());
  request.source = std::move(source);
  request.region = !profile.region().empty() ? profile.region() : "us-east-1";
  request.endpoint_url = endpoint_for(context, env, profile);
  if (request.endpoint_url.empty())
    return fail("The profile \"", profile.name, "\" assumes role ", request.role_arn,
                ": say where STS is with endpoint_url in the profile or AWS_ENDPOINT_URL (the iamdb server's API URL)");
  auto temporary = assumer.assume(request);
  if (!temporary) return std::unexpected(temporary.error());
  return ResolvedCredentials{std::move(temporary->credentials), "assume-role"};
}

}  // namespace

std::string StsRoleAssumer::default_cache_dir(const Environment& env) {
  if (auto xdg = env.non_empty("XDG_CACHE_HOME")) return (fs::path(*xdg) / "iamdb" / "sts").string();
  if (auto home = env.non_empty("HOME")) return (fs::path(*home) / ".cache" / "iamdb" / "sts").string();
  return "";
}

Result<TemporaryCredentials> StsRoleAssumer::assume(const AssumeRoleRequest& request) {
  const fs::path file = cache_dir_.empty() ? fs::path() : fs::path(cache_dir_) / (cache_key(request) + ".json");
  if (!file.empty())
    if (auto cached = read_cache(file); cached && cached->expiration - kRefreshBefore > clock_.now()) return std::move(*cached);
  QueryClientOptions o;
  o.endpoint_url = request.endpoint_url;
  o.region = request.region;
  o.credentials = request.source;
  QueryClient sts(o, clock_);
  QueryParams params = {{"RoleArn", request.role_arn}, {"RoleSessionName", request.session_name}};
  if (!request.external_id.empty()) params.emplace_back("ExternalId", request.external_id);
  if (request.duration_seconds > 0) params.emplace_back("DurationSeconds", std::to_string(request.duration_seconds));
  auto result = sts.call("sts", "AssumeRole", params);
  if (!result) return std::unexpected(result.error());
  const auto expiration = parse_iso8601(text_at(*result, "Credentials.Expiration"));
  TemporaryCredentials t{{text_at(*result, "Credentials.AccessKeyId"), text_at(*result, "Credentials.SecretAccessKey"),
                          text_at(*result, "Credentials.SessionToken")},
                         expiration.value_or(clock_.now())};
  if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty() || !expiration)
    return fail("AssumeRole of ", request.role_arn, " answered without credentials");
  if (!file.empty()) write_cache(file, t);
  return t;
}

Result<ResolvedCredentials> resolve_credentials(const ClientContext& context, const Environment& env,
                                                RoleAssumer& assumer) {
  // Environment credentials win over a profile's role unless the profile was named explicitly.
  const bool env_keys = !context.profile_from_flag && env.non_empty("AWS_ACCESS_KEY_ID");
  if (context.profile.role_arn().empty() || env_keys) return resolve_credentials(context, env);
  return resolve_profile(context, env, assumer, context.profile, 0);
}

}  // namespace iamdb::client
