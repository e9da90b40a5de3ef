// Reading and writing iamdb.toml. One table of settings drives parsing, validation and the
// rendered file, so the documented defaults and the parsed ones cannot drift apart.
#include "config/config.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <toml.hpp>
#include <vector>

#include "common/strings.h"

namespace iamdb::config {
namespace {

namespace fs = std::filesystem;

struct Setting {
  std::string_view section;  // "" for top level
  std::string_view key;
  std::string_view comment;
  std::function<Result<void>(const toml::value&)> set;
  std::function<std::string()> render;
};

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + '"';
}

Result<void> type_error(const char* want) { return fail("must be ", want); }

Setting text(std::string_view section, std::string_view key, std::string_view comment, std::string& target,
             std::function<Result<void>(const std::string&)> check = nullptr) {
  return {section, key, comment,
          [&target, check](const toml::value& v) -> Result<void> {
            if (!v.is_string()) return type_error("a string");
            std::string s = v.as_string().str;
            if (check)
              if (auto ok = check(s); !ok) return ok;
            target = std::move(s);
            return {};
          },
          [&target] { return quote(target); }};
}

Setting path(std::string_view section, std::string_view key, std::string_view comment, fs::path& target) {
  return {section, key, comment,
          [&target](const toml::value& v) -> Result<void> {
            if (!v.is_string()) return type_error("a string (a path)");
            if (v.as_string().str.empty()) return fail("must not be empty");
            target = v.as_string().str;
            return {};
          },
          [&target] { return quote(target.string()); }};
}

template <class Int>
Setting number(std::string_view section, std::string_view key, std::string_view comment, Int& target,
               long long min, long long max) {
  return {section, key, comment,
          [&target, min, max](const toml::value& v) -> Result<void> {
            if (!v.is_integer()) return type_error("an integer");
            const long long n = v.as_integer();
            if (n < min || n > max)
              return fail("must be between ", std::to_string(min), " and ", std::to_string(max));
            target = static_cast<Int>(n);
            return {};
          },
          [&target] { return std::to_string(target); }};
}

Setting flag(std::string_view section, std::string_view key, std::string_view comment, bool& target) {
  return {section, key, comment,
          [&target](const toml::value& v) -> Result<void> {
            if (!v.is_boolean()) return type_error("true or false");
            target = v.as_boolean();
            return {};
          },
          [&target] { return std::string(target ? "true" : "false"); }};
}

constexpr long long kMaxU32 = std::numeric_limits<uint32_t>::max();

std::vector<Setting> settings(Config& c) {
  const auto check_listen = [](const std::string& s) -> Result<void> {
    if (auto a = parse_listen_address(s); !a) return std::unexpected(a.error());
    return {};
  };
  const auto check_level = [](const std::string& s) -> Result<void> {
    for (const char* level : {"trace", "debug", "info", "warn", "error"})
      if (s == level) return {};
    return fail("must be one of trace, debug, info, warn, error");
  };
  return {
      path("", "data_dir", "Directory of the store, keys, certificates and sockets.", c.data_dir),
      text("", "region", "The region tokens and ARNs name (like us-east-1).", c.region,
           [](const std::string& s) -> Result<void> {
             if (!is_region(s)) return fail("must look like a region, such as us-east-1");
             return {};
           }),
      text("", "account_id", "This installation's 12-digit AWS-style account id.", c.account_id,
           [](const std::string& s) -> Result<void> {
             if (!s.empty() && !is_account_id(s)) return fail("must be 12 digits");
             return {};
           }),
      number("", "worker_threads", "Threads serving connections; 0 means one per core.", c.worker_threads, 0, 256),
      text("", "log_level", "trace, debug, info, warn or error.", c.log_level, check_level),
      path("", "master_key", "32-byte key (mode 0600) encrypting secrets at rest.", c.master_key),

      text("api", "listen", "HOST:PORT of the IAM/STS/RDS Query API, /healthz and /metrics.", c.api.listen,
           check_listen),
      flag("api", "tls", "Serve the API over HTTPS with the [tls] certificate.", c.api.tls),
      text("api", "public_url", "URL clients use (endpoint_url); empty: derived from listen.", c.api.public_url),
      number("api", "max_body_bytes", "Larger request bodies are refused with 413.", c.api.max_body_bytes, 1024,
             1ll << 30),
      number("api", "header_timeout_seconds", "Time a client has to send a request's headers.",
             c.api.header_timeout_seconds, 1, 3600),
      number("api", "body_timeout_seconds", "Time a client has to send a request's body.", c.api.body_timeout_seconds,
             1, 3600),
      number("api", "idle_timeout_seconds", "Idle keep-alive connections are closed after this.",
             c.api.idle_timeout_seconds, 1, 86400),
      number("api", "max_connections", "Connections beyond this are closed at once.", c.api.max_connections, 1,
             1000000),
      number("api", "request_time_skew_seconds", "Allowed distance of a request's X-Amz-Date from now.",
             c.api.request_time_skew_seconds, 1, 86400),

      path("verify", "socket", "Unix socket of the verify RPC used by the database plugins.", c.verify.socket),
      text("verify", "socket_group", "Group given the socket (mode 0660), e.g. postgres; empty: ours.",
           c.verify.socket_group),
      number("verify", "token_clock_skew_seconds", "Tolerance for clocks of token signers.",
             c.verify.token_clock_skew_seconds, 0, 3600),
      number("verify", "idle_timeout_seconds", "Idle verify connections are closed after this.",
             c.verify.idle_timeout_seconds, 1, 86400),
      number("verify", "max_connections", "Verify connections beyond this are closed at once.",
             c.verify.max_connections, 1, 1000000),

      path("tls", "ca_cert", "CA certificate clients trust (PEM).", c.tls.ca_cert),
      path("tls", "cert", "Server certificate (PEM), signed by the CA.", c.tls.cert),
      path("tls", "key", "Server private key (PEM, mode 0600).", c.tls.key),

      path("audit", "file", "JSON-lines audit log.", c.audit.file),
      number("audit", "max_file_bytes", "Rotate the audit log when it would grow past this.",
             c.audit.max_file_bytes, 4096, 1ll << 40),
      number("audit", "max_files", "Rotated audit logs kept (audit.log.1 ... .N).", c.audit.max_files, 1, 1000),
      flag("audit", "store", "Also keep audit events in the store, for `iamdb audit`.", c.audit.store),
      number("audit", "store_retention_days", "Events older than this are removed from the store.",
             c.audit.store_retention_days, 1, 36500),

      number("policy_limits", "user_inline_bytes", "Total size of one user's inline policies (characters, no white space).", c.policy_limits.user_inline_bytes,
             64, kMaxU32),
      number("policy_limits", "group_inline_bytes", "Total size of one group's inline policies.",
             c.policy_limits.group_inline_bytes, 64, kMaxU32),
      number("policy_limits", "role_inline_bytes", "Total size of one role's inline policies.", c.policy_limits.role_inline_bytes,
             64, kMaxU32),
      number("policy_limits", "managed_bytes", "Largest managed policy version.", c.policy_limits.managed_bytes, 64,
             kMaxU32),
      number("policy_limits", "trust_bytes", "Largest role trust policy.", c.policy_limits.trust_bytes, 64, kMaxU32),
      number("policy_limits", "session_bytes", "Largest AssumeRole session policy.", c.policy_limits.session_bytes,
             64, kMaxU32),

      text("gateway", "tls_cert", "Certificate (PEM) of the database gateways; empty: [tls] cert.", c.gateway.tls_cert),
      text("gateway", "tls_key", "Its private key; empty: [tls] key.", c.gateway.tls_key),
      number("gateway", "tls_reload_seconds", "Changed certificate files are loaded within this many seconds.",
             c.gateway.tls_reload_seconds, 1, 86400),
      number("gateway", "startup_timeout_seconds", "Time a client has for TLS, startup and authentication.",
             c.gateway.startup_timeout_seconds, 1, 3600),
      number("gateway", "max_startup_packet_bytes", "Largest startup packet accepted.",
             c.gateway.max_startup_packet_bytes, 64, 1 << 20),
      number("gateway", "max_password_bytes", "Largest password message (tokens are up to 8 KiB).",
             c.gateway.max_password_bytes, 64, 1 << 20),
      number("gateway", "max_clients", "Client connections of all gateways together.", c.gateway.max_clients, 1,
             10000000),
      number("gateway", "auth_failures", "Failed logins from one address within the window that block it; 0: never.",
             c.gateway.auth_failures, 0, 1000000),
      number("gateway", "auth_failure_window_seconds", "The window failed logins are counted in.",
             c.gateway.auth_failure_window_seconds, 1, 86400),
      number("gateway", "auth_block_seconds", "How long a blocked address is refused.", c.gateway.auth_block_seconds,
             1, 86400 * 7),
      number("gateway", "iam_users_ttl_seconds", "How long the list of rds_iam members is used before a refresh.",
             c.gateway.iam_users_ttl_seconds, 1, 3600),
      number("gateway", "backend_connect_timeout_seconds", "Time to connect and log in to a backend.",
             c.gateway.backend_connect_timeout_seconds, 1, 3600),
      flag("gateway", "end_sessions_on_key_revocation",
           "Making an access key Inactive or deleting it ends its live gateway sessions.",
           c.gateway.end_sessions_on_key_revocation),
      flag("gateway", "allow_passwordless_relay",
           "Let in non-IAM users whom the backend accepts without any password (trust); unsafe.",
           c.gateway.allow_passwordless_relay),
      text("gateway", "cpu_steering",
           "Which listeners give a new connection to the worker of the CPU it came in on: loopback (those "
           "on a loopback address), always or never.",
           c.gateway.cpu_steering,
           [](const std::string& v) -> Result<void> {
             if (v == "loopback" || v == "always" || v == "never") return {};
             return fail("must be one of loopback, always, never");
           }),

      path("store", "sqlite", "SQLite database file (WAL mode).", c.store.sqlite),
  };
}

}  // namespace

