// `iamdb version`: prints the version of this build.
#include <cstdio>

#include "cli/command.h"

#ifndef IAMDB_VERSION
#define IAMDB_VERSION "0.1.0"
#endif

namespace iamdb::cli {

void add_version(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("version", "Print the version of iamdb");
  cmd->callback([&run] {
    run = [] {
      std::printf("iamdb %s\n", IAMDB_VERSION);
      return 0;
    };
  });
}

}  // namespace iamdb::cli
