// `iamdb audit`: shows audit events from the store, filtered, newest last; `--follow` keeps
// printing new events as the server records them.
#include <cstdio>
#include <filesystem>
#include <thread>

#include "audit/event.h"
#include "cli/command.h"
#include "common/strings.h"
#include "common/time.h"
#include "config/config.h"
#include "store/sqlite/sqlite_store.h"

namespace iamdb::cli {
namespace {

struct AuditOptions {
  std::string data_dir;
  std::string config_file;
  std::string principal, db_user, instance, outcome, kind, since, until;
  size_t limit = 50;
  bool follow = false;
  bool json = false;
};

// "2026-11-27T10:00:00Z", "2026-11-27", or a duration back from now: "90s", "15m", "2h", "7d".
std::optional<SystemTime> parse_when(const std::string& text) {
  if (auto t = parse_iso8601(text)) return t;
  if (text.size() < 2) return std::nullopt;
  long long n = 0;
  if (!parse_uint(std::string_view(text).substr(0, text.size() - 1), n)) return std::nullopt;
  const char unit = text.back();
  const long long seconds = unit == 's' ? n : unit == 'm' ? n * 60 : unit == 'h' ? n * 3600 : unit == 'd' ? n * 86400 : -1;
  if (seconds < 0) return std::nullopt;
  return SystemClock::instance().now() - std::chrono::seconds(seconds);
}

void print(const audit::Event& e, bool json) {
  if (json) {
    std::printf("%s\n", audit::to_json_line(e).c_str());
    return;
  }
  const auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::string what = e.kind == audit::Kind::kApi ? e.action : or_dash(e.instance) + " as " + or_dash(e.db_user);
  std::printf("%s  %-11s %-8s %-24s %s  %s  from %s  [%s]%s%s\n", format_iso8601_millis(e.time).c_str(),
              std::string(audit::kind_name(e.kind)).c_str(), std::string(audit::outcome_name(e.outcome)).c_str(),
              e.reason.c_str(), what.c_str(), or_dash(e.principal_arn).c_str(), or_dash(e.source_address).c_str(),
              e.request_id.c_str(), e.detail.empty() ? "" : "  ", e.detail.c_str());
}

int run_audit(const AuditOptions& o) {
  const std::filesystem::path file =
      o.config_file.empty() ? std::filesystem::path(o.data_dir) / "iamdb.toml" : std::filesystem::path(o.config_file);
  if (o.config_file.empty() && o.data_dir.empty()) {
    std::fprintf(stderr, "iamdb audit: give --data-dir DIR (the server's data directory) or --config FILE\n");
    return 2;
  }
  if (std::error_code ec; !std::filesystem::exists(file, ec)) {
    std::fprintf(stderr, "iamdb audit: %s does not exist: --data-dir must name the server's data directory (made by "
                 "`iamdb init`), or --config its iamdb.toml\n", file.c_str());
    return 2;
  }
  auto config = config::load_config(file);
  if (!config) {
    std::fprintf(stderr, "iamdb audit: %s\n", config.error().message.c_str());
    return 2;
  }
  store::EventQuery q;
  q.principal = o.principal;
  q.db_user = o.db_user;
  q.instance = o.instance;
  q.limit = o.limit;
  if (!o.outcome.empty() && !(q.outcome = audit::parse_outcome(o.outcome))) {
    std::fprintf(stderr, "iamdb audit: --outcome is allowed, denied or error\n");
    return 2;
  }
  if (!o.kind.empty() && !(q.kind = audit::parse_kind(o.kind))) {
    std::fprintf(stderr, "iamdb audit: --kind is connect, api or session_end\n");
    return 2;
  }
  for (const auto& [text, target, flag] : {std::tuple{o.since, &q.since, "--since"}, {o.until, &q.until, "--until"}}) {
    if (text.empty()) continue;
    *target = parse_when(text);
    if (!*target) {
      std::fprintf(stderr, "iamdb audit: %s takes a time (2026-11-27T10:00:00Z) or an age (30m, 2h, 7d)\n", flag);
      return 2;
    }
  }
  auto store = store::SqliteStore::open_read_only(config->resolve(config->store.sqlite));
  if (!store) {
    std::fprintf(stderr, "iamdb audit: %s\n", store.error().message.c_str());
    return 1;
  }
  auto events = (*store)->query_events(q);
  if (!events) {
    std::fprintf(stderr, "iamdb audit: %s\n", events.error().message.c_str());
    return 1;
  }
  int64_t last = 0;
  for (auto it = events->rbegin(); it != events->rend(); ++it) {
    print(it->event, o.json);
    last = std::max(last, it->id);
  }
  if (events->empty() && !o.follow) std::fprintf(stderr, "iamdb audit: no events match\n");
  std::fflush(stdout);
  while (o.follow) {
    if (last == 0) {
      // Start following from the newest event there is.
      store::EventQuery newest;
      newest.limit = 1;
      if (auto n = (*store)->query_events(newest); n && !n->empty()) last = n->front().id;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    q.after_id = last;
    q.since.reset();
    q.limit = 1000;
    auto more = (*store)->query_events(q);
    if (!more) continue;
    for (const auto& e : *more) {
      print(e.event, o.json);
      last = std::max(last, e.id);
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

void add_audit(CLI::App& app, Runner& run) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand("audit", "Show audit events: every login attempt and API call, with its reason");
  cmd->add_option("--data-dir", o->data_dir, "The server's data directory");
  cmd->add_option("--config", o->config_file, "The server's configuration file (instead of --data-dir)");
  cmd->add_option("--principal", o->principal, "Only events whose principal ARN contains this");
  cmd->add_option("--db-user", o->db_user, "Only logins as this database user");
  cmd->add_option("--instance", o->instance, "Only this database instance");
  cmd->add_option("--outcome", o->outcome, "allowed, denied or error");
  cmd->add_option("--kind", o->kind, "connect (logins), api (API calls) or session_end");
  cmd->add_option("--since", o->since, "From this time (ISO 8601) or age (30m, 2h, 7d)");
  cmd->add_option("--until", o->until, "Up to this time or age");
  cmd->add_option("--limit", o->limit, "How many events at most (the newest)")->capture_default_str();
  cmd->add_flag("--follow,-f", o->follow, "Keep printing new events");
  cmd->add_flag("--json", o->json, "One JSON object per line");
  cmd->callback([o, &run] { run = [o] { return run_audit(*o); }; });
}

}  // namespace iamdb::cli
