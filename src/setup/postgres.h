// What `iamdb setup postgres` adds to a PostgreSQL server so that members of `rds_iam` log in
// with RDS auth tokens through pam_iamdb.so, as on RDS (`GRANT rds_iam TO alice`):
//
//   pg_hba.conf, before every other line (first match wins, so other users keep their methods):
//     hostssl all +rds_iam all pam pamservice=SERVICE   tokens, over TLS only
//     host    all +rds_iam all reject                   the same users without TLS
//     local   all +rds_iam reject                       and over the Unix socket
//   PAM_DIR/SERVICE: pam_iamdb.so with the verify socket, the instance and `tls=assume` (true
//     because only `hostssl` lines name the service);
//   SQL: CREATE ROLE rds_iam, then a configuration reload.
//
// Pure text generation and editing; the caller reads and writes the files and runs psql.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"
#include "setup/values.h"

namespace iamdb::setup {

struct PostgresSettings {
  std::string instance;                   // as normalize_instance_id returns it
  std::filesystem::path verify_socket;    // the daemon's verify socket
  std::filesystem::path pam_module;       // absolute path of pam_iamdb.so
  std::string pam_service{kDefaultPamService};
  std::filesystem::path pam_dir = "/etc/pam.d";
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

Result<void> validate(const PostgresSettings& settings);

// The lines that open and close iamdb's block in pg_hba.conf.
inline constexpr std::string_view kHbaBegin = "# BEGIN iamdb";
inline constexpr std::string_view kHbaEnd = "# END iamdb";

// iamdb's pg_hba.conf block, markers included, ending with a newline.
std::string hba_block(const PostgresSettings& settings);

// pg_hba.conf with every earlier iamdb block removed and `block` placed before the first rule
// (the first line that is neither blank nor a comment), so the comments that head the file stay
// on top and the block precedes every rule. Applying the same block twice changes nothing.
// Refuses a file with a BEGIN marker and no END marker after it rather than guess its extent.
Result<std::string> place_hba_block(std::string_view hba, std::string_view block);

std::filesystem::path pam_service_path(const PostgresSettings& settings);
// The PAM service file, starting with kManagedMarker.
std::string pam_service_file(const PostgresSettings& settings);

// The SQL that --apply-sql runs as a superuser, one statement per constant, each safe to run
// again. `kRoleExists` prints 1 or 0; `kHbaErrors` prints one line per rejected pg_hba.conf line.
inline constexpr std::string_view kRoleExists =
    "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = 'rds_iam'";
inline constexpr std::string_view kCreateRole = "CREATE ROLE rds_iam";
inline constexpr std::string_view kShowSsl = "SHOW ssl";
inline constexpr std::string_view kReload = "SELECT pg_reload_conf()";
inline constexpr std::string_view kHbaErrors =
    "SELECT line_number || ': ' || error FROM pg_catalog.pg_hba_file_rules WHERE error IS NOT NULL";

// Everything the operator must add, as printed by `iamdb setup postgres` without --apply;
// `api_url` is the iamdb API that registers the instance.
std::string postgres_instructions(const PostgresSettings& settings, std::string_view api_url);

}  // namespace iamdb::setup
