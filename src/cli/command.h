// How subcommands plug into the `iamdb` binary.
//
// Each subcommand lives in its own file and exposes `void add_<name>(CLI::App&, Runner&)`. It
// declares its flags on a subcommand of `app` and, when CLI11 selects it, stores in the Runner
// the function that does the work. main() parses the command line, then calls the Runner once;
// its return value is the process exit status (0 success, 1 failure, 2 bad usage or input).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace iamdb::cli {

using Runner = std::function<int()>;

void add_version(CLI::App& app, Runner& run);
void add_policy_simulate(CLI::App& app, Runner& run);
void add_generate_db_auth_token(CLI::App& app, Runner& run);
void add_init(CLI::App& app, Runner& run);
void add_server(CLI::App& app, Runner& run);
void add_audit(CLI::App& app, Runner& run);
void add_instance(CLI::App& app, Runner& run);
void add_connect(CLI::App& app, Runner& run);
void add_rotate_master_key(CLI::App& app, Runner& run);
void add_setup(CLI::App& app, Runner& run);
void add_sessions(CLI::App& app, Runner& run);

}  // namespace iamdb::cli
