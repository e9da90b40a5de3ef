// Whether the database's OS user can reach the verify socket, and what to change if not.
#include "setup/socket_access.h"

#include <algorithm>
#include <cstdio>

namespace iamdb::setup {
namespace {

constexpr unsigned kSearch = 1;
constexpr unsigned kWrite = 2;

std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

std::string owner_of(const PathFacts& p) {
  const std::string user = p.owner_name.empty() ? std::to_string(p.uid) : p.owner_name;
  const std::string group = p.group_name.empty() ? std::to_string(p.gid) : p.group_name;
  return user + ":" + group;
}

bool in_group(const OsUserFacts& user, unsigned gid) {
  return std::find(user.gids.begin(), user.gids.end(), gid) != user.gids.end();
}

}  // namespace

unsigned effective_permissions(const OsUserFacts& user, const PathFacts& path) {
  if (user.uid == 0) return 7;
  if (user.uid == path.uid) return (path.mode >> 6) & 7;
  if (in_group(user, path.gid)) return (path.mode >> 3) & 7;
  return path.mode & 7;
}

std::vector<std::string> socket_access_problems(const SocketAccessFacts& f) {
  std::vector<std::string> problems;
  const OsUserFacts& user = f.db_user;
  if (!user.exists) {
    problems.push_back("there is no OS user " + user.name +
                       " here to check access to the verify socket for: give --os-user, the user the database "
                       "server runs as");
    return problems;
  }
  for (const PathFacts& dir : f.directories) {
    if (!dir.exists) {
      problems.push_back("the verify socket's directory " + dir.path.native() +
                         " does not exist: create it, or choose another [verify] socket in iamdb.toml");
      return problems;
    }
    if (!(effective_permissions(user, dir) & kSearch)) {
      problems.push_back("user " + user.name + " cannot reach the verify socket: it may not enter " +
                         dir.path.native() + " (mode " + octal(dir.mode) + ", " + owner_of(dir) +
                         "); put the socket in a directory it can enter ([verify] socket in iamdb.toml, e.g. "
                         "/run/iamdb/verify.sock) or let it in (chmod o+x " + dir.path.native() + ")");
      return problems;
    }
  }
  const std::string restart = ", then restart iamdb server";
  if (f.socket.exists) {
    if (!(effective_permissions(user, f.socket) & kWrite)) {
      const std::string group = f.socket.group_name.empty() ? std::to_string(f.socket.gid) : f.socket.group_name;
      problems.push_back("user " + user.name + " may not connect to the verify socket " + f.socket.path.native() +
                         " (mode " + octal(f.socket.mode) + ", " + owner_of(f.socket) + "): add it to group " +
                         group + " (usermod -aG " + group + " " + user.name +
                         ") or set [verify] socket_group in iamdb.toml to a group it is in" + restart);
    }
    return problems;
  }
  // No daemon yet: judge the configuration it will start with.
  if (!f.socket_group) return problems;
  if (f.socket_group->empty()) {
    if (user.uid != 0)
      problems.push_back("[verify] socket_group is not set in iamdb.toml, so the verify socket (mode 0660) will "
                         "belong to the daemon's own group: set socket_group = \"" + user.name +
                         "\" (or another group user " + user.name + " is in)" + restart);
  } else if (!f.socket_group_gid) {
    problems.push_back("[verify] socket_group \"" + *f.socket_group + "\" is not a group on this machine");
  } else if (user.uid != 0 && !in_group(user, *f.socket_group_gid)) {
    problems.push_back("user " + user.name + " is not in group " + *f.socket_group +
                       " ([verify] socket_group): add it (usermod -aG " + *f.socket_group + " " + user.name +
                       ") or set socket_group to a group it is in" + restart);
  }
  return problems;
}

}  // namespace iamdb::setup
