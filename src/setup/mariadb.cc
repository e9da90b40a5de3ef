// The option file, SQL and instructions of `iamdb setup mariadb`.
#include "setup/mariadb.h"

namespace iamdb::setup {

Result<void> validate(const MariadbSettings& s) {
  const auto id = normalize_instance_id(s.instance);
  if (!id) return std::unexpected(id.error());
  if (*id != s.instance) return fail("instance identifier '", s.instance, "' must be in lower case");
  if (auto ok = check_socket_path(s.verify_socket); !ok) return ok;
  if (auto ok = check_module_path(s.plugin_module); !ok) return ok;
  if (s.plugin_module.filename().native() != std::string(kMariadbSoname) + ".so")
    return fail("the MariaDB plugin file must be named ", kMariadbSoname, ".so, not ",
                s.plugin_module.filename().native());
  return check_timeout(s.timeout);
}

std::string option_file(const MariadbSettings& s) {
  return std::string(kManagedMarker) + " mariadb, for instance " + s.instance +
         ": run it again to change this file.\n"
         "# Settings of AWSAuthenticationPlugin (INSTALL SONAME '" + std::string(kMariadbSoname) +
         "'), which checks RDS auth\n"
         "# tokens through the iamdb daemon. `loose-` lets the server start before the plugin is installed.\n"
         "[mariadbd]\n"
         "loose-awsauthenticationplugin-socket = " + s.verify_socket.native() + "\n"
         "loose-awsauthenticationplugin-instance = " + s.instance + "\n"
         "loose-awsauthenticationplugin-timeout-ms = " + std::to_string(s.timeout.count()) + "\n"
         "loose-awsauthenticationplugin-require-tls = ON\n";
}

std::string set_variables_sql(const MariadbSettings& s) {
  // The checks of validate() leave no quote or backslash in these values.
  return "SET GLOBAL awsauthenticationplugin_socket = '" + s.verify_socket.native() + "';\n"
         "SET GLOBAL awsauthenticationplugin_instance = '" + s.instance + "';\n"
         "SET GLOBAL awsauthenticationplugin_timeout_ms = " + std::to_string(s.timeout.count()) + ";\n"
         "SET GLOBAL awsauthenticationplugin_require_tls = ON;\n";
}

std::string mariadb_instructions(const MariadbSettings& s, std::string_view api_url) {
  std::string out = "IAM database authentication for MariaDB instance " + s.instance + "\n\n";
  out += "1. The plugin " + s.plugin_module.native() +
         " must be in the server's plugin_dir (SELECT @@plugin_dir).\n\n"
         "2. Option file " + std::string(kOptionFileName) +
         " in the server's include directory, e.g. /etc/mysql/mariadb.conf.d\n"
         "   (`--apply DIR` writes DIR/" + std::string(kOptionFileName) + "):\n\n";
  out += indented(option_file(s));
  out += "\n3. SQL, as an administrator (`--apply-sql` runs it with the mariadb client); no restart needed:\n\n";
  out += indented(std::string(kInstallPlugin) + ";\n" + set_variables_sql(s));
  out += "\n   The server must serve TLS (ssl_cert, ssl_key): the plugin refuses IAM logins without it.\n"
         "\n4. Create the users that log in with IAM, exactly as on RDS:\n\n";
  out += indented("CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS';\n");
  out += "\n5. Register the instance with iamdb and turn its IAM switch on, with either of:\n\n";
  out += indented(register_command(s.instance, "mariadb", api_url));
  return out;
}

}  // namespace iamdb::setup
