// RDS: the database instances registered with iamdb, and their IAM switch.
//
// CreateDBInstance and DeleteDBInstance register and unregister a database that already runs
// somewhere (iamdb does not start databases); the endpoint tokens name comes from the iamdb
// extension parameters `Endpoint.Address` and `Port` (the `iamdb instance add` command sends
// them), or, for the AWS CLI, from a tag `iamdb:endpoint` = `HOST:PORT`. `EndpointAliases.member.N`
// adds other accepted spellings. DescribeDBInstances and ModifyDBInstance work as on RDS.
//
// The PostgreSQL gateway (docs/gateway.md) of an instance is set with more iamdb extension
// parameters of CreateDBInstance and ModifyDBInstance; DescribeDBInstances shows them in an
// `IamdbGateway` element (RDS has no equivalent), never the passwords:
//   Gateway.Listen                  HOST:PORT the gateway accepts clients on ("" turns it off)
//   Gateway.Backend                 HOST:PORT or the absolute path of the backend's Unix socket
//   Gateway.BackendAuth             token | trust | password: how IAM users' sessions log in
//   Gateway.BackendTls              disable | require | verify-full (with Gateway.BackendCa)
//   Gateway.BackendCa               CA certificate file (PEM) for verify-full
//   Gateway.MonitorUser             login listing the members of rds_iam (iamdb_monitor)
//   Gateway.MonitorDatabase         the database it connects to (postgres)
//   Gateway.MaxBackends             backend connections of the instance (100)
//   Gateway.MaxBackendsPerUser      backend connections of one database user (0: no limit)
//   Gateway.PoolIdleTimeout         seconds an idle pooled connection is kept (300)
//   Gateway.PoolMaxLifetime         seconds a backend connection lives at most (3600)
//   Gateway.PoolWaitTimeout         seconds a client waits for a backend before 53300 (30)
//   Gateway.PoolResetQuery          run before a connection is reused (DISCARD ALL)
//   Gateway.MaxNewConnectionsPerSecond  new client connections per second (0: no limit)
//   Gateway.BackendPasswords.member.N.User / .Password  store (replace) a backend password
//   Gateway.RemoveBackendPasswords.member.N             forget a user's backend password
#include <algorithm>

#include "api/actions.h"
#include "common/strings.h"
#include "common/time.h"
#include "config/config.h"
#include "iam/arn.h"
#include "iam/ids.h"

