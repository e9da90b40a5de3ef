// Time formats: AWS's spellings round-trip, and anything else is refused.
#include "common/time.h"

#include <gtest/gtest.h>

namespace iamdb {
namespace {

using namespace std::chrono;

SystemTime at(int y, unsigned m, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{mi} + seconds{s};
}

TEST(AmzDate, FormatsAndParses) {
  const SystemTime t = at(2015, 8, 30, 12, 36, 0);
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  EXPECT_EQ(format_amz_day(t), "20150830");
  EXPECT_EQ(parse_amz_date("20150830T123600Z"), floor_seconds(t));
  EXPECT_EQ(parse_amz_day("20150830"), floor_seconds(at(2015, 8, 30, 0, 0, 0)));
}

TEST(AmzDate, LeapDay) {
  EXPECT_TRUE(parse_amz_date("20240229T235959Z"));
  EXPECT_FALSE(parse_amz_date("20230229T000000Z"));
}

TEST(AmzDate, RefusesMalformed) {
  for (const char* bad : {"", "20150830T123600", "20150830T123600z", "20151330T123600Z",
                          "20150830T243600Z", "20150830T126000Z", "20150830T123660Z",
                          "2015083OT123600Z", "20150830X123600Z", "20150830T123600ZZ",
                          "+0150830T123600Z", "20150832T000000Z"}) {
    EXPECT_FALSE(parse_amz_date(bad)) << bad;
  }
  EXPECT_FALSE(parse_amz_day("2015083"));
  EXPECT_FALSE(parse_amz_day("20150800"));
}

TEST(Iso8601, FormatsAsAwsWrites) {
  EXPECT_EQ(format_iso8601(at(2026, 1, 2, 3, 4, 5)), "2026-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601_millis(at(2026, 1, 2, 3, 4, 5) + milliseconds{7}),
            "2026-01-02T03:04:05.007Z");
}

TEST(Iso8601, ParsesTheFormsPoliciesUse) {
  EXPECT_EQ(parse_iso8601("2019-07-16"), at(2019, 7, 16, 0, 0, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00:00Z"), at(2019, 7, 16, 12, 0, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00Z"), at(2019, 7, 16, 12, 0, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00:00"), at(2019, 7, 16, 12, 0, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00:00+01:00"), at(2019, 7, 16, 11, 0, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00:00-0130"), at(2019, 7, 16, 13, 30, 0));
  EXPECT_EQ(parse_iso8601("2019-07-16T12:00:00.5Z"), at(2019, 7, 16, 12, 0, 0) + milliseconds{500});
}

TEST(Iso8601, RefusesMalformed) {
  for (const char* bad : {"", "2019", "2019-7-16", "2019-07-16T", "2019-07-16T12", "2019-07-16 12:00",
                          "2019-07-16T12:00:00.Z", "2019-07-16T12:00:00Zjunk", "2019-02-30",
                          "2019-07-16T12:00:00+25:00", "2019-07-16T12:00:00X"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

}  // namespace
}  // namespace iamdb
