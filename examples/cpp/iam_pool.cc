// A libpq connection pool that logs in with IAM auth tokens and keeps working for as long as the
// application runs, well past a token's 15 minutes. One file, libpq and the C++20 standard
// library; copy it into an application and keep TokenSource and ConnectionPool.
//
// A token is a password that expires: 15 minutes after it was signed the database refuses it. A
// session that logged in with it stays open, though; only new logins need a valid token. So the
// pool keeps one token and reuses it for `refresh_after` (10 minutes by default, leaving at least
// 5 minutes of validity when it is presented), then makes a new one for the next login.
//
// Tokens come from `iamdb generate-db-auth-token`, which reads the same credential chain as the
// AWS CLI (AWS_ACCESS_KEY_ID..., AWS_PROFILE, ~/.aws/config profiles with role_arn and
// source_profile); see docs/applications.md for why this example runs the command instead of
// linking a signing library.
//
// The workload comes from standard input so that the pool can be watched: each line is a number
// N; the program borrows N connections at once, asks each who it is, gives them back and prints
// one JSON line (`new`: opened for this request; `token_date`: the X-Amz-Date of the token it
// logged in with).
//
//   iamdb_example_pool --host db.example.internal --port 5432 --user app --dbname orders
//                      --ssl-ca rds-ca.pem [--region us-east-1] [--profile app] [--iamdb PATH]
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using WallClock = std::chrono::system_clock;  // the database judges a token's age by wall time

struct Endpoint {
  std::string host;
  int port = 5432;
  std::string user;
  std::string dbname = "postgres";
  std::string ssl_ca;
};

// Runs argv (no shell) and returns its standard output; throws with its exit status otherwise.
// The child's standard error goes to ours, so its message reaches the operator unchanged.
std::string run_and_capture(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(argv[0] + " " + argv[1] + " failed (exit status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

// The X-Amz-Date a token was signed at, for logs (never log the token itself).
std::string token_date(const std::string& token) {
  const auto at = token.find("X-Amz-Date=");
  return at == std::string::npos ? "?" : token.substr(at + 11, 16);
}

// Makes IAM auth tokens for one endpoint and user, and reuses each for `refresh_after`.
// Thread-safe.
class TokenSource {
 public:
  TokenSource(std::string iamdb, Endpoint endpoint, std::string region, std::string profile,
              std::chrono::seconds refresh_after = std::chrono::minutes(10))
      : iamdb_(std::move(iamdb)), endpoint_(std::move(endpoint)), region_(std::move(region)),
        profile_(std::move(profile)), refresh_after_(refresh_after) {
    if (refresh_after_ <= std::chrono::seconds(0) || refresh_after_ >= std::chrono::minutes(15))
      throw std::invalid_argument("refresh_after must be between 0 and 15 minutes");
  }

  std::string token() {
    std::lock_guard lock(mutex_);
    const auto now = WallClock::now();
    if (!token_ || now - signed_at_ >= refresh_after_) {
      std::vector<std::string> argv = {iamdb_, "generate-db-auth-token", "--hostname", endpoint_.host,
                                       "--port", std::to_string(endpoint_.port), "--username", endpoint_.user};
      if (!region_.empty()) argv.insert(argv.end(), {"--region", region_});
      if (!profile_.empty()) argv.insert(argv.end(), {"--profile", profile_});
      token_ = run_and_capture(argv);
      signed_at_ = now;
    }
    return *token_;
  }

 private:
  const std::string iamdb_;
  const Endpoint endpoint_;
  const std::string region_;
  const std::string profile_;
  const std::chrono::seconds refresh_after_;
  std::mutex mutex_;
  std::optional<std::string> token_;
  WallClock::time_point signed_at_;
};

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;

struct PooledConnection {
  PgConn conn;
  std::string token_date;
  bool fresh = true;  // opened for the current borrower
};

// Up to `max_size` open connections. get() hands out an idle one, or opens a new one with the
// token source's current token; the Lease gives it back when destroyed (closing it if it broke).
// Open connections are kept however old their token is. Thread-safe; the pool must outlive its
// leases.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<PooledConnection> c) : pool_(&pool), c_(std::move(c)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), c_(std::move(other.c_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_) pool_->put(std::move(c_));
    }
    PGconn* get() const { return c_->conn.get(); }
    const PooledConnection& info() const { return *c_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PooledConnection> c_;
  };

  ConnectionPool(Endpoint endpoint, TokenSource& tokens, size_t max_size,
                 std::chrono::seconds wait_timeout = std::chrono::seconds(30))
      : endpoint_(std::move(endpoint)), tokens_(tokens), max_size_(max_size), wait_timeout_(wait_timeout) {}

  Lease get() {
    {
      std::unique_lock lock(mutex_);
      const auto deadline = std::chrono::steady_clock::now() + wait_timeout_;
      for (;;) {
        while (!idle_.empty()) {
          auto c = std::move(idle_.back());
          idle_.pop_back();
          if (PQstatus(c->conn.get()) == CONNECTION_OK) {
            c->fresh = false;
            return Lease(*this, std::move(c));
          }
          --open_;  // closed by the server (restart, idle timeout): forget it
        }
        if (open_ < max_size_) {
          ++open_;
          break;
        }
        if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= max_size_)
          throw std::runtime_error("all " + std::to_string(max_size_) + " connections stayed busy");
      }
    }
    try {
      return Lease(*this, open_connection());
    } catch (...) {
      std::lock_guard lock(mutex_);
      --open_;
      available_.notify_one();
      throw;
    }
  }

 private:
  std::unique_ptr<PooledConnection> open_connection() {
    const std::string token = tokens_.token();
    const std::string port = std::to_string(endpoint_.port);
    // verify-full: a token is a bearer credential for 15 minutes and must only reach the real server.
    const char* keys[] = {"host", "port", "user", "dbname", "password", "sslmode", "sslrootcert",
                          "connect_timeout", nullptr};
    const char* values[] = {endpoint_.host.c_str(), port.c_str(), endpoint_.user.c_str(), endpoint_.dbname.c_str(),
                            token.c_str(), "verify-full", endpoint_.ssl_ca.c_str(), "10", nullptr};
    PgConn conn(PQconnectdbParams(keys, values, 0));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
      throw std::runtime_error(conn ? PQerrorMessage(conn.get()) : "out of memory");
    return std::make_unique<PooledConnection>(PooledConnection{std::move(conn), token_date(token), true});
  }

  void put(std::unique_ptr<PooledConnection> c) {
    std::lock_guard lock(mutex_);
    if (PQstatus(c->conn.get()) == CONNECTION_OK && PQtransactionStatus(c->conn.get()) == PQTRANS_IDLE)
      idle_.push_back(std::move(c));
    else
      --open_;  // broken, or left inside a transaction: close it rather than hand it on
    available_.notify_one();
  }

  const Endpoint endpoint_;
  TokenSource& tokens_;
  const size_t max_size_;
  const std::chrono::seconds wait_timeout_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PooledConnection>> idle_;
  size_t open_ = 0;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Holds `count` connections at once, asks each who it is, gives them back; one JSON line.
