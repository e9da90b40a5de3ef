// Formatting and strict parsing of AWS's time spellings.
#include "common/time.h"

#include <cstdio>

namespace iamdb {
namespace {

using namespace std::chrono;

struct Fields {
  int year, month, day, hour, minute, second;
};

Fields split(SystemTime t) {
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count())};
}

// Reads exactly `n` decimal digits at `pos`, advancing it.
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<SysSeconds> make(int y, int mo, int d, int h, int mi, int sec) {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
}

}  // namespace

std::string format_amz_date(SystemTime t) {
  const Fields f = split(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", f.year, f.month, f.day, f.hour,
                f.minute, f.second);
  return buf;
}

std::string format_amz_day(SystemTime t) {
  const Fields f = split(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", f.year, f.month, f.day);
  return buf;
}

std::optional<SysSeconds> parse_amz_date(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  size_t p = 0;
  int y, mo, d, h, mi, sec;
  if (!digits(s, p, 4, y) || !digits(s, p, 2, mo) || !digits(s, p, 2, d) || !expect(s, p, 'T') ||
      !digits(s, p, 2, h) || !digits(s, p, 2, mi) || !digits(s, p, 2, sec) || !expect(s, p, 'Z'))
    return std::nullopt;
  return make(y, mo, d, h, mi, sec);
}

std::optional<SysSeconds> parse_amz_day(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  size_t p = 0;
  int y, mo, d;
  if (!digits(s, p, 4, y) || !digits(s, p, 2, mo) || !digits(s, p, 2, d)) return std::nullopt;
  return make(y, mo, d, 0, 0, 0);
}

std::string format_iso8601(SystemTime t) {
  const Fields f = split(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", f.year, f.month, f.day, f.hour,
                f.minute, f.second);
  return buf;
}

std::string format_iso8601_millis(SystemTime t) {
  const Fields f = split(t);
  const auto ms = duration_cast<milliseconds>(t - floor<seconds>(t)).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", f.year, f.month, f.day,
                f.hour, f.minute, f.second, static_cast<int>(ms));
  return buf;
}

std::optional<SystemTime> parse_iso8601(std::string_view s) {
  size_t p = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(s, p, 4, y) || !expect(s, p, '-') || !digits(s, p, 2, mo) || !expect(s, p, '-') ||
      !digits(s, p, 2, d))
    return std::nullopt;
  microseconds fraction{0};
  if (p < s.size()) {
    if (!expect(s, p, 'T') || !digits(s, p, 2, h) || !expect(s, p, ':') || !digits(s, p, 2, mi))
      return std::nullopt;
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!digits(s, p, 2, sec)) return std::nullopt;
      if (p < s.size() && s[p] == '.') {
        ++p;
        long long us = 0;
        int n = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          if (n < 6) us = us * 10 + (s[p] - '0');
          ++n;
          ++p;
        }
        if (n == 0) return std::nullopt;
        for (int i = n; i < 6; ++i) us *= 10;
        fraction = microseconds{us};
      }
    }
  }
  seconds offset{0};
  if (p < s.size()) {
    if (s[p] == 'Z' && p + 1 == s.size()) {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      const int sign = s[p] == '+' ? 1 : -1;
      ++p;
      int oh, om;
      if (!digits(s, p, 2, oh)) return std::nullopt;
      if (p < s.size() && s[p] == ':') ++p;
      if (!digits(s, p, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset = sign * (hours{oh} + minutes{om});
    } else {
      return std::nullopt;
    }
  }
  if (p != s.size()) return std::nullopt;
  const auto base = make(y, mo, d, h, mi, sec);
  if (!base) return std::nullopt;
  return SystemTime{*base - offset} + fraction;
}

}  // namespace iamdb
