// The AWS credential and configuration chain: files, profile, region, credentials.
#include "client/aws_config.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/strings.h"

namespace iamdb::client {
namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Python's os.path.expandvars: $NAME and ${NAME} when set, left alone when not.
std::string expand_vars(std::string_view path, const Environment& env) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '$' || i + 1 >= path.size()) {
      out.push_back(path[i]);
      continue;
    }
    size_t name_start = i + 1, name_end;
    size_t next;
    if (path[i + 1] == '{') {
      const size_t close = path.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.push_back(path[i]);
        continue;
      }
      name_start = i + 2;
      name_end = close;
      next = close + 1;
    } else {
      name_end = name_start;
      while (name_end < path.size() && is_word_char(path[name_end])) ++name_end;
      next = name_end;
    }
    const auto value = name_end > name_start
                           ? env.get(path.substr(name_start, name_end - name_start))
                           : std::nullopt;
    if (value) {
      out.append(*value);
    } else {
      out.append(path.substr(i, next - i));
    }
    i = next - 1;
  }
  return out;
}

// Python's os.path.expanduser: "~" and "~/..." from HOME (else the password database),
// "~user/..." from the password database.
std::string expand_user(const std::string& path, const Environment& env) {
  if (path.empty() || path.front() != '~') return path;
  const size_t slash = path.find('/');
  const std::string user =
      path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  std::string home;
  if (user.empty()) {
    if (auto h = env.get("HOME")) {
      home = *h;
    } else if (const passwd* pw = getpwuid(getuid())) {
      home = pw->pw_dir;
    } else {
      return path;
    }
  } else if (const passwd* pw = getpwnam(user.c_str())) {
    home = pw->pw_dir;
  } else {
    return path;
  }
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  return home + (slash == std::string::npos ? "" : path.substr(slash));
}

std::string file_path(const Environment& env, std::string_view variable,
                      std::string_view fallback) {
  const std::string chosen = env.non_empty(variable).value_or(std::string(fallback));
  return expand_user(expand_vars(chosen, env), env);
}

