// `iamdb setup postgres|mariadb`: prints what a database server needs so that its IAM users log
// in with RDS auth tokens through the in-database modules, and applies it on request.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/strings.h"
#include "config/config.h"
#include "setup/install_paths.h"
#include "setup/mariadb.h"
#include "setup/postgres.h"
#include "setup/socket_access.h"
#include "setup/system.h"

namespace iamdb::cli {
namespace {

namespace fs = std::filesystem;

struct SetupOptions {
  std::string instance;
  std::string data_dir;
  std::string config_file;
  std::string verify_socket;
  std::string module;
  unsigned timeout_ms = static_cast<unsigned>(setup::kDefaultTimeout.count());
  std::string os_user;
  std::string apply_dir;
  bool apply_sql = false;
  std::string pam_service{setup::kDefaultPamService};
  std::string pam_dir = "/etc/pam.d";
  // The administration client and how it connects.
  std::string client;
  std::string host;
  int port = 0;
  std::string user;
  std::string dbname;
  std::string socket;
};

// What setup needs to know about the daemon.
struct Daemon {
  fs::path verify_socket;
  std::optional<std::string> socket_group;  // known when iamdb.toml was read
  std::string api_url = "http://IAMDB_HOST:8750";
};

// Exit statuses, as command.h defines them.
constexpr int kFailed = 1;
constexpr int kBadUsage = 2;

class Reporter {
 public:
  explicit Reporter(std::string engine) : prefix_("iamdb setup " + std::move(engine) + ": ") {}
  void done(const std::string& line) const { std::printf("%s\n", line.c_str()); }
  void warn(const std::string& line) const { std::fprintf(stderr, "%swarning: %s\n", prefix_.c_str(), line.c_str()); }
  int error(const std::string& line, int status = kFailed) const {
    std::fprintf(stderr, "%s%s\n", prefix_.c_str(), line.c_str());
    return status;
  }

 private:
  std::string prefix_;
};

Result<Daemon> find_daemon(const SetupOptions& o) {
  Daemon daemon;
  if (!o.config_file.empty() || !o.data_dir.empty()) {
    const fs::path file = o.config_file.empty() ? fs::path(o.data_dir) / "iamdb.toml" : fs::path(o.config_file);
    auto config = config::load_config(fs::absolute(file));
    if (!config) return std::unexpected(config.error());
    daemon.verify_socket = config->resolve(config->verify.socket);
    daemon.socket_group = config->verify.socket_group;
    if (!config->api.public_url.empty()) {
      daemon.api_url = config->api.public_url;
    } else if (auto listen = config::parse_listen_address(config->api.listen)) {
      daemon.api_url = (config->api.tls ? "https://" : "http://") + listen->to_string();
    }
  } else if (o.verify_socket.empty()) {
    return fail("give --data-dir DIR or --config FILE (the daemon's iamdb.toml names its verify socket), "
                "or --verify-socket PATH");
  }
  if (!o.verify_socket.empty()) daemon.verify_socket = fs::absolute(o.verify_socket);
  return daemon;
}

// The line of a client's output that says what went wrong: its error line (psql's "ERROR:" or
// "psql: error:", mariadb's "ERROR 1126 ..."), else the first line with words on it.
std::string error_line(std::string_view text) {
  std::string_view fallback;
  for (std::string_view line : split(text, '\n')) {
    line = trim(line);
    if (line.find("ERROR") != std::string_view::npos || line.find("error:") != std::string_view::npos)
      return std::string(line);
    if (fallback.empty() && line.find_first_not_of('-') != std::string_view::npos) fallback = line;
  }
  return std::string(fallback);
}

// What to do when the client could not reach the server at all (psql's "connection to server
// ... failed", mariadb's ERROR 2002 / 2003), rather than running the SQL and failing.
std::string connection_hint(std::string_view text) {
  const bool unreachable = (text.find("connection to server") != std::string_view::npos &&
                            text.find("failed") != std::string_view::npos) ||
                           text.find("ERROR 2002") != std::string_view::npos ||
                           text.find("ERROR 2003") != std::string_view::npos;
  return unreachable ? ". Is the database server running? --apply-sql connects where --host and --port (or, for "
                       "MariaDB, --socket) say: start the server, or give the address it listens on"
                     : "";
}

// Runs SQL with the administration client (`argv` then `sql_flag` and the SQL text).
class SqlClient {
 public:
  SqlClient(std::vector<std::string> argv, std::string sql_flag, std::string run_as)
      : argv_(std::move(argv)), sql_flag_(std::move(sql_flag)), run_as_(std::move(run_as)) {}

