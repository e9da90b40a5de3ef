// A verify-RPC peer for plugin tests: a real Unix-socket server on its own thread whose answer
// each test scripts. It records every request line it receives and counts connections, so a
// test can check what a plugin sent, and that it sent nothing at all.
//
// One connection at a time. The destructor stops the thread, also while a script is waiting.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace iamdb::plugin::testing {

class FakeDaemon;

// What a script may do with one connection after the request line has been read.
class Connection {
 public:
  Connection(int fd, const FakeDaemon& daemon) : fd_(fd), daemon_(daemon) {}
  // Writes all of `bytes`; false if the peer is gone.
  bool send(std::string_view bytes);
  // Waits `delay`, or less if the daemon is being stopped; false when stopped.
  bool pause(std::chrono::milliseconds delay);
  // Ends the connection from the daemon's side: the client reads end-of-file.
  void close();

 private:
  int fd_;
  const FakeDaemon& daemon_;
};

using Script = std::function<void(Connection&, const std::string& request_line)>;

class FakeDaemon {
 public:
  explicit FakeDaemon(Script script);
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;
  ~FakeDaemon();

  const std::string& socket_path() const { return socket_path_; }
  std::vector<std::string> requests() const;  // request lines, without their newline
  int connections() const;

  // Common scripts.
  static Script answer(std::string line);  // sends `line` as is
  static Script silent();                  // reads the request, never answers

 private:
  friend class Connection;
  void run();
  void serve(int fd);
  int stop_fd() const { return wake_[0]; }

  Script script_;
  std::string directory_;
  std::string socket_path_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  int connections_ = 0;
  std::thread thread_;
};

}  // namespace iamdb::plugin::testing