Result<IniDocument> read_ini(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return IniDocument{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return IniDocument{};  // botocore skips files it cannot open
  std::ostringstream text;
  text << in.rdbuf();
  auto doc = parse_ini(text.str());
  if (!doc) return fail("Unable to parse config file: ", path, " (", doc.error().message, ")");
  return doc;
}

// Python's shlex.split for section names such as `profile "my profile"`; nullopt where shlex
// raises (an unterminated quote or escape).
std::optional<std::vector<std::string>> shell_split(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      const size_t close = s.find('\'', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      word.append(s.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
    } else if (c == '"') {
      in_word = true;
      for (++i;; ++i) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '"') break;
        if (s[i] == '\\' && i + 1 < s.size() &&
            std::string_view("\\\"$`\n").find(s[i + 1]) != std::string_view::npos)
          ++i;
        word.push_back(s[i]);
      }
    } else if (c == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      word.push_back(s[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The profile a config-file section defines, if any.
std::optional<std::string> config_profile_name(std::string_view section) {
  if (section == "default") return std::string("default");
  if (!section.starts_with("profile")) return std::nullopt;
  auto words = shell_split(section);
  if (!words || words->size() != 2) return std::nullopt;
  return (*words)[1];
}

const IniSection* config_section(const SharedFiles& files, std::string_view profile) {
  const IniSection* found = nullptr;
  for (const IniSection& s : files.config.sections)
    if (config_profile_name(s.name) == profile) found = &s;
  return found;
}

Result<std::optional<sigv4::Credentials>> section_credentials(const IniSection* section,
                                                              std::string_view source) {
  if (!section) return std::nullopt;
  const auto access_key = section->get("aws_access_key_id");
  if (!access_key) return std::nullopt;
  const auto secret = section->get("aws_secret_access_key");
  if (!secret)
    return fail("Partial credentials found in ", source, ", missing: aws_secret_access_key");
  sigv4::Credentials out{std::string(*access_key), std::string(*secret), ""};
  if (auto token = section->get("aws_security_token")) {
    out.session_token = *token;
  } else if (auto session = section->get("aws_session_token")) {
    out.session_token = *session;
  }
  return out;
}

template <class... Parts>
std::unexpected<Error> unsupported(const ClientContext& context, Parts&&... parts) {
  return fail("The config profile (", context.profile_name, ") ", std::forward<Parts>(parts)...,
              ", which iamdb does not support. Give the profile aws_access_key_id and "
              "aws_secret_access_key, or set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
              "AWS_SESSION_TOKEN.");
}

}  // namespace

std::optional<std::string> Profile::get(std::string_view key) const {
  const auto it = settings.find(key);
  if (it == settings.end()) return std::nullopt;
  return it->second;
}

Result<SharedFiles> load_shared_files(const Environment& env) {
  SharedFiles files;
  files.config_path = file_path(env, "AWS_CONFIG_FILE", "~/.aws/config");
  files.credentials_path = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
  auto config = read_ini(files.config_path);
  if (!config) return std::unexpected(config.error());
  auto credentials = read_ini(files.credentials_path);
  if (!credentials) return std::unexpected(credentials.error());
  files.config = std::move(*config);
  files.credentials = std::move(*credentials);
  return files;
}

Profile find_profile(const SharedFiles& files, std::string_view name) {
  Profile profile;
  profile.name = std::string(name);
  if (const IniSection* s = config_section(files, name)) {
    profile.exists = true;
    for (const auto& [key, value] : s->values) profile.settings[key] = value;
  }
  if (const IniSection* s = files.credentials.find(name)) {
    profile.exists = true;
    for (const auto& [key, value] : s->values) profile.settings[key] = value;
  }
  return profile;
}

Result<ClientContext> load_client_context(const Environment& env, const ChainOptions& options) {
  auto files = load_shared_files(env);
  if (!files) return std::unexpected(files.error());
  ClientContext context;
  context.files = std::move(*files);
  bool named = true;
  if (!options.profile.empty()) {
    context.profile_name = options.profile;
    context.profile_from_flag = true;
  } else if (auto p = env.non_empty("AWS_PROFILE")) {
    context.profile_name = *p;
  } else if (auto d = env.non_empty("AWS_DEFAULT_PROFILE")) {
    context.profile_name = *d;
  } else {
    context.profile_name = "default";
    named = false;
  }
  context.profile = find_profile(context.files, context.profile_name);
  if (named && !context.profile.exists)
    return fail("The config profile (", context.profile_name, ") could not be found");
  context.endpoint_url = env.non_empty("AWS_ENDPOINT_URL").value_or(context.profile.endpoint_url());
  return context;
}

Result<std::string> resolve_region(const ClientContext& context, const Environment& env,
                                   const ChainOptions& options) {
  if (!options.region.empty()) return options.region;
  if (auto r = env.non_empty("AWS_REGION")) return *r;
  if (auto r = env.non_empty("AWS_DEFAULT_REGION")) return *r;
  if (std::string r = context.profile.region(); !r.empty()) return r;
  return fail(kNoRegionMessage);
}

Result<ResolvedCredentials> resolve_credentials(const ClientContext& context,
                                                const Environment& env) {
  if (!context.profile_from_flag) {
    if (auto access_key = env.non_empty("AWS_ACCESS_KEY_ID")) {
      auto secret = env.non_empty("AWS_SECRET_ACCESS_KEY");
      if (!secret) return fail("Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY");
      auto token = env.non_empty("AWS_SECURITY_TOKEN");
      if (!token) token = env.non_empty("AWS_SESSION_TOKEN");
      return ResolvedCredentials{{*access_key, *secret, token.value_or("")}, "env"};
    }
  }
  const Profile& profile = context.profile;
  const bool web_identity = profile.get("web_identity_token_file").has_value();
  if (profile.get("role_arn") && !web_identity)
    return unsupported(context, "gets credentials by assuming role ", profile.role_arn(),
                       " (role_arn)");
  if (web_identity)
    return unsupported(context,
                       "gets credentials with a web identity token (web_identity_token_file)");
  if (profile.get("sso_start_url") || profile.get("sso_session"))
    return unsupported(context, "gets credentials from AWS IAM Identity Center (SSO)");

  auto from_credentials_file = section_credentials(
      context.files.credentials.find(context.profile_name), "shared-credentials-file");
  if (!from_credentials_file) return std::unexpected(from_credentials_file.error());
  if (*from_credentials_file)
    return ResolvedCredentials{std::move(**from_credentials_file), "shared-credentials-file"};

  if (profile.get("credential_process"))
    return unsupported(context, "gets credentials from a program (credential_process)");

  auto from_config_file =
      section_credentials(config_section(context.files, context.profile_name), "config-file");
  if (!from_config_file) return std::unexpected(from_config_file.error());
  if (*from_config_file) return ResolvedCredentials{std::move(**from_config_file), "config-file"};
  return fail(kNoCredentialsMessage);
}

Result<std::optional<sigv4::Credentials>> static_profile_credentials(const SharedFiles& files,
                                                                     std::string_view profile) {
  auto from_credentials_file =
      section_credentials(files.credentials.find(profile), "shared-credentials-file");
  if (!from_credentials_file || *from_credentials_file) return from_credentials_file;
  return section_credentials(config_section(files, profile), "config-file");
}

}  // namespace iamdb::client
