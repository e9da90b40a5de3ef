// AWSAuthenticationPlugin: MariaDB's server side of RDS IAM database authentication. Accounts
// created `IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` log in with an RDS auth token as
// their password (sent with mysql_clear_password over TLS), checked by the iamdb daemon.
//
// System variables (dynamic, SET GLOBAL or [mariadbd] options, prefix `awsauthenticationplugin_`):
//   socket       path of the daemon's verify socket (required)
//   instance     the instance identifier registered with iamdb (required)
//   timeout_ms   budget for one verify call, 1..60000 ms (default 2000)
//   require_tls  refuse connections without TLS before asking for the token (default ON)

#include <mutex>
#include <string>

#include <mysql/plugin_auth.h>
#include <mysqld_error.h>

#include "plugins/common/client_address.h"
#include "plugins/mariadb/authenticate.h"
#include "plugins/mariadb/session_tls.h"

namespace {

using iamdb::mariadb::Outcome;
using iamdb::mariadb::SessionTls;
using iamdb::mariadb::Settings;

// Connection threads read this copy of the system variables, taken under `settings_mutex`.
std::mutex settings_mutex;
Settings settings;

// What the server shows for the variables. The server reads and updates them under its own
// lock (LOCK_global_system_variables); string values point into the `*_shown` strings, which
// only the update functions, under that lock, change.
char* socket_variable = nullptr;
char* instance_variable = nullptr;
unsigned int timeout_variable = 2000;
char require_tls_variable = 1;
std::string socket_shown;
std::string instance_shown;

Settings current_settings() {
  const std::lock_guard lock(settings_mutex);
  return settings;
}

void log_line(unsigned long severity, const std::string& line) {
  my_printf_error(ER_UNKNOWN_ERROR, "AWSAuthenticationPlugin: %s", ME_ERROR_LOG_ONLY | severity,
                  line.c_str());
}

// SET GLOBAL for a string: the new value lives only as long as the statement, so keep a copy
// for SHOW VARIABLES and one for the connection threads.
void update_string(void* target, const void* value, std::string& shown, std::string Settings::*field) {
  const char* text = *static_cast<const char* const*>(value);
  try {
    shown = text ? text : "";
    *static_cast<char**>(target) = shown.data();
    const std::lock_guard lock(settings_mutex);
    settings.*field = shown;
  } catch (...) {
    log_line(ME_WARNING, "out of memory while setting a system variable; it keeps its old value");
  }
}

void update_socket(MYSQL_THD, st_mysql_sys_var*, void* target, const void* value) noexcept {
  update_string(target, value, socket_shown, &Settings::socket_path);
}

void update_instance(MYSQL_THD, st_mysql_sys_var*, void* target, const void* value) noexcept {
  update_string(target, value, instance_shown, &Settings::instance);
}

void update_timeout(MYSQL_THD, st_mysql_sys_var*, void* target, const void* value) noexcept {
  const unsigned int ms = *static_cast<const unsigned int*>(value);
  *static_cast<unsigned int*>(target) = ms;
  const std::lock_guard lock(settings_mutex);
  settings.timeout = std::chrono::milliseconds(ms);
}

void update_require_tls(MYSQL_THD, st_mysql_sys_var*, void* target, const void* value) noexcept {
  const char on = *static_cast<const char*>(value);
  *static_cast<char*>(target) = on;
  const std::lock_guard lock(settings_mutex);
  settings.require_tls = on != 0;
}

MYSQL_SYSVAR_STR(socket, socket_variable, PLUGIN_VAR_RQCMDARG,
                 "Path of the iamdb daemon's verify socket", nullptr, update_socket, nullptr);
MYSQL_SYSVAR_STR(instance, instance_variable, PLUGIN_VAR_RQCMDARG,
                 "This server's instance identifier in iamdb", nullptr, update_instance, nullptr);
MYSQL_SYSVAR_UINT(timeout_ms, timeout_variable, PLUGIN_VAR_RQCMDARG,
                  "Milliseconds one token check may take before the login is refused", nullptr,
                  update_timeout, 2000, 1, 60000, 0);
MYSQL_SYSVAR_BOOL(require_tls, require_tls_variable, PLUGIN_VAR_OPCMDARG,
                  "Refuse IAM logins over connections without TLS", nullptr, update_require_tls,
                  1);

st_mysql_sys_var* system_variables[] = {
    MYSQL_SYSVAR(socket), MYSQL_SYSVAR(instance), MYSQL_SYSVAR(timeout_ms),
    MYSQL_SYSVAR(require_tls), nullptr};

// The address to report: host_or_ip when it is an IP literal (it reflects the PROXY protocol
// when the server uses it), else the socket's peer (host_or_ip may be a resolved host name).
std::string client_address(MYSQL_PLUGIN_VIO* vio, const MYSQL_SERVER_AUTH_INFO* info) {
  if (info->host_or_ip != nullptr) {
    std::string address = iamdb::plugin::canonical_ip(
        std::string_view(info->host_or_ip, info->host_or_ip_length));
    if (!address.empty()) return address;
  }
  MYSQL_PLUGIN_VIO_INFO connection{};
  vio->info(vio, &connection);
  if (connection.protocol != MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_TCP) return "";
  return iamdb::plugin::peer_ip(connection.socket);
}

int finish(const Outcome& outcome) {
  log_line(outcome.status == CR_OK ? ME_NOTE : (outcome.error ? 0 : ME_WARNING), outcome.log_line);
  return outcome.status;
}

int authenticate_user(MYSQL_PLUGIN_VIO* vio, MYSQL_SERVER_AUTH_INFO* info) noexcept {
  try {
    info->password_used = PASSWORD_USED_YES;
    const Settings current = current_settings();
    const std::string address = client_address(vio, info);
    // The TLS handshake precedes the handshake response, so the session's TLS state is known
    // here, before the client is asked for its token.
    if (auto refused = iamdb::mariadb::refuse_transport(
            current, address, iamdb::mariadb::session_tls(info->thd))) {
      return finish(*refused);
    }

    // The first read makes the server ask the client to switch to mysql_clear_password (or
    // hands over the reply the client already sent with it). Only then does `info` name the user.
    unsigned char* packet = nullptr;
    const int length = vio->read_packet(vio, &packet);
    if (length < 0 || packet == nullptr) return CR_AUTH_HANDSHAKE;
    std::string_view password(reinterpret_cast<const char*>(packet), static_cast<std::size_t>(length));
    if (!password.empty() && password.back() == '\0') password.remove_suffix(1);
    const std::string_view user(info->user_name ? info->user_name : "",
                                info->user_name ? info->user_name_length : 0);

    return finish(iamdb::mariadb::authenticate(current, {.user = user,
                                                         .password = password,
                                                         .client_addr = address,
                                                         .tls = iamdb::mariadb::session_tls(info->thd)}));
  } catch (...) {
    return CR_AUTH_PLUGIN_ERROR;
  }
}

int plugin_init(void*) noexcept {
  try {
    {
      const std::lock_guard lock(settings_mutex);
      // Values from the command line or option files, which live as long as the server.
      settings.socket_path = socket_variable ? socket_variable : "";
      settings.instance = instance_variable ? instance_variable : "";
      settings.timeout = std::chrono::milliseconds(timeout_variable);
      settings.require_tls = require_tls_variable != 0;
    }
    std::string problem;
    if (!iamdb::mariadb::find_tls_status(problem)) {
      log_line(0, problem + "; logins that require TLS will be refused");
    }
    return 0;
  } catch (...) {
    return 1;
  }
}

int plugin_deinit(void*) noexcept { return 0; }

st_mysql_auth auth_descriptor = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    "mysql_clear_password",
    authenticate_user,
    nullptr,  // no hash_password: the account's auth string ('RDS') is kept as written
    nullptr,  // no preprocess_hash
};

}  // namespace

// clang-format off
maria_declare_plugin(aws_authentication)
{
  MYSQL_AUTHENTICATION_PLUGIN,
  &auth_descriptor,
  "AWSAuthenticationPlugin",
  "iamdb",
  "RDS IAM database authentication: AWS auth tokens checked by the iamdb daemon",
  PLUGIN_LICENSE_PROPRIETARY,
  plugin_init,
  plugin_deinit,
  0x0100,
  nullptr,
  system_variables,
  "0.1.0",
  MariaDB_PLUGIN_MATURITY_STABLE
}
maria_declare_plugin_end;
// clang-format on
