// gateway::ServerTls: loading the certificate files, taking up changed ones, and keeping the
// certificate in use (reporting once) when changed files do not load.
#include "gateway/tls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "gateway/tls_testing.h"

namespace iamdb::gateway {
namespace {

namespace fs = std::filesystem;

class ServerTlsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("iamdb-tls-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(write_pem(make_self_signed("first"), cert(), key()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path cert() const { return dir_ / "cert.pem"; }
  fs::path key() const { return dir_ / "key.pem"; }
  // Replaces a file the way an operator should (a new file renamed over the old one), with a
  // size of its own so that the change shows even within the file system's time granularity.
  void replace(const fs::path& path, const std::string& text) {
    const fs::path staged = path.string() + ".new";
    std::ofstream(staged) << text;
    fs::rename(staged, path);
  }
  // Installs a new certificate and key for `name` (renamed over the old pair), reloads, and
  // expects the new pair in use.
  void install_and_take_up(ServerTls& tls, const std::string& name) {
    ASSERT_TRUE(write_pem(make_self_signed(name), dir_ / "c.new", dir_ / "k.new"));
    fs::rename(dir_ / "k.new", key());
    fs::rename(dir_ / "c.new", cert());
    auto reloaded = tls.reload_if_changed();
    ASSERT_TRUE(reloaded) << reloaded.error().message;
    EXPECT_TRUE(*reloaded);
    EXPECT_EQ(subject(tls), "/CN=" + name);
  }
  static std::string subject(const ServerTls& tls) {
    X509* x = SSL_CTX_get0_certificate(tls.current().get());
    char name[256] = {};
    X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
    return name;
  }
  fs::path dir_;
};

TEST_F(ServerTlsFiles, LoadsAndReportsNothingWhenUnchanged) {
  auto tls = ServerTls::load(cert(), key());
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_EQ(subject(**tls), "/CN=first");
  auto again = (*tls)->reload_if_changed();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(ServerTlsFiles, MissingFilesFailNamingTheFile) {
  fs::remove(key());
  auto tls = ServerTls::load(cert(), key());
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find(key().string()), std::string::npos) << tls.error().message;
}

TEST_F(ServerTlsFiles, TakesUpANewPairOfFiles) {
  auto tls = ServerTls::load(cert(), key());
  ASSERT_TRUE(tls);
  const SslContext before = (*tls)->current();
  install_and_take_up(**tls, "second-with-a-longer-name");
  EXPECT_NE((*tls)->current(), before);  // connections in progress keep `before` alive themselves
}

TEST_F(ServerTlsFiles, BrokenFilesKeepTheCurrentCertificateAndAreReportedOnce) {
  auto tls = ServerTls::load(cert(), key());
  ASSERT_TRUE(tls);
  const SslContext in_use = (*tls)->current();
  replace(key(), "not a key\n");
  auto first = (*tls)->reload_if_changed();
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("cannot load the gateway key"), std::string::npos) << first.error().message;
  EXPECT_EQ((*tls)->current(), in_use);
  auto second = (*tls)->reload_if_changed();  // the same broken files: nothing new to say
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  replace(key(), "still not a key, but another\n");
  EXPECT_FALSE((*tls)->reload_if_changed());  // changed and still broken: said again
  install_and_take_up(**tls, "mended");
}

TEST_F(ServerTlsFiles, AVanishedFileIsReportedOnceAndItsReturnTakenUp) {
  auto tls = ServerTls::load(cert(), key());
  ASSERT_TRUE(tls);
  fs::remove(key());
  EXPECT_FALSE((*tls)->reload_if_changed());
  auto again = (*tls)->reload_if_changed();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  install_and_take_up(**tls, "back");
}

}  // namespace
}  // namespace iamdb::gateway
