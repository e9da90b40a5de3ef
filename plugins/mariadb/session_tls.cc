// Asking mariadbd whether a session uses TLS through its `Ssl_version` status variable.
#include "plugins/mariadb/session_tls.h"

#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstring>

#include <mysql/plugin.h>

namespace iamdb::mariadb {
namespace {

std::atomic<mysql_show_var_func> ssl_version_function{nullptr};

}  // namespace

bool find_tls_status(std::string& problem) {
  const auto* table = static_cast<const st_mysql_show_var*>(::dlsym(RTLD_DEFAULT, "status_vars"));
  if (table == nullptr) {
    problem = "the server does not export its status variable table (status_vars)";
    return false;
  }
  for (const st_mysql_show_var* entry = table; entry->name != nullptr; ++entry) {
    if (std::strcmp(entry->name, "Ssl_version") != 0) continue;
    if (entry->type != SHOW_SIMPLE_FUNC || entry->value == nullptr) {
      problem = "the server's Ssl_version status variable is not computed per session";
      return false;
    }
    ssl_version_function.store(reinterpret_cast<mysql_show_var_func>(entry->value));
    return true;
  }
  problem = "the server has no Ssl_version status variable (built without TLS?)";
  return false;
}

SessionTls session_tls(THD* thd) {
  const mysql_show_var_func function = ssl_version_function.load();
  if (function == nullptr || thd == nullptr) return SessionTls::kUnknown;
  st_mysql_show_var variable{"Ssl_version", nullptr, SHOW_UNDEF};
  alignas(std::max_align_t) char buffer[SHOW_VAR_FUNC_BUFF_SIZE] = {};
  if (function(thd, &variable, buffer, nullptr, SHOW_OPT_SESSION) != 0) return SessionTls::kUnknown;
  if (variable.type != SHOW_CHAR || variable.value == nullptr) return SessionTls::kUnknown;
  return static_cast<const char*>(variable.value)[0] != '\0' ? SessionTls::kTls : SessionTls::kPlain;
}

}  // namespace iamdb::mariadb
