// The system calls `iamdb setup` makes: it edits configuration files in place, runs the
// database's own administration client (psql, mariadb), and gathers the permission facts that
// socket_access.h judges.
//
// Files are replaced atomically (a temporary file in the same directory, fsync, rename), so a
// reader such as a PostgreSQL reload or a PAM login sees the old or the new file, never half.
// Not thread-safe: run_command forks; call it from a single-threaded process.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "setup/socket_access.h"

namespace iamdb::setup {

// The whole file; nullopt when it does not exist.
Result<std::optional<std::string>> read_file(const std::filesystem::path& path);

enum class WriteOutcome { kCreated, kReplaced, kUnchanged };
std::string_view describe(WriteOutcome outcome);  // "created", "updated", "unchanged"

// Makes `path` hold `contents`. A file that exists keeps its owner, group and mode; a new one
// gets `new_mode` exactly (whatever the umask). Nothing is written when the contents match.
Result<WriteOutcome> write_file(const std::filesystem::path& path, std::string_view contents, unsigned new_mode);

// write_file for a file that setup owns: refuses to replace an existing file that does not
// start with kManagedMarker (it is someone else's), naming it.
Result<WriteOutcome> write_managed_file(const std::filesystem::path& path, std::string_view contents,
                                        unsigned new_mode);

struct Command {
  std::vector<std::string> argv;   // argv[0] is looked up on PATH unless it contains '/'
  std::string run_as;              // an OS user to run as (needs root), or "" for ourselves
  std::chrono::milliseconds timeout{120'000};
};

struct CommandOutput {
  int exit_status = 0;  // the exit code, or 128 + signal number
  std::string out;
  std::string err;
};

// Runs the command with stdin from /dev/null and collects both output streams. Fails when the
// program cannot be started or does not finish within the timeout (it is killed).
Result<CommandOutput> run_command(const Command& command);

// stat/getpwnam/getgrouplist facts about `socket`, its directories and `os_user`.
SocketAccessFacts gather_socket_facts(const std::filesystem::path& socket, const std::string& os_user,
                                      std::optional<std::string> socket_group);

}  // namespace iamdb::setup
