// The shared config file reader against the rules botocore inherits from Python's configparser.
#include "client/ini.h"

#include <gtest/gtest.h>

namespace iamdb::client {
namespace {

using Values = std::vector<std::pair<std::string, std::string>>;

IniDocument parsed(std::string_view text) {
  auto doc = parse_ini(text);
  EXPECT_TRUE(doc) << doc.error().message;
  return doc ? *doc : IniDocument{};
}

TEST(ParseIni, ReadsSectionsAndKeys) {
  const IniDocument doc = parsed(
      "[default]\n"
      "aws_access_key_id = AKIDEXAMPLE\n"
      "AWS_Secret_Access_Key=secret/with=equals\n"
      "region: eu-west-1\n"
      "\n"
      "[profile dev]\n"
      "  role_arn   =   arn:aws:iam::123456789012:role/dev  \n");
  ASSERT_EQ(doc.sections.size(), 2u);
  EXPECT_EQ(doc.sections[0].name, "default");
  EXPECT_EQ(doc.sections[0].values, (Values{{"aws_access_key_id", "AKIDEXAMPLE"},
                                            {"aws_secret_access_key", "secret/with=equals"},
                                            {"region", "eu-west-1"}}));
  ASSERT_NE(doc.find("profile dev"), nullptr);
  EXPECT_EQ(doc.find("profile dev")->get("role_arn"), "arn:aws:iam::123456789012:role/dev");
  EXPECT_EQ(doc.find("nope"), nullptr);
}

TEST(ParseIni, CommentsAreWholeLinesOnly) {
  const IniDocument doc = parsed(
      "# a comment\n"
      "; another\n"
      "[default]\n"
      "   # indented comment\n"
      "region = us-east-1 # not a comment\n"
      "output = json ; nor this\n");
  ASSERT_EQ(doc.sections.size(), 1u);
  EXPECT_EQ(doc.sections[0].get("region"), "us-east-1 # not a comment");
  EXPECT_EQ(doc.sections[0].get("output"), "json ; nor this");
}

TEST(ParseIni, IndentedLinesContinueTheValue) {
  const IniDocument doc = parsed(
      "[default]\n"
      "s3 =\n"
      "    addressing_style = path\n"
      "\n"
      "    signature_version = s3v4\n"
      "# comment inside\n"
      "    max_concurrent_requests = 20\n"
      "\n"
      "\n"
      "region = us-west-2\n");
  ASSERT_EQ(doc.sections.size(), 1u);
  EXPECT_EQ(doc.sections[0].get("s3"),
            "\naddressing_style = path\n\nsignature_version = s3v4\nmax_concurrent_requests = 20");
  EXPECT_EQ(doc.sections[0].get("region"), "us-west-2");
}

TEST(ParseIni, DefaultSectionIsInheritedByEverySection) {
  const IniDocument doc = parsed(
      "[DEFAULT]\n"
      "region = eu-central-1\n"
      "output = text\n"
      "[default]\n"
      "output = json\n"
      "[profile a]\n");
  ASSERT_EQ(doc.sections.size(), 2u);
  EXPECT_EQ(doc.find("default")->get("region"), "eu-central-1");
  EXPECT_EQ(doc.find("default")->get("output"), "json");
  EXPECT_EQ(doc.find("profile a")->get("region"), "eu-central-1");
  EXPECT_EQ(doc.find("DEFAULT"), nullptr);
}

TEST(ParseIni, SectionNamesAreTakenAsWritten) {
  const IniDocument doc = parsed("[ default ]\na = 1\n[x] ; trailing\nb = 2\n[a]b]\nc = 3\n");
  ASSERT_EQ(doc.sections.size(), 3u);
  EXPECT_EQ(doc.sections[0].name, " default ");
  EXPECT_EQ(doc.sections[1].name, "x");
  EXPECT_EQ(doc.sections[2].name, "a]b");
}

TEST(ParseIni, AcceptsCrLfLineEnds) {
  const IniDocument doc = parsed("[default]\r\nregion = us-east-1\r\n");
  EXPECT_EQ(doc.sections.at(0).get("region"), "us-east-1");
}

TEST(ParseIni, RefusesWhatConfigparserRefuses) {
  const std::pair<const char*, std::string_view> cases[] = {
      {"line 1: text before the first [section]", "region = us-east-1\n[default]\n"},
      {"line 2: expected 'key = value', a [section] or a comment", "[default]\nregion\n"},
      {"line 3: section [default] appears twice", "[default]\na = 1\n[default]\n"},
      {"line 3: key 'region' appears twice in [default]", "[default]\nregion = a\nREGION = b\n"},
      {"line 2: a value without a key", "[default]\n= value\n"},
      {"line 2: expected 'key = value', a [section] or a comment", "[default]\n[]\n"},
      {"nested value of 's3' in [default] has a line without '='", "[default]\ns3 =\n  oops\n"},
  };
  for (const auto& [message, text] : cases) {
    const auto doc = parse_ini(text);
    ASSERT_FALSE(doc) << text;
    EXPECT_EQ(doc.error().message, message);
  }
}

}  // namespace
}  // namespace iamdb::client
