// The modules' installation paths, from the build's compile definitions.
#include "setup/install_paths.h"

#include "setup/values.h"

#ifndef IAMDB_PAM_MODULE_DIR
#error "the build defines IAMDB_PAM_MODULE_DIR (src/setup/CMakeLists.txt)"
#endif
#ifndef IAMDB_MARIADB_PLUGIN_DIR
#error "the build defines IAMDB_MARIADB_PLUGIN_DIR (src/setup/CMakeLists.txt)"
#endif

namespace iamdb::setup {

std::filesystem::path installed_pam_module() {
  return std::filesystem::path(IAMDB_PAM_MODULE_DIR) / kPamModuleFile;
}

std::filesystem::path installed_mariadb_plugin() {
  return std::filesystem::path(IAMDB_MARIADB_PLUGIN_DIR) / (std::string(kMariadbSoname) + ".so");
}

}  // namespace iamdb::setup
