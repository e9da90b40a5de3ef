// Time formats that AWS uses on the wire.
//
// - "amz date" `20150830T123600Z` (SigV4 `X-Amz-Date`) and its day `20150830` (credential scope);
// - ISO 8601 as AWS writes it in XML responses, `2015-08-30T12:36:00Z`, and as it reads it in
//   policy conditions and API parameters (date only, fractional seconds, `Z` or `+hh:mm`).
// All functions are pure; parsing refuses anything that is not exactly a valid instant.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace iamdb {

using SysSeconds = std::chrono::sys_seconds;

inline SysSeconds floor_seconds(SystemTime t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

// 20150830T123600Z
std::string format_amz_date(SystemTime t);
// 20150830
std::string format_amz_day(SystemTime t);
// Exactly 16 characters `YYYYMMDDTHHMMSSZ` with valid calendar fields.
std::optional<SysSeconds> parse_amz_date(std::string_view s);
// Exactly 8 characters `YYYYMMDD`, a valid date; returns midnight UTC.
std::optional<SysSeconds> parse_amz_day(std::string_view s);

// 2015-08-30T12:36:00Z
std::string format_iso8601(SystemTime t);
// 2015-08-30T12:36:00.123Z (milliseconds, as some AWS responses carry)
std::string format_iso8601_millis(SystemTime t);
// Accepts `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff...]]` followed by `Z`, `+hh:mm`, `-hh:mm`
// (or `+hhmm`), and a missing zone meaning UTC. Fractions are truncated to microseconds.
std::optional<SystemTime> parse_iso8601(std::string_view s);

// Seconds since the Unix epoch.
inline long long epoch_seconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace iamdb
