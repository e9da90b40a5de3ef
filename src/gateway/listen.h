// How a gateway listens: one SO_REUSEPORT socket per worker on the same address, so the kernel
// spreads new connections over the workers.
//
// Steering by CPU: with SO_INCOMING_CPU set on each worker's socket (Linux 6.1 and later honour
// it within a reuse-port group), the kernel gives a new connection to the socket of the CPU that
// handled its SYN, and hashes only when no socket names that CPU. For a client on the same
// machine that CPU is the one the client ran on, so each client thread's connections meet on one
// worker, which then finds more of them ready per wake-up. Over a network it is the CPU of the
// NIC's receive queue: with a single queue every connection would go to one worker.
//
// Who else listens: the kernel lets any process of the same user join a reuse-port group and take
// a share of the new clients: a second iamdb server (another data directory, an older one still
// running) would then answer some logins from its own store. After binding, the gateway lists the
// kernel's listening TCP sockets on its exact address and refuses the address if one of them
// belongs to another process.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/error.h"

namespace iamdb::gateway {

// A listening socket on `endpoint` for the worker running `io`, in the address's reuse-port
// group; with `incoming_cpu`, new connections whose SYN that CPU handled come to it.
Result<std::shared_ptr<boost::asio::ip::tcp::acceptor>> open_listener(boost::asio::io_context& io,
                                                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                                                        std::optional<int> incoming_cpu);

// The CPUs this process may run on (its affinity mask, which a container's cpuset narrows), in
// ascending order; empty if the kernel does not say.
std::vector<int> allowed_cpus();

// Pure: the CPU each of `workers` listeners on `address` names under the `cpu_steering` setting
// ("loopback": only on a loopback address, "always", "never"), given the CPUs the process may run
// on; empty for no steering. Every worker needs a CPU of its own: a listener without one would get
// new connections only when no listener names the SYN's CPU, that is never.
std::vector<int> steering_cpus(std::string_view setting, const boost::asio::ip::address& address, size_t workers,
                               const std::vector<int>& allowed);

// Pure: the inodes of the sockets listening on exactly `endpoint` in the text of /proc/net/tcp
// (IPv4 endpoints) or /proc/net/tcp6 (IPv6). Lines that do not parse are skipped.
std::vector<uint64_t> listening_inodes(std::string_view table, const boost::asio::ip::tcp::endpoint& endpoint);

// The inode of a socket listening on `endpoint` that no descriptor of this process refers to, or
// nullopt when every such socket is this process's own. An error when the kernel's tables cannot
// be read (no /proc): the caller decides whether to go on without the check.
Result<std::optional<uint64_t>> foreign_listener(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace iamdb::gateway
