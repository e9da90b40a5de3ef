// How a gateway listens: listeners steered by CPU get exactly the connections whose SYN their
// CPU handled (a client pinned to each CPU in turn); the check that no other process shares the
// address: the kernel's socket table read for exactly the listener's address and port, and real
// sockets: this process's own listeners pass, another process's listener in the same
// SO_REUSEPORT group is found.
#include "gateway/listen.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

namespace iamdb::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// /proc/net/tcp as a little-endian machine prints it: 127.0.0.1:5432 listening twice (inodes
// 111, 222), 0.0.0.0:5432 listening (333), 127.0.0.1:5433 listening (444), and an established
// connection from 127.0.0.1:5432 (555).
constexpr std::string_view kTcp4 =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 333 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   3: 0100007F:1539 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 "
    "0000000000000000 100 0 0 10 0\n"
    "   4: 0100007F:1538 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 555 1 "
    "0000000000000000 20 4 30 10 -1\n";

// /proc/net/tcp6: ::1 port 5432 (666) and :: port 5432 (777), both listening.
constexpr std::string_view kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 666 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n";

tcp::endpoint at(const char* address, unsigned short port) { return {asio::ip::make_address(address), port}; }

bool little_endian() {
  const uint16_t one = 1;
  return *reinterpret_cast<const unsigned char*>(&one) == 1;
}

TEST(ListeningInodes, FindsOnlyListenersOnExactlyTheAddressAndPort) {
  if (!little_endian()) GTEST_SKIP() << "the sample tables are as a little-endian kernel prints them";
  EXPECT_EQ(listening_inodes(kTcp4, at("127.0.0.1", 5432)), (std::vector<uint64_t>{111, 222}));
  EXPECT_EQ(listening_inodes(kTcp4, at("0.0.0.0", 5432)), (std::vector<uint64_t>{333}));
  EXPECT_EQ(listening_inodes(kTcp4, at("127.0.0.1", 5433)), (std::vector<uint64_t>{444}));
  EXPECT_TRUE(listening_inodes(kTcp4, at("127.0.0.2", 5432)).empty());
  EXPECT_TRUE(listening_inodes(kTcp4, at("127.0.0.1", 5434)).empty());
  EXPECT_EQ(listening_inodes(kTcp6, at("::1", 5432)), (std::vector<uint64_t>{666}));
  EXPECT_EQ(listening_inodes(kTcp6, at("::", 5432)), (std::vector<uint64_t>{777}));
}

TEST(ListeningInodes, SkipsLinesThatDoNotParse) {
  const std::string garbage =
      "\n   0: 0100007F:1538\n   1: 0100007Z:1538 00000000:0000 0A 0:0 0:0 0 0 0 9 1\n"
      "   2: 0100007F:XYZ 00000000:0000 0A 0:0 0:0 0 0 0 9 1\n"
      "   3: 0100007F1538 00000000:0000 0A 0:0 0:0 0 0 0 9 1\n"
      "   4: 0100007F:1538 00000000:0000 0A 0:0 0:0 0 0 0 -9 1\n"
      "   5: 100007F:1538 00000000:0000 0A 0:0 0:0 0 0 0 9 1\n";
  EXPECT_TRUE(listening_inodes(garbage, at("127.0.0.1", 5432)).empty());
  EXPECT_TRUE(listening_inodes("", at("127.0.0.1", 5432)).empty());
}

TEST(SteeringCpus, FollowsTheSettingTheAddressAndTheCpusThereAre) {
  const auto loopback = asio::ip::make_address("127.0.0.1");
  const auto v6_loopback = asio::ip::make_address("::1");
  const auto any = asio::ip::make_address("0.0.0.0");
  const std::vector<int> cpus{2, 3, 5, 7};
  EXPECT_EQ(steering_cpus("loopback", loopback, 2, cpus), (std::vector<int>{2, 3}));
  EXPECT_EQ(steering_cpus("loopback", v6_loopback, 4, cpus), (std::vector<int>{2, 3, 5, 7}));
  EXPECT_TRUE(steering_cpus("loopback", any, 2, cpus).empty());
  EXPECT_EQ(steering_cpus("always", any, 3, cpus), (std::vector<int>{2, 3, 5}));
  EXPECT_TRUE(steering_cpus("never", loopback, 2, cpus).empty());
  // More workers than CPUs, or no CPU known: no steering at all.
  EXPECT_TRUE(steering_cpus("always", loopback, 5, cpus).empty());
  EXPECT_TRUE(steering_cpus("always", loopback, 1, {}).empty());
}

tcp::acceptor& reuse_port_listener(asio::io_context& io, const tcp::endpoint& endpoint,
                                   std::vector<std::shared_ptr<tcp::acceptor>>& keep) {
  auto opened = open_listener(io, endpoint, std::nullopt);
  if (!opened) throw std::runtime_error(opened.error().message);
  keep.push_back(*opened);
  return *keep.back();
}

