// The audit log rotates by size and keeps the configured number of old files.
#include "audit/file_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace iamdb::audit {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/iamdb-audit-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

size_t lines_in(const fs::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(FileSink, AppendsAndRotates) {
  TempDir dir;
  const fs::path log = dir.path / "audit.log";
  Event e;
  e.reason = "allowed";
  const size_t line_size = to_json_line(e).size() + 1;
  auto sink = FileSink::open(log, line_size * 3, 2);
  ASSERT_TRUE(sink) << sink.error().message;
  std::vector<Event> events(10, e);
  ASSERT_TRUE(sink->write(events));
  sink->sync();
  // 10 lines, 3 per file: audit.log holds the last 1, .1 and .2 the 6 before; .3 was dropped.
  EXPECT_EQ(lines_in(log), 1u);
  EXPECT_EQ(lines_in(dir.path / "audit.log.1"), 3u);
  EXPECT_EQ(lines_in(dir.path / "audit.log.2"), 3u);
  EXPECT_FALSE(fs::exists(dir.path / "audit.log.3"));
}

TEST(FileSink, ReopeningAppends) {
  TempDir dir;
  const fs::path log = dir.path / "audit.log";
  {
    auto sink = FileSink::open(log, 1 << 20, 2);
    ASSERT_TRUE(sink->write(std::vector<Event>(2)));
  }
  auto sink = FileSink::open(log, 1 << 20, 2);
  ASSERT_TRUE(sink->write(std::vector<Event>(1)));
  EXPECT_EQ(lines_in(log), 3u);
}

TEST(FileSink, UnwritablePathIsAnError) {
  EXPECT_FALSE(FileSink::open("/nonexistent-dir/audit.log", 1024, 1));
}

}  // namespace
}  // namespace iamdb::audit
