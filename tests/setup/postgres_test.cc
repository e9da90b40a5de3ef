// `iamdb setup postgres`: the pg_hba.conf block goes before every rule, replaces an earlier one
// wherever it is, leaves everything else as it was, and the PAM service file names the socket.
#include "setup/postgres.h"

#include <gtest/gtest.h>

namespace iamdb::setup {
namespace {

PostgresSettings settings() {
  PostgresSettings s;
  s.instance = "orders-db";
  s.verify_socket = "/run/iamdb/verify.sock";
  s.pam_module = "/usr/lib/x86_64-linux-gnu/security/pam_iamdb.so";
  return s;
}

TEST(HbaBlock, SendsIamUsersToPamOverTlsAndRejectsThemOtherwise) {
  EXPECT_EQ(hba_block(settings()),
            "# BEGIN iamdb: RDS IAM database authentication for instance orders-db, managed by iamdb setup.\n"
            "# Members of rds_iam log in only with an auth token, only over TLS. Keep these lines first.\n"
            "hostssl all +rds_iam all pam pamservice=iamdb\n"
            "host    all +rds_iam all reject\n"
            "local   all +rds_iam reject\n"
            "# END iamdb\n");
  PostgresSettings other = settings();
  other.pam_service = "iamdb-test-1";
  EXPECT_NE(hba_block(other).find("pam pamservice=iamdb-test-1\n"), std::string::npos);
}

// A short block keeps the table readable; placement does not depend on its contents.
constexpr const char* kBlock = "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n";

TEST(PlaceHbaBlock, PutsTheBlockBeforeEveryRule) {
  struct Case {
    const char* name;
    const char* before;
    const char* after;
  };
  const Case cases[] = {
      {"empty file", "", "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n"},
      {"rules only", "local all postgres trust\nhost all all 0.0.0.0/0 scram-sha-256\n",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n"
       "local all postgres trust\nhost all all 0.0.0.0/0 scram-sha-256\n"},
      {"the heading comments stay on top",
       "# PostgreSQL Client Authentication Configuration File\n#\n\n"
       "# Database administrative login by Unix domain socket\nlocal all postgres peer\n",
       "# PostgreSQL Client Authentication Configuration File\n#\n\n"
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n"
       "# Database administrative login by Unix domain socket\nlocal all postgres peer\n"},
      {"comments only", "# nothing yet\n", "# nothing yet\n# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n"},
      {"no final newline", "local all all trust",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\nlocal all all trust\n"},
      {"CRLF lines", "local all all trust\r\n",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\nlocal all all trust\n"},
      {"an earlier block further down moves up and is replaced",
       "local all postgres trust\n\n# BEGIN iamdb: old\nhostssl all +rds_iam all pam pamservice=old\n"
       "# END iamdb\n\nhost all all all md5\n",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n"
       "local all postgres trust\n\nhost all all all md5\n"},
      {"two earlier blocks both go",
       "# BEGIN iamdb\nlocal all x reject\n# END iamdb\nlocal all y trust\n  # BEGIN iamdb\nhost all z all reject\n"
       "  # END iamdb\n",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\nlocal all y trust\n"},
      {"indented rules count as rules", "  host all all all md5\n",
       "# BEGIN iamdb\nhostssl all +rds_iam all pam\n# END iamdb\n\n  host all all all md5\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto once = place_hba_block(c.before, kBlock);
    ASSERT_TRUE(once) << once.error().message;
    EXPECT_EQ(*once, c.after);
    const auto twice = place_hba_block(*once, kBlock);
    ASSERT_TRUE(twice) << twice.error().message;
    EXPECT_EQ(*twice, *once) << "placing the same block again must change nothing";
  }
}

TEST(PlaceHbaBlock, ReplacesTheBlockWhenSettingsChange) {
  const std::string original = "local all postgres peer\nhost all all all scram-sha-256\n";
  PostgresSettings first = settings();
  PostgresSettings second = settings();
  second.pam_service = "iamdb2";
  const auto a = place_hba_block(original, hba_block(first));
  ASSERT_TRUE(a);
  const auto b = place_hba_block(*a, hba_block(second));
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, hba_block(second) + "\n" + original);
}

TEST(PlaceHbaBlock, RefusesABlockThatNeverEnds) {
  const auto got = place_hba_block("local all all trust\n# BEGIN iamdb\nhostssl all +rds_iam all pam\n", kBlock);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("line 2 opens an iamdb block"), std::string::npos) << got.error().message;
}

TEST(PamServiceFile, CallsTheModuleWithTheSocketAndInstance) {
  PostgresSettings s = settings();
  s.timeout = std::chrono::milliseconds(1500);
  EXPECT_EQ(pam_service_path(s), "/etc/pam.d/iamdb");
  const std::string file = pam_service_file(s);
  EXPECT_TRUE(is_managed(file));
  EXPECT_NE(file.find("\nauth    required /usr/lib/x86_64-linux-gnu/security/pam_iamdb.so "
                      "socket=/run/iamdb/verify.sock instance=orders-db timeout_ms=1500 tls=assume\n"
                      "account required /usr/lib/x86_64-linux-gnu/security/pam_iamdb.so\n"),
            std::string::npos)
      << file;
}

TEST(PostgresSettings, AreValidatedBeforeAnythingIsWritten) {
  EXPECT_TRUE(validate(settings()));
  struct Case {
    const char* name;
    void (*change)(PostgresSettings&);
    const char* reason;
  };
  const Case cases[] = {
      {"upper-case instance", [](PostgresSettings& s) { s.instance = "Orders"; }, "lower case"},
      {"bad instance", [](PostgresSettings& s) { s.instance = "a_b"; }, "not a letter"},
      {"relative socket", [](PostgresSettings& s) { s.verify_socket = "verify.sock"; }, "must be absolute"},
      {"socket with a space", [](PostgresSettings& s) { s.verify_socket = "/a b"; }, "space"},
      {"relative module", [](PostgresSettings& s) { s.pam_module = "pam_iamdb.so"; }, "must be absolute"},
      {"service with a slash", [](PostgresSettings& s) { s.pam_service = "a/b"; }, "PAM service name"},
      {"relative PAM directory", [](PostgresSettings& s) { s.pam_dir = "pam.d"; }, "PAM directory"},
      {"timeout too long", [](PostgresSettings& s) { s.timeout = std::chrono::minutes(2); }, "outside 1..60000"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PostgresSettings s = settings();
    c.change(s);
    const auto got = validate(s);
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message.find(c.reason), std::string::npos) << got.error().message;
  }
}

TEST(PostgresInstructions, QuoteEveryPieceTheOperatorAdds) {
  const std::string text = postgres_instructions(settings(), "http://127.0.0.1:8750");
  for (std::string_view piece :
       {"    hostssl all +rds_iam all pam pamservice=iamdb\n", "/etc/pam.d/iamdb", "    CREATE ROLE rds_iam;\n",
        "    GRANT rds_iam TO alice;\n", "aws --endpoint-url http://127.0.0.1:8750 rds create-db-instance \\\n"
        "        --db-instance-identifier orders-db --engine postgres ",
        "socket=/run/iamdb/verify.sock instance=orders-db",
        "    iamdb instance add --id orders-db --engine postgres --endpoint HOST:PORT --enable-iam \\\n"
        "        --endpoint-url http://127.0.0.1:8750"})
    EXPECT_NE(text.find(piece), std::string::npos) << piece << "\nin:\n" << text;
}

}  // namespace
}  // namespace iamdb::setup
