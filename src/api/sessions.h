// The live database sessions of the server's gateways, as the Query API sees them
// (DescribeDBSessions, KillDBSessions): who is connected through which instance, as which
// database user, from where, since when, and how many bytes went each way.
//
// The gateways implement SessionDirectory; the API only reads the list and asks for sessions to
// end. Implementations are thread-safe: the API calls them from its own threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace iamdb::api {

struct DbSession {
  std::string id;
  std::string instance;
  std::string engine;
  std::string db_user;
  std::string database;
  std::string client_address;
  bool iam = false;            // logged in with an auth token (else authenticated by the backend)
  std::string principal_arn;   // IAM sessions
  std::string access_key_id;
  std::string session_name;    // assumed-role session name
  SystemTime started;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
  bool active = false;         // holds a backend connection now
};

// Which sessions a kill (or a listing) is about; empty fields match everything.
struct SessionFilter {
  std::vector<std::string> ids;
  std::string instance;
  std::string principal_arn;
  std::string access_key_id;

  bool empty() const { return ids.empty() && instance.empty() && principal_arn.empty() && access_key_id.empty(); }
  bool matches(const DbSession& s) const;
};

class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  virtual std::vector<DbSession> list(const SessionFilter& filter) const = 0;
  // Ends the matching sessions (their clients get SQLSTATE 57P01); returns them.
  virtual std::vector<DbSession> kill(const SessionFilter& filter) = 0;
};

inline bool SessionFilter::matches(const DbSession& s) const {
  if (!ids.empty()) {
    bool found = false;
    for (const std::string& id : ids) found = found || id == s.id;
    if (!found) return false;
  }
  return (instance.empty() || instance == s.instance) && (principal_arn.empty() || principal_arn == s.principal_arn) &&
         (access_key_id.empty() || access_key_id == s.access_key_id);
}

}  // namespace iamdb::api
