// Shared lookups, checks and edits of IAM entities for the IAM action files.
#include "api/iam_entities.h"

#include <algorithm>

#include "common/strings.h"

namespace iamdb::api {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// policyDocumentType; the field AWS reports is the parameter's own name.
constexpr iam::TextRule kPolicyDocument{"policyDocument", 1, 131072, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
                                        iam::is_printable_text};

std::string field_of(std::string_view param) {
  std::string field(param);
  if (!field.empty()) field[0] = ascii_lower(field[0]);
  return field;
}

}  // namespace

bool is_policy_version_id(std::string_view s) {
  if (s.size() < 2 || s[0] != 'v' || s[1] < '1' || s[1] > '9') return false;
  size_t i = 2;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  for (++i; i < s.size(); ++i) {
    const char c = s[i];
    if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-') return false;
  }
  return true;
}

ApiResult<std::string> policy_arn_param(const Context& ctx, std::string_view param, const iam::TextRule& rule) {
  IAMDB_TRY(std::string arn, ctx.name(param, rule));
  const auto parsed = iam::parse_arn(arn);
  if (!parsed || parsed->partition != iam::kPartition || parsed->service != "iam" || !parsed->region.empty() ||
      parsed->account.empty() || !parsed->resource.starts_with("policy/") || parsed->resource.ends_with('/'))
    return invalid_input("ARN " + arn + " is not valid.");
  return arn;
}

ApiResult<std::optional<std::string>> enum_param(const Context& ctx, std::string_view param,
                                                 std::initializer_list<std::string_view> allowed) {
  auto value = ctx.optional(param);
  if (!value) return std::optional<std::string>();
  if (std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) return value;
  std::string set;
  for (std::string_view a : allowed) set.append(set.empty() ? "" : ", ").append(a);
  return validation_error("1 validation error detected: Value '" + *value + "' at '" + field_of(param) +
                          "' failed to satisfy constraint: Member must satisfy enum value set: [" + set + "]");
}

ApiResult<iam::Document> document_param(const Context& ctx, std::string_view param, iam::DocumentKind kind) {
  const std::string field = field_of(param);
  iam::TextRule rule = kPolicyDocument;
  rule.field = field;
  IAMDB_TRY(std::string text, ctx.name(param, rule));
  auto doc = iam::make_document(std::move(text), kind);
  if (!doc) return malformed_policy(doc.error().message);
  return std::move(*doc);
}

ApiResult<iam::Tags> required_tags(const Context& ctx) {
  IAMDB_TRY(iam::Tags tags, ctx.tags());
  if (tags.empty())
    return validation_error(
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member "
        "must not be null");
  return tags;
}

ApiResult<std::vector<std::string>> required_tag_keys(const Context& ctx) {
  IAMDB_TRY(auto keys, ctx.list("TagKeys"));
  if (keys.empty())
    return validation_error(
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
        "Member must not be null");
  for (const std::string& k : keys)
    if (auto ok = iam::check(k, iam::kTagKey); !ok) return validation_error(ok.error().message);
  return keys;
}

std::unexpected<ApiError> no_such_policy(std::string_view arn) {
  return no_such_entity("Policy " + std::string(arn) + " was not found.");
}

std::unexpected<ApiError> aws_managed_read_only(const Context& ctx, std::string_view action, std::string_view arn) {
  return api_error(403, "AccessDenied",
                   "User: " + ctx.caller().arn + " is not authorized to perform: " + std::string(action) +
                       " on resource: policy " + std::string(arn) + " because AWS managed policies cannot be changed");
}

ApiResult<iam::Tags> merge_tags(iam::Tags current, const iam::Tags& added) {
  for (const iam::Tag& t : added) {
    auto it = std::find_if(current.begin(), current.end(), [&](const iam::Tag& c) { return iequals(c.key, t.key); });
    if (it != current.end())
      it->value = t.value;
    else
      current.push_back(t);
  }
  if (current.size() > iam::kMaxTags) return limit_exceeded("The number of tags has reached the maximum limit.");
  return current;
}

void remove_tags(iam::Tags& tags, const std::vector<std::string>& keys) {
  std::erase_if(tags, [&](const iam::Tag& t) {
    return std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return iequals(k, t.key); });
  });
}

void write_tag_page(XmlWriter& out, const Context::Page& page, const iam::Tags& tags) {
  std::vector<const iam::Tag*> sorted;
  for (const iam::Tag& t : tags) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const iam::Tag* a, const iam::Tag* b) { return a->key < b->key; });
  write_page(
      out, page, "Tags", sorted, [](const iam::Tag* t) { return t->key; }, [](const iam::Tag*) { return true; },
      [](XmlWriter& x, const iam::Tag* t) { x.leaf("Key", t->key).leaf("Value", t->value); });
}

PolicyUse policy_use(const iam::State& state, std::string_view arn) {
  PolicyUse use;
  const auto count = [&](const auto& table) {
    for (const auto& [key, e] : table) use.attached += e->is_attached(arn) ? 1 : 0;
  };
  count(state.users);
  count(state.groups);
  count(state.roles);
  for (const auto& [key, u] : state.users) use.boundary += u->boundary_arn == arn ? 1 : 0;
  for (const auto& [key, r] : state.roles) use.boundary += r->boundary_arn == arn ? 1 : 0;
  return use;
}

std::unexpected<ApiError> no_such_boundary(std::string_view arn) {
  return no_such_entity("Scope ARN: " + std::string(arn) + " does not exist or is not attachable.");
}

}  // namespace iamdb::api
