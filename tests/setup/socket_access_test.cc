// Whether the database's OS user can reach the verify socket: POSIX permission classes over
// every directory and the socket, and the configured socket_group while no daemon runs.
#include "setup/socket_access.h"

#include <gtest/gtest.h>

namespace iamdb::setup {
namespace {

constexpr unsigned kRoot = 0;
constexpr unsigned kPostgres = 105;
constexpr unsigned kPostgresGroup = 112;
constexpr unsigned kIamdb = 990;
constexpr unsigned kIamdbGroup = 991;

PathFacts dir(const char* path, unsigned mode, unsigned uid = kRoot, unsigned gid = kRoot) {
  return PathFacts{path, true, mode, uid, gid, uid == kRoot ? "root" : "iamdb", gid == kRoot ? "root" : "iamdb"};
}

SocketAccessFacts reachable() {
  SocketAccessFacts f;
  f.db_user = OsUserFacts{"postgres", true, kPostgres, {kPostgresGroup}};
  f.directories = {dir("/", 0755), dir("/run", 0755), dir("/run/iamdb", 0755, kIamdb, kIamdbGroup)};
  f.socket = PathFacts{"/run/iamdb/verify.sock", true, 0660, kIamdb, kPostgresGroup, "iamdb", "postgres"};
  return f;
}

TEST(SocketAccess, PermissionClassesFollowPosix) {
  const OsUserFacts user{"u", true, 10, {20, 21}};
  EXPECT_EQ(effective_permissions(user, dir("/x", 0750, 10, 99)), 7u) << "owner bits";
  EXPECT_EQ(effective_permissions(user, dir("/x", 0705, 10, 99)), 7u);
  EXPECT_EQ(effective_permissions(user, dir("/x", 0075, 10, 20)), 0u) << "the owner class wins even when empty";
  EXPECT_EQ(effective_permissions(user, dir("/x", 0750, 11, 21)), 5u) << "group bits, supplementary group";
  EXPECT_EQ(effective_permissions(user, dir("/x", 0701, 11, 22)), 1u) << "others";
  EXPECT_EQ(effective_permissions(OsUserFacts{"root", true, 0, {}}, dir("/x", 0000, 11, 22)), 7u);
}

TEST(SocketAccess, NamesWhatKeepsTheDatabaseUserOut) {
  struct Case {
    const char* name;
    void (*change)(SocketAccessFacts&);
    const char* problem;  // "" when there is none
  };
  const Case cases[] = {
      {"socket in its group, directories open", [](SocketAccessFacts&) {}, ""},
      {"no such OS user", [](SocketAccessFacts& f) { f.db_user.exists = false; }, "there is no OS user postgres"},
      {"private data directory",
       [](SocketAccessFacts& f) { f.directories[2] = dir("/run/iamdb", 0700, kIamdb, kIamdbGroup); },
       "may not enter /run/iamdb (mode 0700, iamdb:iamdb)"},
      {"directory missing", [](SocketAccessFacts& f) { f.directories[2].exists = false; },
       "directory /run/iamdb does not exist"},
      {"socket in another group",
       [](SocketAccessFacts& f) {
         f.socket.gid = kIamdbGroup;
         f.socket.group_name = "iamdb";
       },
       "add it to group iamdb (usermod -aG iamdb postgres)"},
      {"socket open to the group only, user is its owner",
       [](SocketAccessFacts& f) {
         f.socket.uid = kPostgres;
         f.socket.mode = 0060;
       },
       "may not connect"},
      {"root reaches everything",
       [](SocketAccessFacts& f) {
         f.db_user = OsUserFacts{"root", true, kRoot, {kRoot}};
         f.directories[2].mode = 0700;
         f.socket.mode = 0600;
       },
       ""},
      {"no daemon and no configuration known", [](SocketAccessFacts& f) { f.socket.exists = false; }, ""},
      {"no daemon, socket_group unset",
       [](SocketAccessFacts& f) {
         f.socket.exists = false;
         f.socket_group = "";
       },
       "socket_group is not set in iamdb.toml"},
      {"no daemon, socket_group names a group the user is in",
       [](SocketAccessFacts& f) {
         f.socket.exists = false;
         f.socket_group = "postgres";
         f.socket_group_gid = kPostgresGroup;
       },
       ""},
      {"no daemon, socket_group names another group",
       [](SocketAccessFacts& f) {
         f.socket.exists = false;
         f.socket_group = "iamdb";
         f.socket_group_gid = kIamdbGroup;
       },
       "user postgres is not in group iamdb"},
      {"no daemon, socket_group is no group",
       [](SocketAccessFacts& f) {
         f.socket.exists = false;
         f.socket_group = "nosuch";
       },
       "\"nosuch\" is not a group on this machine"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SocketAccessFacts f = reachable();
    c.change(f);
    const auto problems = socket_access_problems(f);
    if (*c.problem == '\0') {
      EXPECT_TRUE(problems.empty()) << problems.front();
    } else {
      ASSERT_EQ(problems.size(), 1u);
      EXPECT_NE(problems[0].find(c.problem), std::string::npos) << problems[0];
    }
  }
}

}  // namespace
}  // namespace iamdb::setup
