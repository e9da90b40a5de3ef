// Condition operators: compiling condition values and evaluating them against the context.
#include "policy/condition.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "common/strings.h"
#include "common/time.h"
#include "crypto/base64.h"

namespace iamdb::policy::internal {
namespace {

struct OperatorName {
  std::string_view name;
  Op op;
};

constexpr OperatorName kOperators[] = {
    {"StringEquals", Op::kStringEquals},
    {"StringNotEquals", Op::kStringNotEquals},
    {"StringEqualsIgnoreCase", Op::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", Op::kStringNotEqualsIgnoreCase},
    {"StringLike", Op::kStringLike},
    {"StringNotLike", Op::kStringNotLike},
    {"NumericEquals", Op::kNumericEquals},
    {"NumericNotEquals", Op::kNumericNotEquals},
    {"NumericLessThan", Op::kNumericLessThan},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals},
    {"NumericGreaterThan", Op::kNumericGreaterThan},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals},
    {"DateEquals", Op::kDateEquals},
    {"DateNotEquals", Op::kDateNotEquals},
    {"DateLessThan", Op::kDateLessThan},
    {"DateLessThanEquals", Op::kDateLessThanEquals},
    {"DateGreaterThan", Op::kDateGreaterThan},
    {"DateGreaterThanEquals", Op::kDateGreaterThanEquals},
    {"Bool", Op::kBool},
    {"BinaryEquals", Op::kBinaryEquals},
    {"IpAddress", Op::kIpAddress},
    {"NotIpAddress", Op::kNotIpAddress},
    {"ArnEquals", Op::kArnEquals},
    {"ArnLike", Op::kArnLike},
    {"ArnNotEquals", Op::kArnNotEquals},
    {"ArnNotLike", Op::kArnNotLike},
    {"Null", Op::kNull},
};

enum class Family : uint8_t { kString, kNumeric, kDate, kBool, kBinary, kIp, kArn, kNull };

Family family_of(Op op) {
  switch (op) {
    case Op::kStringEquals:
    case Op::kStringNotEquals:
    case Op::kStringEqualsIgnoreCase:
    case Op::kStringNotEqualsIgnoreCase:
    case Op::kStringLike:
    case Op::kStringNotLike: return Family::kString;
    case Op::kNumericEquals:
    case Op::kNumericNotEquals:
    case Op::kNumericLessThan:
    case Op::kNumericLessThanEquals:
    case Op::kNumericGreaterThan:
    case Op::kNumericGreaterThanEquals: return Family::kNumeric;
    case Op::kDateEquals:
    case Op::kDateNotEquals:
    case Op::kDateLessThan:
    case Op::kDateLessThanEquals:
    case Op::kDateGreaterThan:
    case Op::kDateGreaterThanEquals: return Family::kDate;
    case Op::kBool: return Family::kBool;
    case Op::kBinaryEquals: return Family::kBinary;
    case Op::kIpAddress:
    case Op::kNotIpAddress: return Family::kIp;
    case Op::kArnEquals:
    case Op::kArnLike:
    case Op::kArnNotEquals:
    case Op::kArnNotLike: return Family::kArn;
    case Op::kNull: return Family::kNull;
  }
  return Family::kString;
}

// Negated operators are true when the key is absent and, per request value, when no policy
// value matches.
bool is_negated(Op op) {
  switch (op) {
    case Op::kStringNotEquals:
    case Op::kStringNotEqualsIgnoreCase:
    case Op::kStringNotLike:
    case Op::kNumericNotEquals:
    case Op::kDateNotEquals:
    case Op::kNotIpAddress:
    case Op::kArnNotEquals:
    case Op::kArnNotLike: return true;
    default: return false;
  }
}

// -1, 0, 1 comparison for numbers and dates, then the operator's relation.
template <class T>
bool compare(Op op, const T& request, const T& policy) {
  switch (op) {
    case Op::kNumericEquals:
    case Op::kNumericNotEquals:
    case Op::kDateEquals:
    case Op::kDateNotEquals: return request == policy;
    case Op::kNumericLessThan:
    case Op::kDateLessThan: return request < policy;
    case Op::kNumericLessThanEquals:
    case Op::kDateLessThanEquals: return request <= policy;
    case Op::kNumericGreaterThan:
    case Op::kDateGreaterThan: return request > policy;
    case Op::kNumericGreaterThanEquals:
    case Op::kDateGreaterThanEquals: return request >= policy;
    default: return false;
  }
}

bool parse_bool(std::string_view s, bool& out) {
  if (iequals(s, "true")) {
    out = true;
    return true;
  }
  if (iequals(s, "false")) {
    out = false;
    return true;
  }
  return false;
}

// Every pattern is tried, so that an unresolvable variable is noticed whatever the order of
// the values: AWS then treats the whole statement as not applying.
bool any_pattern_matches(const Condition& c, std::string_view r, MatchKind kind, const ContextKeys& context,
                         bool& unresolved) {
  bool matched = false;
  for (const Pattern& p : c.patterns)
    if (pattern_match(p, r, kind, context, unresolved)) matched = true;
  return matched;
}

// Positive match of one request value against any of the condition's values. `unresolved`
// is set when a policy variable in a value has no value in this request.
bool value_matches(const Condition& c, std::string_view r, const ContextKeys& context, bool& unresolved) {
  switch (family_of(c.op)) {
    case Family::kString: {
      const MatchKind kind = (c.op == Op::kStringEqualsIgnoreCase || c.op == Op::kStringNotEqualsIgnoreCase)
                                 ? MatchKind::kGlobIgnoreCase
                                 : MatchKind::kGlob;
      return any_pattern_matches(c, r, kind, context, unresolved);
    }
    case Family::kArn: return any_pattern_matches(c, r, MatchKind::kArn, context, unresolved);
    case Family::kNumeric: {
      double x;
      if (!parse_number(r, x)) return false;
      for (double v : c.numbers)
        if (compare(c.op, x, v)) return true;
      return false;
    }
    case Family::kDate: {
      SystemTime t;
      if (!parse_date(r, t)) return false;
      for (const SystemTime& v : c.times)
        if (compare(c.op, t, v)) return true;
      return false;
    }
    case Family::kBool: {
      bool b;
      const bool parsed = parse_bool(r, b);
      for (uint8_t f : c.flags)
        if (parsed && b == (f != 0)) return true;
      return any_pattern_matches(c, r, MatchKind::kGlobIgnoreCase, context, unresolved);
    }
    case Family::kBinary:
      for (const std::string& v : c.binaries)
        if (r == v) return true;
      return false;
    case Family::kIp: {
      Cidr address;
      if (!parse_ip(r, address)) return false;
      for (const Cidr& block : c.cidrs)
        if (cidr_contains(block, address)) return true;
      return false;
    }
    case Family::kNull: return false;
  }
  return false;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

bool parse_number(std::string_view s, double& out) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const size_t int_begin = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_begin) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t frac_begin = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == frac_begin) return false;
  }
  if (i != s.size()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_date(std::string_view s, SystemTime& out) {
  if (!s.empty() && s.find_first_not_of("0123456789.-") == std::string_view::npos &&
      s.find('-', 1) == std::string_view::npos) {
    // Epoch seconds, possibly with a fraction.
    double seconds;
    if (!parse_number(s, seconds)) return false;
    if (seconds > 253402300799.0 || seconds < -62135596800.0) return false;  // years 1..9999
    out = SystemTime{std::chrono::duration_cast<SystemTime::duration>(std::chrono::duration<double>(seconds))};
    return true;
  }
  // YYYY-MM is a W3C ISO 8601 profile that the common parser leaves out.
  if (s.size() == 7 && s[4] == '-') {
    char buf[11];
    std::memcpy(buf, s.data(), 7);
    std::memcpy(buf + 7, "-01", 3);
    const auto t = parse_iso8601(std::string_view(buf, 10));
    if (!t) return false;
    out = *t;
    return true;
  }
  const auto t = parse_iso8601(s);
  if (!t) return false;
  out = *t;
  return true;
}

bool parse_ip(std::string_view s, Cidr& out) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  out = Cidr{};
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    out.prefix = 32;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMapped, 12) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    out.prefix = 32;
    return true;
  }
  out.v6 = true;
  out.prefix = 128;
  return true;
}

