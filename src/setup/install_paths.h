// Where `cmake --install` puts the in-database modules on this system, as the build
// configured it (IAMDB_PAM_MODULE_DIR, IAMDB_MARIADB_PLUGIN_DIR). `iamdb setup` uses them
// unless told otherwise (--module). Pure.
#pragma once

#include <filesystem>

namespace iamdb::setup {

std::filesystem::path installed_pam_module();      // .../security/pam_iamdb.so
std::filesystem::path installed_mariadb_plugin();  // mariadbd's plugin_dir/aws_authentication_plugin.so

}  // namespace iamdb::setup
