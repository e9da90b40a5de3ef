// The scripted verify-RPC peer used by the plugin tests.
#include "plugins/fake_daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace iamdb::plugin::testing {

bool Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

bool Connection::pause(std::chrono::milliseconds delay) {
  pollfd stop{daemon_.stop_fd(), POLLIN, 0};
  return ::poll(&stop, 1, static_cast<int>(delay.count())) == 0;
}

void Connection::close() { ::shutdown(fd_, SHUT_RDWR); }

FakeDaemon::FakeDaemon(Script script) : script_(std::move(script)) {
  char pattern[] = "/tmp/iamdb-plugin-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  socket_path_ = directory_ + "/verify.sock";
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 16) != 0) {
    throw std::runtime_error("cannot listen on " + socket_path_ + ": " + std::strerror(errno));
  }
  thread_ = std::thread([this] { run(); });
}

FakeDaemon::~FakeDaemon() {
  const char stop = 's';
  [[maybe_unused]] const ssize_t written = ::write(wake_[1], &stop, 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::vector<std::string> FakeDaemon::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

int FakeDaemon::connections() const {
  const std::lock_guard lock(mutex_);
  return connections_;
}

Script FakeDaemon::answer(std::string line) {
  return [line](Connection& connection, const std::string&) { connection.send(line); };
}

Script FakeDaemon::silent() {
  return [](Connection&, const std::string&) {};
}

void FakeDaemon::run() {
  for (;;) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents != 0) return;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void FakeDaemon::serve(int fd) {
  {
    const std::lock_guard lock(mutex_);
    ++connections_;
  }
  // Read the request line (or whatever arrives before the client gives up).
  std::string line;
  bool complete = false;
  while (!complete) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents != 0) return;
    char chunk[4096];
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) break;
    line.append(chunk, static_cast<std::size_t>(got));
    const auto newline = line.find('\n');
    if (newline != std::string::npos) {
      line.resize(newline);
      complete = true;
    }
  }
  {
    const std::lock_guard lock(mutex_);
    requests_.push_back(line);
  }
  if (!complete) return;
  Connection connection(fd, *this);
  script_(connection, line);
  // Keep the connection open until the client closes it or the daemon stops, so that a script
  // that does not answer looks like a daemon that hangs.
  for (;;) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents != 0) return;
    char chunk[256];
    if (::recv(fd, chunk, sizeof(chunk), 0) <= 0) return;
  }
}

}  // namespace iamdb::plugin::testing
