// The verify RPC wire format: request encoding (escaping, limits) and strict response parsing.
#include "plugins/common/verify_protocol.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace iamdb::plugin {
namespace {

VerifyRequest request_for(std::string_view user, std::string_view token = "tok") {
  return VerifyRequest{.instance = "orders-db", .user = user, .token = token,
                       .client_addr = "10.0.0.7", .tls = true};
}

TEST(EncodeRequest, WritesEveryFieldOnOneLine) {
  const auto line = encode_request(request_for("alice", "db.example.com:5432/?Action=connect&X=1"));
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(*line,
            "{\"v\":1,\"instance\":\"orders-db\",\"user\":\"alice\","
            "\"token\":\"db.example.com:5432/?Action=connect&X=1\",\"client_addr\":\"10.0.0.7\","
            "\"tls\":true}\n");
}

struct EscapeCase {
  const char* name;
  std::string user;
  std::string encoded;  // how the user field must appear on the wire
};

class EscapesUser : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(EscapesUser, AndTheLineParsesBackToTheSameString) {
  const auto& c = GetParam();
  const auto line = encode_request(request_for(c.user));
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_NE(line->find("\"user\":" + c.encoded + ","), std::string::npos) << *line;
  EXPECT_EQ(line->find('\n'), line->size() - 1) << "a raw newline inside the line";
  const auto parsed = nlohmann::json::parse(*line);
  EXPECT_EQ(parsed["user"].get<std::string>(), c.user);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EscapesUser,
    ::testing::Values(
        EscapeCase{"Plain", "alice", "\"alice\""},
        EscapeCase{"Quote", "a\"b", "\"a\\\"b\""},
        EscapeCase{"Backslash", "a\\b", "\"a\\\\b\""},
        EscapeCase{"Newline", "a\nb", "\"a\\nb\""},
        EscapeCase{"CarriageReturnAndTab", "a\r\tb", "\"a\\r\\tb\""},
        EscapeCase{"BackspaceAndFormFeed", "\b\f", "\"\\b\\f\""},
        EscapeCase{"Nul", std::string("a\0b", 3), "\"a\\u0000b\""},
        EscapeCase{"OtherControls", "\x01\x1f", "\"\\u0001\\u001f\""},
        EscapeCase{"Delete", "a\x7f", "\"a\x7f\""},
        EscapeCase{"Utf8TwoByte", "j\xc3\xbcrgen", "\"j\xc3\xbcrgen\""},
        EscapeCase{"Utf8ThreeByte", "\xe5\xb1\xb1\xe7\x94\xb0", "\"\xe5\xb1\xb1\xe7\x94\xb0\""},
        EscapeCase{"Utf8FourByte", "\xf0\x9f\x94\x91", "\"\xf0\x9f\x94\x91\""},
        EscapeCase{"InjectionAttempt", "x\",\"user\":\"root", "\"x\\\",\\\"user\\\":\\\"root\""}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(EncodeRequest, EscapesTheOtherFieldsToo) {
  const VerifyRequest request{.instance = "a\"b", .user = "u", .token = "t\\\n",
                              .client_addr = "\x01", .tls = false};
  const auto line = encode_request(request);
  ASSERT_TRUE(line.has_value());
  const auto parsed = nlohmann::json::parse(*line);
  EXPECT_EQ(parsed["instance"], "a\"b");
  EXPECT_EQ(parsed["token"], "t\\\n");
  EXPECT_EQ(parsed["client_addr"], "\x01");
  EXPECT_EQ(parsed["tls"], false);
  EXPECT_EQ(parsed["v"], 1);
}

struct RejectCase {
  const char* name;
  VerifyRequest request;
  const char* message_part;
};

class RejectsRequest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectsRequest, NamingTheProblem) {
  const auto line = encode_request(GetParam().request);
  ASSERT_FALSE(line.has_value());
  EXPECT_NE(line.error().message.find(GetParam().message_part), std::string::npos)
      << line.error().message;
}

const std::string kMaxToken(kMaxTokenBytes, 'a');
const std::string kTooLongToken(kMaxTokenBytes + 1, 'a');
const std::string kLongInstance(9000, 'i');

INSTANTIATE_TEST_SUITE_P(
    Table, RejectsRequest,
    ::testing::Values(
        RejectCase{"EmptyToken", request_for("alice", ""), "token is empty"},
        RejectCase{"TokenOverEightKiB", request_for("alice", kTooLongToken), "8193 bytes"},
        RejectCase{"UserNotUtf8", request_for("\xff"), "\"user\" is not valid UTF-8"},
        RejectCase{"TokenNotUtf8", request_for("alice", "\xc3("), "\"token\" is not valid UTF-8"},
        RejectCase{"InstanceNotUtf8",
                   {.instance = "\xed\xa0\x80", .user = "u", .token = "t", .client_addr = "", .tls = false},
                   "\"instance\" is not valid UTF-8"},
        RejectCase{"LineOverSixteenKiB",
                   {.instance = kLongInstance, .user = "u", .token = kMaxToken,
                    .client_addr = "", .tls = false},
                   "more than 16384"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(EncodeRequest, AcceptsATokenOfExactlyEightKiB) {
  const auto line = encode_request(request_for("alice", kMaxToken));
  ASSERT_TRUE(line.has_value()) << line.error().message;
}

struct Utf8Case {
  const char* name;
  std::string text;
  bool valid;
};

class Utf8 : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8, Validates) { EXPECT_EQ(is_utf8(GetParam().text), GetParam().valid); }

INSTANTIATE_TEST_SUITE_P(
    Table, Utf8,
    ::testing::Values(Utf8Case{"Empty", "", true}, Utf8Case{"Ascii", "alice", true},
                      Utf8Case{"TwoByte", "\xc3\xa9", true},
                      Utf8Case{"ThreeByte", "\xe2\x82\xac", true},
                      Utf8Case{"FourByte", "\xf0\x9f\x98\x80", true},
                      Utf8Case{"MaxCodePoint", "\xf4\x8f\xbf\xbf", true},
                      Utf8Case{"LoneContinuation", "\x80", false},
                      Utf8Case{"TruncatedTwoByte", "\xc3", false},
                      Utf8Case{"TruncatedFourByte", "\xf0\x9f\x98", false},
                      Utf8Case{"OverlongSlash", "\xc0\xaf", false},
                      Utf8Case{"OverlongThreeByte", "\xe0\x80\xaf", false},
                      Utf8Case{"Surrogate", "\xed\xa0\x80", false},
                      Utf8Case{"PastMaxCodePoint", "\xf4\x90\x80\x80", false},
                      Utf8Case{"InvalidLead", "\xf8\x88\x80\x80\x80", false},
                      Utf8Case{"BadContinuation", "\xe2\x28\xa1", false}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ParseResponse, ReadsAnAllow) {
  const auto response = parse_response(
      R"({"v":1,"allow":true,"request_id":"5f0c","principal":"arn:aws:iam::123456789012:user/alice","reason":"allowed"})");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_TRUE(response->allow);
  EXPECT_EQ(response->request_id, "5f0c");
  EXPECT_EQ(response->principal, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(response->reason, "allowed");
}

TEST(ParseResponse, ReadsADenyWithoutPrincipalAndIgnoresUnknownKeys) {
  const auto response = parse_response(
      R"( {"v":1,"allow":false,"request_id":"9a1e","reason":"signature_mismatch","later":{"x":[1]}} )");
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_FALSE(response->allow);
  EXPECT_EQ(response->principal, "");
  EXPECT_EQ(response->reason, "signature_mismatch");
}

struct MalformedCase {
  const char* name;
  std::string line;
};

class RejectsResponse : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(RejectsResponse, AsAnError) {
  const auto response = parse_response(GetParam().line);
  EXPECT_FALSE(response.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Table, RejectsResponse,
    ::testing::Values(
        MalformedCase{"Empty", ""},
        MalformedCase{"Garbage", "HTTP/1.1 200 OK"},
        MalformedCase{"Truncated", R"({"v":1,"allow":true,"request_id":"r")"},
        MalformedCase{"NotAnObject", R"([{"v":1,"allow":true,"request_id":"r","reason":"allowed"}])"},
        MalformedCase{"Bare true", "true"},
        MalformedCase{"AllowAsString", R"({"v":1,"allow":"true","request_id":"r","reason":"allowed"})"},
        MalformedCase{"AllowAsNumber", R"({"v":1,"allow":1,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"AllowNull", R"({"v":1,"allow":null,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"NoAllow", R"({"v":1,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"NoVersion", R"({"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"OtherVersion", R"({"v":2,"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"VersionAsString", R"({"v":"1","allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"VersionAsFloat", R"({"v":1.0,"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"NoRequestId", R"({"v":1,"allow":true,"reason":"allowed"})"},
        MalformedCase{"RequestIdNotString", R"({"v":1,"allow":true,"request_id":7,"reason":"allowed"})"},
        MalformedCase{"NoReason", R"({"v":1,"allow":true,"request_id":"r"})"},
        MalformedCase{"PrincipalNotString", R"({"v":1,"allow":true,"request_id":"r","reason":"allowed","principal":null})"},
        MalformedCase{"DuplicateAllow", R"({"v":1,"allow":false,"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"DuplicateVersion", R"({"v":1,"v":1,"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"TrailingData", R"({"v":1,"allow":true,"request_id":"r","reason":"allowed"} x)"},
        MalformedCase{"TwoObjects", R"({"v":1,"allow":false,"request_id":"r","reason":"x"}{"v":1,"allow":true,"request_id":"r","reason":"allowed"})"},
        MalformedCase{"InvalidUtf8InString", "{\"v\":1,\"allow\":true,\"request_id\":\"\xff\",\"reason\":\"allowed\"}"},
        MalformedCase{"TooLong", "{\"v\":1,\"allow\":true,\"request_id\":\"r\",\"reason\":\"" +
                                     std::string(kMaxLineBytes, 'a') + "\"}"}),
    [](const auto& test_info) {
      std::string name = test_info.param.name;
      for (auto& c : name) if (c == ' ') c = '_';
      return name;
    });

TEST(ParseResponse, NestedDuplicateKeysAreNotTopLevelDuplicates) {
  const auto response = parse_response(
      R"({"v":1,"allow":false,"request_id":"r","reason":"x","extra":{"a":1,"b":{"a":2}}})");
  EXPECT_TRUE(response.has_value());
}

}  // namespace
}  // namespace iamdb::plugin
