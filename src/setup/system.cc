// Files replaced atomically, the database client run as a child process, and permission facts.
#include "setup/system.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/strings.h"
#include "setup/values.h"

extern char** environ;

namespace iamdb::setup {
namespace {

namespace fs = std::filesystem;

std::string os_error(int err) { return std::strerror(err); }

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<void> write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write ", path.native(), ": ", os_error(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string user_name(unsigned uid) {
  const passwd* p = ::getpwuid(uid);
  return p ? p->pw_name : std::to_string(uid);
}

std::string group_name(unsigned gid) {
  const group* g = ::getgrgid(gid);
  return g ? g->gr_name : std::to_string(gid);
}

PathFacts path_facts(const fs::path& path) {
  PathFacts facts;
  facts.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return facts;
  facts.exists = true;
  facts.mode = st.st_mode & 07777;
  facts.uid = st.st_uid;
  facts.gid = st.st_gid;
  facts.owner_name = user_name(st.st_uid);
  facts.group_name = group_name(st.st_gid);
  return facts;
}

// What the child needs, prepared before fork: after fork only async-signal-safe calls are made.
struct Launch {
  std::string program;
  std::vector<std::string> args;
  std::vector<std::string> env;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home;
};

Result<std::string> find_program(const std::string& name, const std::string& path_env) {
  if (name.find('/') != std::string::npos) return name;
  const std::string search = path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env;
  for (std::string_view dir : split(search, ':')) {
    const std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return fail("cannot run ", name, ": not found on PATH (give its path)");
}

Result<Launch> prepare(const Command& command) {
  if (command.argv.empty()) return fail("no command to run");
  Launch launch;
  const char* path_env = std::getenv("PATH");
  auto program = find_program(command.argv[0], path_env ? path_env : "");
  if (!program) return std::unexpected(program.error());
  launch.program = *program;
  launch.args = command.argv;
  std::vector<std::string> overrides;
  if (!command.run_as.empty()) {
    const passwd* pw = ::getpwnam(command.run_as.c_str());
    if (!pw) return fail("cannot run ", command.argv[0], " as ", command.run_as, ": no such OS user");
    launch.switch_user = true;
    launch.uid = pw->pw_uid;
    launch.gid = pw->pw_gid;
    launch.home = pw->pw_dir;
    int count = 64;
    launch.groups.resize(static_cast<size_t>(count));
    while (::getgrouplist(pw->pw_name, pw->pw_gid, launch.groups.data(), &count) < 0) {
      launch.groups.resize(static_cast<size_t>(count));
    }
    launch.groups.resize(static_cast<size_t>(count));
    overrides = {"HOME=" + launch.home, "USER=" + command.run_as, "LOGNAME=" + command.run_as};
  }
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    const bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                      [&](const std::string& o) { return o.starts_with(name); });
    if (!replaced) launch.env.emplace_back(entry);
  }
  launch.env.insert(launch.env.end(), overrides.begin(), overrides.end());
  return launch;
}

[[noreturn]] void exec_child(const Launch& launch, char* const* argv, char* const* envp, int out, int err,
                             int status) {
  const auto die = [status](int code) {
    const int saved = code;
    [[maybe_unused]] const ssize_t n = ::write(status, &saved, sizeof saved);
    ::_exit(127);
  };
  const int null = ::open("/dev/null", O_RDONLY);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) die(errno);
  if (launch.switch_user) {
    if (::setgroups(launch.groups.size(), launch.groups.data()) != 0 || ::setgid(launch.gid) != 0 ||
        ::setuid(launch.uid) != 0)
      die(errno);
    // Its home, so that the client finds its own ~/.pgpass or ~/.my.cnf; "/" if that fails.
    if (::chdir(launch.home.c_str()) != 0 && ::chdir("/") != 0) die(errno);
  }
  ::execve(launch.program.c_str(), argv, envp);
  die(errno);
  ::_exit(127);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<std::optional<std::string>> read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    return fail("cannot read ", path.native(), ": ", os_error(errno));
  }
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot read ", path.native(), ": ", os_error(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