bool parse_cidr(std::string_view s, Cidr& out) {
  const size_t slash = s.find('/');
  const std::string_view address = s.substr(0, slash);
  char buf[64];
  if (address.empty() || address.size() >= sizeof buf) return false;
  std::memcpy(buf, address.data(), address.size());
  buf[address.size()] = '\0';
  out = Cidr{};
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    out.prefix = 32;
  } else if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    out.v6 = true;
    out.prefix = 128;
  } else {
    return false;
  }
  if (slash != std::string_view::npos) {
    const std::string_view bits = s.substr(slash + 1);
    long long n;
    if (bits.empty() || bits.size() > 3 || !parse_uint(bits, n) || n > out.prefix) return false;
    out.prefix = static_cast<uint8_t>(n);
  }
  // Host bits are ignored, as a routing prefix ignores them.
  for (size_t bit = out.prefix; bit < (out.v6 ? 128u : 32u); ++bit)
    out.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return true;
}

bool cidr_contains(const Cidr& block, const Cidr& address) {
  if (block.v6 != address.v6) return false;
  const size_t full = block.prefix / 8;
  if (std::memcmp(block.bytes.data(), address.bytes.data(), full) != 0) return false;
  const unsigned rest = block.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFFu << (8 - rest));
  return (block.bytes[full] & mask) == (address.bytes[full] & mask);
}