std::string ListenAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("listen address ", text, " must be HOST:PORT or [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return fail("listen address ", text, " must be HOST:PORT or [IPV6]:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  long long n = 0;
  if (host.empty() || !parse_uint(port, n) || n > 65535)
    return fail("listen address ", text, " must be HOST:PORT with a port from 0 to 65535");
  return ListenAddress{std::string(host), static_cast<uint16_t>(n)};
}

bool is_account_id(std::string_view s) {
  if (s.size() != 12) return false;
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

bool is_region(std::string_view s) {
  // Like us-east-1, eu-central-2, us-gov-west-1, local-1: lower-case words and a number.
  if (s.empty() || s.size() > 32) return false;
  const auto parts = split(s, '-');
  if (parts.size() < 2) return false;
  for (auto part : parts) {
    if (part.empty()) return false;
    for (char ch : part)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return false;
  }
  long long n;
  return parse_uint(parts.back(), n);
}

fs::path Config::resolve(const fs::path& p) const { return p.is_absolute() ? p : data_dir / p; }

Result<Config> parse_config(std::string_view toml_text, const fs::path& default_data_dir) {
  toml::value root;
  try {
    std::istringstream in{std::string(toml_text)};
    root = toml::parse(in, "iamdb.toml");
  } catch (const std::exception& e) {
    return fail("the configuration is not valid TOML: ", e.what());
  }
  Config config;
  config.data_dir = default_data_dir;
  const std::vector<Setting> all = settings(config);
  const auto known = [&](std::string_view section, std::string_view key) {
    for (const Setting& s : all)
      if (s.section == section && s.key == key) return true;
    return false;
  };
  const auto known_section = [&](std::string_view section) {
    for (const Setting& s : all)
      if (!s.section.empty() && s.section == section) return true;
    return false;
  };
  for (const auto& [key, value] : root.as_table()) {
    if (value.is_table() && known_section(key)) {
      for (const auto& [sub, sub_value] : value.as_table())
        if (!known(key, sub)) return fail("unknown setting [", key, "] ", sub, " in the configuration");
    } else if (!known("", key)) {
      return fail("unknown setting ", key, " in the configuration");
    }
  }
  for (const Setting& s : all) {
    const toml::value* v = nullptr;
    if (s.section.empty()) {
      if (root.contains(std::string(s.key))) v = &root.at(std::string(s.key));
    } else if (root.contains(std::string(s.section))) {
      const toml::value& table = root.at(std::string(s.section));
      if (!table.is_table()) return fail("[", s.section, "] must be a table");
      if (table.contains(std::string(s.key))) v = &table.at(std::string(s.key));
    }
    if (!v) continue;
    if (auto ok = s.set(*v); !ok) {
      const std::string name = s.section.empty() ? std::string(s.key) : "[" + std::string(s.section) + "] " + std::string(s.key);
      return fail("setting ", name, " ", ok.error().message);
    }
  }
  if (config.data_dir.is_relative()) config.data_dir = fs::absolute(config.data_dir);
  return config;
}

Result<Config> load_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot read the configuration file ", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str(), fs::absolute(file).parent_path());
  if (!config) return fail(file.string(), ": ", config.error().message);
  return config;
}

std::string render_config(const Config& config) {
  Config copy = config;
  std::string out =
      "# iamdb server configuration. Every setting has a default; relative paths are relative\n"
      "# to data_dir. `iamdb server --print-default-config` prints the defaults.\n\n";
  std::string_view section;
  for (const Setting& s : settings(copy)) {
    if (s.section != section) {
      section = s.section;
      out += "\n[" + std::string(section) + "]\n";
    }
    out += "# " + std::string(s.comment) + "\n" + std::string(s.key) + " = " + s.render() + "\n";
  }
  return out;
}

}  // namespace iamdb::config
