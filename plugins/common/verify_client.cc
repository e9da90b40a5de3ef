// The verify RPC client: a non-blocking Unix-socket exchange under one deadline.
#include "plugins/common/verify_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace iamdb::plugin {
namespace {

using Clock = std::chrono::steady_clock;

// Backlog-full retries (EAGAIN from connect on a Unix socket) are spaced by this much.
constexpr int kConnectRetryMs = 5;
// Each field of a log line is cut to this many bytes.
constexpr std::size_t kMaxLogField = 200;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Decision refusal(std::string_view reason, std::string detail) {
  Decision decision;
  decision.reason = std::string(reason);
  decision.detail = std::move(detail);
  return decision;
}

std::string errno_text(std::string_view what, int error) {
  std::string text(what);
  text += ": ";
  text += std::strerror(error);
  return text;
}

// Milliseconds left before `deadline`, rounded up so that a wait never ends early; 0 once it
// has passed.
int remaining_ms(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

enum class Wait { kReady, kTimeout, kError };

// Waits until `fd` reports one of `events` (or an error/hang-up, which the next call sees).
Wait wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const int timeout = remaining_ms(deadline);
    if (timeout == 0) return Wait::kTimeout;
    pollfd entry{fd, events, 0};
    const int rc = ::poll(&entry, 1, timeout);
    if (rc > 0) return Wait::kReady;
    if (rc < 0 && errno != EINTR) return Wait::kError;
  }
}

// The helpers below return the refusal that ends the call, or nothing when their step succeeded.
using Failure = std::optional<Decision>;

// Connects the non-blocking `fd` to `path`.
Failure connect_to(int fd, const std::string& path, Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty()) return refusal(kReasonNotConfigured, "no verify socket path is configured");
  if (path.size() >= sizeof(address.sun_path)) {
    return refusal(kReasonNotConfigured, "verify socket path is longer than " +
                                             std::to_string(sizeof(address.sun_path) - 1) +
                                             " bytes");
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const auto* generic = reinterpret_cast<const sockaddr*>(&address);
  for (;;) {
    if (::connect(fd, generic, sizeof(address)) == 0) return std::nullopt;
    const int error = errno;
    if (error == EAGAIN) {
      // The daemon's accept backlog is full: try again shortly, within the deadline.
      const int timeout = std::min(remaining_ms(deadline), kConnectRetryMs);
      if (timeout == 0) return refusal(kReasonTimeout, "connect: the daemon's backlog stayed full");
      ::poll(nullptr, 0, timeout);
      continue;
    }
    if (error != EINPROGRESS && error != EINTR) {
      return refusal(kReasonUnreachable, errno_text("connect " + path, error));
    }
    switch (wait_for(fd, POLLOUT, deadline)) {
      case Wait::kTimeout: return refusal(kReasonTimeout, "connect: timed out");
      case Wait::kError: return refusal(kReasonIoError, errno_text("poll", errno));
      case Wait::kReady: break;
    }
    int so_error = 0;
    socklen_t length = sizeof(so_error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) {
      return refusal(kReasonIoError, errno_text("getsockopt", errno));
    }
    if (so_error != 0) return refusal(kReasonUnreachable, errno_text("connect " + path, so_error));
    return std::nullopt;
  }
}

Failure send_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN) return refusal(kReasonIoError, errno_text("send", errno));
    switch (wait_for(fd, POLLOUT, deadline)) {
      case Wait::kTimeout: return refusal(kReasonTimeout, "send: timed out");
      case Wait::kError: return refusal(kReasonIoError, errno_text("poll", errno));
      case Wait::kReady: break;
    }
  }
  return std::nullopt;
}

