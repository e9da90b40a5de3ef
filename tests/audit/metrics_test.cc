// Metrics render in Prometheus's text format, and connect events land in RDS-named counters.
#include "audit/metrics.h"

#include <gtest/gtest.h>

namespace iamdb::audit {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(Metrics, ConnectEventsFeedRdsNamedCounters) {
  Metrics m;
  Event ok;
  ok.kind = Kind::kConnect;
  ok.instance = "orders";
  ok.reason = "allowed";
  ok.via = "verify-rpc";
  Event bad = ok;
  bad.outcome = Outcome::kDenied;
  bad.reason = "token_expired";
  Event denied = ok;
  denied.outcome = Outcome::kDenied;
  denied.reason = "policy_implicit_deny";
  m.count(ok);
  m.count(ok);
  m.count(bad);
  m.count(denied);
  const std::string text = m.render();
  EXPECT_TRUE(has(text, "iamdb_iam_db_auth_connection_requests_total{instance=\"orders\",outcome=\"allowed\",reason=\"allowed\"} 2"));
  EXPECT_TRUE(has(text, "iamdb_iam_db_auth_connection_success_total{instance=\"orders\"} 2"));
  EXPECT_TRUE(has(text, "iamdb_iam_db_auth_connection_failure_invalid_token_total{instance=\"orders\"} 1"));
  EXPECT_TRUE(has(text, "iamdb_iam_db_auth_connection_failure_insufficient_permissions_total{instance=\"orders\"} 1"));
  EXPECT_TRUE(has(text, "iamdb_verify_duration_seconds_count{via=\"verify-rpc\"} 4"));
  EXPECT_TRUE(has(text, "# TYPE iamdb_verify_duration_seconds histogram"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.add("x_total", {{"user", "a\"b\\c\nd"}});
  EXPECT_TRUE(has(m.render(), "x_total{user=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.observe("h_seconds", {}, 0.0002);
  m.observe("h_seconds", {}, 0.5);
  const std::string text = m.render();
  EXPECT_TRUE(has(text, "h_seconds_bucket{le=\"0.00025\"} 1"));
  EXPECT_TRUE(has(text, "h_seconds_bucket{le=\"1\"} 2"));
  EXPECT_TRUE(has(text, "h_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(has(text, "h_seconds_count 2"));
}

}  // namespace
}  // namespace iamdb::audit
