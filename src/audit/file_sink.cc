// Appending and rotating the JSON-lines audit log.
#include "audit/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iamdb::audit {
namespace {

int open_append(const std::filesystem::path& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<FileSink> FileSink::open(std::filesystem::path path, uint64_t max_bytes, uint32_t max_files) {
  const int fd = open_append(path);
  if (fd < 0) return fail("cannot open the audit log ", path.string(), ": ", std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  return FileSink(std::move(path), fd, static_cast<uint64_t>(st.st_size), max_bytes, max_files);
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

FileSink::FileSink(FileSink&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      size_(other.size_),
      max_bytes_(other.max_bytes_),
      max_files_(other.max_files_) {
  other.fd_ = -1;
}

Result<void> FileSink::rotate() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto numbered = [&](uint32_t i) { return fs::path(path_.string() + "." + std::to_string(i)); };
  fs::remove(numbered(max_files_), ec);
  for (uint32_t i = max_files_; i > 1; --i) fs::rename(numbered(i - 1), numbered(i), ec);
  fs::rename(path_, numbered(1), ec);
  ::close(fd_);
  fd_ = open_append(path_);
  size_ = 0;
  if (fd_ < 0) return fail("cannot reopen the audit log ", path_.string(), ": ", std::strerror(errno));
  return {};
}

Result<void> FileSink::write(std::span<const Event> events) {
  // Lines go out in as few write(2) calls as rotation allows: one per batch, usually.
  std::string pending;
  const auto flush = [&]() -> Result<void> {
    if (pending.empty()) return {};
    if (fd_ < 0 || !write_all(fd_, pending.data(), pending.size()))
      return fail("cannot write the audit log ", path_.string(), ": ", std::strerror(errno));
    pending.clear();
    return {};
  };
  for (const Event& e : events) {
    std::string line = to_json_line(e);
    line += '\n';
    if (size_ > 0 && size_ + line.size() > max_bytes_) {
      if (auto ok = flush(); !ok) return ok;
      if (auto ok = rotate(); !ok) return ok;
    }
    pending += line;
    size_ += line.size();
  }
  return flush();
}

void FileSink::sync() {
  if (fd_ >= 0) ::fdatasync(fd_);
}

}  // namespace iamdb::audit