std::string borrow(ConnectionPool& pool, size_t count) {
  std::vector<ConnectionPool::Lease> held;
  for (size_t i = 0; i < count; ++i) held.push_back(pool.get());
  std::string report = "{\"connections\": [";
  for (const auto& lease : held) {
    PGresult* r = PQexec(lease.get(), "SELECT current_user, pg_backend_pid()");
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    const std::string user = ok ? PQgetvalue(r, 0, 0) : "";
    const std::string backend = ok ? PQgetvalue(r, 0, 1) : "";
    PQclear(r);
    if (!ok) throw std::runtime_error(PQerrorMessage(lease.get()));
    if (report.back() != '[') report += ", ";
    report += "{\"backend\": " + backend + ", \"new\": " + (lease.info().fresh ? "true" : "false") +
              ", \"token_date\": " + json_string(lease.info().token_date) + ", \"user\": " + json_string(user) + "}";
  }
  return report + "]}";
}

int usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: iamdb_example_pool --host HOST --port PORT --user USER --ssl-ca CA.pem [--dbname DB] "
               "[--region R] [--profile P] [--iamdb PATH] [--max-connections N] [--refresh-after SECONDS]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Endpoint endpoint;
  std::string region, profile, iamdb = "iamdb";
  size_t max_connections = 10;
  long refresh_after = 600;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    try {
      if (flag == "--host") endpoint.host = value;
      else if (flag == "--port") endpoint.port = std::stoi(value);
      else if (flag == "--user") endpoint.user = value;
      else if (flag == "--dbname") endpoint.dbname = value;
      else if (flag == "--ssl-ca") endpoint.ssl_ca = value;
      else if (flag == "--region") region = value;
      else if (flag == "--profile") profile = value;
      else if (flag == "--iamdb") iamdb = value;
      else if (flag == "--max-connections") max_connections = std::stoul(value);
      else if (flag == "--refresh-after") refresh_after = std::stol(value);
      else return usage(("unknown option " + flag).c_str());
    } catch (const std::exception&) {
      return usage(("bad value for " + flag + ": " + value).c_str());
    }
  }
  if (endpoint.host.empty() || endpoint.user.empty() || endpoint.ssl_ca.empty())
    return usage("--host, --port, --user and --ssl-ca are required");
  if (max_connections == 0) return usage("--max-connections must be at least 1");

  try {
    TokenSource tokens(iamdb, endpoint, region, profile, std::chrono::seconds(refresh_after));
    ConnectionPool pool(endpoint, tokens, max_connections);
    bool failed = false;
    for (std::string line; std::getline(std::cin, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string result;
      try {
        size_t used = 0;
        const unsigned long count = std::stoul(line, &used);
        if (count < 1 || count > max_connections || line.find_first_not_of(" \t\r", used) != std::string::npos)
          throw std::invalid_argument("");
        result = borrow(pool, count);
      } catch (const std::invalid_argument&) {
        failed = true;
        result = "{\"error\": " + json_string("a line must be a number from 1 to " + std::to_string(max_connections)) + "}";
      } catch (const std::out_of_range&) {
        failed = true;
        result = "{\"error\": " + json_string("a line must be a number from 1 to " + std::to_string(max_connections)) + "}";
      } catch (const std::exception& e) {
        failed = true;
        std::string message = e.what();
        while (!message.empty() && message.back() == '\n') message.pop_back();
        result = "{\"error\": " + json_string(message) + "}";
      }
      std::printf("%s\n", result.c_str());
      std::fflush(stdout);
    }
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    return usage(e.what());
  }
}
