// `iamdb setup mariadb`: the option file and SQL carry the plugin's variables exactly.
#include "setup/mariadb.h"

#include <gtest/gtest.h>

namespace iamdb::setup {
namespace {

MariadbSettings settings() {
  MariadbSettings s;
  s.instance = "orders-db";
  s.verify_socket = "/run/iamdb/verify.sock";
  s.plugin_module = "/usr/lib/mysql/plugin/aws_authentication_plugin.so";
  return s;
}

TEST(OptionFile, SetsThePluginVariablesLoosely) {
  const std::string file = option_file(settings());
  EXPECT_TRUE(is_managed(file));
  EXPECT_NE(file.find("\n[mariadbd]\n"
                      "loose-awsauthenticationplugin-socket = /run/iamdb/verify.sock\n"
                      "loose-awsauthenticationplugin-instance = orders-db\n"
                      "loose-awsauthenticationplugin-timeout-ms = 2000\n"
                      "loose-awsauthenticationplugin-require-tls = ON\n"),
            std::string::npos)
      << file;
}

TEST(SetVariablesSql, SetsTheSameValuesAtRunTime) {
  MariadbSettings s = settings();
  s.timeout = std::chrono::milliseconds(750);
  EXPECT_EQ(set_variables_sql(s),
            "SET GLOBAL awsauthenticationplugin_socket = '/run/iamdb/verify.sock';\n"
            "SET GLOBAL awsauthenticationplugin_instance = 'orders-db';\n"
            "SET GLOBAL awsauthenticationplugin_timeout_ms = 750;\n"
            "SET GLOBAL awsauthenticationplugin_require_tls = ON;\n");
  EXPECT_EQ(kInstallPlugin, "INSTALL SONAME 'aws_authentication_plugin'");
}

TEST(MariadbSettings, AreValidatedBeforeAnythingIsWritten) {
  EXPECT_TRUE(validate(settings()));
  struct Case {
    const char* name;
    void (*change)(MariadbSettings&);
    const char* reason;
  };
  const Case cases[] = {
      {"quote in the socket would break the SQL", [](MariadbSettings& s) { s.verify_socket = "/run/a'b"; }, "'''"},
      {"instance", [](MariadbSettings& s) { s.instance = "-x"; }, "start with a letter"},
      {"plugin file named otherwise", [](MariadbSettings& s) { s.plugin_module = "/usr/lib/mysql/plugin/aws.so"; },
       "must be named aws_authentication_plugin.so"},
      {"timeout zero", [](MariadbSettings& s) { s.timeout = std::chrono::milliseconds(0); }, "outside"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MariadbSettings s = settings();
    c.change(s);
    const auto got = validate(s);
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message.find(c.reason), std::string::npos) << got.error().message;
  }
}

TEST(MariadbInstructions, QuoteEveryPieceTheOperatorAdds) {
  const std::string text = mariadb_instructions(settings(), "http://127.0.0.1:8750");
  for (std::string_view piece :
       {"    INSTALL SONAME 'aws_authentication_plugin';\n", "    [mariadbd]\n",
        "    CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS';\n",
        "/usr/lib/mysql/plugin/aws_authentication_plugin.so", "--engine mariadb"})
    EXPECT_NE(text.find(piece), std::string::npos) << piece << "\nin:\n" << text;
}

}  // namespace
}  // namespace iamdb::setup
