// `iamdb instance add|list|modify|remove`: registers the databases whose logins iamdb checks,
// through the server's RDS API (CreateDBInstance, DescribeDBInstances, ModifyDBInstance,
// DeleteDBInstance), as `aws rds ...` would. `add` and `modify` also set the instance's
// PostgreSQL gateway (the Gateway.* parameters of src/api/rds.cc; docs/gateway.md).
#include <cstdio>
#include <iostream>
#include <map>

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
  // Gateway settings: flag name -> value, sent as Gateway.<Parameter>.
  std::map<std::string, std::string> gateway;
  std::vector<std::string> backend_passwords;  // USER=PASSWORD, or USER=- to read it from stdin
  std::vector<std::string> remove_backend_passwords;
  bool disable_gateway = false;
};

// The gateway flags of `add` and `modify` and the API parameters they set.
const std::pair<const char*, const char*> kGatewayFlags[] = {
    {"--gateway-listen", "Listen"},
    {"--backend", "Backend"},
    {"--backend-auth", "BackendAuth"},
    {"--backend-tls", "BackendTls"},
    {"--backend-ca", "BackendCa"},
    {"--monitor-user", "MonitorUser"},
    {"--monitor-database", "MonitorDatabase"},
    {"--max-backends", "MaxBackends"},
    {"--max-backends-per-user", "MaxBackendsPerUser"},
    {"--pool-idle-timeout", "PoolIdleTimeout"},
    {"--pool-max-lifetime", "PoolMaxLifetime"},
    {"--pool-wait-timeout", "PoolWaitTimeout"},
    {"--pool-reset-query", "PoolResetQuery"},
    {"--max-new-connections-per-second", "MaxNewConnectionsPerSecond"},
};

const char* kGatewayHelp[] = {
    "HOST:PORT the PostgreSQL gateway listens on (an IP address)",
    "Backend behind the gateway: HOST:PORT or a Unix socket path",
    "How IAM users' sessions log in to the backend: token, trust or password",
    "TLS to the backend: disable, require or verify-full",
    "CA certificate (PEM) for --backend-tls verify-full",
    "Backend login that lists the members of rds_iam (default iamdb_monitor)",
    "Database the monitor connects to (default postgres)",
    "Backend connections of the instance (default 100)",
    "Backend connections of one database user (default 0: no limit)",
    "Seconds an idle pooled connection is kept (default 300)",
    "Seconds a backend connection lives at most (default 3600)",
    "Seconds a client waits for a backend before SQLSTATE 53300 (default 30)",
    "SQL run before a backend session is reused (default DISCARD ALL)",
    "New client connections per second (default 0: no limit)",
};

// Adds the gateway parameters; false (with a message) for a malformed --backend-password.
bool add_gateway_params(const InstanceOptions& o, client::QueryParams& params) {
  for (const auto& [flag, param] : kGatewayFlags) {
    const auto it = o.gateway.find(flag);
    if (it != o.gateway.end()) params.emplace_back(std::string("Gateway.") + param, it->second);
  }
  if (o.disable_gateway) params.emplace_back("Gateway.Listen", "");
  for (size_t i = 0; i < o.backend_passwords.size(); ++i) {
    const std::string& entry = o.backend_passwords[i];
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "iamdb instance: --backend-password takes USER=PASSWORD (or USER=- to read it from stdin)\n");
      return false;
    }
    std::string password = entry.substr(eq + 1);
    if (password == "-" && !std::getline(std::cin, password)) {
      std::fprintf(stderr, "iamdb instance: no password on standard input for %s\n", entry.substr(0, eq).c_str());
      return false;
    }
    const std::string member = "Gateway.BackendPasswords.member." + std::to_string(i + 1);
    params.emplace_back(member + ".User", entry.substr(0, eq));
    params.emplace_back(member + ".Password", password);
  }
  for (size_t i = 0; i < o.remove_backend_passwords.size(); ++i)
    params.emplace_back("Gateway.RemoveBackendPasswords.member." + std::to_string(i + 1), o.remove_backend_passwords[i]);
  return true;
}

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
    if (const std::string listen = client::text_at(*db, "IamdbGateway.Listen"); !listen.empty())
      std::printf("  gateway %s -> %s  backend-auth=%s  backend-tls=%s  max-backends=%s\n", listen.c_str(),
                  client::text_at(*db, "IamdbGateway.Backend").c_str(),
                  client::text_at(*db, "IamdbGateway.BackendAuth").c_str(),
                  client::text_at(*db, "IamdbGateway.BackendTls").c_str(),
                  client::text_at(*db, "IamdbGateway.MaxBackends").c_str());
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
  if (!add_gateway_params(o, params)) return 2;
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
    if (v == "add" || v == "modify") {
      for (size_t i = 0; i < std::size(kGatewayFlags); ++i)
        sub->add_option_function<std::string>(
            kGatewayFlags[i].first, [o, flag = std::string(kGatewayFlags[i].first)](const std::string& value) {
              o->gateway[flag] = value;
            },
            kGatewayHelp[i]);
      sub->add_option("--backend-password", o->backend_passwords,
                      "Store a backend password: USER=PASSWORD, or USER=- to read it from stdin (repeatable)");
    }
    if (v == "add") sub->add_option("--engine", o->engine, "postgres, mysql or mariadb")->capture_default_str();
    if (v == "modify") {
      sub->add_flag("--disable-iam", o->disable_iam, "Turn off IAM database authentication");
      sub->add_flag("--clear-aliases", o->clear_aliases, "Remove every alias");
      sub->add_option("--remove-backend-password", o->remove_backend_passwords,
                      "Forget the stored backend password of USER (repeatable)");
      sub->add_flag("--disable-gateway", o->disable_gateway, "Stop serving this instance through the gateway");
    }
    sub->callback([o, v, &run_command] { run_command = [o, v] { return run(*o, v); }; });
  };
  verb("add", "Register a database (CreateDBInstance)");
  verb("list", "List registered databases (DescribeDBInstances)");
  verb("modify", "Change a database's endpoint, aliases or IAM switch (ModifyDBInstance)");
  verb("remove", "Unregister a database (DeleteDBInstance)");
}

}  // namespace iamdb::cli
