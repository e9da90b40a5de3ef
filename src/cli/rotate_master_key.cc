// `iamdb rotate-master-key`: replaces the data directory's master key, re-sealing every stored
// secret under the new one. Runs while the server is stopped (it takes the directory's lock).
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "config/config.h"
#include "server/data_dir.h"

namespace iamdb::cli {
namespace {

struct RotateOptions {
  std::string data_dir;
  std::string config_file;
};

int run_rotate(const RotateOptions& o) {
  if (o.data_dir.empty() && o.config_file.empty()) {
    std::fprintf(stderr, "iamdb rotate-master-key: give --data-dir DIR or --config FILE\n");
    return 2;
  }
  const std::filesystem::path file =
      o.config_file.empty() ? std::filesystem::path(o.data_dir) / "iamdb.toml" : std::filesystem::path(o.config_file);
  auto config = config::load_config(file);
  if (!config) {
    std::fprintf(stderr, "iamdb rotate-master-key: %s\n", config.error().message.c_str());
    return 2;
  }
  auto lock = server::DirectoryLock::acquire(config->data_dir);
  if (!lock) {
    std::fprintf(stderr, "iamdb rotate-master-key: %s (the server must be stopped while the key changes)\n",
                 lock.error().message.c_str());
    return 1;
  }
  if (auto ok = server::rotate_master_key(*config); !ok) {
    std::fprintf(stderr, "iamdb rotate-master-key: %s\n", ok.error().message.c_str());
    return 1;
  }
  std::printf("master key replaced: %s (every stored secret is now sealed with it; back it up)\n",
              config->resolve(config->master_key).c_str());
  return 0;
}

}  // namespace

void add_rotate_master_key(CLI::App& app, Runner& run) {
  auto o = std::make_shared<RotateOptions>();
  auto* cmd = app.add_subcommand("rotate-master-key",
                                 "Replace the master key and re-seal every stored secret (server stopped)");
  cmd->add_option("--data-dir", o->data_dir, "The data directory made by `iamdb init`");
  cmd->add_option("--config", o->config_file, "Its iamdb.toml (instead of --data-dir)");
  cmd->callback([o, &run] { run = [o] { return run_rotate(*o); }; });
}

}  // namespace iamdb::cli