Result<Condition> compile_condition(std::string_view operator_name, std::string_view key, const JsonValue& values,
                                    bool variables) {
  Condition c;
  c.operator_name = std::string(operator_name);
  c.key = std::string(key);

  std::string_view base = operator_name;
  if (base.starts_with("ForAnyValue:")) {
    c.qualifier = SetQualifier::kForAnyValue;
    base.remove_prefix(12);
  } else if (base.starts_with("ForAllValues:")) {
    c.qualifier = SetQualifier::kForAllValues;
    base.remove_prefix(13);
  }
  if (base.size() > 8 && base.ends_with("IfExists")) {
    c.if_exists = true;
    base.remove_suffix(8);
  }
  bool known = false;
  for (const OperatorName& o : kOperators) {
    if (o.name == base) {
      c.op = o.op;
      known = true;
      break;
    }
  }
  // Null tests existence itself, so it has no IfExists form and no set qualifiers.
  if (!known || (c.op == Op::kNull && (c.if_exists || c.qualifier != SetQualifier::kNone)))
    return fail("Unknown condition operator ", operator_name);

  const size_t colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == key.size())
    return fail("Condition key \"", key, "\" must be prefaced by a vendor, e.g. \"aws:", key, "\"");

  std::vector<const JsonValue*> items;
  if (values.type == JsonValue::Type::kArray) {
    for (const JsonValue& v : values.items) items.push_back(&v);
    if (items.empty()) return fail("Condition ", operator_name, " ", key, " has no values");
  } else {
    items.push_back(&values);
  }
  const std::string where = std::string(operator_name) + " " + std::string(key);
  for (const JsonValue* item : items) {
    if (item->type != JsonValue::Type::kString && item->type != JsonValue::Type::kNumber &&
        item->type != JsonValue::Type::kBool)
      return fail("Condition value for ", where, " must be a string, a number, a boolean or an array of them");
  }

  const Family family = family_of(c.op);
  for (const JsonValue* item : items) {
    const std::string& v = item->text;
    const bool has_variable = variables && v.find("${") != std::string::npos;
    switch (family) {
      case Family::kString: {
        const bool like = c.op == Op::kStringLike || c.op == Op::kStringNotLike;
        auto p = Pattern::compile(v, like, variables);
        if (!p) return fail("Invalid value in condition ", where, ": ", p.error().message);
        c.patterns.push_back(std::move(*p));
        break;
      }
      case Family::kArn: {
        auto p = Pattern::compile(v, true, variables);
        if (!p) return fail("Invalid value in condition ", where, ": ", p.error().message);
        if (!p->has_variables() && p->literal_colon_count() < 5)
          return fail("Invalid ARN in condition ", where, ": ", quoted(v));
        c.patterns.push_back(std::move(*p));
        break;
      }
      case Family::kNumeric: {
        double x;
        if (has_variable) return fail("Policy variables cannot be used with ", operator_name, " (", key, ")");
        if (!parse_number(v, x)) return fail("Invalid number in condition ", where, ": ", quoted(v));
        c.numbers.push_back(x);
        break;
      }
      case Family::kDate: {
        SystemTime t;
        if (has_variable) return fail("Policy variables cannot be used with ", operator_name, " (", key, ")");
        if (!parse_date(v, t)) return fail("Invalid date in condition ", where, ": ", quoted(v));
        c.times.push_back(t);
        break;
      }
      case Family::kBool: {
        if (has_variable) {
          auto p = Pattern::compile(v, false, true);
          if (!p) return fail("Invalid value in condition ", where, ": ", p.error().message);
          c.patterns.push_back(std::move(*p));
          break;
        }
        bool b;
        if (!parse_bool(v, b)) return fail("Invalid boolean in condition ", where, ": ", quoted(v));
        c.flags.push_back(b ? 1 : 0);
        break;
      }
      case Family::kBinary: {
        if (has_variable) return fail("Policy variables cannot be used with ", operator_name, " (", key, ")");
        auto bytes = crypto::base64_decode(v);
        if (!bytes || v.empty()) return fail("Invalid base64 in condition ", where, ": ", quoted(v));
        c.binaries.push_back(std::move(*bytes));
        break;
      }
      case Family::kIp: {
        Cidr block;
        if (has_variable) return fail("Policy variables cannot be used with ", operator_name, " (", key, ")");
        if (!parse_cidr(v, block)) return fail("Invalid IP address in condition ", where, ": ", quoted(v));
        c.cidrs.push_back(block);
        break;
      }
      case Family::kNull: {
        bool b;
        if (has_variable) return fail("Policy variables cannot be used with ", operator_name, " (", key, ")");
        if (!parse_bool(v, b))
          return fail("Invalid value in condition ", where, ": ", quoted(v), " (expected true or false)");
        c.flags.push_back(b ? 1 : 0);
        break;
      }
    }
  }
  return c;
}

