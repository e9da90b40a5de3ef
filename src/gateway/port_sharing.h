// Who else listens on a gateway address. Each worker's listener sets SO_REUSEPORT, and the kernel
// lets any process of the same user join that group and take a share of the new clients: a
// second iamdb server (another data directory, an older one still running) would then answer
// some logins from its own store. After binding, the gateway lists the kernel's listening TCP
// sockets on its exact address and refuses the address if one of them belongs to another process.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/error.h"

namespace iamdb::gateway {

// Pure: the inodes of the sockets listening on exactly `endpoint` in the text of /proc/net/tcp
// (IPv4 endpoints) or /proc/net/tcp6 (IPv6). Lines that do not parse are skipped.
std::vector<uint64_t> listening_inodes(std::string_view table, const boost::asio::ip::tcp::endpoint& endpoint);

// The inode of a socket listening on `endpoint` that no descriptor of this process refers to, or
// nullopt when every such socket is this process's own. An error when the kernel's tables cannot
// be read (no /proc): the caller decides whether to go on without the check.
Result<std::optional<uint64_t>> foreign_listener(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace iamdb::gateway
