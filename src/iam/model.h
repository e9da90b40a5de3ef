// The IAM entities iamdb manages, as plain values: users, groups, roles, managed policies and
// their versions, access keys, STS sessions, and registered database instances.
//
// Entities are immutable once placed in a `State` (held by `std::shared_ptr<const T>`), so a
// published state can be read by any number of threads while the writer builds the next one.
// Names keep the case they were created with; IAM treats them as case-insensitive for
// uniqueness, so tables are keyed by the lower-cased name. Secrets (access-key secrets,
// session secrets) are plaintext here, in memory only; the store seals them at rest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "policy/policy.h"

namespace iamdb::iam {

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};
using Tags = std::vector<Tag>;

// A policy document exactly as it was submitted (AWS returns it verbatim, URL-encoded) and
// its compiled form, which is what evaluation uses.
struct Document {
  std::string text;
  std::shared_ptr<const policy::Policy> compiled;
};

struct InlinePolicy {
  std::string name;
  Document document;
};

// What users, groups and roles share: a name, a path, an id, policies.
struct Principal {
  std::string name;
  std::string id;
  std::string path = "/";
  SystemTime created;
  std::vector<InlinePolicy> inline_policies;  // sorted by name
  std::vector<std::string> attached;          // managed policy ARNs, in attachment order

  const InlinePolicy* find_inline(std::string_view policy_name) const;
  bool is_attached(std::string_view arn) const;
};

struct User : Principal {
  Tags tags;
  std::string boundary_arn;  // permissions boundary, or empty
};

struct Group : Principal {
  std::vector<std::string> members;  // user names (as created), in the order they were added
};

struct Role : Principal {
  Document trust_policy;  // AssumeRolePolicyDocument
  std::string description;
  uint32_t max_session_duration = 3600;  // seconds, 3600 .. 43200
  Tags tags;
  std::string boundary_arn;
};

struct PolicyVersion {
  std::string id;  // v1, v2, ...
  Document document;
  SystemTime created;
};

struct ManagedPolicy {
  std::string arn;
  std::string name;
  std::string id;
  std::string path = "/";
  std::string description;
  SystemTime created;
  SystemTime updated;
  std::string default_version;         // id of the version in force
  std::vector<PolicyVersion> versions;  // at most 5, oldest first
  uint32_t next_version = 1;           // AWS never reuses version numbers
  Tags tags;
  bool aws_managed = false;            // arn:aws:iam::aws:policy/..., built in, read-only

  const PolicyVersion* find_version(std::string_view version_id) const;
  const PolicyVersion& default_document() const;
};

struct AccessKey {
  std::string id;      // AKIA...
  std::string user;    // user name, as created
  std::string secret;  // secret access key (plaintext in memory)
  bool active = true;
  SystemTime created;
};

// Temporary credentials from STS. The caller holds (id, secret, token); iamdb keeps the
// token's SHA-256, so a leaked store does not reveal usable session tokens.
struct Session {
  enum class Kind { kAssumedRole, kSessionToken };
  Kind kind = Kind::kAssumedRole;
  std::string access_key_id;  // ASIA...
  std::string secret;
  std::string token_sha256;   // hex
  SystemTime issued;
  SystemTime expires;
  std::string role;           // kAssumedRole: the role's name
  std::string user;           // kSessionToken: the user's name
  std::string session_name;   // kAssumedRole: RoleSessionName
  std::optional<Document> session_policy;
  std::vector<std::string> session_policy_arns;
  Tags session_tags;          // become aws:PrincipalTag/... for the session
  std::string source_identity;
  std::string caller_arn;     // who called AssumeRole / GetSessionToken
};

// How the gateway serves an instance (docs/gateway.md): where it listens, how it reaches and
// logs in to the database behind it, and its pool. An empty `listen` means no gateway.
struct GatewaySettings {
  // A per-user password the gateway logs in to the backend with (`password` mode, and the
  // monitor user). A secret: sealed at rest, never logged, never returned by the API.
  struct BackendPassword {
    std::string user;
    std::string password;
    bool operator==(const BackendPassword&) const = default;
  };

  std::string listen;                        // HOST:PORT the gateway accepts clients on
  std::string backend;                       // HOST:PORT, or the absolute path of a Unix socket
  std::string backend_auth = "token";        // token | trust | password
  std::string backend_tls = "disable";       // disable | require | verify-full
  std::string backend_ca;                    // CA (PEM) for verify-full; empty: the system's
  std::string monitor_user = "iamdb_monitor";  // low-privilege login that lists rds_iam members
  std::string monitor_database = "postgres";
  uint32_t max_backends = 100;               // backend connections of the instance
  uint32_t max_backends_per_user = 0;        // 0: only the instance's limit
  uint32_t pool_idle_timeout_seconds = 300;  // idle pooled connections older than this close
  uint32_t pool_max_lifetime_seconds = 3600;
  uint32_t pool_wait_timeout_seconds = 30;   // a client waits this long for a backend (53300)
  std::string pool_reset_query = "DISCARD ALL";
  uint32_t max_new_connections_per_second = 0;  // 0: no limit
  std::vector<BackendPassword> backend_passwords;  // sorted by user

  bool enabled() const { return !listen.empty(); }
  const std::string* password_of(std::string_view user) const;
  bool operator==(const GatewaySettings&) const = default;
};

// A database registered with iamdb: what tokens name and the IAM switch.
struct Instance {
  std::string id;               // DBInstanceIdentifier, lower-case
  std::string engine;           // "postgres" or "mysql"
  std::string host;             // endpoint address tokens name
  uint16_t port = 0;
  std::vector<std::string> aliases;  // other accepted "host:port" spellings
  std::string dbi_resource_id;  // db-XXXXXXXXXXXXXXXXXXXXXXXXXX, fixed
  bool iam_enabled = false;     // IAMDatabaseAuthenticationEnabled
  SystemTime created;
  GatewaySettings gateway;
};

inline const std::string* GatewaySettings::password_of(std::string_view user) const {
  for (const BackendPassword& p : backend_passwords)
    if (p.user == user) return &p.password;
  return nullptr;
}

}  // namespace iamdb::iam
