// Audit events survive the JSON-lines round trip, and odd user names do not break lines.
#include "audit/event.h"

#include <gtest/gtest.h>

#include "common/time.h"

namespace iamdb::audit {
namespace {

TEST(AuditEvent, RoundTripsThroughJson) {
  Event e;
  e.kind = Kind::kConnect;
  e.time = *parse_iso8601("2026-11-27T10:00:00.123Z");
  e.request_id = "r-1";
  e.action = "rds-db:connect";
  e.principal_arn = "arn:aws:iam::123456789012:user/alice";
  e.access_key_id = "AKIAEXAMPLE";
  e.source_address = "10.0.0.7";
  e.instance = "orders";
  e.db_user = "we\"ird\nname";
  e.outcome = Outcome::kDenied;
  e.reason = "signature_mismatch";
  e.latency_ms = 0.25;
  e.bytes_to_client = 42;
  const std::string line = to_json_line(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = from_json_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json_line(*back), line);
  EXPECT_EQ(back->db_user, e.db_user);
  EXPECT_EQ(back->bytes_to_client, 42u);
  EXPECT_FALSE(back->bytes_from_client);
}

TEST(AuditEvent, InvalidUtf8IsReplacedNotFatal) {
  Event e;
  e.db_user = std::string("bad\xff\xfe", 5);
  const std::string line = to_json_line(e);
  EXPECT_TRUE(from_json_line(line));
}

TEST(AuditEvent, RefusesMalformedLines) {
  for (const char* bad : {"", "{", "[]", "{\"time\":\"x\",\"kind\":\"api\",\"outcome\":\"allowed\"}",
                          "{\"time\":\"2026-01-01T00:00:00Z\",\"kind\":\"nope\",\"outcome\":\"allowed\"}"})
    EXPECT_FALSE(from_json_line(bad)) << bad;
}

}  // namespace
}  // namespace iamdb::audit
