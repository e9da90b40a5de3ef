// Unix-socket listener for the verify RPC.
#include "server/verify_server.h"

#include <grp.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>

namespace iamdb::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using local = asio::local::stream_protocol;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct VerifyServer::Shared {
  VerifyLimits limits;
  LineHandler handler;
  local::acceptor acceptor;
  std::atomic<uint32_t> connections{0};
  std::atomic<uint32_t> in_flight{0};

  Shared(asio::io_context& io, VerifyLimits l, LineHandler h) : limits(l), handler(std::move(h)), acceptor(io) {}
};

namespace {

struct ConnectionSlot {
  std::shared_ptr<VerifyServer::Shared> shared;
  ~ConnectionSlot() { shared->connections.fetch_sub(1, std::memory_order_relaxed); }
};

asio::awaitable<void> serve_connection(std::shared_ptr<VerifyServer::Shared> shared, local::socket socket) {
  ConnectionSlot slot{shared};
  beast::basic_stream<local, asio::any_io_executor, beast::unlimited_rate_policy> stream(std::move(socket));
  std::string buffer;
  for (;;) {
    stream.expires_after(shared->limits.idle_timeout);
    auto [ec, n] =
        co_await asio::async_read_until(stream, asio::dynamic_buffer(buffer, shared->limits.max_line_bytes), '\n', kTuple);
    shared->in_flight.fetch_add(1, std::memory_order_relaxed);
    std::string response;
    bool last = false;
    if (ec == asio::error::not_found) {
      response = shared->handler(buffer, true);
      last = true;
    } else if (ec) {
      shared->in_flight.fetch_sub(1, std::memory_order_relaxed);
      co_return;
    } else {
      response = shared->handler(std::string_view(buffer).substr(0, n - 1), false);
      buffer.erase(0, n);
    }
    response += '\n';
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(response), kTuple);
    (void)written;
    shared->in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (write_ec || last) co_return;
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<VerifyServer::Shared> shared, Workers* workers) {
  for (;;) {
    asio::io_context& target = workers->next();
    auto [ec, socket] = co_await shared->acceptor.async_accept(target, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !shared->acceptor.is_open()) co_return;
      continue;
    }
    if (shared->connections.fetch_add(1, std::memory_order_relaxed) >= shared->limits.max_connections) {
      shared->connections.fetch_sub(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(target, serve_connection(shared, std::move(socket)), asio::detached);
  }
}

// True if something accepts connections at `path`.
bool someone_listens(const std::filesystem::path& path) {
  asio::io_context io;
  local::socket probe(io);
  boost::system::error_code ec;
  probe.connect(local::endpoint(path.string()), ec);
  return !ec;
}

}  // namespace

VerifyServer::VerifyServer(Workers& workers, VerifyLimits limits, LineHandler handler)
    : workers_(workers), shared_(std::make_shared<Shared>(workers.at(0), limits, std::move(handler))) {}

VerifyServer::~VerifyServer() { stop(); }

Result<void> VerifyServer::listen(const std::filesystem::path& path, const std::string& group) {
  namespace fs = std::filesystem;
  std::error_code fs_ec;
  if (path.string().size() >= sizeof(sockaddr_un::sun_path))
    return fail("the verify socket path ", path.string(), " is too long for a Unix socket (at most ",
                std::to_string(sizeof(sockaddr_un::sun_path) - 1), " bytes): choose a shorter [verify] socket");
  if (fs::exists(fs::symlink_status(path, fs_ec))) {
    if (!fs::is_socket(fs::symlink_status(path, fs_ec)))
      return fail(path.string(), " exists and is not a socket: remove it or choose another [verify] socket");
    if (someone_listens(path))
      return fail("another server is answering on the verify socket ", path.string());
    fs::remove(path, fs_ec);
  }
  boost::system::error_code ec;
  auto& a = shared_->acceptor;
  // Create the socket file with no access for others from the start.
  const mode_t old_mask = ::umask(0117);
  a.open(local(), ec);
  if (!ec) a.bind(local::endpoint(path.string()), ec);
  ::umask(old_mask);
  if (ec) return fail("cannot create the verify socket ", path.string(), ": ", ec.message());
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
    return fail("cannot listen on the verify socket ", path.string(), ": ", ec.message());
  if (!group.empty()) {
    const struct group* g = ::getgrnam(group.c_str());
    if (!g) return fail("[verify] socket_group ", group, " is not a group on this machine");
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
      return fail("cannot give the verify socket to group ", group, ": ", std::strerror(errno));
    // The group reaches the socket only through directories it may search.
    for (fs::path dir = fs::absolute(path).parent_path(); !dir.empty(); dir = dir.parent_path()) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH) && !(st.st_gid == g->gr_gid && (st.st_mode & S_IXGRP)))
        spdlog::warn("group {} cannot reach the verify socket: {} is not searchable by it (chmod o+x it, or set "
                     "[verify] socket to a path such as /run/iamdb/verify.sock)", group, dir.string());
      if (dir == dir.root_path()) break;
    }
  }
  if (::chmod(path.c_str(), 0660) != 0) return fail("cannot set the verify socket's mode: ", std::strerror(errno));
  path_ = path;
  return {};
}

void VerifyServer::start() { asio::co_spawn(workers_.at(0), accept_loop(shared_, &workers_), asio::detached); }

void VerifyServer::stop() {
  asio::post(workers_.at(0), [shared = shared_] {
    boost::system::error_code ignored;
    shared->acceptor.close(ignored);
  });
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    path_.clear();
  }
}

uint32_t VerifyServer::requests_in_flight() const { return shared_->in_flight.load(std::memory_order_relaxed); }

}  // namespace iamdb::server
