// ARNs as AWS spells them, so policies written for AWS match.
#include "iam/arn.h"

#include <gtest/gtest.h>

namespace iamdb::iam {
namespace {

TEST(Arn, BuildsAwsSpellings) {
  EXPECT_EQ(user_arn("123456789012", "/", "alice"), "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(role_arn("123456789012", "/ci/", "deploy"), "arn:aws:iam::123456789012:role/ci/deploy");
  EXPECT_EQ(assumed_role_arn("123456789012", "deploy", "s1"), "arn:aws:sts::123456789012:assumed-role/deploy/s1");
  EXPECT_EQ(dbuser_arn("eu-west-1", "123456789012", "db-ABC", "app_user"),
            "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABC/app_user");
  EXPECT_EQ(db_instance_arn("us-east-1", "123456789012", "orders"), "arn:aws:rds:us-east-1:123456789012:db:orders");
}

TEST(Arn, ParsesSixParts) {
  const auto a = parse_arn("arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/alice");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->service, "rds-db");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->resource, "dbuser:db-ABC/alice");
  EXPECT_EQ(a->to_string(), "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABC/alice");
  EXPECT_TRUE(parse_arn("arn:aws:iam::123456789012:root"));
  for (const char* bad : {"", "arn:aws", "arn:aws:iam::123", "arn::iam::1:x", "arn:aws:iam::1:", "urn:aws:iam::1:x"})
    EXPECT_FALSE(parse_arn(bad)) << bad;
}

}  // namespace
}  // namespace iamdb::iam
