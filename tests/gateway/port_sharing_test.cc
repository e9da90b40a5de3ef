// The check that no other process shares a gateway's listening address: the kernel's socket
// table read for exactly the listener's address and port, in both byte layouts the kernel prints,
// and real sockets: this process's own listeners pass, another process's listener in the same
// SO_REUSEPORT group is found.
#include "gateway/port_sharing.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <string>

namespace iamdb::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

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

tcp::acceptor reuse_port_listener(asio::io_context& io, const tcp::endpoint& endpoint) {
  tcp::acceptor acceptor(io, endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  return acceptor;
}

TEST(ForeignListener, ThisProcesssOwnListenersAreNotForeign) {
  asio::io_context io;
  auto first = reuse_port_listener(io, at("127.0.0.1", 0));
  const tcp::endpoint endpoint = first.local_endpoint();
  auto second = reuse_port_listener(io, endpoint);
  auto found = foreign_listener(endpoint);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found);
}

TEST(ForeignListener, AnotherProcessInTheSameReusePortGroupIsFound) {
  asio::io_context io;
  auto ours = reuse_port_listener(io, at("127.0.0.1", 0));
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
