// `iamdb server`: runs the daemon in the foreground until SIGTERM or SIGINT.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "config/config.h"
#include "server/server.h"

namespace iamdb::cli {
namespace {

struct ServerOptions {
  std::string data_dir;
  std::string config_file;
  bool print_default = false;
};

int run_server(const ServerOptions& o) {
  if (o.print_default) {
    config::Config defaults;
    defaults.data_dir = o.data_dir.empty() ? "/var/lib/iamdb" : std::filesystem::absolute(o.data_dir);
    std::fputs(config::render_config(defaults).c_str(), stdout);
    return 0;
  }
  std::filesystem::path file;
  if (!o.config_file.empty()) {
    file = o.config_file;
  } else if (!o.data_dir.empty()) {
    file = std::filesystem::path(o.data_dir) / "iamdb.toml";
    if (!std::filesystem::exists(file)) {
      std::fprintf(stderr,
                   "iamdb server: %s does not exist; create the data directory first with `iamdb init --data-dir %s`\n",
                   file.c_str(), o.data_dir.c_str());
      return 1;
    }
  } else {
    std::fprintf(stderr, "iamdb server: give --data-dir DIR (made by `iamdb init`) or --config FILE\n");
    return 2;
  }
  auto config = config::load_config(file);
  if (!config) {
    std::fprintf(stderr, "iamdb server: %s\n", config.error().message.c_str());
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("iamdb");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(config->log_level));
  spdlog::set_default_logger(logger);

  auto server = server::Server::start(std::move(*config));
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 1;
  }
  std::printf("%s\n", (*server)->ready_line().c_str());
  std::fflush(stdout);
  return (*server)->run();
}

}  // namespace

void add_server(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<ServerOptions>();
  auto* cmd = app.add_subcommand("server", "Run the iamdb server in the foreground (IAM/STS/RDS API, verify RPC)");
  cmd->add_option("--data-dir", opts->data_dir, "Data directory made by `iamdb init` (reads DIR/iamdb.toml)");
  cmd->add_option("--config", opts->config_file, "Configuration file (instead of --data-dir)");
  cmd->add_flag("--print-default-config", opts->print_default, "Print the configuration with every default and exit");
  cmd->callback([opts, &run] { run = [opts] { return run_server(*opts); }; });
}

}  // namespace iamdb::cli
