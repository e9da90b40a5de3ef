// The values that `iamdb setup` writes into other programs' configuration (pg_hba.conf, a PAM
// service file, MariaDB option files and SQL), and the checks that keep each one a single,
// unquoted token there.
//
// Pure functions. Every value reaches files whose syntax splits on white space and SQL string
// literals, so the checks are strict allow-lists and each refusal says what to change.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace iamdb::setup {

// The role that marks PostgreSQL users who log in with IAM, as on RDS.
inline constexpr std::string_view kIamRole = "rds_iam";
// The MariaDB plugin as RDS names it, and the shared object that provides it.
inline constexpr std::string_view kMariadbPlugin = "AWSAuthenticationPlugin";
inline constexpr std::string_view kMariadbSoname = "aws_authentication_plugin";
inline constexpr std::string_view kPamModuleFile = "pam_iamdb.so";
inline constexpr std::string_view kDefaultPamService = "iamdb";

// The plugins' own bounds for one verify call (plugins/common/verify_client.h).
inline constexpr std::chrono::milliseconds kDefaultTimeout{2000};
inline constexpr std::chrono::milliseconds kMaxTimeout{60'000};

// First line of every file setup writes whole; a file without it is the operator's own and
// is never overwritten.
inline constexpr std::string_view kManagedMarker = "# Managed by iamdb setup";

// An RDS DB instance identifier (1-63 ASCII letters, digits and hyphens, starting with a
// letter, no trailing or doubled hyphen), returned in lower case as RDS stores it.
Result<std::string> normalize_instance_id(std::string_view id);

// An absolute path that fits a Unix socket address, with no white space, quotes, backslash,
// '#' or control characters (it becomes a PAM module argument and an option-file value).
Result<void> check_socket_path(const std::filesystem::path& path);

// An absolute path of a loadable module, under the same character rules.
Result<void> check_module_path(const std::filesystem::path& path);

// A PAM service name: letters, digits, '.', '_' and '-', not starting with '.'; at most 64.
Result<void> check_pam_service(std::string_view name);

Result<void> check_timeout(std::chrono::milliseconds timeout);

// True if `text` (a whole file) starts with kManagedMarker.
bool is_managed(std::string_view text);

// Two commands that each register the instance with iamdb with its IAM switch on: iamdb's own
// and the AWS CLI's.
std::string register_command(std::string_view instance, std::string_view engine, std::string_view api_url);

// `text` with `prefix` before each of its lines, for instructions that quote a file.
std::string indented(std::string_view text, std::string_view prefix = "    ");

}  // namespace iamdb::setup
