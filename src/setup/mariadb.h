// What `iamdb setup mariadb` adds to a MariaDB server so that accounts created
// `IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` log in with RDS auth tokens, as on RDS:
//
//   an option file (`iamdb.cnf`, for the server's include directory) with the plugin's system
//     variables, `loose-` prefixed so the server starts before the plugin is installed;
//   SQL: INSTALL SONAME 'aws_authentication_plugin' (once: the server remembers it), then
//     SET GLOBAL of the same variables so they take effect without a restart.
//
// The shared object must be in the server's plugin_dir. Pure text generation; the caller
// writes the file and runs the mariadb client.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"
#include "setup/values.h"

namespace iamdb::setup {

struct MariadbSettings {
  std::string instance;                 // as normalize_instance_id returns it
  std::filesystem::path verify_socket;  // the daemon's verify socket
  std::filesystem::path plugin_module;  // absolute path of aws_authentication_plugin.so
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

Result<void> validate(const MariadbSettings& settings);

inline constexpr std::string_view kOptionFileName = "iamdb.cnf";

// The option file, starting with kManagedMarker.
std::string option_file(const MariadbSettings& settings);

// The SQL that --apply-sql runs as an administrator. `kPluginStatus` prints the plugin's status
// (ACTIVE...) or nothing when it is not installed; `kServerFacts` prints plugin_dir and
// have_ssl, tab-separated.
inline constexpr std::string_view kPluginStatus =
    "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'AWSAuthenticationPlugin'";
inline constexpr std::string_view kInstallPlugin = "INSTALL SONAME 'aws_authentication_plugin'";
inline constexpr std::string_view kServerFacts = "SELECT @@plugin_dir, @@have_ssl";
// SET GLOBAL of every plugin variable, one statement per line, each ending with ';'.
std::string set_variables_sql(const MariadbSettings& settings);

// Everything the operator must add, as printed by `iamdb setup mariadb` without --apply;
// `api_url` is the iamdb API that registers the instance.
std::string mariadb_instructions(const MariadbSettings& settings, std::string_view api_url);

}  // namespace iamdb::setup
