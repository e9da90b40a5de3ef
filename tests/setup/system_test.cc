// The system side of setup, on the real file system and real processes: files replaced whole
// and keeping their owner and mode, other programs' files left alone, child processes' output,
// exit status, failure to start and timeout, and permission facts gathered from stat.
#include "setup/system.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "setup/values.h"

namespace iamdb::setup {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "iamdb-setup-test-XXXXXX").native();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Command command(std::vector<std::string> argv, std::string run_as = "",
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  Command c;
  c.argv = std::move(argv);
  c.run_as = std::move(run_as);
  c.timeout = timeout;
  return c;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string contents(const fs::path& p) {
  auto text = read_file(p);
  EXPECT_TRUE(text && *text);
  return text && *text ? **text : "";
}

TEST(WriteFile, CreatesReplacesAndLeavesEqualContentsAlone) {
  TempDir tmp;
  const fs::path file = tmp.path() / "pg_hba.conf";
  auto missing = read_file(file);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto created = write_file(file, "one\n", 0640);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(*created, WriteOutcome::kCreated);
  EXPECT_EQ(mode_of(file), 0640u) << "exactly the mode asked for, whatever the umask";

  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  auto replaced = write_file(file, "two\n", 0644);
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(*replaced, WriteOutcome::kReplaced);
  EXPECT_EQ(contents(file), "two\n");
  EXPECT_EQ(mode_of(file), 0600u) << "an existing file keeps its mode";

  auto unchanged = write_file(file, "two\n", 0644);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(*unchanged, WriteOutcome::kUnchanged);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1)
      << "no temporary file is left behind";
}

TEST(WriteFile, EditsTheTargetOfASymbolicLink) {
  TempDir tmp;
  const fs::path target = tmp.path() / "real.conf";
  const fs::path link = tmp.path() / "pg_hba.conf";
  ASSERT_TRUE(write_file(target, "old\n", 0644));
  fs::create_symlink(target, link);
  ASSERT_TRUE(write_file(link, "new\n", 0644));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(contents(target), "new\n");
}

TEST(WriteFile, KeepsTheOwnerOfAFileSomeoneElseOwns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own a file as another user";
  TempDir tmp;
  const fs::path file = tmp.path() / "pg_hba.conf";
  ASSERT_TRUE(write_file(file, "old\n", 0640));
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
  ASSERT_TRUE(write_file(file, "new\n", 0600));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(WriteFile, FailsWithTheReasonWhenTheDirectoryIsMissing) {
  TempDir tmp;
  const auto got = write_file(tmp.path() / "no" / "such.conf", "x", 0644);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("cannot create a file next to"), std::string::npos) << got.error().message;
}

TEST(WriteManagedFile, ReplacesOnlyFilesSetupWrote) {
  TempDir tmp;
  const fs::path ours = tmp.path() / "iamdb";
  const std::string v1 = std::string(kManagedMarker) + " postgres\nauth required x.so a=1\n";
  const std::string v2 = std::string(kManagedMarker) + " postgres\nauth required x.so a=2\n";
  ASSERT_EQ(*write_managed_file(ours, v1, 0644), WriteOutcome::kCreated);
  ASSERT_EQ(*write_managed_file(ours, v2, 0644), WriteOutcome::kReplaced);
  EXPECT_EQ(contents(ours), v2);

  const fs::path theirs = tmp.path() / "login";
  ASSERT_TRUE(write_file(theirs, "auth required pam_unix.so\n", 0644));
  const auto refused = write_managed_file(theirs, v1, 0644);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("was not written by iamdb setup"), std::string::npos);
  EXPECT_EQ(contents(theirs), "auth required pam_unix.so\n");
}

TEST(RunCommand, CollectsBothStreamsAndTheExitStatus) {
  const auto got = run_command(command({"sh", "-c", "echo out; echo err >&2; read line; echo \"stdin=$line\"; exit 3"}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->exit_status, 3);
  EXPECT_EQ(got->out, "out\nstdin=\n") << "stdin is /dev/null, so nothing waits for input";
  EXPECT_EQ(got->err, "err\n");
}

TEST(RunCommand, ReadsLargeOutputOnBothStreams) {
  const auto got = run_command(command({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->exit_status, 0);
  EXPECT_EQ(got->out.size(), 300000u);
  EXPECT_EQ(got->err.size(), 200000u);
}

TEST(RunCommand, ReportsAProgramThatCannotStart) {
  const auto missing = run_command(command({"iamdb-no-such-program"}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not found on PATH"), std::string::npos) << missing.error().message;

  TempDir tmp;
  const fs::path not_executable = tmp.path() / "client";
  ASSERT_TRUE(write_file(not_executable, "#!/bin/sh\n", 0644));
  const auto denied = run_command(command({not_executable.native()}));
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("Permission denied"), std::string::npos) << denied.error().message;
}

TEST(RunCommand, StopsAProgramThatOutlivesItsTimeout) {
  const auto got = run_command(command({"sleep", "30"}, "", std::chrono::milliseconds(100)));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("sleep did not finish within 100 ms"), std::string::npos) << got.error().message;

  // Closing its output streams does not buy it more time.
  const auto closed = run_command(command({"sh", "-c", "exec >&- 2>&-; sleep 30"}, "", std::chrono::milliseconds(100)));
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.error().message.find("did not finish"), std::string::npos) << closed.error().message;
}

TEST(RunCommand, RunsAsAnotherUserWithThatUsersHome) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  const auto got = run_command(command({"sh", "-c", "id -un; id -u; echo \"$HOME $USER\"; pwd"}, "nobody"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->exit_status, 0) << got->err;
  const std::string home = getpwnam("nobody") ? getpwnam("nobody")->pw_dir : "";
  EXPECT_TRUE(got->out.starts_with("nobody\n65534\n" + home + " nobody\n")) << got->out;

  const auto unknown = run_command(command({"true"}, "iamdb-no-such-user"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no such OS user"), std::string::npos);
}

TEST(GatherSocketFacts, SeesAPrivateDirectoryOnThePath) {
  TempDir tmp;
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0700), 0);
  const fs::path socket = tmp.path() / "verify.sock";
  const auto facts = gather_socket_facts(socket, "nobody", std::string("nogroup"));
  ASSERT_TRUE(facts.db_user.exists);
  EXPECT_EQ(facts.db_user.uid, 65534u);
  ASSERT_FALSE(facts.directories.empty());
  EXPECT_EQ(facts.directories.front().path, "/");
  EXPECT_EQ(facts.directories.back().path, tmp.path());
  EXPECT_EQ(facts.directories.back().mode, 0700u);
  EXPECT_FALSE(facts.socket.exists);
  EXPECT_TRUE(facts.socket_group_gid.has_value());
  const auto problems = socket_access_problems(facts);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("may not enter " + tmp.path().native()), std::string::npos) << problems[0];

  EXPECT_FALSE(gather_socket_facts(socket, "iamdb-no-such-user", std::nullopt).db_user.exists);
}

}  // namespace
}  // namespace iamdb::setup