  // The client's standard output on success.
  Result<std::string> run(std::string_view sql) const {
    setup::Command command;
    command.argv = argv_;
    command.run_as = run_as_;
    command.argv.push_back(sql_flag_);
    command.argv.emplace_back(sql);
    auto output = setup::run_command(command);
    if (!output) return std::unexpected(output.error());
    if (output->exit_status != 0)
      return fail(argv_.front(), " failed (exit status ", std::to_string(output->exit_status), ") running `", sql,
                  "`: ", error_line(output->err + output->out), connection_hint(output->err + output->out));
    return output->out;
  }

 private:
  std::vector<std::string> argv_;
  std::string sql_flag_;
  std::string run_as_;
};

void report_socket_access(const Reporter& report, const Daemon& daemon, const std::string& os_user) {
  const auto facts = setup::gather_socket_facts(daemon.verify_socket, os_user, daemon.socket_group);
  for (const std::string& problem : setup::socket_access_problems(facts)) report.warn(problem);
}

std::string socket_note(const Daemon& daemon, const std::string& os_user) {
  return "\nThe modules run as the database server's OS user (" + os_user + ") and connect to the daemon's verify "
         "socket\n" + daemon.verify_socket.native() + ": [verify] socket_group in iamdb.toml must be a group that " +
         os_user + " is in,\nand every directory above the socket must let it in.\n";
}

fs::path module_path(const SetupOptions& o, const fs::path& installed) {
  return o.module.empty() ? installed : fs::absolute(o.module);
}

// ---------------------------------------------------------------------------------- PostgreSQL

SqlClient postgres_client(const SetupOptions& o) {
  std::vector<std::string> argv = {o.client.empty() ? "psql" : o.client, "-X", "-q", "-A", "-t", "-w",
                                   "-v", "ON_ERROR_STOP=1"};
  if (!o.host.empty()) argv.insert(argv.end(), {"-h", o.host});
  if (o.port != 0) argv.insert(argv.end(), {"-p", std::to_string(o.port)});
  if (!o.user.empty()) argv.insert(argv.end(), {"-U", o.user});
  if (!o.dbname.empty()) argv.insert(argv.end(), {"-d", o.dbname});
  // As root, psql runs as the server's OS user, whom a stock installation lets in by peer.
  const bool as_os_user = ::geteuid() == 0 && ::getpwnam(o.os_user.c_str()) != nullptr;
  return SqlClient(std::move(argv), "-c", as_os_user ? o.os_user : "");
}

int apply_postgres_files(const SetupOptions& o, const setup::PostgresSettings& s, const Reporter& report) {
  const fs::path hba = fs::path(o.apply_dir) / "pg_hba.conf";
  auto text = setup::read_file(hba);
  if (!text) return report.error(text.error().message);
  if (!*text)
    return report.error(hba.native() + " does not exist: --apply takes the directory that holds pg_hba.conf (the "
                                       "data directory, or /etc/postgresql/VERSION/main on Debian)");
  auto edited = setup::place_hba_block(**text, setup::hba_block(s));
  if (!edited) return report.error(hba.native() + ": " + edited.error().message);

  // The PAM service first, so that pg_hba.conf never names a service that does not exist.
  const fs::path pam = setup::pam_service_path(s);
  auto pam_written = setup::write_managed_file(pam, setup::pam_service_file(s), 0644);
  if (!pam_written) return report.error(pam_written.error().message);
  report.done(pam.native() + ": PAM service " + s.pam_service + " (" + std::string(setup::describe(*pam_written)) +
              ")");
  auto hba_written = setup::write_file(hba, *edited, 0640);
  if (!hba_written) return report.error(hba_written.error().message);
  report.done(hba.native() + ": iamdb lines placed first (" + std::string(setup::describe(*hba_written)) + ")");
  if (!o.apply_sql) report.done("reload PostgreSQL to use the new pg_hba.conf: SELECT pg_reload_conf();");
  return 0;
}

int apply_postgres_sql(const SetupOptions& o, const Reporter& report) {
  const SqlClient psql = postgres_client(o);
  auto exists = psql.run(setup::kRoleExists);
  if (!exists) return report.error(exists.error().message);
  if (trim(*exists) == "0") {
    if (auto created = psql.run(setup::kCreateRole); !created) return report.error(created.error().message);
    report.done("role rds_iam created");
  } else {
    report.done("role rds_iam exists");
  }
  if (auto ssl = psql.run(setup::kShowSsl); ssl && trim(*ssl) != "on")
    report.warn("the server does not serve TLS (ssl = " + std::string(trim(*ssl)) +
                "): hostssl lines never match, so IAM users cannot log in until you turn ssl on");
  if (auto reloaded = psql.run(setup::kReload); !reloaded) return report.error(reloaded.error().message);
  auto errors = psql.run(setup::kHbaErrors);
  if (!errors) return report.error(errors.error().message);
  if (!trim(*errors).empty())
    return report.error("PostgreSQL rejects pg_hba.conf and keeps its previous rules; line " +
                        std::string(trim(*errors)));
  report.done("configuration reloaded");
  return 0;
}

int run_postgres(const SetupOptions& o) {
  const Reporter report("postgres");
  auto daemon = find_daemon(o);
  if (!daemon) return report.error(daemon.error().message, kBadUsage);
  auto instance = setup::normalize_instance_id(o.instance);
  if (!instance) return report.error(instance.error().message, kBadUsage);
  setup::PostgresSettings s;
  s.instance = *instance;
  s.verify_socket = daemon->verify_socket;
  s.pam_module = module_path(o, setup::installed_pam_module());
  s.pam_service = o.pam_service;
  s.pam_dir = fs::absolute(o.pam_dir);
  s.timeout = std::chrono::milliseconds(o.timeout_ms);
  if (auto ok = setup::validate(s); !ok) return report.error(ok.error().message, kBadUsage);

  std::error_code ec;
  if (!fs::exists(s.pam_module, ec))
    report.warn(s.pam_module.native() + " does not exist: install the modules (cmake --install) or give --module");
  if (o.apply_dir.empty() && !o.apply_sql) {
    std::fputs((setup::postgres_instructions(s, daemon->api_url) + socket_note(*daemon, o.os_user)).c_str(), stdout);
  }
  if (!o.apply_dir.empty())
    if (const int status = apply_postgres_files(o, s, report); status != 0) return status;
  if (o.apply_sql)
    if (const int status = apply_postgres_sql(o, report); status != 0) return status;
  report_socket_access(report, *daemon, o.os_user);
  return 0;
}

// ---------------------------------------------------------------------------------- MariaDB

SqlClient mariadb_client(const SetupOptions& o) {
  std::vector<std::string> argv = {o.client.empty() ? "mariadb" : o.client, "-N", "-B"};
  if (!o.host.empty()) argv.push_back("--host=" + o.host);
  if (o.port != 0) argv.push_back("--port=" + std::to_string(o.port));
  if (!o.socket.empty()) argv.push_back("--socket=" + o.socket);
  if (!o.user.empty()) argv.push_back("--user=" + o.user);
  return SqlClient(std::move(argv), "-e", "");
}

int apply_mariadb_sql(const SetupOptions& o, const setup::MariadbSettings& s, const Reporter& report) {
  const SqlClient mariadb = mariadb_client(o);
  auto facts = mariadb.run(setup::kServerFacts);
  if (!facts) return report.error(facts.error().message);
  const auto fields = split(trim(*facts), '\t');
  const std::string plugin_dir(fields.empty() ? "" : fields[0]);
  if (fields.size() > 1 && trim(fields[1]) != "YES")
    report.warn("the server does not serve TLS (have_ssl = " + std::string(trim(fields[1])) +
                "): AWSAuthenticationPlugin refuses IAM logins without it; set ssl_cert and ssl_key");

  auto status = mariadb.run(setup::kPluginStatus);
  if (!status) return report.error(status.error().message);
  if (trim(*status).empty()) {
    if (auto installed = mariadb.run(setup::kInstallPlugin); !installed)
      return report.error(installed.error().message + " (the server loads plugins from its plugin_dir " + plugin_dir +
                          "; put " + s.plugin_module.filename().native() + " there, e.g. with cmake --install)");
    report.done("plugin AWSAuthenticationPlugin installed (" + std::string(setup::kInstallPlugin) + ")");
  } else if (trim(*status) != "ACTIVE") {
    return report.error("AWSAuthenticationPlugin is installed but its status is " + std::string(trim(*status)) +
                        "; see the server's error log");
  } else {
    report.done("plugin AWSAuthenticationPlugin is installed");
  }
  if (auto set = mariadb.run(setup::set_variables_sql(s)); !set) return report.error(set.error().message);
  report.done("plugin variables set: socket " + s.verify_socket.native() + ", instance " + s.instance);
  return 0;
}

int run_mariadb(const SetupOptions& o) {
  const Reporter report("mariadb");
  auto daemon = find_daemon(o);
  if (!daemon) return report.error(daemon.error().message, kBadUsage);
  auto instance = setup::normalize_instance_id(o.instance);
  if (!instance) return report.error(instance.error().message, kBadUsage);
  setup::MariadbSettings s;
  s.instance = *instance;
  s.verify_socket = daemon->verify_socket;
  s.plugin_module = module_path(o, setup::installed_mariadb_plugin());
  s.timeout = std::chrono::milliseconds(o.timeout_ms);
  if (auto ok = setup::validate(s); !ok) return report.error(ok.error().message, kBadUsage);

  if (o.apply_dir.empty() && !o.apply_sql) {
    std::fputs((setup::mariadb_instructions(s, daemon->api_url) + socket_note(*daemon, o.os_user)).c_str(), stdout);
  }
  if (!o.apply_dir.empty()) {
    const fs::path file = fs::path(o.apply_dir) / setup::kOptionFileName;
    std::error_code ec;
    if (!fs::is_directory(o.apply_dir, ec))
      return report.error(o.apply_dir + " is not a directory: --apply takes the directory the server reads option "
                                        "files from (e.g. /etc/mysql/mariadb.conf.d)");
    auto written = setup::write_managed_file(file, setup::option_file(s), 0644);
    if (!written) return report.error(written.error().message);
    report.done(file.native() + ": plugin settings (" + std::string(setup::describe(*written)) + ")");
  }
  if (o.apply_sql)
    if (const int status = apply_mariadb_sql(o, s, report); status != 0) return status;
  report_socket_access(report, *daemon, o.os_user);
  return 0;
}

// ---------------------------------------------------------------------------------- options

void add_common_options(CLI::App* cmd, SetupOptions& o) {
  cmd->add_option("--instance", o.instance, "The instance identifier registered with iamdb")->required();
  cmd->add_option("--data-dir", o.data_dir, "The daemon's data directory (reads DIR/iamdb.toml for its verify socket)");
  cmd->add_option("--config", o.config_file, "The daemon's iamdb.toml (instead of --data-dir)");
  cmd->add_option("--verify-socket", o.verify_socket, "The daemon's verify socket (overrides iamdb.toml)");
  cmd->add_option("--timeout-ms", o.timeout_ms, "How long one token check may take before the login is refused")
      ->check(CLI::Range(1u, static_cast<unsigned>(setup::kMaxTimeout.count())))
      ->capture_default_str();
  cmd->add_flag("--apply-sql", o.apply_sql, "Run the SQL with the server's administration client");
  cmd->add_option("--client", o.client, "The administration client for --apply-sql");
  cmd->add_option("--host", o.host, "Where --apply-sql's client connects (host name or socket directory)");
  cmd->add_option("--port", o.port, "Port for --apply-sql's client")->check(CLI::Range(1, 65535));
  cmd->add_option("--user", o.user, "Database administrator for --apply-sql's client");
}

}  // namespace

void add_setup(CLI::App& app, Runner& run) {
  auto* setup_cmd = app.add_subcommand("setup", "Print (or apply) what PostgreSQL or MariaDB needs for IAM logins "
                                                "through pam_iamdb.so or AWSAuthenticationPlugin");
  setup_cmd->require_subcommand(1);

  auto pg = std::make_shared<SetupOptions>();
  pg->os_user = "postgres";
  auto* pg_cmd = setup_cmd->add_subcommand(
      "postgres", "pg_hba.conf lines, the PAM service for pam_iamdb.so, and CREATE ROLE rds_iam");
  add_common_options(pg_cmd, *pg);
  pg_cmd->add_option("--apply", pg->apply_dir,
                     "Edit DIR/pg_hba.conf (iamdb's lines first) and write the PAM service file, instead of "
                     "printing them");
  pg_cmd->add_option("--module", pg->module, "Path of pam_iamdb.so")
      ->default_str(setup::installed_pam_module().native());
  pg_cmd->add_option("--pam-service", pg->pam_service, "PAM service name (pg_hba.conf's pamservice=)")
      ->capture_default_str();
  pg_cmd->add_option("--pam-dir", pg->pam_dir, "Where --apply writes the PAM service file")->capture_default_str();
  pg_cmd->add_option("--os-user", pg->os_user,
                     "The server's OS user: checked for access to the verify socket; as root, --apply-sql runs "
                     "psql as this user")
      ->capture_default_str();
  pg_cmd->add_option("--dbname", pg->dbname, "Database for --apply-sql's psql");
  pg_cmd->callback([pg, &run] { run = [pg] { return run_postgres(*pg); }; });

  auto maria = std::make_shared<SetupOptions>();
  maria->os_user = "mysql";
  auto* maria_cmd = setup_cmd->add_subcommand(
      "mariadb", "The option file and INSTALL SONAME for AWSAuthenticationPlugin");
  add_common_options(maria_cmd, *maria);
  maria_cmd->add_option("--apply", maria->apply_dir,
                        "Write DIR/iamdb.cnf (DIR: where mariadbd reads option files, e.g. "
                        "/etc/mysql/mariadb.conf.d), instead of printing it");
  maria_cmd->add_option("--module", maria->module, "Path of aws_authentication_plugin.so (in the server's plugin_dir)")
      ->default_str(setup::installed_mariadb_plugin().native());
  maria_cmd->add_option("--os-user", maria->os_user, "The server's OS user: checked for access to the verify socket")
      ->capture_default_str();
  maria_cmd->add_option("--socket", maria->socket, "Server socket for --apply-sql's client");
  maria_cmd->callback([maria, &run] { run = [maria] { return run_mariadb(*maria); }; });
}

}  // namespace iamdb::cli