// Connects `count` times to `endpoint` from a thread pinned to `cpu` (the SYN is handled there on
// loopback) and returns how many connections each listener accepted.
std::vector<int> accepted_from_cpu(int cpu, const tcp::endpoint& endpoint,
                                   std::vector<std::shared_ptr<tcp::acceptor>>& listeners, int count) {
  std::thread client([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) return;
    asio::io_context io;
    for (int i = 0; i < count; ++i) {
      tcp::socket s(io);
      s.connect(endpoint);
    }
  });
  client.join();
  std::vector<int> accepted(listeners.size(), 0);
  for (size_t i = 0; i < listeners.size(); ++i) {
    listeners[i]->non_blocking(true);
    boost::system::error_code ec;
    while (true) {
      tcp::socket s = listeners[i]->accept(ec);
      if (ec) break;
      ++accepted[i];
    }
  }
  return accepted;
}

// Linux honours SO_INCOMING_CPU within a reuse-port group from 6.1 on; older kernels hash.
bool kernel_steers_reuse_port_groups() {
  utsname name{};
  int major = 0, minor = 0;
  return uname(&name) == 0 && std::sscanf(name.release, "%d.%d", &major, &minor) == 2 &&
         (major > 6 || (major == 6 && minor >= 1));
}

TEST(OpenListener, EachSteeredListenerGetsTheConnectionsOfItsCpu) {
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  if (!kernel_steers_reuse_port_groups()) GTEST_SKIP() << "the kernel is older than 6.1";
  asio::io_context io;
  std::vector<std::shared_ptr<tcp::acceptor>> listeners;
  auto first = open_listener(io, at("127.0.0.1", 0), cpus[0]);
  ASSERT_TRUE(first) << first.error().message;
  listeners.push_back(*first);
  const tcp::endpoint endpoint = (*first)->local_endpoint();
  auto second = open_listener(io, endpoint, cpus[1]);
  ASSERT_TRUE(second) << second.error().message;
  listeners.push_back(*second);

  EXPECT_EQ(accepted_from_cpu(cpus[0], endpoint, listeners, 20), (std::vector<int>{20, 0}));
  EXPECT_EQ(accepted_from_cpu(cpus[1], endpoint, listeners, 20), (std::vector<int>{0, 20}));
}

TEST(OpenListener, UnsteeredListenersShareTheConnectionsOfOneCpu) {
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  asio::io_context io;
  std::vector<std::shared_ptr<tcp::acceptor>> listeners;
  const tcp::endpoint endpoint = reuse_port_listener(io, at("127.0.0.1", 0), listeners).local_endpoint();
  reuse_port_listener(io, endpoint, listeners);
  // The kernel hashes each connection's addresses and ports: 64 connections all on one listener
  // would be a 1 in 2^63 chance.
  const auto accepted = accepted_from_cpu(cpus[0], endpoint, listeners, 64);
  EXPECT_EQ(accepted[0] + accepted[1], 64);
  EXPECT_GT(accepted[0], 0);
  EXPECT_GT(accepted[1], 0);
}

TEST(OpenListener, ABusyAddressIsAnError) {
  asio::io_context io;
  tcp::acceptor plain(io, at("127.0.0.1", 0));  // no SO_REUSEPORT: nobody may join it
  auto refused = open_listener(io, plain.local_endpoint(), std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("in use"), std::string::npos) << refused.error().message;
}

TEST(ForeignListener, ThisProcesssOwnListenersAreNotForeign) {
  asio::io_context io;
  std::vector<std::shared_ptr<tcp::acceptor>> listeners;
  const tcp::endpoint endpoint = reuse_port_listener(io, at("127.0.0.1", 0), listeners).local_endpoint();
  reuse_port_listener(io, endpoint, listeners);
  auto found = foreign_listener(endpoint);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found);
}

TEST(ForeignListener, AnotherProcessInTheSameReusePortGroupIsFound) {
  asio::io_context io;
  std::vector<std::shared_ptr<tcp::acceptor>> listeners;
  tcp::acceptor& ours = reuse_port_listener(io, at("127.0.0.1", 0), listeners);
  const tcp::endpoint endpoint = ours.local_endpoint();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Its own copy of our listener would count as its own: close it, then join the group.
    ::close(ours.native_handle());
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    const bool listening = fd >= 0 && bind(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0 &&
                           listen(fd, 1) == 0;
    const char status = listening ? 'y' : 'n';
    (void)!write(ready[1], &status, 1);
    pause();
    _exit(0);
  }
  ::close(ready[1]);
  char status = 0;
  ASSERT_EQ(read(ready[0], &status, 1), 1);
  ::close(ready[0]);
  auto found = foreign_listener(endpoint);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_EQ(status, 'y') << "the child could not join the port";
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(*found);

  // Once it is gone, the address is this process's alone again.
  auto after = foreign_listener(endpoint);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(*after);
}

}  // namespace
}  // namespace iamdb::gateway
