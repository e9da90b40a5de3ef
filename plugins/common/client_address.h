// The client address a plugin reports in a verify request: an IPv4 or IPv6 literal in
// canonical form, or empty when there is none (Unix socket) or it is not known.
//
// Pure functions plus one getpeername(); thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace iamdb::plugin {

// `text` as a canonical IP literal: IPv4 dotted quad, IPv6 as inet_ntop writes it, an
// IPv4-mapped IPv6 address as plain IPv4, a zone suffix ("%eth0") dropped. Empty for anything
// that is not an IP literal: host names, "[local]", "".
std::string canonical_ip(std::string_view text);

// The peer address of the connected socket `fd` in the same canonical form; empty for a Unix
// socket or when getpeername fails.
std::string peer_ip(int fd);

}  // namespace iamdb::plugin