namespace iamdb::api {
namespace {

std::unexpected<ApiError> instance_not_found(std::string_view id) {
  return api_error(404, "DBInstanceNotFound", "DBInstance " + std::string(id) + " not found.");
}

std::string instance_arn(const Context& ctx, std::string_view id) {
  return iam::db_instance_arn(ctx.state().account.region, ctx.account(), id);
}

void write_instance(XmlWriter& out, const Context& ctx, const iam::Instance& db, std::string_view status = "available") {
  out.open("DBInstance")
      .leaf("DBInstanceIdentifier", db.id)
      .leaf("DBInstanceClass", "db.iamdb.external")
      .leaf("Engine", db.engine)
      .leaf("DBInstanceStatus", status)
      .open("Endpoint")
      .leaf("Address", db.host)
      .leaf("Port", db.port)
      .close()
      .leaf("InstanceCreateTime", format_iso8601(db.created))
      .leaf("DbiResourceId", db.dbi_resource_id)
      .leaf("DBInstanceArn", instance_arn(ctx, db.id))
      .leaf_bool("IAMDatabaseAuthenticationEnabled", db.iam_enabled);
  const iam::GatewaySettings& g = db.gateway;
  if (g.enabled()) {
    out.open("IamdbGateway")
        .leaf("Listen", g.listen)
        .leaf("Backend", g.backend)
        .leaf("BackendAuth", g.backend_auth)
        .leaf("BackendTls", g.backend_tls)
        .leaf("BackendCa", g.backend_ca)
        .leaf("MonitorUser", g.monitor_user)
        .leaf("MonitorDatabase", g.monitor_database)
        .leaf("MaxBackends", g.max_backends)
        .leaf("MaxBackendsPerUser", g.max_backends_per_user)
        .leaf("PoolIdleTimeout", g.pool_idle_timeout_seconds)
        .leaf("PoolMaxLifetime", g.pool_max_lifetime_seconds)
        .leaf("PoolWaitTimeout", g.pool_wait_timeout_seconds)
        .leaf("PoolResetQuery", g.pool_reset_query)
        .leaf("MaxNewConnectionsPerSecond", g.max_new_connections_per_second)
        .open("BackendPasswordUsers");
    for (const auto& p : g.backend_passwords) out.leaf("member", p.user);
    out.close().close();
  }
  out.close();
}

ApiResult<std::string> identifier(const Context& ctx) {
  IAMDB_TRY(std::string id, ctx.required("DBInstanceIdentifier"));
  if (auto ok = iam::check(id, iam::kDbInstanceIdentifier); !ok)
    return api_error(400, "InvalidParameterValue", "The parameter DBInstanceIdentifier is not a valid identifier. "
                                                   "Identifiers must begin with a letter; must contain only ASCII "
                                                   "letters, digits, and hyphens; and must not end with a hyphen or "
                                                   "contain two consecutive hyphens.");
  return to_lower(id);
}

// "HOST:PORT" or "[V6]:PORT" into an instance's endpoint fields.
ApiResult<std::pair<std::string, uint16_t>> endpoint(std::string_view text) {
  auto a = config::parse_listen_address(text);
  if (!a || a->port == 0)
    return api_error(400, "InvalidParameterValue", "The endpoint " + std::string(text) + " must be HOST:PORT.");
  return std::pair{a->host, a->port};
}

ApiResult<std::vector<std::string>> aliases(const Context& ctx) {
  IAMDB_TRY(auto list, ctx.list("EndpointAliases"));
  for (const auto& alias : list)
    if (auto ep = endpoint(alias); !ep) return std::unexpected(ep.error());
  return list;
}

ApiResult<void> invalid_gateway(std::string message) {
  return api_error(400, "InvalidParameterValue", std::move(message));
}

// The Gateway.* parameters applied to `g` (which holds the current settings, or the defaults).
ApiResult<void> gateway_params(const Context& ctx, std::string_view engine, iam::GatewaySettings& g) {
  const auto text = [&](std::string_view name, std::string& target) {
    if (auto v = ctx.optional(name)) target = *v;
  };
  const auto one_of = [&](std::string_view name, std::string& target,
                          std::initializer_list<std::string_view> allowed) -> ApiResult<void> {
    auto v = ctx.optional(name);
    if (!v) return {};
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return invalid_gateway("The parameter " + std::string(name) + " must be one of " + list + ".");
    }
    target = *v;
    return {};
  };
  const auto number = [&](std::string_view name, uint32_t& target, long long min, long long max) -> ApiResult<void> {
    IAMDB_TRY(auto v, ctx.integer(name, min, max));
    if (v) target = static_cast<uint32_t>(*v);
    return {};
  };
  text("Gateway.Listen", g.listen);
  text("Gateway.Backend", g.backend);
  IAMDB_CHECK(one_of("Gateway.BackendAuth", g.backend_auth, {"token", "trust", "password"}));
  IAMDB_CHECK(one_of("Gateway.BackendTls", g.backend_tls, {"disable", "require", "verify-full"}));
  text("Gateway.BackendCa", g.backend_ca);
  text("Gateway.MonitorUser", g.monitor_user);
  text("Gateway.MonitorDatabase", g.monitor_database);
  IAMDB_CHECK(number("Gateway.MaxBackends", g.max_backends, 1, 100000));
  IAMDB_CHECK(number("Gateway.MaxBackendsPerUser", g.max_backends_per_user, 0, 100000));
  IAMDB_CHECK(number("Gateway.PoolIdleTimeout", g.pool_idle_timeout_seconds, 1, 86400));
  IAMDB_CHECK(number("Gateway.PoolMaxLifetime", g.pool_max_lifetime_seconds, 1, 30 * 86400));
  IAMDB_CHECK(number("Gateway.PoolWaitTimeout", g.pool_wait_timeout_seconds, 0, 3600));
  text("Gateway.PoolResetQuery", g.pool_reset_query);
  IAMDB_CHECK(number("Gateway.MaxNewConnectionsPerSecond", g.max_new_connections_per_second, 0, 1000000));
  IAMDB_TRY(auto remove, ctx.list("Gateway.RemoveBackendPasswords"));
  for (const std::string& user : remove)
    std::erase_if(g.backend_passwords, [&](const auto& p) { return p.user == user; });
  IAMDB_TRY(auto passwords, ctx.struct_list("Gateway.BackendPasswords"));
  for (auto& entry : passwords) {
    const auto user = entry.find("User"), password = entry.find("Password");
    if (user == entry.end() || password == entry.end() || user->second.empty())
      return invalid_gateway("Each Gateway.BackendPasswords member needs a User and a Password.");
    std::erase_if(g.backend_passwords, [&](const auto& p) { return p.user == user->second; });
    g.backend_passwords.push_back({user->second, password->second});
  }
  std::sort(g.backend_passwords.begin(), g.backend_passwords.end(),
            [](const auto& a, const auto& b) { return a.user < b.user; });

