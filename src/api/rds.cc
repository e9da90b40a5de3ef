// RDS: the database instances registered with iamdb, and their IAM switch.
//
// CreateDBInstance and DeleteDBInstance register and unregister a database that already runs
// somewhere (iamdb does not start databases); the endpoint tokens name comes from the iamdb
// extension parameters `Endpoint.Address` and `Port` (the `iamdb instance add` command sends
// them), or, for the AWS CLI, from a tag `iamdb:endpoint` = `HOST:PORT`. `EndpointAliases.member.N`
// adds other accepted spellings. DescribeDBInstances and ModifyDBInstance work as on RDS.
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
    s.instances[id] = std::make_shared<const iam::Instance>(db);
    return {};
  }));
  write_instance(out, ctx, db);
  if (enable_iam)
    ctx.audit_detail = std::string("IAM database authentication ") + (*enable_iam ? "enabled" : "disabled") + " for " + id;
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
}

}  // namespace iamdb::api
