// Master key file creation and checked reading.
#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "common/strings.h"

namespace iamdb::crypto {

Result<void> write_new_file(const std::filesystem::path& path, std::string_view contents, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return fail("cannot create ", path.string(), ": ", std::strerror(errno));
  ::fchmod(fd, mode);  // the umask may have narrowed it; never widened beyond `mode`
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const int err = errno;
      ::close(fd);
      return fail("cannot write ", path.string(), ": ", std::strerror(err));
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail("cannot write ", path.string(), ": ", std::strerror(errno));
  return {};
}

Result<AeadKey> create_key_file(const std::filesystem::path& path) {
  const AeadKey key = generate_key();
  if (auto ok = write_new_file(path, hex_encode(key) + "\n", 0600); !ok) return std::unexpected(ok.error());
  return key;
}

Result<AeadKey> read_key_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail("cannot read the master key ", path.string(), ": ", std::strerror(errno),
                " (it is made by `iamdb init`; restore it from your backup)");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail("the master key ", path.string(), " has mode ", mode,
                ", so other users may read it: run chmod 600 ", path.string());
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const auto bytes = hex_decode(trim(text.str()));
  if (!in || !bytes || bytes->size() != 32)
    return fail("the master key ", path.string(), " is not 64 hexadecimal characters");
  AeadKey key;
  std::memcpy(key.data(), bytes->data(), key.size());
  return key;
}

}  // namespace iamdb::crypto
