// iamdb's configuration file, `iamdb.toml`.
//
// Every setting has a default, so an empty file is a valid configuration; `render_config`
// writes the whole file with comments (what `iamdb init` stores and `iamdb server
// --print-default-config` prints). Relative paths are relative to `data_dir`, which itself
// defaults to the directory holding the file. An unknown key, a value of the wrong type or
// out of range is refused at start-up with a message naming the key: configuration mistakes
// fail fast, they are never silently ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace iamdb::config {

// A TCP listen address, `HOST:PORT` or `[IPV6]:PORT`.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};
Result<ListenAddress> parse_listen_address(std::string_view text);

struct ApiConfig {
  std::string listen = "127.0.0.1:8750";
  bool tls = false;                        // serve HTTPS with [tls] cert/key
  std::string public_url;                  // written as endpoint_url; default from listen
  uint64_t max_body_bytes = 1 << 20;       // larger request bodies get 413
  uint32_t header_timeout_seconds = 10;    // time to send the request line and headers
  uint32_t body_timeout_seconds = 30;      // time to send the body
  uint32_t idle_timeout_seconds = 60;      // keep-alive connections idle longer are closed
  uint32_t max_connections = 1024;
  uint32_t request_time_skew_seconds = 900;  // SigV4 X-Amz-Date tolerance, as AWS
};

struct VerifyConfig {
  std::filesystem::path socket = "verify.sock";
  std::string socket_group;                // group owning the socket (e.g. postgres); "" = ours
  uint32_t token_clock_skew_seconds = 300;
  uint32_t idle_timeout_seconds = 30;
  uint32_t max_connections = 4096;
};

struct TlsConfig {
  std::filesystem::path ca_cert = "tls/ca.pem";
  std::filesystem::path cert = "tls/server.pem";
  std::filesystem::path key = "tls/server.key";
};

struct AuditConfig {
  std::filesystem::path file = "audit.log";
  uint64_t max_file_bytes = 100ull << 20;  // rotate when the file would exceed this
  uint32_t max_files = 10;                 // audit.log.1 .. audit.log.N kept
  bool store = true;                       // also keep events in the store for `iamdb audit`
  uint32_t store_retention_days = 90;
};

// IAM's quotas, in characters not counting white space. The inline quotas apply to the sum of
// one user's (group's, role's) inline policies, as in AWS.
struct PolicyLimits {
  uint32_t user_inline_bytes = 2048;
  uint32_t group_inline_bytes = 5120;
  uint32_t role_inline_bytes = 10240;
  uint32_t managed_bytes = 6144;
  uint32_t trust_bytes = 2048;
  uint32_t session_bytes = 2048;
};

// The database gateways (docs/gateway.md). Per-instance settings (listen address, backend,
// pool) are the instance's, set through the RDS API; these apply to every gateway.
struct GatewayConfig {
  std::string tls_cert;                       // path; empty: [tls] cert
  std::string tls_key;                        // path; empty: [tls] key
  uint32_t tls_reload_seconds = 10;           // how often changed certificate files are reloaded
  uint32_t startup_timeout_seconds = 15;      // from accept to ready (TLS, startup, authentication)
  uint32_t max_startup_packet_bytes = 10000;  // PostgreSQL's own limit
  uint32_t max_password_bytes = 8192;         // a token is at most 8 KiB
  uint32_t max_clients = 10000;               // client connections of all gateways
  uint32_t auth_failures = 10;                // failed logins from one address within the window
  uint32_t auth_failure_window_seconds = 60;  // ... refuse it for auth_block_seconds (0: never)
  uint32_t auth_block_seconds = 300;
  uint32_t iam_users_ttl_seconds = 10;        // how long the list of rds_iam members is trusted
  uint32_t backend_connect_timeout_seconds = 10;
  bool end_sessions_on_key_revocation = false;  // an Inactive or deleted key ends its sessions
  bool allow_passwordless_relay = false;      // relay users the backend lets in without a password
  std::string cpu_steering = "loopback";      // which listeners steer by CPU: loopback, always, never
};

struct StoreConfig {
  std::filesystem::path sqlite = "iamdb.db";
};

struct Config {
  std::filesystem::path data_dir;
  std::string region = "us-east-1";
  std::string account_id;                  // 12 digits, chosen by `iamdb init`
  uint32_t worker_threads = 0;             // 0 = one per core
  std::string log_level = "info";          // trace, debug, info, warn, error
  std::filesystem::path master_key = "master.key";
  ApiConfig api;
  VerifyConfig verify;
  TlsConfig tls;
  AuditConfig audit;
  PolicyLimits policy_limits;
  GatewayConfig gateway;
  StoreConfig store;

  // `p` if absolute, else data_dir / p.
  std::filesystem::path resolve(const std::filesystem::path& p) const;
};

// Parses TOML text. `default_data_dir` is used when the text sets no data_dir.
Result<Config> parse_config(std::string_view toml_text, const std::filesystem::path& default_data_dir);
// Reads and parses a file; data_dir defaults to the file's directory.
Result<Config> load_config(const std::filesystem::path& file);
// The whole configuration as TOML with a comment on every setting.
std::string render_config(const Config& config);

bool is_account_id(std::string_view s);
bool is_region(std::string_view s);

}  // namespace iamdb::config
