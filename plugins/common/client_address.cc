// Canonical client IP addresses for verify requests.
#include "plugins/common/client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace iamdb::plugin {
namespace {

std::string format_v4(const in_addr& address) {
  char text[INET_ADDRSTRLEN] = {};
  return ::inet_ntop(AF_INET, &address, text, sizeof(text)) ? text : "";
}

std::string format_v6(const in6_addr& address) {
  if (IN6_IS_ADDR_V4MAPPED(&address)) {
    in_addr v4{};
    std::memcpy(&v4, &address.s6_addr[12], sizeof(v4));
    return format_v4(v4);
  }
  char text[INET6_ADDRSTRLEN] = {};
  return ::inet_ntop(AF_INET6, &address, text, sizeof(text)) ? text : "";
}

}  // namespace

std::string canonical_ip(std::string_view text) {
  const std::string address(text.substr(0, text.find('%')));
  in_addr v4{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return format_v4(v4);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) return format_v6(v6);
  return "";
}

std::string peer_ip(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return "";
  if (peer.ss_family == AF_INET) return format_v4(reinterpret_cast<const sockaddr_in&>(peer).sin_addr);
  if (peer.ss_family == AF_INET6) {
    return format_v6(reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr);
  }
  return "";
}

}  // namespace iamdb::plugin
