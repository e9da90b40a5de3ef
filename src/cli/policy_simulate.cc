// `iamdb policy simulate`: evaluates policy files offline against actions, resources and context
// keys, in the spirit of `aws iam simulate-custom-policy`, and shows each decision and the
// statements behind it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/error.h"
#include "common/strings.h"
#include "policy/context.h"
#include "policy/evaluate.h"
#include "policy/policy.h"

namespace iamdb::cli {
namespace {

struct SimulateOptions {
  std::vector<std::string> policy_files;
  std::string boundary_file;
  std::vector<std::string> session_policy_files;
  std::string trust_policy_file;
  std::vector<std::string> resource_policy_files;
  std::vector<std::string> actions;
  std::vector<std::string> resources;
  std::string caller_arn;
  std::vector<std::string> context;
  size_t max_policy_size = policy::kRoleInlinePoliciesMaxSize;
  bool json = false;
};

// Everything the policies and the request borrow, kept alive for the whole run.
struct Loaded {
  std::vector<std::shared_ptr<const policy::Policy>> compiled;
  std::vector<policy::NamedPolicy> identity, session, resource;
  std::optional<policy::NamedPolicy> boundary;
  std::deque<std::string> strings;
  std::deque<std::vector<std::string_view>> lists;
  policy::Principal principal{policy::PrincipalType::kAnonymous, {}, {}, {}};
  policy::ContextKeys context;
};

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read ", path, ": ", std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return fail("cannot read ", path);
  return s.str();
}

Result<void> load_policy(const std::string& path, policy::PolicyKind kind, size_t max_size, Loaded& loaded,
                         std::vector<policy::NamedPolicy>& into) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  auto compiled = policy::Policy::compile(*text, {kind, max_size});
  if (!compiled) return fail(path, ": ", compiled.error().message);
  loaded.compiled.push_back(*compiled);
  into.push_back({path, loaded.compiled.back().get()});
  return {};
}

// arn:aws:iam::ACCOUNT:user/..., ...:root, ...:role/...; arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION,
// ...:federated-user/NAME.
Result<void> parse_caller(const std::string& arn, Loaded& loaded) {
  const auto parts = split(arn, ':');
  const auto bad = [&arn] { return fail("--caller-arn: not an IAM user, role, session or account ARN: ", arn); };
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || !parts[3].empty() || parts[4].size() != 12)
    return bad();
  const std::string_view service = parts[2], resource = parts[5];
  loaded.principal = {policy::PrincipalType::kAws, arn, parts[4], {}};
  if (service == "iam" && (resource == "root" || resource.starts_with("user/") || resource.starts_with("role/")))
    return {};
  if (service == "sts" && resource.starts_with("federated-user/")) return {};
  if (service == "sts" && resource.starts_with("assumed-role/")) {
    const auto names = split(resource, '/');
    if (names.size() != 3 || names[1].empty() || names[2].empty()) return bad();
    const std::string& role = loaded.strings.emplace_back("arn:" + std::string(parts[1]) + ":iam::" +
                                                          std::string(parts[4]) + ":role/" + std::string(names[1]));
    loaded.principal.role_arn = role;
    return {};
  }
  return bad();
}

