// `iamdb connect --instance ID --user U [-- extra client args]`: looks the instance up through
// the server's RDS API (endpoint, engine, IAM switch), makes a token with the caller's AWS
// credentials, and runs psql (PostgreSQL) or mariadb (MySQL/MariaDB) over TLS with it. The
// token reaches the client in its environment (PGPASSWORD / MYSQL_PWD), never on a command
// line that other users could read in the process list.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/api_options.h"
#include "cli/command.h"
#include "common/strings.h"
#include "token/token.h"

namespace iamdb::cli {
namespace {

struct ConnectOptions {
  ApiOptions api;
  std::string instance;
  std::string user;
  std::string database;
  std::string ssl_ca;
  std::string host;  // override the endpoint's host (e.g. a tunnel); the token still names the endpoint
  bool print_only = false;
  std::vector<std::string> extra;
};

int fail_with(const std::string& message, int code = 1) {
  std::fprintf(stderr, "iamdb connect: %s\n", message.c_str());
  return code;
}

// A libpq conninfo value: quoted when it holds a space, a quote or a backslash (libpq's rules).
std::string conninfo_value(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\\t\n") == std::string::npos) return value;
  std::string quoted = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// Why nothing accepts TCP connections at host:port (refused, unreachable, a name that does not
// resolve, no answer within two seconds), or an empty string when something does. The clients'
// own messages for this are terse, and do not say which registered endpoint they tried.
std::string unreachable(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) return ::gai_strerror(rc);
  std::string why = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        socklen_t size = sizeof error;
        error = ::poll(&p, 1, 2000) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 ? error
                                                                                                          : ETIMEDOUT;
      }
    }
    ::close(fd);
    if (error == 0) {
      why.clear();
      break;
    }
    why = std::strerror(error);
  }
  ::freeaddrinfo(found);
  return why;
}

int run_connect(const ConnectOptions& o) {
  auto resolved = o.api.resolve();
  if (!resolved) return fail_with(resolved.error().message);
  const client::QueryClient api(*resolved);
  auto described = api.call("rds", "DescribeDBInstances", {{"DBInstanceIdentifier", o.instance}});
  const auto not_registered = [&] {
    return fail_with("instance " + o.instance + " is not registered with the iamdb server at " +
                     resolved->endpoint_url + ": `iamdb instance list` shows those that are; register it with "
                     "`iamdb instance add --id " + o.instance + " --engine postgres|mariadb --endpoint HOST:PORT "
                     "--enable-iam`");
  };
  if (!described && described.error().message.find("(DBInstanceNotFound)") != std::string::npos)
    return not_registered();
  if (!described && described.error().message.find("(AccessDenied)") != std::string::npos)
    return fail_with(described.error().message + "\niamdb connect looks the instance up with rds:DescribeDBInstances: "
                     "allow that action to this identity, next to rds-db:connect (or run it on the server's machine "
                     "with --data-dir)");
  if (!described) return fail_with(described.error().message);
  const auto list = client::children(described->get_child("DBInstances", client::Xml{}), "DBInstance");
  if (list.empty()) return not_registered();
  const client::Xml& db = *list.front();
  const std::string engine = client::text_at(db, "Engine");
  const std::string host = client::text_at(db, "Endpoint.Address");
  const std::string port = client::text_at(db, "Endpoint.Port");
  if (client::text_at(db, "IAMDatabaseAuthenticationEnabled") != "true")
    return fail_with("IAM database authentication is off for " + o.instance +
                     "; turn it on with: aws rds modify-db-instance --db-instance-identifier " + o.instance +
                     " --enable-iam-database-authentication");

  // The token is signed with the same credentials as the API call, for the server's region.
  long long port_number = 0;
  if (!parse_uint(port, port_number) || port_number < 1 || port_number > 65535)
    return fail_with("instance " + o.instance + " has no usable endpoint port");
  const std::string arn = client::text_at(db, "DBInstanceArn");  // arn:aws:rds:REGION:...
  const auto parts = split(arn, ':');
  const std::string region = parts.size() > 3 ? std::string(parts[3]) : resolved->region;
  const std::string token = token::build_token({host, static_cast<uint16_t>(port_number), region, o.user},
                                               resolved->credentials, SystemClock::instance().now());

  const std::string target = o.host.empty() ? host : o.host;
  std::vector<std::string> argv;
  std::string password_var;
  if (engine == "postgres") {
    std::string conninfo = "host=" + conninfo_value(target) + " port=" + port + " user=" + conninfo_value(o.user) +
                           " dbname=" + conninfo_value(o.database.empty() ? "postgres" : o.database);
    conninfo += o.ssl_ca.empty() ? " sslmode=require" : " sslmode=verify-full sslrootcert=" + conninfo_value(o.ssl_ca);
    argv = {"psql", conninfo};
    password_var = "PGPASSWORD";
  } else {
    // TCP even for "localhost", which the client would otherwise take as its Unix socket (no TLS).
    argv = {"mariadb", "--protocol=TCP", "--host=" + target, "--port=" + port, "--user=" + o.user, "--ssl"};
    if (!o.ssl_ca.empty()) argv.insert(argv.end(), {"--ssl-ca=" + o.ssl_ca, "--ssl-verify-server-cert"});
    if (!o.database.empty()) argv.push_back(o.database);
    password_var = "MYSQL_PWD";
  }
  if (o.ssl_ca.empty())
    std::fprintf(stderr, "iamdb connect: the server's certificate is not verified; give --ssl-ca CA.pem to verify it\n");
  argv.insert(argv.end(), o.extra.begin(), o.extra.end());
  if (o.print_only) {
    std::printf("%s='<token>'", password_var.c_str());
    for (const auto& a : argv) std::printf(" '%s'", a.c_str());
    std::printf("\n");
    return 0;
  }
  if (const std::string why = unreachable(target, port); !why.empty())
    return fail_with("cannot reach " + target + " port " + port + (o.host.empty() ? ", the endpoint registered for " +
                     o.instance : std::string()) + " (" + why + "): is the database server running there? Start "
                     "it, or if it listens elsewhere correct the endpoint with `iamdb instance modify --id " +
                     o.instance + " --endpoint HOST:PORT`");
  ::setenv(password_var.c_str(), token.c_str(), 1);
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  ::execvp(c_argv[0], c_argv.data());
  return fail_with(std::string("cannot run ") + argv[0] + ": " + std::strerror(errno) +
                   (engine == "postgres" ? " (install postgresql-client)" : " (install mariadb-client)"));
}

}  // namespace

void add_connect(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ConnectOptions>();
  auto* cmd = app.add_subcommand("connect", "Connect to a registered database with psql or mariadb, using a fresh "
                                            "IAM auth token as the password");
  o->api.add_to(cmd);
  cmd->add_option("--instance", o->instance, "DB instance identifier")->required();
  cmd->add_option("--user", o->user, "Database user to log in as")->required();
  cmd->add_option("--dbname", o->database, "Database to open");
  cmd->add_option("--ssl-ca", o->ssl_ca, "CA certificate (PEM) to verify the database server with");
  cmd->add_option("--host", o->host, "Connect to this host instead of the registered endpoint's");
  cmd->add_flag("--print-command", o->print_only, "Print the client command instead of running it");
  cmd->add_option("extra", o->extra, "Arguments passed to psql or mariadb (after --)");
  cmd->callback([o, &run] { run = [o] { return run_connect(*o); }; });
}

}  // namespace iamdb::cli