std::string_view describe(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kCreated: return "created";
    case WriteOutcome::kReplaced: return "updated";
    case WriteOutcome::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

Result<WriteOutcome> write_file(const fs::path& given, std::string_view contents, unsigned new_mode) {
  // Edit what a symbolic link points at, and leave the link alone.
  std::error_code ec;
  fs::path path = given;
  if (fs::is_symlink(fs::symlink_status(given, ec))) {
    path = fs::canonical(given, ec);
    if (ec) return fail("cannot follow the link ", given.native(), ": ", ec.message());
  }
  auto existing = read_file(path);
  if (!existing) return std::unexpected(existing.error());
  if (*existing && **existing == contents) return WriteOutcome::kUnchanged;

  struct stat old {};
  const bool exists = existing->has_value() && ::stat(path.c_str(), &old) == 0;
  std::string temp = (path.parent_path() / ("." + path.filename().native() + ".iamdb-XXXXXX")).native();
  Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return fail("cannot create a file next to ", path.native(), ": ", os_error(errno));
  const auto abandon = [&temp](Error e) {
    ::unlink(temp.c_str());
    return std::unexpected(std::move(e));
  };
  if (auto ok = write_all(fd.get(), contents, path); !ok) return abandon(ok.error());
  const mode_t mode = exists ? (old.st_mode & 07777) : static_cast<mode_t>(new_mode);
  if (::fchmod(fd.get(), mode) != 0)
    return abandon(Error{"cannot set the mode of " + path.native() + ": " + os_error(errno)});
  if (exists && (old.st_uid != ::geteuid() || old.st_gid != ::getegid()) &&
      ::fchown(fd.get(), old.st_uid, old.st_gid) != 0)
    return abandon(Error{"cannot keep the owner of " + path.native() + " (" + user_name(old.st_uid) + ":" +
                         group_name(old.st_gid) + "): " + os_error(errno)});
  if (::fsync(fd.get()) != 0) return abandon(Error{"cannot write " + path.native() + ": " + os_error(errno)});
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return abandon(Error{"cannot replace " + path.native() + ": " + os_error(errno)});
  Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  return exists ? WriteOutcome::kReplaced : WriteOutcome::kCreated;
}

Result<WriteOutcome> write_managed_file(const fs::path& path, std::string_view contents, unsigned new_mode) {
  auto existing = read_file(path);
  if (!existing) return std::unexpected(existing.error());
  if (*existing && !is_managed(**existing))
    return fail(path.native(), " exists and was not written by iamdb setup (its first line is not '",
                kManagedMarker, "'): move it away, or choose another name");
  return write_file(path, contents, new_mode);
}

Result<CommandOutput> run_command(const Command& command) {
  auto launch = prepare(command);
  if (!launch) return std::unexpected(launch.error());
  std::vector<char*> argv = pointers(launch->args);
  std::vector<char*> envp = pointers(launch->env);

  int out_pipe[2], err_pipe[2], status_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return fail("cannot create a pipe: ", os_error(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fail("cannot create a pipe: ", os_error(errno));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return fail("cannot create a pipe: ", os_error(errno));
  Fd status_read(status_pipe[0]), status_write(status_pipe[1]);

  const pid_t pid = ::fork();
  if (pid < 0) return fail("cannot start ", command.argv[0], ": ", os_error(errno));
  if (pid == 0) exec_child(*launch, argv.data(), envp.data(), out_write.get(), err_write.get(), status_write.get());
  out_write.reset();
  err_write.reset();
  status_write.reset();

  CommandOutput output;
  const auto deadline = std::chrono::steady_clock::now() + command.timeout;
  bool timed_out = false;
  int read_error = 0;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&output.out, &output.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      read_error = errno;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) sinks[i]->append(buffer, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) fds[i].fd = -1;
    }
  }
  // It may outlive its output streams; it still gets only what is left of the timeout.
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (timed_out || read_error != 0 || std::chrono::steady_clock::now() >= deadline) {
      timed_out = read_error == 0;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::poll(nullptr, 0, 10);
  }
  int exec_error = 0;
  if (::read(status_read.get(), &exec_error, sizeof exec_error) == sizeof exec_error)
    return fail("cannot run ", launch->program, command.run_as.empty() ? "" : " as " + command.run_as, ": ",
                os_error(exec_error));
  if (read_error != 0) return fail("cannot read the output of ", command.argv[0], ": ", os_error(read_error));
  if (timed_out)
    return fail(command.argv[0], " did not finish within ", std::to_string(command.timeout.count()),
                " ms and was stopped");
  output.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

SocketAccessFacts gather_socket_facts(const fs::path& socket, const std::string& os_user,
                                      std::optional<std::string> socket_group) {
  SocketAccessFacts facts;
  facts.db_user.name = os_user;
  if (const passwd* pw = ::getpwnam(os_user.c_str())) {
    facts.db_user.exists = true;
    facts.db_user.uid = pw->pw_uid;
    int count = 64;
    std::vector<gid_t> groups(static_cast<size_t>(count));
    while (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) groups.resize(static_cast<size_t>(count));
    groups.resize(static_cast<size_t>(count));
    facts.db_user.gids.assign(groups.begin(), groups.end());
  }
  fs::path dir;
  for (const fs::path& part : socket.parent_path()) {
    dir /= part;
    facts.directories.push_back(path_facts(dir));
  }
  facts.socket = path_facts(socket);
  if (socket_group && !socket_group->empty()) {
    if (const group* g = ::getgrnam(socket_group->c_str())) facts.socket_group_gid = g->gr_gid;
  }
  facts.socket_group = std::move(socket_group);
  return facts;
}

}  // namespace iamdb::setup
