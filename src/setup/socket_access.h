// Can the database server's OS user (postgres, mysql) connect to the daemon's verify socket?
// The plugins run inside the database's processes, so that user needs search permission on
// every directory above the socket and write permission on the socket, which the daemon
// creates with mode 0660 and group `[verify] socket_group`.
//
// Pure: the caller gathers the facts (stat, getpwnam, getgrouplist); this decides and words
// each problem with what to change. Follows POSIX permission classes (owner, then group,
// then others; uid 0 passes every check).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace iamdb::setup {

struct PathFacts {
  std::filesystem::path path;
  bool exists = false;
  unsigned mode = 0;  // permission bits
  unsigned uid = 0;
  unsigned gid = 0;
  std::string owner_name;  // for messages
  std::string group_name;
};

struct OsUserFacts {
  std::string name;
  bool exists = false;
  unsigned uid = 0;
  std::vector<unsigned> gids;  // primary and supplementary groups
};

struct SocketAccessFacts {
  OsUserFacts db_user;
  std::vector<PathFacts> directories;  // every directory above the socket, "/" first
  PathFacts socket;                     // exists while the daemon runs
  // `[verify] socket_group` when the daemon's configuration was read ("" = the daemon's own
  // group), and its gid when that group exists here.
  std::optional<std::string> socket_group;
  std::optional<unsigned> socket_group_gid;
};

// What keeps db_user from connecting (empty when nothing does, as far as the facts tell).
std::vector<std::string> socket_access_problems(const SocketAccessFacts& facts);

// Permission bits that apply to `user` on `path`: rwx as 4/2/1 (7 for uid 0).
unsigned effective_permissions(const OsUserFacts& user, const PathFacts& path);

}  // namespace iamdb::setup