// Reads up to and including the first '\n', never more than kMaxLineBytes in total. On
// success `line` holds the line without its newline; bytes after it are ignored.
Failure receive_line(int fd, Clock::time_point deadline, std::string& line) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    switch (wait_for(fd, POLLIN, deadline)) {
      case Wait::kTimeout:
        return refusal(kReasonTimeout, "no complete answer within the timeout (" +
                                           std::to_string(buffer.size()) + " bytes received)");
      case Wait::kError: return refusal(kReasonIoError, errno_text("poll", errno));
      case Wait::kReady: break;
    }
    // Never read past the cap: one byte more than a full line tells that the line is too long.
    const std::size_t room = std::min(sizeof(chunk), kMaxLineBytes + 1 - buffer.size());
    const ssize_t got = ::recv(fd, chunk, room, 0);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return refusal(kReasonIoError, errno_text("recv", errno));
    }
    if (got == 0) {
      return refusal(kReasonClosed, "the daemon closed the connection after " +
                                        std::to_string(buffer.size()) + " bytes without a newline");
    }
    const std::size_t scanned = buffer.size();
    buffer.append(chunk, static_cast<std::size_t>(got));
    const auto newline = buffer.find('\n', scanned);
    if (newline != std::string::npos && newline < kMaxLineBytes) {
      buffer.resize(newline);
      line = std::move(buffer);
      return std::nullopt;
    }
    if (buffer.size() >= kMaxLineBytes) {
      return refusal(kReasonTooLarge, "the answer exceeds " + std::to_string(kMaxLineBytes) +
                                          " bytes without a newline");
    }
  }
}

// Overwrites a buffer that held the token before it is freed.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& buffer) : buffer_(buffer) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { ::explicit_bzero(buffer_.data(), buffer_.size()); }

 private:
  std::string& buffer_;
};

Decision exchange(const ClientOptions& options, const VerifyRequest& request) {
  auto encoded = encode_request(request);
  if (!encoded) return refusal(kReasonBadRequest, encoded.error().message);
  const WipeOnExit wipe(*encoded);
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return refusal(kReasonNotConfigured, "the timeout is not positive");
  }
  const auto deadline = Clock::now() + options.timeout;

  FileDescriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) return refusal(kReasonIoError, errno_text("socket", errno));
  if (auto failed = connect_to(socket.get(), options.socket_path, deadline)) return *failed;
  if (auto failed = send_all(socket.get(), *encoded, deadline)) return *failed;
  std::string line;
  if (auto failed = receive_line(socket.get(), deadline, line)) return *failed;
  auto response = parse_response(line);
  if (!response) return refusal(kReasonMalformed, response.error().message);

  Decision decision;
  decision.answered = true;
  decision.allow = response->allow;
  decision.reason = std::move(response->reason);
  decision.request_id = std::move(response->request_id);
  decision.principal = std::move(response->principal);
  return decision;
}

}  // namespace

Decision verify(const ClientOptions& options, const VerifyRequest& request) noexcept {
  try {
    return exchange(options, request);
  } catch (...) {
    Decision decision;
    try {
      decision.reason = std::string(kReasonInternal);
    } catch (...) {
      // Out of memory: the refusal stands without its reason.
    }
    return decision;
  }
}

void append_log_field(std::string& out, std::string_view key, std::string_view value) {
  const bool cut = value.size() > kMaxLogField;
  if (cut) value = value.substr(0, kMaxLogField);
  const bool quote = value.empty() || value.find_first_of(" \"\\") != std::string_view::npos;
  if (!out.empty()) out.push_back(' ');
  out.append(key);
  out.push_back('=');
  if (quote) out.push_back('"');
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) {
      out.push_back('?');
      continue;
    }
    if (quote && (c == '"' || c == '\\')) out.push_back('\\');
    out.push_back(c);
  }
  if (cut) out.append("...");
  if (quote) out.push_back('"');
}

std::string describe(const Decision& decision) noexcept {
  try {
    std::string out;
    append_log_field(out, "allow", decision.allow ? "true" : "false");
    append_log_field(out, "reason", decision.reason);
    if (!decision.request_id.empty()) append_log_field(out, "request_id", decision.request_id);
    if (!decision.principal.empty()) append_log_field(out, "principal", decision.principal);
    if (!decision.detail.empty()) append_log_field(out, "detail", decision.detail);
    return out;
  } catch (...) {
    return {};
  }
}

}  // namespace iamdb::plugin
