// The values setup writes into other programs' files: each check accepts what those files can
// carry unquoted and names what is wrong with the rest.
#include "setup/values.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace iamdb::setup {
namespace {

TEST(InstanceId, FollowsRdsIdentifierRulesAndIsLowerCased) {
  struct Case {
    const char* name;
    std::string id;
    std::optional<std::string> normalized;  // nullopt: refused
    const char* reason;
  };
  const Case cases[] = {
      {"plain", "orders-db", "orders-db", ""},
      {"upper case is lowered, as RDS does", "Orders-DB1", "orders-db1", ""},
      {"one letter", "a", "a", ""},
      {"63 characters", "a" + std::string(62, 'b'), "a" + std::string(62, 'b'), ""},
      {"64 characters", "a" + std::string(63, 'b'), std::nullopt, "longer than 63"},
      {"empty", "", std::nullopt, "is empty"},
      {"starts with a digit", "1db", std::nullopt, "start with a letter"},
      {"starts with a hyphen", "-db", std::nullopt, "start with a letter"},
      {"trailing hyphen", "db-", std::nullopt, "ends with a hyphen"},
      {"double hyphen", "db--1", std::nullopt, "consecutive hyphens"},
      {"underscore", "db_1", std::nullopt, "not a letter, digit or hyphen"},
      {"space", "db 1", std::nullopt, "not a letter, digit or hyphen"},
      {"quote", "db'1", std::nullopt, "not a letter, digit or hyphen"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto got = normalize_instance_id(c.id);
    if (c.normalized) {
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, c.normalized);
    } else {
      ASSERT_FALSE(got);
      EXPECT_NE(got.error().message.find(c.reason), std::string::npos) << got.error().message;
    }
  }
}

TEST(SocketPath, MustBeAbsoluteUnquotedAndFitASocketAddress) {
  struct Case {
    const char* name;
    std::string path;
    const char* reason;  // "" when accepted
  };
  const Case cases[] = {
      {"typical", "/run/iamdb/verify.sock", ""},
      {"107 bytes", "/" + std::string(106, 's'), ""},
      {"108 bytes", "/" + std::string(107, 's'), "longer than a Unix socket address"},
      {"relative", "run/verify.sock", "must be absolute"},
      {"empty", "", "is empty"},
      {"space", "/run/my dir/verify.sock", "a space or control character"},
      {"tab", "/run/a\tb", "a space or control character"},
      {"newline", "/run/a\nb", "a space or control character"},
      {"single quote", "/run/a'b", "'''"},
      {"double quote", "/run/a\"b", "'\"'"},
      {"backslash", "/run/a\\b", "'\\'"},
      {"hash starts a comment", "/run/a#b", "'#'"},
      {"semicolon ends a statement", "/run/a;b", "';'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto got = check_socket_path(c.path);
    if (*c.reason == '\0') {
      EXPECT_TRUE(got) << got.error().message;
    } else {
      ASSERT_FALSE(got);
      EXPECT_NE(got.error().message.find(c.reason), std::string::npos) << got.error().message;
    }
  }
  EXPECT_TRUE(check_module_path("/usr/lib/x86_64-linux-gnu/security/pam_iamdb.so"));
  EXPECT_FALSE(check_module_path("pam_iamdb.so"));
}

TEST(PamService, NamesAFileInThePamDirectory) {
  for (const char* ok : {"iamdb", "iamdb-test-0a1b", "postgresql.iam", "a_b"}) EXPECT_TRUE(check_pam_service(ok)) << ok;
  for (const std::string& bad : std::vector<std::string>{"", ".hidden", "../passwd", "a/b", "a b", std::string(65, 'a')})
    EXPECT_FALSE(check_pam_service(bad)) << bad;
}

TEST(Timeout, StaysWithinThePluginsBounds) {
  EXPECT_TRUE(check_timeout(std::chrono::milliseconds(1)));
  EXPECT_TRUE(check_timeout(std::chrono::milliseconds(60'000)));
  EXPECT_FALSE(check_timeout(std::chrono::milliseconds(0)));
  EXPECT_FALSE(check_timeout(std::chrono::milliseconds(60'001)));
}

TEST(ManagedFiles, AreRecognisedByTheirFirstLine) {
  EXPECT_TRUE(is_managed(std::string(kManagedMarker) + " postgres\nauth ...\n"));
  EXPECT_FALSE(is_managed("auth required pam_unix.so\n"));
  EXPECT_FALSE(is_managed("\n" + std::string(kManagedMarker)));
}

TEST(Indented, PrefixesEveryLine) {
  EXPECT_EQ(indented("a\nb\n"), "    a\n    b\n");
  EXPECT_EQ(indented("a\n\nb", "> "), "> a\n> \n> b\n");
  EXPECT_EQ(indented(""), "");
}

}  // namespace
}  // namespace iamdb::setup