  if (!g.enabled()) return {};
  if (engine != "postgres")
    return api_error(400, "InvalidParameterCombination", "The iamdb gateway serves postgres instances.");
  if (auto a = config::parse_listen_address(g.listen); !a || a->port == 0)
    return invalid_gateway("Gateway.Listen " + g.listen + " must be HOST:PORT.");
  if (g.backend.empty()) return invalid_gateway("A gateway needs Gateway.Backend: HOST:PORT or a Unix socket path.");
  if (!g.backend.starts_with('/')) {
    if (auto a = config::parse_listen_address(g.backend); !a || a->port == 0)
      return invalid_gateway("Gateway.Backend " + g.backend + " must be HOST:PORT or the absolute path of a Unix socket.");
  } else if (g.backend_tls != "disable") {
    return invalid_gateway("TLS to a backend over a Unix socket is not supported: set Gateway.BackendTls to disable.");
  }
  if (g.backend_tls == "verify-full" && g.backend.starts_with('/'))
    return invalid_gateway("verify-full needs a backend HOST:PORT.");
  if (g.monitor_user.empty() || g.monitor_database.empty())
    return invalid_gateway("Gateway.MonitorUser and Gateway.MonitorDatabase must not be empty.");
  for (const std::string* s : {&g.monitor_user, &g.monitor_database, &g.pool_reset_query})
    if (s->find('\0') != std::string::npos) return invalid_gateway("Gateway settings must not contain NUL characters.");
  for (const auto& p : g.backend_passwords)
    if (p.user.find('\0') != std::string::npos || p.password.find('\0') != std::string::npos)
      return invalid_gateway("Backend user names and passwords must not contain NUL characters.");
  return {};
}

ApiResult<void> create_db_instance(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string id, identifier(ctx));
  IAMDB_TRY(std::string engine, ctx.required("Engine"));
  engine = to_lower(engine);
  if (engine == "aurora-postgresql") engine = "postgres";
  if (engine == "mariadb" || engine == "aurora-mysql") engine = "mysql";
  if (engine != "postgres" && engine != "mysql")
    return api_error(400, "InvalidParameterValue", "Invalid DB engine: " + engine + " (iamdb serves postgres, mysql and mariadb)");
  IAMDB_TRY(auto port_param, ctx.integer("Port", 1, 65535));
  IAMDB_TRY(auto enable_iam, ctx.boolean("EnableIAMDatabaseAuthentication"));
  IAMDB_TRY(iam::Tags tags, ctx.tags("Tags", "Tag"));
  IAMDB_TRY(auto extra, aliases(ctx));
  std::string host;
  uint16_t port = static_cast<uint16_t>(port_param.value_or(engine == "postgres" ? 5432 : 3306));
  if (auto address = ctx.optional("Endpoint.Address")) {
    host = *address;
  } else {
    const auto tag = std::find_if(tags.begin(), tags.end(), [](const iam::Tag& t) { return t.key == "iamdb:endpoint"; });
    if (tag == tags.end())
      return api_error(400, "InvalidParameterCombination",
                       "iamdb registers databases that already run: give the endpoint that tokens will name with "
                       "`iamdb instance add --endpoint HOST:PORT`, or with the tag Key=iamdb:endpoint,Value=HOST:PORT");
    IAMDB_TRY(auto ep, endpoint(tag->value));
    host = ep.first;
    port = ep.second;
  }
  if (host.empty()) return api_error(400, "InvalidParameterValue", "The endpoint address must not be empty.");
  iam::GatewaySettings gateway;
  IAMDB_CHECK(gateway_params(ctx, engine, gateway));
  IAMDB_CHECK(ctx.authorize("rds:CreateDBInstance", instance_arn(ctx, id)));
  iam::Instance db;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    if (s.find_instance(id)) return api_error(400, "DBInstanceAlreadyExists", "DB instance already exists");
    db.id = id;
    db.engine = engine;
    db.host = host;
    db.port = port;
    db.aliases = extra;
    db.dbi_resource_id = iam::new_dbi_resource_id();
    db.iam_enabled = enable_iam.value_or(false);
    db.created = ctx.now();
    db.gateway = gateway;
    s.instances.emplace(id, std::make_shared<const iam::Instance>(db));
    return {};
  }));
  write_instance(out, ctx, db, "available");
  ctx.audit_detail = "registered " + engine + " instance " + id + " at " + host + ":" + std::to_string(port);
  return {};
}

