// `iamdb sessions list|kill`: the gateways' live database sessions, through the server's
// DescribeDBSessions and KillDBSessions actions (src/api/rds_sessions.cc), signed as the AWS CLI
// signs requests.
#include <cstdio>

#include "cli/api_options.h"
#include "cli/command.h"

namespace iamdb::cli {
namespace {

struct SessionsOptions {
  ApiOptions api;
  std::string instance;
  std::string principal;
  std::string access_key;
  std::vector<std::string> ids;
};

int report(const Error& e) {
  std::fprintf(stderr, "iamdb sessions: %s\n", e.message.c_str());
  return 1;
}

// One line per session: id, instance, database user and name, client, since, bytes each way,
// and who logged in (the IAM principal and key, or "password").
void print_sessions(const client::Xml& result, const char* list) {
  auto sessions = result.get_child_optional(list);
  if (!sessions) return;
  for (const client::Xml* s : client::children(*sessions, "DBSession")) {
    const bool iam = client::text_at(*s, "IAMAuthentication") == "true";
    std::string who = iam ? client::text_at(*s, "PrincipalArn") + " " + client::text_at(*s, "AccessKeyId") : "password";
    std::printf("%s  %s  %s@%s  from %s  since %s  in=%s out=%s  %s%s\n", client::text_at(*s, "SessionId").c_str(),
                client::text_at(*s, "DBInstanceIdentifier").c_str(), client::text_at(*s, "DBUser").c_str(),
                client::text_at(*s, "DBName").c_str(), client::text_at(*s, "ClientAddress").c_str(),
                client::text_at(*s, "SessionStartTime").c_str(), client::text_at(*s, "BytesFromClient").c_str(),
                client::text_at(*s, "BytesToClient").c_str(), who.c_str(),
                client::text_at(*s, "Active") == "true" ? "  active" : "");
  }
}

int run(const SessionsOptions& o, bool kill) {
  auto c = o.api.client();
  if (!c) return report(c.error());
  client::QueryParams params;
  if (!o.instance.empty()) params.emplace_back("DBInstanceIdentifier", o.instance);
  if (!o.principal.empty()) params.emplace_back("PrincipalArn", o.principal);
  if (!o.access_key.empty()) params.emplace_back("AccessKeyId", o.access_key);
  for (size_t i = 0; i < o.ids.size(); ++i)
    params.emplace_back("SessionIds.member." + std::to_string(i + 1), o.ids[i]);
  if (kill && params.empty()) {
    std::fprintf(stderr, "iamdb sessions kill: name the sessions: ids, --instance, --principal or --access-key\n");
    return 2;
  }
  auto r = c->call("rds", kill ? "KillDBSessions" : "DescribeDBSessions", params);
  if (!r) return report(r.error());
  print_sessions(*r, kill ? "KilledDBSessions" : "DBSessions");
  if (kill) std::printf("ended %zu session(s)\n", client::children(r->get_child("KilledDBSessions", {}), "DBSession").size());
  return 0;
}

}  // namespace

void add_sessions(CLI::App& app, Runner& run_command) {
  auto* cmd = app.add_subcommand("sessions", "List or end the live sessions of the database gateways");
  cmd->require_subcommand(1);
  for (const bool kill : {false, true}) {
    auto o = std::make_shared<SessionsOptions>();
    auto* sub = cmd->add_subcommand(kill ? "kill" : "list",
                                    kill ? "End sessions (their clients get SQLSTATE 57P01)" : "List live sessions");
    o->api.add_to(sub);
    sub->add_option("--instance", o->instance, "Only sessions of this instance");
    sub->add_option("--principal", o->principal, "Only sessions of this IAM principal (ARN)");
    sub->add_option("--access-key", o->access_key, "Only sessions that logged in with this access key");
    if (kill) sub->add_option("ids", o->ids, "Session ids (as `iamdb sessions list` prints them)");
    sub->callback([o, kill, &run_command] { run_command = [o, kill] { return run(*o, kill); }; });
  }
}

}  // namespace iamdb::cli