// KEY=TYPE:VALUE[,VALUE...]; list types split at commas, other types take the rest as one value.
Result<void> parse_context(const std::string& entry, Loaded& loaded) {
  const size_t eq = entry.find('=');
  const size_t colon = entry.find(':', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || colon == std::string::npos)
    return fail("--context ", entry, ": expected KEY=TYPE:VALUE[,VALUE...]");
  const std::string_view key = std::string_view(entry).substr(0, eq);
  const std::string_view type_name = std::string_view(entry).substr(eq + 1, colon - eq - 1);
  const std::string_view rest = std::string_view(entry).substr(colon + 1);
  const auto type = policy::parse_context_key_type(type_name);
  if (!type)
    return fail("--context ", entry, ": unknown type \"", type_name,
                "\" (string, stringList, numeric, numericList, boolean, booleanList, date, dateList, ip, "
                "ipList, binary, binaryList)");
  if (loaded.context.find(key)) return fail("--context ", entry, ": key ", key, " given twice");
  const std::string& stored_key = loaded.strings.emplace_back(key);
  if (!policy::is_list(*type)) {
    auto value = policy::context_value(*type, rest);
    if (!value) return fail("--context ", entry, ": ", value.error().message);
    loaded.context.set(stored_key, loaded.strings.emplace_back(std::move(*value)));
    return {};
  }
  std::vector<std::string_view>& views = loaded.lists.emplace_back();
  if (!rest.empty()) {
    for (std::string_view item : split(rest, ',')) {
      auto value = policy::context_value(*type, item);
      if (!value) return fail("--context ", entry, ": ", value.error().message);
      views.push_back(loaded.strings.emplace_back(std::move(*value)));
    }
  }
  loaded.context.set_list(stored_key, views);
  return {};
}

Result<void> load(const SimulateOptions& o, Loaded& loaded) {
  loaded.compiled.reserve(o.policy_files.size() + o.session_policy_files.size() + o.resource_policy_files.size() + 2);
  for (const std::string& f : o.policy_files)
    if (auto ok = load_policy(f, policy::PolicyKind::kIdentity, o.max_policy_size, loaded, loaded.identity); !ok)
      return ok;
  if (!o.boundary_file.empty()) {
    std::vector<policy::NamedPolicy> one;
    if (auto ok = load_policy(o.boundary_file, policy::PolicyKind::kIdentity, o.max_policy_size, loaded, one); !ok)
      return ok;
    loaded.boundary = one.front();
  }
  for (const std::string& f : o.session_policy_files)
    if (auto ok = load_policy(f, policy::PolicyKind::kIdentity, o.max_policy_size, loaded, loaded.session); !ok)
      return ok;
  if (!o.trust_policy_file.empty())
    if (auto ok = load_policy(o.trust_policy_file, policy::PolicyKind::kTrust, o.max_policy_size, loaded,
                              loaded.resource);
        !ok)
      return ok;
  for (const std::string& f : o.resource_policy_files)
    if (auto ok = load_policy(f, policy::PolicyKind::kResource, o.max_policy_size, loaded, loaded.resource); !ok)
      return ok;
  if (!o.caller_arn.empty()) {
    if (auto ok = parse_caller(o.caller_arn, loaded); !ok) return ok;
  } else if (!loaded.resource.empty()) {
    return fail("--caller-arn is required with --trust-policy-file and --resource-policy-file");
  }
  if (loaded.identity.empty() && loaded.resource.empty())
    return fail("nothing to evaluate: give --policy-file, --trust-policy-file or --resource-policy-file");
  for (const std::string& entry : o.context)
    if (auto ok = parse_context(entry, loaded); !ok) return ok;
  return {};
}

nlohmann::ordered_json statement_json(const policy::StatementRef& ref) {
  return {{"SourcePolicyId", ref.policy_name()},
          {"SourcePolicyType", policy::to_string(ref.role)},
          {"StatementIndex", ref.index + 1},
          {"Sid", ref.sid()},
          {"Effect", ref.effect() == policy::Effect::kAllow ? "Allow" : "Deny"}};
}

std::string statement_line(const policy::StatementRef& ref) {
  const char* effect = ref.effect() == policy::Effect::kAllow ? "Allow" : "Deny ";
  return std::string(effect) + "  " + std::string(policy::to_string(ref.role)) + "  " + policy::describe(ref);
}