ApiResult<void> describe_db_instances(Context& ctx, XmlWriter& out) {
  const auto id = ctx.optional("DBInstanceIdentifier");
  IAMDB_TRY(auto max_records, ctx.integer("MaxRecords", 20, 100));
  const size_t limit = static_cast<size_t>(max_records.value_or(100));
  const std::string marker = ctx.optional("Marker").value_or("");
  IAMDB_CHECK(ctx.authorize("rds:DescribeDBInstances", instance_arn(ctx, id ? to_lower(*id) : "*")));
  if (id && !ctx.state().find_instance(*id)) return instance_not_found(*id);
  out.open("DBInstances");
  size_t n = 0;
  std::string last;
  bool more = false;
  for (const auto& [key, db] : ctx.state().instances) {
    if ((id && key != to_lower(*id)) || (!marker.empty() && key <= marker)) continue;
    if (n == limit) {
      more = true;
      break;
    }
    write_instance(out, ctx, *db);
    last = key;
    ++n;
  }
  out.close();
  if (more) out.leaf("Marker", last);
  return {};
}

ApiResult<void> modify_db_instance(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string id, identifier(ctx));
  IAMDB_TRY(auto enable_iam, ctx.boolean("EnableIAMDatabaseAuthentication"));
  IAMDB_TRY(auto port, ctx.integer("Port", 1, 65535));
  const auto address = ctx.optional("Endpoint.Address");
  const bool set_aliases = ctx.params().has("EndpointAliases.member.1") || ctx.params().has("ClearEndpointAliases");
  IAMDB_TRY(auto extra, aliases(ctx));
  IAMDB_CHECK(ctx.authorize("rds:ModifyDBInstance", instance_arn(ctx, id)));
  iam::Instance db;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::Instance* old = s.find_instance(id);
    if (!old) return instance_not_found(id);
    db = *old;
    if (enable_iam) db.iam_enabled = *enable_iam;
    if (port) db.port = static_cast<uint16_t>(*port);
    if (address) db.host = *address;
    if (set_aliases) db.aliases = extra;
    IAMDB_CHECK(gateway_params(ctx, db.engine, db.gateway));
    s.instances[id] = std::make_shared<const iam::Instance>(db);
    return {};
  }));
  write_instance(out, ctx, db);
  if (enable_iam)
    ctx.audit_detail = std::string("IAM database authentication ") + (*enable_iam ? "enabled" : "disabled") + " for " + id;
  if (db.gateway.enabled())
    ctx.audit_detail += (ctx.audit_detail.empty() ? "" : "; ") + std::string("gateway ") + db.gateway.listen + " -> " +
                        db.gateway.backend + " (" + db.gateway.backend_auth + ")";
  return {};
}

ApiResult<void> delete_db_instance(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(std::string id, identifier(ctx));
  IAMDB_CHECK(ctx.authorize("rds:DeleteDBInstance", instance_arn(ctx, id)));
  iam::Instance db;
  IAMDB_CHECK(ctx.update([&](iam::State& s) -> ApiResult<void> {
    const iam::Instance* old = s.find_instance(id);
    if (!old) return instance_not_found(id);
    db = *old;
    s.instances.erase(id);
    return {};
  }));
  write_instance(out, ctx, db, "deleting");
  ctx.audit_detail = "unregistered instance " + id;
  return {};
}

}  // namespace

void register_rds_actions(ActionTable& t) {
  t.add("rds", "CreateDBInstance", create_db_instance);
  t.add("rds", "DescribeDBInstances", describe_db_instances);
  t.add("rds", "ModifyDBInstance", modify_db_instance);
  t.add("rds", "DeleteDBInstance", delete_db_instance);
  register_rds_session_actions(t);
}

}  // namespace iamdb::api
