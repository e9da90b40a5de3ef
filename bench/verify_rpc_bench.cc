// The verify RPC end to end: a client sends a request line over the Unix socket and reads the
// answer, while an in-process iamdb server parses it, checks the token, evaluates the
// rds-db:connect policy and submits the audit event. Each benchmark thread has its own
// connection with one request in flight, as a database's authentication path does.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "common/clock.h"
#include "crypto/key_file.h"
#include "iam/bootstrap.h"
#include "server/server.h"
#include "store/sqlite/sqlite_store.h"
#include "support/iam_fixture.h"
#include "support/temp_dir.h"
#include "token/token.h"

namespace {

using namespace iamdb;

struct Running {
  testing::TempDir dir;
  std::unique_ptr<server::Server> server;
  std::thread runner;
  std::string socket;
  std::string token;

  Running() {
    const SystemTime now = SystemClock::instance().now();
    config::Config c;
    c.data_dir = dir.path();
    c.account_id = testing::kAccount;
    c.api.listen = "127.0.0.1:0";
    c.audit.store = false;  // measure the decision, not SQLite's write rate
    auto key = crypto::create_key_file(c.resolve(c.master_key));
    auto store = store::SqliteStore::open(c.resolve(c.store.sqlite), *key);
    iam::State s = testing::empty_state(now);
    iam::User& u = testing::add_user(s, "app", now);
    for (int i = 0; i < 10; ++i)
      u.inline_policies.push_back(
          {"p" + std::to_string(i),
           testing::doc(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect",)"
                        R"("Resource":"arn:aws:rds-db:us-east-1:123456789012:dbuser:*/${aws:username}",)"
                        R"("Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}]})")});
    testing::add_key(s, "app", "AKIABENCHBENCHBENCH1", "bench-secret", now);
    testing::add_instance(s, "orders", "db.example.internal", 5432, true, now);
    (void)(*store)->initialize(s.account);
    (void)(*store)->commit(iam::State{}, s);
    store->reset();
    auto started = server::Server::start(c);
    if (!started) throw std::runtime_error(started.error().message);
    server = std::move(*started);
    runner = std::thread([this] { server->run(); });
    socket = c.resolve(c.verify.socket).string();
    token = token::build_token({"db.example.internal", 5432, "us-east-1", "app"},
                               {"AKIABENCHBENCHBENCH1", "bench-secret", ""}, now);
  }
  ~Running() {
    server->request_stop();
    runner.join();
  }
};

Running& running() {
  static Running r;
  return r;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
  return fd;
}

void BM_VerifyRpc(benchmark::State& state) {
  Running& r = running();
  const int fd = connect_to(r.socket);
  const std::string line = R"({"v":1,"instance":"orders","user":"app","token":")" + r.token +
                           R"(","client_addr":"10.1.2.3","tls":true})" + "\n";
  char buf[4096];
  for (auto _ : state) {
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) state.SkipWithError("write");
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0 || ::memmem(buf, static_cast<size_t>(n), "\"allow\":true", 12) == nullptr) {
      state.SkipWithError("not allowed");
      break;
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyRpc)->UseRealTime()->Threads(1)->Threads(2)->Threads(4);

}  // namespace

BENCHMARK_MAIN();
