// Entry point of the `iamdb` binary: parses the command line and runs one subcommand.
#include <sys/stat.h>

#include <cstdio>
#include <exception>

#include "cli/command.h"

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer builds only. The integration tests run some commands under libfaketime, which
// is preloaded ahead of the sanitizer's runtime; ASan would refuse to start then.
extern "C" const char* __asan_default_options() { return "verify_asan_link_order=0"; }
#endif

int main(int argc, char** argv) {
  using namespace iamdb::cli;
  // Everything iamdb creates (store, keys, logs) is private unless made wider on purpose.
  ::umask(077);
  CLI::App app{"iamdb: IAM database authentication for PostgreSQL and MariaDB", "iamdb"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  Runner run;
  add_version(app, run);
  add_policy_simulate(app, run);
  add_generate_db_auth_token(app, run);
  add_init(app, run);
  add_server(app, run);
  add_audit(app, run);
  add_instance(app, run);
  add_connect(app, run);
  add_rotate_master_key(app, run);
  add_setup(app, run);
  add_sessions(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iamdb: %s\n", e.what());
    return 1;
  }
}
