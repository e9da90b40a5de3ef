// IAM's policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy. Both evaluate with
// the engine that authorizes real requests (`policy::evaluate`, with the list of every statement
// that applied as MatchedStatements), over the actions, resources and context values the caller
// gives: as in AWS, nothing is filled in from the caller's own request, so a result depends only
// on the inputs and the stored policies.
#include <algorithm>
#include <map>

#include "api/actions.h"
#include "api/iam_entities.h"
#include "common/strings.h"
#include "policy/evaluate.h"
#include "policy/statement.h"

namespace iamdb::api {
namespace {

using policy::NamedPolicy;

constexpr iam::TextRule kActionName{"actionNames", 3, 128, "", [](std::string_view) { return true; }};
constexpr iam::TextRule kResourceName{"resourceArns", 1, 2048, "", [](std::string_view) { return true; }};
constexpr iam::TextRule kPolicySourceArn{"policySourceArn", 20, 2048, "", [](std::string_view) { return true; }};
constexpr iam::TextRule kCallerArn{"callerArn", 1, 2048, "", [](std::string_view) { return true; }};

// One ContextEntries member, its values checked against its type (binary ones decoded).
struct ContextEntry {
  std::string key;
  policy::ContextKeyType type = policy::ContextKeyType::kString;
  std::vector<std::string> values;
  std::vector<std::string_view> views;  // into `values`, for ContextKeys::set_list
};

// The policies of one simulation and the names MatchedStatements gives them. The PolicySet
// built by `set()` points into this object: it must stay put while evaluations run.
struct Sources {
  std::vector<std::shared_ptr<const policy::Policy>> owned;  // compiled input policies
  std::vector<NamedPolicy> identity;
  std::vector<std::string> identity_types;  // SourcePolicyType of identity[i]
  std::optional<NamedPolicy> boundary;
  std::string boundary_type;
  std::vector<NamedPolicy> resource;

  policy::PolicySet set() const {
    policy::PolicySet s;
    s.identity = identity;
    s.boundary = boundary ? &*boundary : nullptr;
    s.resource = resource;
    return s;
  }

  std::string_view type_of(const NamedPolicy* p) const {
    if (boundary && p == &*boundary) return boundary_type;
    for (size_t i = 0; i < identity.size(); ++i)
      if (p == &identity[i]) return identity_types[i];
    return "resource";
  }

