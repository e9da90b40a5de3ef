// IAM's naming rules, with the ValidationError wording clients print.
#include "iam/names.h"

#include <gtest/gtest.h>

namespace iamdb::iam {
namespace {

TEST(Names, UserNames) {
  EXPECT_TRUE(check("alice", kUserName));
  EXPECT_TRUE(check("a.b-c_d+e=f,g@h", kUserName));
  EXPECT_FALSE(check("", kUserName));
  EXPECT_FALSE(check(std::string(65, 'a'), kUserName));
  const auto bad = check("al ice", kUserName);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "1 validation error detected: Value 'al ice' at 'userName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: [\\w+=,.@-]+");
}

TEST(Names, Paths) {
  EXPECT_TRUE(check("/", kPath));
  EXPECT_TRUE(check("/eng/db/", kPath));
  EXPECT_FALSE(check("eng/", kPath));
  EXPECT_FALSE(check("/eng", kPath));
  EXPECT_FALSE(check("/e ng/", kPath));
}

TEST(Names, SessionNamesAndTags) {
  EXPECT_FALSE(check("a", kRoleSessionName)) << "at least 2 characters";
  EXPECT_TRUE(check("ci-42", kRoleSessionName));
  EXPECT_TRUE(check("team:db/east", kTagKey));
  EXPECT_TRUE(check("", kTagValue));
  EXPECT_FALSE(check("a*b", kTagKey));
}

TEST(Names, DbInstanceIdentifiers) {
  EXPECT_TRUE(check("orders-db-1", kDbInstanceIdentifier));
  for (const char* bad : {"", "1orders", "orders-", "ord--ers", "ord_ers"})
    EXPECT_FALSE(check(bad, kDbInstanceIdentifier)) << bad;
}

}  // namespace
}  // namespace iamdb::iam
