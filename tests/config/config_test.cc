// iamdb.toml: defaults, the rendered file round-trips, and mistakes name the setting.
#include "config/config.h"

#include <gtest/gtest.h>

namespace iamdb::config {
namespace {

TEST(Config, EmptyFileIsAllDefaults) {
  auto c = parse_config("", "/srv/iamdb");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->data_dir, "/srv/iamdb");
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_EQ(c->api.listen, "127.0.0.1:8750");
  EXPECT_EQ(c->resolve(c->verify.socket), "/srv/iamdb/verify.sock");
  EXPECT_EQ(c->resolve("/abs/x"), "/abs/x");
}

TEST(Config, RenderedFileParsesBackToTheSameValues) {
  Config c;
  c.data_dir = "/srv/iamdb";
  c.account_id = "123456789012";
  c.region = "eu-west-1";
  c.api.listen = "[::1]:9000";
  c.verify.socket_group = "post\"gres";
  c.audit.store = false;
  auto back = parse_config(render_config(c), "/elsewhere");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->data_dir, "/srv/iamdb");
  EXPECT_EQ(back->account_id, "123456789012");
  EXPECT_EQ(back->region, "eu-west-1");
  EXPECT_EQ(back->api.listen, "[::1]:9000");
  EXPECT_EQ(back->verify.socket_group, "post\"gres");
  EXPECT_FALSE(back->audit.store);
  EXPECT_EQ(render_config(*back), render_config(c));
}

TEST(Config, MistakesNameTheSetting) {
  const std::pair<const char*, const char*> cases[] = {
      {"regoin = \"x\"", "unknown setting regoin"},
      {"[api]\nlisen = \"x\"", "unknown setting [api] lisen"},
      {"[api]\nlisten = \"nonsense\"", "setting [api] listen"},
      {"[api]\nlisten = \"127.0.0.1:99999\"", "port from 0 to 65535"},
      {"[api]\nmax_body_bytes = 1", "between 1024"},
      {"[api]\ntls = \"yes\"", "true or false"},
      {"account_id = \"1234\"", "12 digits"},
      {"region = \"Moon\"", "like a region"},
      {"log_level = \"loud\"", "one of trace"},
      {"[api", "not valid TOML"},
      {"api = 3", "unknown setting api"},
  };
  for (const auto& [text, want] : cases) {
    auto c = parse_config(text, "/d");
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(want), std::string::npos) << text << " -> " << c.error().message;
  }
}

TEST(ListenAddress, Forms) {
  auto v4 = parse_listen_address("0.0.0.0:5432");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 5432);
  auto v6 = parse_listen_address("[::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:80");
  EXPECT_FALSE(parse_listen_address("::1:80"));
  EXPECT_FALSE(parse_listen_address("host"));
  EXPECT_FALSE(parse_listen_address(":80"));
}

}  // namespace
}  // namespace iamdb::config
