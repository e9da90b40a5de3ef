// Condition operators (internal to the policy module), as "IAM JSON policy elements: Condition
// operators" defines them, with the `...IfExists` forms, the `Null` check and the
// `ForAnyValue:` / `ForAllValues:` set qualifiers ("Creating a condition with multiple keys or
// values").
//
// A `Condition` is one (operator, key, values) triple of a statement's Condition block; a
// statement's conditions are ANDed, the values of one condition are ORed. Values are parsed
// once at compile time (numbers, dates, CIDR blocks, base64, booleans); request values are
// parsed at evaluation, without allocating.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "policy/context.h"
#include "policy/json_reader.h"
#include "policy/pattern.h"

namespace iamdb::policy::internal {

enum class Op : uint8_t {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kNotIpAddress,
  kArnEquals,
  kArnLike,
  kArnNotEquals,
  kArnNotLike,
  kNull,
};

enum class SetQualifier : uint8_t { kNone, kForAnyValue, kForAllValues };

// An IPv4 or IPv6 block; IPv4 addresses are kept in their 4 leading bytes.
struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  uint8_t prefix = 0;
};

// Parses "203.0.113.0/24", "2001:DB8::/32" or a bare address (a /32 or /128 block).
bool parse_cidr(std::string_view text, Cidr& out);
// Parses one address; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4.
bool parse_ip(std::string_view text, Cidr& out);
bool cidr_contains(const Cidr& block, const Cidr& address);
// Integers and decimals as IAM writes them: -?[0-9]+(\.[0-9]+)?
bool parse_number(std::string_view text, double& out);
// W3C ISO 8601 profiles (YYYY, YYYY-MM, YYYY-MM-DD, with time and zone) or epoch seconds.
bool parse_date(std::string_view text, SystemTime& out);

struct Condition {
  Op op = Op::kStringEquals;
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string operator_name;  // as written, e.g. "ForAnyValue:StringLikeIfExists"
  std::string key;            // as written; matched case-insensitively

  std::vector<Pattern> patterns;     // String*, Arn*, and Bool values with variables
  std::vector<double> numbers;       // Numeric*
  std::vector<SystemTime> times;     // Date*
  std::vector<Cidr> cidrs;           // IpAddress, NotIpAddress
  std::vector<std::string> binaries; // BinaryEquals (decoded bytes)
  std::vector<uint8_t> flags;        // Bool without variables, Null: 1 = true
};

// Builds one condition; `values` is the JSON value of the key (string, number, boolean, or a
// non-empty array of those). `variables`: the policy language supports policy variables.
// Errors name the operator, key and value, without the statement prefix.
Result<Condition> compile_condition(std::string_view operator_name, std::string_view key, const JsonValue& values,
                                    bool variables);

enum class Outcome : uint8_t { kFalse, kTrue, kUnresolved };

Outcome evaluate_condition(const Condition& c, const ContextKeys& context);

}  // namespace iamdb::policy::internal
