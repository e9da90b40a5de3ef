// Policy documents: IAM's validation rules and compilation into statements.
#include "policy/policy.h"

#include <set>

#include "common/strings.h"
#include "policy/json_reader.h"
#include "policy/statement.h"

namespace iamdb::policy {

using internal::ElementMode;
using internal::JsonValue;
using internal::Pattern;
using internal::PrincipalSet;
using internal::Statement;

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A string or a non-empty array of strings, as Action, Resource and principal lists allow.
Result<std::vector<std::string_view>> string_list(const JsonValue& v, std::string_view element) {
  std::vector<std::string_view> out;
  if (v.type == JsonValue::Type::kString) {
    out.push_back(v.text);
    return out;
  }
  if (v.type != JsonValue::Type::kArray) return fail(element, " must be a string or an array of strings");
  if (v.items.empty()) return fail(element, " must not be empty");
  for (const JsonValue& item : v.items) {
    if (item.type != JsonValue::Type::kString) return fail(element, " must be a string or an array of strings");
    out.push_back(item.text);
  }
  return out;
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool is_account_id(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool has_space(std::string_view s) {
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  return false;
}

Result<Pattern> compile_action(std::string_view action, PolicyKind kind) {
  if (action != "*") {
    const size_t colon = action.find(':');
    if (colon == std::string_view::npos)
      return fail("Invalid action ", quoted(action), ": actions must be prefaced by a vendor, e.g. \"rds-db:connect\"");
    if (action.find(':', colon + 1) != std::string_view::npos)
      return fail("Invalid action ", quoted(action), ": an action can contain only one colon");
    const std::string_view vendor = action.substr(0, colon);
    const std::string_view name = action.substr(colon + 1);
    if (vendor.empty() || name.empty() || has_space(action))
      return fail("Invalid action ", quoted(action), ": expected vendor:action, e.g. \"rds-db:connect\"");
    for (char c : vendor) {
      if (!is_alnum(c) && c != '-' && c != '_' && c != '.' && c != '*' && c != '?')
        return fail("Invalid action ", quoted(action), ": bad vendor ", quoted(vendor));
    }
    if (kind == PolicyKind::kTrust && !iequals(vendor, "sts"))
      return fail("Invalid action ", quoted(action), ": a trust policy may only specify sts actions");
  }
  return Pattern::compile(action, /*wildcards=*/true, /*variables=*/false, /*lower=*/true);
}

Result<Pattern> compile_resource(std::string_view resource, bool variables) {
  auto p = Pattern::compile(resource, /*wildcards=*/true, variables);
  if (!p) return fail("Invalid ARN in Resource: ", resource, " (", p.error().message, ")");
  if (resource == "*") return p;
  const auto parts = split(resource, ':');
  if (parts.size() < 6 || parts[0] != "arn") return fail("Invalid ARN in Resource: ", resource);
  if (parts[1].empty() || parts[2].empty())
    return fail("Invalid ARN in Resource: ", resource, " (partition and service are required)");
  if (parts[2].find_first_of("*?") != std::string_view::npos)
    return fail("Invalid ARN in Resource: ", resource, " (the service cannot contain wildcards)");
  if (p->has_variables() && p->colons_before_first_variable() < 5)
    return fail("Invalid ARN in Resource: ", resource,
                " (policy variables are allowed only in the resource part, after the fifth colon)");
  if (!p->has_variables() && p->literal_colon_count() < 5) return fail("Invalid ARN in Resource: ", resource);
  return p;
}

// One "AWS" principal: "*", an account id, or the ARN of an account root, user, role,
// assumed-role session or federated user. Wildcards cannot match parts of a principal.
bool add_aws_principal(std::string_view v, PrincipalSet& set) {
  if (v == "*") {
    set.everyone = true;
    return true;
  }
  if (is_account_id(v)) {
    set.accounts.emplace_back(v);
    return true;
  }
  const auto parts = split(v, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || !parts[3].empty() || !is_account_id(parts[4]))
    return false;
  if (v.find_first_of("*?") != std::string_view::npos || has_space(v)) return false;
  const std::string_view service = parts[2];
  const std::string_view resource = parts[5];
  const auto named = [&](std::string_view prefix) {
    return resource.starts_with(prefix) && resource.size() > prefix.size() && resource.back() != '/';
  };
  if (service == "iam") {
    if (resource == "root") {
      set.accounts.emplace_back(parts[4]);
      return true;
    }
    if (!named("user/") && !named("role/")) return false;
  } else if (service == "sts") {
    if (named("assumed-role/")) {
      // assumed-role/ROLE/SESSION
      const std::string_view rest = resource.substr(13);
      const size_t slash = rest.find('/');
      if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return false;
    } else if (!named("federated-user/")) {
      return false;
    }
  } else {
    return false;
  }
  set.arns.emplace_back(v);
  return true;
}

Result<PrincipalSet> compile_principal(const JsonValue& v) {
  PrincipalSet set;
  if (v.type == JsonValue::Type::kString) {
    if (v.text != "*") return fail("Invalid principal in policy: ", quoted(v.text), " (expected \"*\" or an object)");
    set.everyone = true;
    return set;
  }
  if (v.type != JsonValue::Type::kObject) return fail("Principal must be \"*\" or an object");
  if (v.members.empty()) return fail("Principal must name at least one principal");
  for (const auto& [type, value] : v.members) {
    auto values = string_list(value, "Principal " + type);
    if (!values) return std::unexpected(values.error());
    for (std::string_view item : *values) {
      const std::string invalid = "Invalid principal in policy: \"" + type + "\":" + quoted(item);
      if (type == "AWS") {
        if (!add_aws_principal(item, set)) return fail(invalid);
      } else if (type == "Service" || type == "Federated" || type == "CanonicalUser") {
        if (item.empty() || has_space(item) || item.find_first_of("*?") != std::string_view::npos) return fail(invalid);
        auto& list = type == "Service" ? set.services : type == "Federated" ? set.federated : set.canonical_users;
        list.emplace_back(item);
      } else {
        return fail("Invalid principal type ", quoted(type), " (expected AWS, Service, Federated or CanonicalUser)");
      }
    }
  }
  return set;
}

Result<std::vector<internal::Condition>> compile_conditions(const JsonValue& v, bool variables) {
  std::vector<internal::Condition> out;
  if (v.type != JsonValue::Type::kObject) return fail("Condition must be an object");
  for (const auto& [op, block] : v.members) {
    if (block.type != JsonValue::Type::kObject)
      return fail("Condition operator ", op, " must map condition keys to values");
    if (block.members.empty()) return fail("Condition operator ", op, " has no condition keys");
    for (const auto& [key, values] : block.members) {
      auto c = internal::compile_condition(op, key, values, variables);
      if (!c) return std::unexpected(c.error());
      out.push_back(std::move(*c));
    }
  }
  return out;
}

constexpr std::string_view kStatementFields[] = {"Sid",      "Effect",   "Principal",   "NotPrincipal", "Action",
                                                 "NotAction", "Resource", "NotResource", "Condition"};

Result<Statement> compile_statement(const JsonValue& v, PolicyKind kind, bool variables) {
  Statement s;
  if (v.type != JsonValue::Type::kObject) return fail("must be an object");
  for (const auto& [field, value] : v.members) {
    bool known = false;
    for (std::string_view f : kStatementFields) known = known || f == field;
    if (!known) return fail("Unknown field ", quoted(field));
  }

  if (const JsonValue* sid = v.find("Sid")) {
    if (sid->type != JsonValue::Type::kString) return fail("Sid must be a string");
    for (char c : sid->text)
      if (!is_alnum(c)) return fail("Sid ", quoted(sid->text), " must be alphanumeric ([0-9A-Za-z]*)");
    s.sid = sid->text;
  }

  const JsonValue* effect = v.find("Effect");
  if (!effect) return fail("Missing required field Effect");
  if (effect->type == JsonValue::Type::kString && effect->text == "Allow") {
    s.effect = Effect::kAllow;
  } else if (effect->type == JsonValue::Type::kString && effect->text == "Deny") {
    s.effect = Effect::kDeny;
  } else {
    return fail("Invalid Effect ", quoted(effect->text), " (expected \"Allow\" or \"Deny\")");
  }

  const JsonValue* action = v.find("Action");
  const JsonValue* not_action = v.find("NotAction");
  if (action && not_action) return fail("Action and NotAction both present");
  if (!action && !not_action) return fail("Missing Action or NotAction");
  s.not_action = not_action != nullptr;
  {
    auto actions = string_list(action ? *action : *not_action, action ? "Action" : "NotAction");
    if (!actions) return std::unexpected(actions.error());
    for (std::string_view a : *actions) {
      auto p = compile_action(a, kind);
      if (!p) return std::unexpected(p.error());
      s.actions.push_back(std::move(*p));
    }
  }

  const JsonValue* resource = v.find("Resource");
  const JsonValue* not_resource = v.find("NotResource");
  if (resource && not_resource) return fail("Resource and NotResource both present");
  if (kind == PolicyKind::kTrust) {
    if (resource || not_resource)
      return fail(resource ? "Resource" : "NotResource", " is not allowed in a trust policy");
  } else {
    if (!resource && !not_resource) return fail("Missing Resource or NotResource");
    s.resource_mode = resource ? ElementMode::kPositive : ElementMode::kNegated;
    auto resources = string_list(resource ? *resource : *not_resource, resource ? "Resource" : "NotResource");
    if (!resources) return std::unexpected(resources.error());
    for (std::string_view r : *resources) {
      auto p = compile_resource(r, variables);
      if (!p) return std::unexpected(p.error());
      s.resources.push_back(std::move(*p));
    }
  }

  const JsonValue* principal = v.find("Principal");
  const JsonValue* not_principal = v.find("NotPrincipal");
  if (kind == PolicyKind::kIdentity) {
    if (principal || not_principal)
      return fail(principal ? "Principal" : "NotPrincipal", " is not allowed in an identity-based policy");
  } else {
    if (principal && not_principal) return fail("Principal and NotPrincipal both present");
    if (!principal && !not_principal) return fail("Missing Principal or NotPrincipal");
    s.principal_mode = principal ? ElementMode::kPositive : ElementMode::kNegated;
    auto set = compile_principal(principal ? *principal : *not_principal);
    if (!set) return std::unexpected(set.error());
    s.principals = std::move(*set);
  }

  if (const JsonValue* condition = v.find("Condition")) {
    auto conditions = compile_conditions(*condition, variables);
    if (!conditions) return std::unexpected(conditions.error());
    s.conditions = std::move(*conditions);
  }
  return s;
}

}  // namespace

struct PolicyBuilder {
  static Result<std::shared_ptr<const Policy>> build(std::string_view document, const ParseOptions& options) {
    if (document.size() > kMaxDocumentBytes)
      return fail("Policy document is too large: ", std::to_string(document.size()), " bytes");
    if (auto ok = internal::check_policy_characters(document); !ok) return std::unexpected(ok.error());
    const size_t size = policy_size(document);
    if (size > options.max_size)
      return fail("Cannot exceed quota for PolicySize: ", std::to_string(options.max_size), " (the document has ",
                  std::to_string(size), " characters, white space not counted)");
    auto json = internal::read_json(document);
    if (!json) return std::unexpected(json.error());
    if (json->type != JsonValue::Type::kObject) return fail("Policy document must be a JSON object");

    std::shared_ptr<Policy> policy(new Policy());
    policy->kind_ = options.kind;
    policy->size_ = size;
    policy->version_ = "2008-10-17";
    for (const auto& [field, value] : json->members) {
      if (field != "Version" && field != "Id" && field != "Statement")
        return fail("Unknown field ", quoted(field), " in policy");
    }
    if (const JsonValue* version = json->find("Version")) {
      if (version->type != JsonValue::Type::kString ||
          (version->text != "2012-10-17" && version->text != "2008-10-17"))
        return fail("Invalid Version ", quoted(version->text), " (expected \"2012-10-17\" or \"2008-10-17\")");
      policy->version_ = version->text;
    }
    if (const JsonValue* id = json->find("Id")) {
      if (id->type != JsonValue::Type::kString) return fail("Id must be a string");
      policy->id_ = id->text;
    }
    const JsonValue* statements = json->find("Statement");
    if (!statements) return fail("Missing required field Statement");
    std::vector<const JsonValue*> items;
    if (statements->type == JsonValue::Type::kArray) {
      for (const JsonValue& s : statements->items) items.push_back(&s);
      if (items.empty()) return fail("Statement must not be empty");
    } else if (statements->type == JsonValue::Type::kObject) {
      items.push_back(statements);
    } else {
      return fail("Statement must be an object or an array of objects");
    }

    std::set<std::string, std::less<>> sids;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string prefix = "Statement " + std::to_string(i + 1) + ": ";
      auto s = compile_statement(*items[i], options.kind, policy->has_variables());
      if (!s) return fail(prefix, s.error().message);
      if (!s->sid.empty() && !sids.insert(s->sid).second)
        return fail(prefix, "Duplicate Sid ", quoted(s->sid), " (statement ids must be unique within a policy)");
      policy->statements_.push_back(std::move(*s));
    }
    return std::shared_ptr<const Policy>(std::move(policy));
  }
};

size_t policy_size(std::string_view document) {
  size_t n = 0;
  for (char c : document) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    ++n;
  }
  return n;
}

Policy::Policy() = default;
Policy::~Policy() = default;

Result<std::shared_ptr<const Policy>> Policy::compile(std::string_view document, const ParseOptions& options) {
  return PolicyBuilder::build(document, options);
}

size_t Policy::statement_count() const { return statements_.size(); }
const Statement& Policy::statement(size_t index) const { return statements_[index]; }
std::string_view Policy::sid(size_t index) const { return statements_[index].sid; }
Effect Policy::effect(size_t index) const { return statements_[index].effect; }

Result<void> validate(std::string_view document, const ParseOptions& options) {
  auto policy = Policy::compile(document, options);
  if (!policy) return std::unexpected(policy.error());
  return {};
}

}  // namespace iamdb::policy