  void add_identity(std::string id, const policy::Policy* compiled, std::string type) {
    identity.push_back({std::move(id), compiled});
    identity_types.push_back(std::move(type));
  }
};

std::string_view managed_type(const iam::ManagedPolicy& p) {
  return is_aws_managed(p) ? "aws-managed" : "user-managed";
}

// An entity's inline and attached policies, as SimulatePrincipalPolicy reports them: inline
// policies by name with the entity's kind as their type, managed policies by name.
void add_principal_policies(const iam::State& state, const iam::Principal& p, std::string_view kind, Sources& out) {
  for (const iam::InlinePolicy& ip : p.inline_policies)
    out.add_identity(ip.name, ip.document.compiled.get(), std::string(kind));
  for (const std::string& arn : p.attached)
    if (const iam::ManagedPolicy* mp = state.find_policy(arn))
      out.add_identity(mp->name, mp->default_document().document.compiled.get(), std::string(managed_type(*mp)));
}

void set_entity_boundary(const iam::State& state, const std::string& arn, Sources& out) {
  if (arn.empty()) return;
  const iam::ManagedPolicy* mp = state.find_policy(arn);
  // A boundary naming a policy that no longer exists allows nothing, as in authorization.
  out.boundary = NamedPolicy{mp ? mp->name : arn, mp ? mp->default_document().document.compiled.get() : nullptr};
  out.boundary_type = mp ? managed_type(*mp) : "user-managed";
}

// Compiles the documents of list parameter `param` as `kind` policies, named `param.N`.
ApiResult<std::vector<NamedPolicy>> input_policies(const Context& ctx, std::string_view param, policy::PolicyKind kind,
                                                   Sources& sources) {
  IAMDB_TRY(auto texts, ctx.list(param));
  std::vector<NamedPolicy> out;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string id = std::string(param) + "." + std::to_string(i + 1);
    policy::ParseOptions options;
    options.kind = kind;
    options.max_size = policy::kMaxDocumentBytes;
    auto compiled = policy::Policy::compile(texts[i], options);
    if (!compiled) return malformed_policy(id + ": " + compiled.error().message);
    sources.owned.push_back(*compiled);
    out.push_back({id, compiled->get()});
  }
  return out;
}

// Adds PolicyInputList, PermissionsBoundaryPolicyInputList and ResourcePolicy to `sources`.
ApiResult<void> add_input_policies(const Context& ctx, Sources& sources) {
  IAMDB_TRY(auto extra, input_policies(ctx, "PolicyInputList", policy::PolicyKind::kIdentity, sources));
  for (NamedPolicy& p : extra) sources.add_identity(std::move(p.name), p.policy, "none");
  IAMDB_TRY(auto boundaries,
            input_policies(ctx, "PermissionsBoundaryPolicyInputList", policy::PolicyKind::kIdentity, sources));
  if (boundaries.size() > 1) return invalid_input("Only one permissions boundary policy can be simulated at a time.");
  if (!boundaries.empty()) {
    // A boundary given here replaces the entity's own.
    sources.boundary = std::move(boundaries.front());
    sources.boundary_type = "none";
  }
  if (auto text = ctx.optional("ResourcePolicy")) {
    policy::ParseOptions options;
    options.kind = policy::PolicyKind::kResource;
    options.max_size = policy::kMaxDocumentBytes;
    auto compiled = policy::Policy::compile(*text, options);
    if (!compiled) return malformed_policy("ResourcePolicy: " + compiled.error().message);
    sources.owned.push_back(*compiled);
    sources.resource.push_back({"ResourcePolicy", compiled->get()});
  }
  return {};
}

ApiResult<std::vector<ContextEntry>> context_entries(const Context& ctx) {
  static constexpr std::string_view kHead = "ContextEntries.member.";
  std::map<long long, std::string> prefixes;  // index -> "ContextEntries.member.N"
  const auto& all = ctx.params().all();
  for (auto it = all.lower_bound(kHead); it != all.end() && it->first.starts_with(kHead); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(kHead.size());
    const size_t dot = rest.find('.');
    long long n = 0;
    if (dot == std::string_view::npos || !parse_uint(rest.substr(0, dot), n) || n < 1 || n > 100000)
      return validation_error("invalid list index in parameter " + it->first);
    const std::string_view field = rest.substr(dot + 1);
    if (field != "ContextKeyName" && field != "ContextKeyType" && !field.starts_with("ContextKeyValues.member."))
      return validation_error("unexpected parameter " + it->first);
    prefixes.emplace(n, it->first.substr(0, kHead.size() + dot));
  }
  std::vector<ContextEntry> entries;
  for (const auto& [n, prefix] : prefixes) {
    if (static_cast<size_t>(n) != entries.size() + 1)
      return validation_error("parameter " + std::string(kHead) + std::to_string(entries.size() + 1) +
                              " is missing from the list");
    ContextEntry e;
    e.key = ctx.optional(prefix + ".ContextKeyName").value_or("");
    if (e.key.empty()) return invalid_input("Context entry " + std::to_string(n) + " has no ContextKeyName.");
    for (const ContextEntry& other : entries)
      if (iequals(other.key, e.key)) return invalid_input("Context key " + e.key + " is given more than once.");
    IAMDB_TRY(auto values, ctx.list(prefix + ".ContextKeyValues"));
    IAMDB_TRY(auto type_name, enum_param(ctx, prefix + ".ContextKeyType",
                                         {"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
                                          "ip", "ipList", "binary", "binaryList", "date", "dateList"}));
    if (type_name)
      e.type = *policy::parse_context_key_type(*type_name);
    else if (values.size() != 1)
      e.type = policy::ContextKeyType::kStringList;
    if (!policy::is_list(e.type) && values.size() != 1)
      return invalid_input("Context key " + e.key + " of type " + type_name.value_or("string") +
                           " takes exactly one value, not " + std::to_string(values.size()) + ".");
    for (const std::string& v : values) {
      auto stored = policy::context_value(e.type, v);
      if (!stored) return invalid_input("Context key " + e.key + ": " + stored.error().message);
      e.values.push_back(std::move(*stored));
    }
    entries.push_back(std::move(e));
  }
  for (ContextEntry& e : entries) e.views.assign(e.values.begin(), e.values.end());
  return entries;
}

// Whether a statement speaks of this action and resource, its conditions aside (a resource
// pattern whose variables have no value counts: those values are what is missing).
bool targets(const policy::internal::Statement& s, const policy::Request& request) {
  using policy::internal::MatchKind;
  bool unresolved = false;
  bool action_listed = false;
  for (const auto& p : s.actions)
    if (policy::internal::pattern_match(p, request.action, MatchKind::kGlobIgnoreCase, request.context, unresolved)) {
      action_listed = true;
      break;
    }
  if (action_listed == s.not_action) return false;
  if (s.resource_mode == policy::internal::ElementMode::kAbsent) return true;
  bool listed = false;
  unresolved = false;
  for (const auto& p : s.resources)
    if (policy::internal::pattern_match(p, request.resource, MatchKind::kResource, request.context, unresolved))
      listed = true;
  return unresolved || listed == (s.resource_mode == policy::internal::ElementMode::kPositive);
}

// MissingContextValues: the keys that conditions and policy variables of the statements about
// this action and resource read, and that the request does not have. Conditions that are
// defined without their key (`...IfExists`, `Null`) do not need it.
std::vector<std::string> missing_context_values(const policy::PolicySet& set, const policy::Request& request) {
  std::vector<std::string> missing;
  const auto need = [&](std::string_view key) {
    if (request.context.find(key)) return;
    for (const std::string& m : missing)
      if (iequals(m, key)) return;
    missing.emplace_back(key);
  };
  const auto need_variables = [&](const policy::internal::Pattern& p) {
    for (const auto& v : p.variables())
      if (!v.default_value) need(v.key);
  };
  const auto scan = [&](const NamedPolicy& named) {
    if (!named.policy) return;
    for (size_t i = 0; i < named.policy->statement_count(); ++i) {
      const auto& s = named.policy->statement(i);
      if (!targets(s, request)) continue;
      for (const auto& p : s.resources) need_variables(p);
      for (const auto& c : s.conditions) {
        if (c.if_exists || c.op == policy::internal::Op::kNull) continue;
        need(c.key);
        for (const auto& p : c.patterns) need_variables(p);
      }
    }
  };
  for (const NamedPolicy& p : set.identity) scan(p);
  if (set.boundary) scan(*set.boundary);
  for (const NamedPolicy& p : set.resource) scan(p);
  return missing;
}

// Evaluates every (action, resource) pair of the request, one page of them, and writes
// EvaluationResults with IsTruncated and Marker (the index of the next pair).
ApiResult<void> simulate(Context& ctx, XmlWriter& out, const Sources& sources, const policy::Principal& principal) {
  IAMDB_TRY(auto page, ctx.page());
  IAMDB_TRY(auto actions, ctx.list("ActionNames"));
  if (actions.empty())
    return validation_error(
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: "
        "Member must not be null");
  for (const std::string& a : actions)
    if (auto ok = iam::check(a, kActionName); !ok) return validation_error(ok.error().message);
  IAMDB_TRY(auto resources, ctx.list("ResourceArns"));
  for (const std::string& r : resources)
    if (auto ok = iam::check(r, kResourceName); !ok) return validation_error(ok.error().message);
  if (resources.empty()) resources.emplace_back("*");
  IAMDB_TRY(auto entries, context_entries(ctx));
  if (ctx.params().has("ResourceHandlingOption"))
    return invalid_input("ResourceHandlingOption names EC2 scenarios, which iamdb does not simulate.");

  policy::ContextKeys context;
  for (const ContextEntry& e : entries) {
    if (policy::is_list(e.type))
      context.set_list(e.key, e.views);
    else
      context.set(e.key, e.values.front());
  }
  const policy::PolicySet set = sources.set();

  const size_t total = actions.size() * resources.size();
  size_t next = 0;
  if (!page.marker.empty()) {
    long long n = 0;
    if (!parse_uint(page.marker, n) || static_cast<size_t>(n) >= total) return validation_error("Invalid Marker.");
    next = static_cast<size_t>(n);
  }
  const size_t end = std::min(total, next + page.max_items);
  out.open("EvaluationResults");
  for (; next < end; ++next) {
    policy::Request request;
    request.action = actions[next / resources.size()];
    request.resource = resources[next % resources.size()];
    request.principal = principal;
    request.context = context;
    std::vector<policy::StatementRef> matched;
    const policy::Evaluation evaluation = policy::evaluate(set, request, matched);

    out.open("member")
        .leaf("EvalActionName", request.action)
        .leaf("EvalResourceName", request.resource)
        .leaf("EvalDecision", policy::to_string(evaluation.decision));
    out.open("MatchedStatements");
    bool boundary_allows = false, boundary_denies = false;
    for (const policy::StatementRef& ref : matched) {
      out.open("member")
          .leaf("SourcePolicyId", ref.policy_name())
          .leaf("SourcePolicyType", sources.type_of(ref.policy));
      out.close();
      if (ref.role != policy::PolicyRole::kBoundary) continue;
      if (ref.effect() == policy::Effect::kAllow)
        boundary_allows = true;
      else
        boundary_denies = true;
    }
    out.close();
    out.open("MissingContextValues");
    for (const std::string& key : missing_context_values(set, request)) out.leaf("member", key);
    out.close();
    if (set.boundary)
      out.open("PermissionsBoundaryDecisionDetail")
          .leaf_bool("AllowedByPermissionsBoundary", boundary_allows && !boundary_denies)
          .close();
    out.close();
  }
  out.close();
  out.leaf_bool("IsTruncated", end < total);
  if (end < total) out.leaf("Marker", std::to_string(end));
  return {};
}

// CallerArn: the IAM user the simulation pretends is calling (AWS accepts only users).
ApiResult<std::optional<std::string>> caller_arn(const Context& ctx) {
  IAMDB_TRY(auto arn, ctx.optional_name("CallerArn", kCallerArn));
  if (!arn) return arn;
  const auto parsed = iam::parse_arn(*arn);
  if (!parsed || parsed->service != "iam" || !parsed->resource.starts_with("user/"))
    return invalid_input("Invalid CallerArn: " + *arn + " is not the ARN of an IAM user.");
  return arn;
}

// The entity a PolicySourceArn names, with its policies put into `sources`.
ApiResult<void> add_source_entity(const Context& ctx, const std::string& source_arn, Sources& sources) {
  const auto parsed = iam::parse_arn(source_arn);
  const std::string_view resource = parsed ? std::string_view(parsed->resource) : std::string_view();
  const std::string_view kind = resource.substr(0, resource.find('/'));
  if (!parsed || parsed->service != "iam" || (kind != "user" && kind != "group" && kind != "role") ||
      resource.size() <= kind.size() + 1)
    return invalid_input("Invalid ARN " + source_arn + ": PolicySourceArn names a user, group or role.");
  const std::string name(resource.substr(resource.rfind('/') + 1));
  const iam::State& state = ctx.state();
  const auto found = [&](const auto* entity) { return entity && arn_of(ctx.account(), *entity) == source_arn; };
  if (kind == "user") {
    const iam::User* u = state.find_user(name);
    if (!found(u)) return no_such<iam::User>(name);
    add_principal_policies(state, *u, "user", sources);
    for (const iam::Group* g : ctx.snapshot().groups_of(u->name)) add_principal_policies(state, *g, "group", sources);
    set_entity_boundary(state, u->boundary_arn, sources);
  } else if (kind == "group") {
    const iam::Group* g = state.find_group(name);
    if (!found(g)) return no_such<iam::Group>(name);
    add_principal_policies(state, *g, "group", sources);
  } else {
    const iam::Role* r = state.find_role(name);
    if (!found(r)) return no_such<iam::Role>(name);
    add_principal_policies(state, *r, "role", sources);
    set_entity_boundary(state, r->boundary_arn, sources);
  }
  return {};
}

ApiResult<void> simulate_principal_policy(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string source_arn, ctx.name("PolicySourceArn", kPolicySourceArn));
  IAMDB_TRY(auto caller, caller_arn(ctx));
  IAMDB_CHECK(ctx.authorize("iam:SimulatePrincipalPolicy", source_arn));
  Sources sources;
  IAMDB_CHECK(add_source_entity(ctx, source_arn, sources));
  IAMDB_CHECK(add_input_policies(ctx, sources));
  // The simulated caller: CallerArn, else the source itself when it is a user.
  const bool source_is_user = source_arn.find(":user/") != std::string::npos;
  if (!sources.resource.empty() && !caller && !source_is_user)
    return invalid_input("CallerArn is required with a ResourcePolicy when PolicySourceArn is not a user.");
  const std::string principal_arn = caller.value_or(source_is_user ? source_arn : "");
  policy::Principal principal{policy::PrincipalType::kAws, principal_arn, ctx.account(), {}};
  return simulate(ctx, out, sources, principal);
}

ApiResult<void> simulate_custom_policy(Context& ctx, XmlWriter& out) {
  if (!ctx.params().has("PolicyInputList.member.1"))
    return validation_error(
        "1 validation error detected: Value null at 'policyInputList' failed to satisfy "
        "constraint: Member must not be null");
  IAMDB_TRY(auto caller, caller_arn(ctx));
  IAMDB_CHECK(ctx.authorize("iam:SimulateCustomPolicy", "*"));
  Sources sources;
  IAMDB_CHECK(add_input_policies(ctx, sources));
  if (!sources.resource.empty() && !caller) return invalid_input("CallerArn is required with a ResourcePolicy.");
  const std::string principal_arn = caller.value_or("");
  policy::Principal principal{policy::PrincipalType::kAws, principal_arn, ctx.account(), {}};
  return simulate(ctx, out, sources, principal);
}

}  // namespace

void register_iam_simulate_actions(ActionTable& t) {
  t.add("iam", "SimulatePrincipalPolicy", simulate_principal_policy);
  t.add("iam", "SimulateCustomPolicy", simulate_custom_policy);
}

}  // namespace iamdb::api
