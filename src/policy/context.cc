// The request context: a small flat key map and the time keys.
#include "policy/context.h"

#include <chrono>
#include <cstdio>

#include "common/strings.h"
#include "common/time.h"
#include "crypto/base64.h"
#include "policy/condition.h"

namespace iamdb::policy {

ContextValue* ContextKeys::slot_for(std::string_view key) {
  for (size_t i = 0; i < size_; ++i) {
    ContextValue& v = i < kInlineKeys ? inline_[i] : overflow_[i - kInlineKeys];
    if (iequals(v.key_, key)) return &v;
  }
  ContextValue* slot;
  if (size_ < kInlineKeys) {
    slot = &inline_[size_];
  } else {
    overflow_.emplace_back();
    slot = &overflow_.back();
  }
  ++size_;
  slot->key_ = key;
  return slot;
}

void ContextKeys::set(std::string_view key, std::string_view value) {
  ContextValue* slot = slot_for(key);
  slot->single_ = value;
  slot->list_ = nullptr;
  slot->size_ = 0;
}

void ContextKeys::set_list(std::string_view key, std::span<const std::string_view> values) {
  // An empty list is still a present key (with an empty set of values), so it needs a
  // non-null marker; a static empty array serves.
  static constexpr std::string_view kEmpty[1] = {};
  ContextValue* slot = slot_for(key);
  slot->single_ = {};
  slot->list_ = values.empty() ? kEmpty : values.data();
  slot->size_ = values.size();
}

const ContextValue* ContextKeys::find(std::string_view key) const {
  for (size_t i = 0; i < size_; ++i) {
    const ContextValue& v = at(i);
    if (iequals(v.key_, key)) return &v;
  }
  return nullptr;
}

namespace {

struct TypeName {
  std::string_view name;
  ContextKeyType type;
};

constexpr TypeName kTypeNames[] = {
    {"string", ContextKeyType::kString},   {"stringList", ContextKeyType::kStringList},
    {"numeric", ContextKeyType::kNumeric}, {"numericList", ContextKeyType::kNumericList},
    {"boolean", ContextKeyType::kBoolean}, {"booleanList", ContextKeyType::kBooleanList},
    {"date", ContextKeyType::kDate},       {"dateList", ContextKeyType::kDateList},
    {"ip", ContextKeyType::kIp},           {"ipList", ContextKeyType::kIpList},
    {"binary", ContextKeyType::kBinary},   {"binaryList", ContextKeyType::kBinaryList},
};

}  // namespace

std::optional<ContextKeyType> parse_context_key_type(std::string_view name) {
  for (const TypeName& t : kTypeNames)
    if (iequals(t.name, name)) return t.type;
  return std::nullopt;
}

bool is_list(ContextKeyType type) {
  switch (type) {
    case ContextKeyType::kStringList:
    case ContextKeyType::kNumericList:
    case ContextKeyType::kBooleanList:
    case ContextKeyType::kDateList:
    case ContextKeyType::kIpList:
    case ContextKeyType::kBinaryList: return true;
    default: return false;
  }
}

Result<std::string> context_value(ContextKeyType type, std::string_view text) {
  const auto quoted = "\"" + std::string(text) + "\"";
  switch (type) {
    case ContextKeyType::kString:
    case ContextKeyType::kStringList: return std::string(text);
    case ContextKeyType::kNumeric:
    case ContextKeyType::kNumericList: {
      double x;
      if (!internal::parse_number(text, x)) return fail("not a number: ", quoted);
      return std::string(text);
    }
    case ContextKeyType::kBoolean:
    case ContextKeyType::kBooleanList:
      if (!iequals(text, "true") && !iequals(text, "false")) return fail("not true or false: ", quoted);
      return std::string(text);
    case ContextKeyType::kDate:
    case ContextKeyType::kDateList: {
      SystemTime t;
      if (!internal::parse_date(text, t)) return fail("not an ISO 8601 or epoch date: ", quoted);
      return std::string(text);
    }
    case ContextKeyType::kIp:
    case ContextKeyType::kIpList: {
      internal::Cidr address;
      if (!internal::parse_ip(text, address)) return fail("not an IP address: ", quoted);
      return std::string(text);
    }
    case ContextKeyType::kBinary:
    case ContextKeyType::kBinaryList: {
      auto bytes = crypto::base64_decode(text);
      if (!bytes) return fail("not base64: ", quoted);
      return std::move(*bytes);
    }
  }
  return std::string(text);
}

RequestTime::RequestTime(SystemTime now) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(now);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  const int n = std::snprintf(iso_.data(), iso_.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                              static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                              static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                              static_cast<int>(hms.minutes().count()),
                              static_cast<int>(hms.seconds().count()));
  iso_size_ = n > 0 ? static_cast<size_t>(n) : 0;
  const int m = std::snprintf(epoch_.data(), epoch_.size(), "%lld", epoch_seconds(now));
  epoch_size_ = m > 0 ? static_cast<size_t>(m) : 0;
}

void RequestTime::add_to(ContextKeys& context) const {
  context.set(keys::kCurrentTime, current_time());
  context.set(keys::kEpochTime, epoch_time());
}

}  // namespace iamdb::policy
