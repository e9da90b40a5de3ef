// The verify RPC's request parsing is strict, and answers are the documented shape.
#include "verify/rpc.h"

#include <gtest/gtest.h>

namespace iamdb::verify {
namespace {

TEST(Rpc, ParsesTheDocumentedRequest) {
  auto r = parse_request(
      R"({"v":1,"instance":"orders","user":"al\"ice","token":"h:1/?a=b","client_addr":"10.0.0.7","tls":true,"future":1})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->user, "al\"ice");
  EXPECT_TRUE(r->tls);
}

TEST(Rpc, RefusesMalformedRequests) {
  const std::pair<const char*, const char*> cases[] = {
      {"garbage", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"v":2,"instance":"a","user":"u","token":"t","client_addr":"","tls":true})", "\"v\" is not 1"},
      {R"({"v":1,"user":"u","token":"t","client_addr":"","tls":true})", "\"instance\""},
      {R"({"v":1,"instance":"a","user":"u","token":"t","client_addr":"","tls":"true"})", "\"tls\""},
      {R"({"v":1,"instance":"a","user":1,"token":"t","client_addr":"","tls":true})", "\"user\""},
  };
  for (const auto& [line, want] : cases) {
    auto r = parse_request(line);
    ASSERT_FALSE(r) << line;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
  }
}

TEST(Rpc, AnswersInTheDocumentedShape) {
  audit::Event e;
  e.outcome = audit::Outcome::kAllowed;
  e.request_id = "r1";
  e.principal_arn = "arn:aws:iam::123456789012:user/alice";
  e.reason = "allowed";
  EXPECT_EQ(format_response(e),
            R"({"v":1,"allow":true,"request_id":"r1","principal":"arn:aws:iam::123456789012:user/alice","reason":"allowed"})");
  EXPECT_EQ(format_refusal("", "malformed_request"), R"({"v":1,"allow":false,"request_id":"","reason":"malformed_request"})");
}

}  // namespace
}  // namespace iamdb::verify
