// Parameter access, authorization and updates for one API request.
#include "api/context.h"

#include "common/strings.h"

namespace iamdb::api {
namespace {

std::string lower_first(std::string_view param) {
  std::string s(param);
  if (!s.empty()) s[0] = ascii_lower(s[0]);
  return s;
}

}  // namespace

ApiResult<void> Context::authorize(std::string_view action, std::string_view resource,
                                   std::span<const std::pair<std::string_view, std::string_view>> extra_keys) {
  iam::AccessRequest request;
  request.action = action;
  request.resource = resource;
  request.now = now();
  request.source_ip = http_.remote_address;
  request.secure_transport = http_.tls;
  request.extra_keys = extra_keys;
  const iam::AccessResult result = iam::authorize(*snapshot_, caller_, request);
  if (result.allowed()) return {};
  audit_detail = result.explanation;
  std::string why;
  switch (result.evaluation.reason) {
    case policy::DenyReason::kExplicitDeny: why = "with an explicit deny in an identity-based policy"; break;
    case policy::DenyReason::kBoundary: why = "because no permissions boundary allows the " + std::string(action) + " action"; break;
    case policy::DenyReason::kSessionPolicy: why = "because no session policy allows the " + std::string(action) + " action"; break;
    default: why = "because no identity-based policy allows the " + std::string(action) + " action";
  }
  return api_error(403, "AccessDenied",
                   "User: " + caller_.arn + " is not authorized to perform: " + std::string(action) +
                       " on resource: " + std::string(resource) + " " + why);
}

ApiResult<std::string> Context::required(std::string_view param) const {
  const auto v = params_.get(param);
  if (!v)
    return validation_error("1 validation error detected: Value null at '" + lower_first(param) +
                            "' failed to satisfy constraint: Member must not be null");
  return std::string(*v);
}

std::optional<std::string> Context::optional(std::string_view param) const {
  const auto v = params_.get(param);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

ApiResult<std::string> Context::name(std::string_view param, const iam::TextRule& rule) const {
  IAMDB_TRY(std::string value, required(param));
  if (auto ok = iam::check(value, rule); !ok) return validation_error(ok.error().message);
  return value;
}

ApiResult<std::optional<std::string>> Context::optional_name(std::string_view param, const iam::TextRule& rule) const {
  auto value = optional(param);
  if (!value) return std::optional<std::string>();
  if (auto ok = iam::check(*value, rule); !ok) return validation_error(ok.error().message);
  return value;
}

ApiResult<std::string> Context::path(std::string_view param) const {
  auto value = optional(param);
  if (!value) return std::string("/");
  if (auto ok = iam::check(*value, iam::kPath); !ok) return validation_error(ok.error().message);
  return std::move(*value);
}

ApiResult<std::optional<long long>> Context::integer(std::string_view param, long long min, long long max) const {
  const auto v = params_.get(param);
  if (!v) return std::optional<long long>();
  long long n = 0;
  const bool negative = v->starts_with('-');
  if (!parse_uint(negative ? v->substr(1) : *v, n))
    return validation_error("Value '" + std::string(*v) + "' at '" + lower_first(param) + "' is not an integer");
  if (negative) n = -n;
  if (n < min)
    return validation_error("1 validation error detected: Value '" + std::string(*v) + "' at '" + lower_first(param) +
                            "' failed to satisfy constraint: Member must have value greater than or equal to " +
                            std::to_string(min));
  if (n > max)
    return validation_error("1 validation error detected: Value '" + std::string(*v) + "' at '" + lower_first(param) +
                            "' failed to satisfy constraint: Member must have value less than or equal to " +
                            std::to_string(max));
  return std::optional<long long>(n);
}

ApiResult<std::optional<bool>> Context::boolean(std::string_view param) const {
  const auto v = params_.get(param);
  if (!v) return std::optional<bool>();
  if (iequals(*v, "true")) return std::optional<bool>(true);
  if (iequals(*v, "false")) return std::optional<bool>(false);
  return validation_error("Value '" + std::string(*v) + "' at '" + lower_first(param) + "' is not a boolean");
}

ApiResult<iam::Tags> Context::tags(std::string_view param, std::string_view member) const {
  auto entries = params_.struct_list(param, member);
  if (!entries) return validation_error(entries.error().message);
  iam::Tags tags;
  for (const auto& entry : *entries) {
    const auto key = entry.find("Key");
    const auto value = entry.find("Value");
    if (key == entry.end()) return validation_error("A tag in " + std::string(param) + " has no Key");
    if (auto ok = iam::check(key->second, iam::kTagKey); !ok) return validation_error(ok.error().message);
    const std::string v = value == entry.end() ? std::string() : value->second;
    if (auto ok = iam::check(v, iam::kTagValue); !ok) return validation_error(ok.error().message);
    for (const auto& t : tags)
      if (iequals(t.key, key->second))
        return invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    tags.push_back({key->second, v});
  }
  if (tags.size() > iam::kMaxTags)
    return validation_error("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must "
                            "have length less than or equal to 50");
  return tags;
}

ApiResult<std::vector<std::string>> Context::list(std::string_view param, std::string_view member) const {
  auto values = params_.list(param, member);
  if (!values) return validation_error(values.error().message);
  return std::move(*values);
}

ApiResult<std::vector<std::map<std::string, std::string>>> Context::struct_list(std::string_view param,
                                                                                std::string_view member) const {
  auto values = params_.struct_list(param, member);
  if (!values) return validation_error(values.error().message);
  return std::move(*values);
}

ApiResult<Context::Page> Context::page() const {
  Page p;
  IAMDB_TRY(auto max_items, integer("MaxItems", 1, 1000));
  if (max_items) p.max_items = static_cast<size_t>(*max_items);
  if (auto marker = optional("Marker")) {
    if (marker->empty()) return validation_error("Invalid Marker.");
    p.marker = std::move(*marker);
  }
  return p;
}

ApiResult<void> Context::update(const std::function<ApiResult<void>(iam::State&)>& change) {
  return registry_.update<ApiError>(change, [](const Error& e) {
    return ApiError{500, "ServiceFailure", "The request could not be stored: " + e.message, false};
  });
}

}  // namespace iamdb::api
