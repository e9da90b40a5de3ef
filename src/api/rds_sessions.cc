// RDS-style actions over the gateways' live sessions (iamdb extensions; RDS has none):
// DescribeDBSessions lists them, KillDBSessions ends them (their clients get SQLSTATE 57P01).
//
// DescribeDBSessions  [DBInstanceIdentifier] [PrincipalArn] [AccessKeyId]
//   authorized as rds:DescribeDBSessions on the instance's ARN (or "*" without an instance).
// KillDBSessions      SessionIds.member.N | DBInstanceIdentifier | PrincipalArn | AccessKeyId
//   (at least one; sessions matching all the given ones end), authorized as rds:KillDBSessions
//   on the ARN of every instance a matching session belongs to: all or nothing.
#include <set>

#include "api/actions.h"
#include "api/sessions.h"
#include "common/strings.h"
#include "common/time.h"
#include "iam/arn.h"

namespace iamdb::api {
namespace {

std::string instance_arn(const Context& ctx, std::string_view id) {
  return iam::db_instance_arn(ctx.state().account.region, ctx.account(), id);
}

ApiResult<SessionFilter> filter_of(const Context& ctx) {
  SessionFilter f;
  if (auto id = ctx.optional("DBInstanceIdentifier")) f.instance = to_lower(*id);
  f.principal_arn = ctx.optional("PrincipalArn").value_or("");
  f.access_key_id = ctx.optional("AccessKeyId").value_or("");
  IAMDB_TRY(f.ids, ctx.list("SessionIds"));
  return f;
}

void write_sessions(XmlWriter& out, std::string_view element, const std::vector<DbSession>& sessions) {
  out.open(element);
  for (const DbSession& s : sessions) {
    out.open("DBSession")
        .leaf("SessionId", s.id)
        .leaf("DBInstanceIdentifier", s.instance)
        .leaf("Engine", s.engine)
        .leaf("DBUser", s.db_user)
        .leaf("DBName", s.database)
        .leaf("ClientAddress", s.client_address)
        .leaf_bool("IAMAuthentication", s.iam);
    if (!s.principal_arn.empty()) out.leaf("PrincipalArn", s.principal_arn);
    if (!s.access_key_id.empty()) out.leaf("AccessKeyId", s.access_key_id);
    if (!s.session_name.empty()) out.leaf("RoleSessionName", s.session_name);
    out.leaf("SessionStartTime", format_iso8601(s.started))
        .leaf("BytesFromClient", static_cast<long long>(s.bytes_from_client))
        .leaf("BytesToClient", static_cast<long long>(s.bytes_to_client))
        .leaf_bool("Active", s.active)
        .close();
  }
  out.close();
}

ApiResult<void> describe_db_sessions(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(SessionFilter filter, filter_of(ctx));
  IAMDB_CHECK(ctx.authorize("rds:DescribeDBSessions", instance_arn(ctx, filter.instance.empty() ? "*" : filter.instance)));
  const std::vector<DbSession> sessions = ctx.sessions() ? ctx.sessions()->list(filter) : std::vector<DbSession>{};
  write_sessions(out, "DBSessions", sessions);
  return {};
}

ApiResult<void> kill_db_sessions(Context& ctx, XmlWriter& out) {
  IAMDB_TRY(SessionFilter filter, filter_of(ctx));
  if (filter.empty())
    return api_error(400, "InvalidParameterCombination",
                     "Name the sessions to end: SessionIds, DBInstanceIdentifier, PrincipalArn or AccessKeyId.");
  std::vector<DbSession> matching = ctx.sessions() ? ctx.sessions()->list(filter) : std::vector<DbSession>{};
  std::set<std::string> instances;
  for (const DbSession& s : matching) instances.insert(s.instance);
  if (instances.empty()) {
    IAMDB_CHECK(ctx.authorize("rds:KillDBSessions", instance_arn(ctx, filter.instance.empty() ? "*" : filter.instance)));
  }
  for (const std::string& id : instances) {
    IAMDB_CHECK(ctx.authorize("rds:KillDBSessions", instance_arn(ctx, id)));
  }
  // End exactly the sessions that were authorized, not ones that started since.
  SessionFilter exact;
  for (const DbSession& s : matching) exact.ids.push_back(s.id);
  const std::vector<DbSession> killed =
      exact.ids.empty() || !ctx.sessions() ? std::vector<DbSession>{} : ctx.sessions()->kill(exact);
  write_sessions(out, "KilledDBSessions", killed);
  ctx.audit_detail = "ended " + std::to_string(killed.size()) + " gateway session(s)";
  return {};
}

}  // namespace

void register_rds_session_actions(ActionTable& t) {
  t.add("rds", "DescribeDBSessions", describe_db_sessions);
  t.add("rds", "KillDBSessions", kill_db_sessions);
}

}  // namespace iamdb::api
