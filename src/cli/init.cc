// `iamdb init`: creates a data directory with everything a server needs, or changes nothing.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/command.h"
#include "common/clock.h"
#include "config/config.h"
#include "crypto/key_file.h"
#include "crypto/x509.h"
#include "iam/bootstrap.h"
#include "iam/ids.h"
#include "store/sqlite/sqlite_store.h"

namespace iamdb::cli {
namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string data_dir;
  std::string region = "us-east-1";
  std::string account_id;
  std::string api_listen;
  std::string verify_socket;
  std::string admin_user = "admin";
};

std::string credentials_text(const iam::AccessKey& key, const config::Config& c) {
  return "# AWS-format credentials for iamdb's first administrator, written by `iamdb init`.\n"
         "# Use with: AWS_SHARED_CREDENTIALS_FILE=" + (c.data_dir / "credentials").string() +
         " aws --profile iamdb-admin --endpoint-url " + c.api.public_url + " iam list-users\n"
         "[iamdb-admin]\naws_access_key_id = " + key.id + "\naws_secret_access_key = " + key.secret +
         "\nregion = " + c.region + "\nendpoint_url = " + c.api.public_url + "\n";
}

// Builds the key, certificates and store in `dir` (empty), whose paths `c` resolves.
Result<iam::AccessKey> populate(const fs::path& dir, const config::Config& c, const std::string& admin_user) {
  fs::create_directories(dir / "tls");
  fs::permissions(dir / "tls", fs::perms::owner_all);
  auto key = crypto::create_key_file(c.resolve(c.master_key));
  if (!key) return std::unexpected(key.error());

  auto ca = crypto::make_ca("iamdb CA " + c.account_id, std::chrono::hours(24 * 3650));
  if (!ca) return std::unexpected(ca.error());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::vector<std::string> names = {"localhost"};
  if (host[0] && std::string(host) != "localhost") names.emplace_back(host);
  auto server = crypto::make_server_certificate(*ca, names, {"127.0.0.1", "::1"}, std::chrono::hours(24 * 825));
  if (!server) return std::unexpected(server.error());
  const fs::path ca_key = dir / "tls" / "ca.key";
  for (const auto& [path, text, mode] :
       {std::tuple{c.resolve(c.tls.ca_cert), ca->certificate_pem, 0644u}, {ca_key, ca->key_pem, 0600u},
        {c.resolve(c.tls.cert), server->certificate_pem, 0644u}, {c.resolve(c.tls.key), server->key_pem, 0600u}}) {
    if (auto ok = crypto::write_new_file(path, text, mode); !ok) return std::unexpected(ok.error());
  }

  auto store = store::SqliteStore::open(c.resolve(c.store.sqlite), *key);
  if (!store) return std::unexpected(store.error());
  const iam::Account account{c.account_id, c.region};
  if (auto ok = (*store)->initialize(account); !ok) return std::unexpected(ok.error());
  auto boot = iam::bootstrap_state(account, admin_user, SystemClock::instance().now());
  if (!boot) return std::unexpected(boot.error());
  if (auto ok = (*store)->commit(iam::State{}, boot->state); !ok) return std::unexpected(ok.error());
  return boot->admin_key;
}

int run_init(const InitOptions& o) {
  const fs::path dir = fs::absolute(o.data_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    std::fprintf(stderr,
                 "iamdb init: %s already exists and is not an empty directory; iamdb init never changes an "
                 "existing installation (to start over, remove it or choose another --data-dir)\n",
                 dir.c_str());
    return 1;
  }
  config::Config c;
  c.data_dir = dir;
  c.region = o.region;
  c.account_id = o.account_id.empty() ? iam::new_account_id() : o.account_id;
  if (!config::is_region(c.region)) {
    std::fprintf(stderr, "iamdb init: --region %s does not look like a region (like us-east-1)\n", c.region.c_str());
    return 2;
  }
  if (!config::is_account_id(c.account_id)) {
    std::fprintf(stderr, "iamdb init: --account-id must be 12 digits\n");
    return 2;
  }
  if (!o.api_listen.empty()) c.api.listen = o.api_listen;
  const auto listen = config::parse_listen_address(c.api.listen);
  if (!listen) {
    std::fprintf(stderr, "iamdb init: --api-listen: %s\n", listen.error().message.c_str());
    return 2;
  }
  if (!o.verify_socket.empty()) c.verify.socket = fs::absolute(o.verify_socket);
  config::ListenAddress reachable = *listen;
  if (reachable.host == "0.0.0.0") reachable.host = "127.0.0.1";
  if (reachable.host == "::") reachable.host = "::1";
  c.api.public_url = "http://" + reachable.to_string();

  // Build in a sibling directory and move it into place at the end, so a failure leaves nothing.
  const fs::path staging = dir.parent_path() / ("." + dir.filename().string() + ".init-" + std::to_string(::getpid()));
  fs::create_directories(staging, ec);
  if (ec) {
    std::fprintf(stderr, "iamdb init: cannot create %s: %s\n", staging.c_str(), ec.message().c_str());
    return 1;
  }
  // 0711: others may pass through to the verify socket (0660, its group) but list nothing; every
  // file inside is 0600 and the tls/ directory 0700.
  fs::permissions(staging, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec, ec);
  config::Config staged = c;
  staged.data_dir = staging;
  auto key = populate(staging, staged, o.admin_user);
  if (key) {
    // These two name the final directory, not the staging one.
    if (auto ok = crypto::write_new_file(staging / "iamdb.toml", config::render_config(c), 0600); !ok)
      key = std::unexpected(ok.error());
    else if (auto cred = crypto::write_new_file(staging / "credentials", credentials_text(*key, c), 0600); !cred)
      key = std::unexpected(cred.error());
  }
  if (key) {
    if (fs::exists(dir, ec)) fs::remove(dir, ec);
    fs::rename(staging, dir, ec);
    if (ec) key = fail("cannot move ", staging.string(), " to ", dir.string(), ": ", ec.message());
  }
  if (!key) {
    fs::remove_all(staging, ec);
    std::fprintf(stderr, "iamdb init: %s\n", key.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr,
               "Initialized iamdb in %s\n"
               "  account %s, region %s, API %s\n"
               "  administrator: user %s with AdministratorAccess\n"
               "  access key id:     %s\n"
               "  secret access key: %s   (shown once; also in %s/credentials, profile iamdb-admin)\n"
               "Start the server with: iamdb server --data-dir %s\n",
               dir.c_str(), c.account_id.c_str(), c.region.c_str(), c.api.public_url.c_str(), o.admin_user.c_str(),
               key->id.c_str(), key->secret.c_str(), dir.c_str(), dir.c_str());
  std::printf("%s\n", key->id.c_str());
  return 0;
}

}  // namespace

void add_init(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Create a data directory: store, master key, TLS CA and certificate, "
                                         "and a first administrator access key");
  cmd->add_option("--data-dir", opts->data_dir, "Directory to create (must not exist, or be empty)")->required();
  cmd->add_option("--region", opts->region, "Region that tokens and ARNs name")->capture_default_str();
  cmd->add_option("--account-id", opts->account_id, "12-digit account id (default: random)");
  cmd->add_option("--api-listen", opts->api_listen, "HOST:PORT of the API (default 127.0.0.1:8750)");
  cmd->add_option("--verify-socket", opts->verify_socket, "Path of the verify RPC socket (default DATA_DIR/verify.sock)");
  cmd->add_option("--admin-user", opts->admin_user, "Name of the first administrator")->capture_default_str();
  cmd->callback([opts, &run] { run = [opts] { return run_init(*opts); }; });
}

}  // namespace iamdb::cli
