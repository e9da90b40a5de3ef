#include "gateway/listen.h"

#include <sched.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/strings.h"

namespace iamdb::gateway {
namespace {

constexpr std::string_view kListen = "0A";  // TCP_LISTEN in the st column

std::optional<uint32_t> parse_hex32(std::string_view hex) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  if (hex.empty() || hex.size() > 8 || ec != std::errc() || end != hex.data() + hex.size()) return std::nullopt;
  return value;
}

// The kernel prints an address as 32-bit words, each as the hex of the word read in the
// machine's byte order; copying each word back into memory gives the address's bytes.
template <size_t N>
std::optional<std::array<unsigned char, N>> parse_address(std::string_view hex) {
  if (hex.size() != N * 2) return std::nullopt;
  std::array<unsigned char, N> bytes{};
  for (size_t word = 0; word < N / 4; ++word) {
    auto value = parse_hex32(hex.substr(word * 8, 8));
    if (!value) return std::nullopt;
    std::memcpy(bytes.data() + word * 4, &*value, 4);
  }
  return bytes;
}

bool same_address(std::string_view hex, const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    auto bytes = parse_address<4>(hex);
    return bytes && *bytes == address.to_v4().to_bytes();
  }
  auto bytes = parse_address<16>(hex);
  return bytes && *bytes == address.to_v6().to_bytes();
}

// The line's whitespace-separated fields (the kernel pads its columns with runs of spaces).
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out = split(line, ' ');
  std::erase(out, std::string_view());
  return out;
}

using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

Result<std::shared_ptr<boost::asio::ip::tcp::acceptor>> open_listener(boost::asio::io_context& io,
                                                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                                                        std::optional<int> incoming_cpu) {
  auto acceptor = std::make_shared<boost::asio::ip::tcp::acceptor>(io);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->set_option(ReusePort(true), ec);
  if (!ec && incoming_cpu) {
    const int cpu = *incoming_cpu;
    if (setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof cpu) != 0)
      ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  return acceptor;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

std::vector<int> steering_cpus(std::string_view setting, const boost::asio::ip::address& address, size_t workers,
                               const std::vector<int>& allowed) {
  const bool wanted = setting == "always" || (setting == "loopback" && address.is_loopback());
  if (!wanted || workers == 0 || workers > allowed.size()) return {};
  return {allowed.begin(), allowed.begin() + static_cast<std::ptrdiff_t>(workers)};
}

std::vector<uint64_t> listening_inodes(std::string_view table, const boost::asio::ip::tcp::endpoint& endpoint) {
  std::vector<uint64_t> inodes;
  for (std::string_view line : split(table, '\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const auto f = fields(line);
    if (f.size() < 10 || f[3] != kListen) continue;
    const size_t colon = f[1].find(':');
    if (colon == std::string_view::npos) continue;
    const auto port = parse_hex32(f[1].substr(colon + 1));
    long long inode = 0;
    if (!port || *port != endpoint.port() || !parse_uint(f[9], inode)) continue;
    if (same_address(f[1].substr(0, colon), endpoint.address())) inodes.push_back(static_cast<uint64_t>(inode));
  }
  return inodes;
}

Result<std::optional<uint64_t>> foreign_listener(const boost::asio::ip::tcp::endpoint& endpoint) {
  const char* path = endpoint.address().is_v4() ? "/proc/net/tcp" : "/proc/net/tcp6";
  std::ifstream in(path);
  std::stringstream table;
  table << in.rdbuf();
  if (!in) return fail("cannot read ", path);
  const auto listening = listening_inodes(table.str(), endpoint);
  if (listening.empty()) return std::optional<uint64_t>{};

  std::set<uint64_t> own;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_error;
    const std::string target = std::filesystem::read_symlink(it->path(), link_error).string();
    long long inode = 0;
    if (!link_error && target.starts_with("socket:[") && target.ends_with(']') &&
        parse_uint(std::string_view(target).substr(8, target.size() - 9), inode))
      own.insert(static_cast<uint64_t>(inode));
  }
  if (ec) return fail("cannot list /proc/self/fd: ", ec.message());
  for (uint64_t inode : listening)
    if (!own.contains(inode)) return std::optional<uint64_t>{inode};
  return std::optional<uint64_t>{};
}

}  // namespace iamdb::gateway
