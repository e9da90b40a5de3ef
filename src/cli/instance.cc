// `iamdb instance add|list|modify|remove`: registers the databases whose logins iamdb checks,
// through the server's RDS API (CreateDBInstance, DescribeDBInstances, ModifyDBInstance,
// DeleteDBInstance), as `aws rds ...` would.
#include <cstdio>

#include "cli/api_options.h"
#include "cli/command.h"

namespace iamdb::cli {
namespace {

struct InstanceOptions {
  ApiOptions api;
  std::string id;
  std::string engine = "postgres";
  std::string endpoint;
  std::vector<std::string> aliases;
  bool clear_aliases = false;
  bool enable_iam = false;
  bool disable_iam = false;
};

void print_instances(const client::Xml& result, const char* list_path) {
  const client::Xml* list = &result;
  if (list_path) {
    auto child = result.get_child_optional(list_path);
    if (!child) return;
    list = &*child;
  }
  for (const client::Xml* db : client::children(*list, "DBInstance")) {
    std::printf("%-24s %-9s %s:%s  iam=%s  %s\n", client::text_at(*db, "DBInstanceIdentifier").c_str(),
                client::text_at(*db, "Engine").c_str(), client::text_at(*db, "Endpoint.Address").c_str(),
                client::text_at(*db, "Endpoint.Port").c_str(),
                client::text_at(*db, "IAMDatabaseAuthenticationEnabled") == "true" ? "on" : "off",
                client::text_at(*db, "DbiResourceId").c_str());
  }
}

int report(const Error& e) {
  std::fprintf(stderr, "iamdb instance: %s\n", e.message.c_str());
  return 1;
}

int run(const InstanceOptions& o, const std::string& verb) {
  auto c = o.api.client();
  if (!c) return report(c.error());
  client::QueryParams params;
  if (!o.id.empty()) params.emplace_back("DBInstanceIdentifier", o.id);
  const auto add_endpoint = [&]() -> bool {
    if (o.endpoint.empty()) return true;
    const size_t colon = o.endpoint.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    std::string host = o.endpoint.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    params.emplace_back("Endpoint.Address", host);
    params.emplace_back("Port", o.endpoint.substr(colon + 1));
    return true;
  };
  for (size_t i = 0; i < o.aliases.size(); ++i)
    params.emplace_back("EndpointAliases.member." + std::to_string(i + 1), o.aliases[i]);
  if (o.clear_aliases) params.emplace_back("ClearEndpointAliases", "true");
  if (!add_endpoint()) {
    std::fprintf(stderr, "iamdb instance: --endpoint must be HOST:PORT\n");
    return 2;
  }
  if (verb == "add") {
    params.emplace_back("Engine", o.engine);
    params.emplace_back("DBInstanceClass", "db.iamdb.external");
    if (o.enable_iam) params.emplace_back("EnableIAMDatabaseAuthentication", "true");
    auto r = c->call("rds", "CreateDBInstance", params);
    if (!r) return report(r.error());
    print_instances(*r, nullptr);
  } else if (verb == "list") {
    auto r = c->call("rds", "DescribeDBInstances", params);
    if (!r) return report(r.error());
    print_instances(*r, "DBInstances");
  } else if (verb == "modify") {
    if (o.enable_iam || o.disable_iam) params.emplace_back("EnableIAMDatabaseAuthentication", o.enable_iam ? "true" : "false");
    auto r = c->call("rds", "ModifyDBInstance", params);
    if (!r) return report(r.error());
    print_instances(*r, nullptr);
  } else {
    params.emplace_back("SkipFinalSnapshot", "true");
    auto r = c->call("rds", "DeleteDBInstance", params);
    if (!r) return report(r.error());
    std::printf("removed %s\n", o.id.c_str());
  }
  return 0;
}

}  // namespace

void add_instance(CLI::App& app, Runner& run_command) {
  auto* cmd = app.add_subcommand("instance", "Register the databases whose IAM logins iamdb checks");
  cmd->require_subcommand(1);
  const auto verb = [&run_command, cmd](const char* name, const char* help) {
    auto o = std::make_shared<InstanceOptions>();
    auto* sub = cmd->add_subcommand(name, help);
    o->api.add_to(sub);
    const std::string v = name;
    if (v != "list") sub->add_option("--id", o->id, "DB instance identifier")->required();
    else sub->add_option("--id", o->id, "Only this instance");
    if (v == "add" || v == "modify") {
      sub->add_option("--endpoint", o->endpoint, "HOST:PORT that clients connect to and tokens name")
          ->required(v == "add");
      sub->add_option("--alias", o->aliases, "Another HOST:PORT tokens may name (repeatable)");
      sub->add_flag("--enable-iam", o->enable_iam, "Turn on IAM database authentication");
    }
    if (v == "add") sub->add_option("--engine", o->engine, "postgres, mysql or mariadb")->capture_default_str();
    if (v == "modify") {
      sub->add_flag("--disable-iam", o->disable_iam, "Turn off IAM database authentication");
      sub->add_flag("--clear-aliases", o->clear_aliases, "Remove every alias");
    }
    sub->callback([o, v, &run_command] { run_command = [o, v] { return run(*o, v); }; });
  };
  verb("add", "Register a database (CreateDBInstance)");
  verb("list", "List registered databases (DescribeDBInstances)");
  verb("modify", "Change a database's endpoint, aliases or IAM switch (ModifyDBInstance)");
  verb("remove", "Unregister a database (DeleteDBInstance)");
}

}  // namespace iamdb::cli