int simulate(const SimulateOptions& o) {
  Loaded loaded;
  if (auto ok = load(o, loaded); !ok) {
    std::fprintf(stderr, "iamdb policy simulate: %s\n", ok.error().message.c_str());
    return 2;
  }
  policy::PolicySet set;
  set.identity = loaded.identity;
  set.boundary = loaded.boundary ? &*loaded.boundary : nullptr;
  set.session = loaded.session;
  set.resource = loaded.resource;
  set.resource_policy_required = !o.trust_policy_file.empty();

  const std::vector<std::string> resources = o.resources.empty() ? std::vector<std::string>{"*"} : o.resources;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::string text;
  for (const std::string& action : o.actions) {
    for (const std::string& resource : resources) {
      const policy::Request request{action, resource, loaded.principal, loaded.context};
      std::vector<policy::StatementRef> matched;
      const policy::Evaluation e = policy::evaluate(set, request, matched);
      const std::string explanation = policy::describe(e, request);
      if (o.json) {
        nlohmann::ordered_json deciding = nlohmann::ordered_json::array(), all = nlohmann::ordered_json::array();
        for (const auto& ref : e.deciding()) deciding.push_back(statement_json(ref));
        for (const auto& ref : matched) all.push_back(statement_json(ref));
        results.push_back({{"EvalActionName", action},
                           {"EvalResourceName", resource},
                           {"EvalDecision", policy::to_string(e.decision)},
                           {"Explanation", explanation},
                           {"DecidingStatements", deciding},
                           {"MatchedStatements", all}});
        continue;
      }
      text += action + " on " + resource + ": " + std::string(policy::to_string(e.decision)) + "\n";
      text += "  " + explanation + "\n";
      if (matched.empty()) {
        text += "  matched statements: none\n";
      } else {
        text += "  matched statements:\n";
        for (const auto& ref : matched) text += "    " + statement_line(ref) + "\n";
      }
    }
  }
  if (o.json) {
    const std::string out = nlohmann::ordered_json{{"EvaluationResults", results}}.dump(2);
    std::printf("%s\n", out.c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return 0;
}

}  // namespace

void add_policy_simulate(CLI::App& app, Runner& run) {
  auto options = std::make_shared<SimulateOptions>();
  auto* group = app.add_subcommand("policy", "Work with IAM policy documents offline");
  group->require_subcommand(1);
  auto* cmd = group->add_subcommand(
      "simulate",
      "Evaluate IAM policies against actions, resources and context keys, as `aws iam "
      "simulate-custom-policy` does; prints the decision (allowed, explicitDeny, implicitDeny) and the "
      "statements behind it. Exit status 0 whatever the decision, 2 on bad input.");
  cmd->add_option("--policy-file", options->policy_files,
                  "An identity-based policy (user, group or role policy); repeat for several");
  cmd->add_option("--boundary-file", options->boundary_file, "A permissions boundary policy");
  cmd->add_option("--session-policy-file", options->session_policy_files,
                  "A session policy, as passed to AssumeRole; repeat for several");
  cmd->add_option("--trust-policy-file", options->trust_policy_file,
                  "A role trust policy that must allow the caller (for sts:AssumeRole)");
  cmd->add_option("--resource-policy-file", options->resource_policy_files,
                  "A resource-based policy attached to the resource; repeat for several");
  cmd->add_option("--action", options->actions, "An action such as rds-db:connect; repeat for several")
      ->required();
  cmd->add_option("--resource", options->resources, "A resource ARN (default \"*\"); repeat for several");
  cmd->add_option("--caller-arn", options->caller_arn,
                  "The principal making the request (needed with trust and resource-based policies)");
  cmd->add_option("--context", options->context,
                  "A context key: KEY=TYPE:VALUE[,VALUE...], TYPE as AWS's ContextKeyType (string, "
                  "stringList, numeric, boolean, date, ip, binary, ...); repeat for several");
  cmd->add_option("--max-policy-size", options->max_policy_size,
                  "Largest policy accepted, in characters without white space")
      ->default_val(policy::kRoleInlinePoliciesMaxSize);
  cmd->add_flag("--json", options->json, "Print the results as JSON");
  cmd->callback([&run, options] { run = [options] { return simulate(*options); }; });
}

}  // namespace iamdb::cli