Outcome evaluate_condition(const Condition& c, const ContextKeys& context) {
  // Variables are substituted before anything is compared: one without a value makes the
  // statement not apply, even where the key's absence alone would decide the condition.
  for (const Pattern& p : c.patterns) {
    for (const Variable& v : p.variables())
      if (!resolve_variable(v, context)) return Outcome::kUnresolved;
  }
  const ContextValue* found = context.find(c.key);
  if (c.op == Op::kNull) {
    // "true": the key must be absent; "false": it must be present.
    const bool absent = found == nullptr;
    for (uint8_t f : c.flags)
      if ((f != 0) == absent) return Outcome::kTrue;
    return Outcome::kFalse;
  }
  const bool negated = is_negated(c.op);
  if (!found) {
    if (c.if_exists) return Outcome::kTrue;
    switch (c.qualifier) {
      case SetQualifier::kForAllValues: return Outcome::kTrue;
      case SetQualifier::kForAnyValue: return Outcome::kFalse;
      case SetQualifier::kNone: return negated ? Outcome::kTrue : Outcome::kFalse;
    }
  }
  bool unresolved = false;
  const auto values = found->values();
  switch (c.qualifier) {
    case SetQualifier::kNone: {
      // Without a qualifier, a request value matching any policy value satisfies a positive
      // operator; a negated operator holds when none does.
      bool any = false;
      for (std::string_view r : values) {
        const bool m = value_matches(c, r, context, unresolved);
        if (unresolved) return Outcome::kUnresolved;
        if (m) {
          any = true;
          break;
        }
      }
      return (any != negated) ? Outcome::kTrue : Outcome::kFalse;
    }
    case SetQualifier::kForAnyValue:
      for (std::string_view r : values) {
        const bool m = value_matches(c, r, context, unresolved);
        if (unresolved) return Outcome::kUnresolved;
        if (m != negated) return Outcome::kTrue;
      }
      return Outcome::kFalse;
    case SetQualifier::kForAllValues:
      for (std::string_view r : values) {
        const bool m = value_matches(c, r, context, unresolved);
        if (unresolved) return Outcome::kUnresolved;
        if (m == negated) return Outcome::kFalse;
      }
      return Outcome::kTrue;
  }
  return Outcome::kFalse;
}

}  // namespace iamdb::policy::internal
