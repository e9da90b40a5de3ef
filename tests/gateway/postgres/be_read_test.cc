// Reading the server side: every Authentication request, ParameterStatus, BackendKeyData,
// ReadyForQuery, error and notice fields, CommandComplete, the COPY responses and
// NegotiateProtocolVersion, each with its malformed variants.
#include "gateway/postgres/be_read.h"

#include <gtest/gtest.h>

#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::be16;
using testing::be32;
using testing::strings;
using testing::unhex;
using testing::z;

Message r(std::string_view body) { return {'R', body}; }

TEST(ParseAuthentication, EveryRequest) {
  const std::string ok = be32(0), cleartext = be32(3), md5 = be32(5) + unhex("b7c99297");
  const std::string sasl = be32(10) + strings({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
  const std::string cont = be32(11) + "r=abc,s=c2FsdA==,i=4096";
  const std::string final_ = be32(12) + "v=c2ln";
  const std::string gss = be32(7), gss_cont = be32(8) + unhex("6082"), sspi = be32(9),
                    krb = be32(2);

  EXPECT_EQ(parse_authentication(r(ok))->request, AuthRequest::kOk);
  EXPECT_EQ(parse_authentication(r(cleartext))->request, AuthRequest::kCleartextPassword);
  auto m = parse_authentication(r(md5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request, AuthRequest::kMd5Password);
  EXPECT_EQ(m->salt, (Md5Salt{0xb7, 0xc9, 0x92, 0x97}));
  auto s = parse_authentication(r(sasl));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->request, AuthRequest::kSasl);
  EXPECT_EQ(s->mechanisms, (std::vector<std::string_view>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  auto c = parse_authentication(r(cont));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->request, AuthRequest::kSaslContinue);
  EXPECT_EQ(c->data, "r=abc,s=c2FsdA==,i=4096");
  auto f = parse_authentication(r(final_));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->request, AuthRequest::kSaslFinal);
  EXPECT_EQ(f->data, "v=c2ln");
  EXPECT_EQ(parse_authentication(r(gss))->request, AuthRequest::kGss);
  EXPECT_EQ(parse_authentication(r(gss_cont))->data, unhex("6082"));
  EXPECT_EQ(parse_authentication(r(sspi))->request, AuthRequest::kSspi);
  EXPECT_EQ(parse_authentication(r(krb))->request, AuthRequest::kKerberosV5);
}

TEST(ParseAuthentication, Malformed) {
  struct Case {
    const char* name;
    Message message;
    const char* error;
  };
  const std::string bad_ok = be32(0) + "x", short_md5 = be32(5) + "abc",
                    long_md5 = be32(5) + "abcde", empty_sasl = be32(10) + z("\0"),
                    open_sasl = be32(10) + "SCRAM-SHA-256",
                    unterminated_list = be32(10) + z("SCRAM-SHA-256\0"),
                    after_list = be32(10) + strings({"SCRAM-SHA-256"}) + "x", unknown = be32(6),
                    negative = be32(0xffffffff);
  const Case cases[] = {
      {"empty body", r(""), "Authentication message is too short for its request code"},
      {"three bytes", r("abc"), "Authentication message is too short for its request code"},
      {"AuthenticationOk with a body", r(bad_ok),
       "AuthenticationOk has 1 unexpected trailing bytes"},
      {"MD5 salt too short", r(short_md5), "AuthenticationMD5Password is missing its 4-byte salt"},
      {"MD5 salt too long", r(long_md5),
       "AuthenticationMD5Password has 1 unexpected trailing bytes"},
      {"SASL without mechanisms", r(empty_sasl), "AuthenticationSASL offers no mechanism"},
      {"SASL name unterminated", r(open_sasl),
       "AuthenticationSASL mechanism list is not terminated"},
      {"SASL list unterminated", r(unterminated_list),
       "AuthenticationSASL mechanism list is not terminated"},
      {"SASL bytes after the list", r(after_list),
       "AuthenticationSASL has 1 unexpected trailing bytes"},
      {"code 6 (SCM credentials, gone since 9.1)", r(unknown),
       "unknown authentication request code 6"},
      {"negative code", r(negative), "unknown authentication request code -1"},
      {"not an 'R' message",
       {'E', be32(0)},
       "expected Authentication ('R'), got ErrorResponse ('E')"},
  };
  for (const Case& c : cases) {
    auto got = parse_authentication(c.message);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error().message, c.error) << c.name;
  }
}

TEST(ParseBackendMessages, ParameterStatus) {
  const std::string status =
      z("server_version\0"
        "15.18\0");
  auto ok = parse_parameter_status({'S', status});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "server_version");
  EXPECT_EQ(ok->value, "15.18");
  const std::string empty_body = z("application_name\0\0");
  auto empty_value = parse_parameter_status({'S', empty_body});
  ASSERT_TRUE(empty_value);
  EXPECT_EQ(empty_value->value, "");
  const std::pair<std::string, const char*> bad[] = {
      {z("server_version\0"), "ParameterStatus needs two NUL-terminated strings"},
      {z("server_version\0"
         "15"),
       "ParameterStatus needs two NUL-terminated strings"},
      {"", "ParameterStatus needs two NUL-terminated strings"},
      {z("\0x\0"), "ParameterStatus has an empty parameter name"},
      {z("a\0b\0c"), "ParameterStatus has 1 unexpected trailing bytes"},
  };
  for (const auto& [body, error] : bad) {
    auto got = parse_parameter_status({'S', body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
}

TEST(ParseBackendMessages, BackendKeyData) {
  auto key = parse_backend_key_data({'K', unhex("00002a8285bc8427")});
  ASSERT_TRUE(key);
  EXPECT_EQ(key->process_id, 10882);
  EXPECT_EQ(key->secret_key, 0x85bc8427u);
  for (const std::string& body :
       {unhex("00002a8285bc84"), unhex("00002a8285bc842700"), std::string()}) {
    auto got = parse_backend_key_data({'K', body});
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message.find("protocol 3.0 sends 8"), std::string::npos);
  }
}

TEST(ParseBackendMessages, ReadyForQuery) {
  EXPECT_EQ(parse_ready_for_query({'Z', "I"}), TransactionStatus::kIdle);
  EXPECT_EQ(parse_ready_for_query({'Z', "T"}), TransactionStatus::kInTransaction);
  EXPECT_EQ(parse_ready_for_query({'Z', "E"}), TransactionStatus::kFailed);
  auto bad = parse_ready_for_query({'Z', "X"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "ReadyForQuery has transaction status 0x58; expected I, T or E");
  auto empty = parse_ready_for_query({'Z', ""});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "ReadyForQuery has a 0-byte body; expected 1");
  EXPECT_FALSE(parse_ready_for_query({'Z', "II"}));
}

TEST(ParseBackendMessages, ErrorAndNoticeFields) {
  // From psql_scram_wrong_password.txt.
  const std::string fatal = unhex(
      "53464154414c0056464154414c00433238503031004d70617373776f72642061757468656e746963617469"
      "6f6e206661696c656420666f7220757365722022736372616d5f75736572220046617574682e63004c3333"
      "340052617574685f6661696c65640000");
  auto e = parse_error_response({'E', fatal});
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->severity(), "FATAL");
  EXPECT_EQ(e->sqlstate(), "28P01");
  EXPECT_EQ(e->message(), "password authentication failed for user \"scram_user\"");
  EXPECT_EQ(e->get('F'), "auth.c");
  EXPECT_EQ(e->get('R'), "auth_failed");
  EXPECT_EQ(e->detail(), "");
  EXPECT_EQ(e->fields.size(), 7u);

  // Localised S without V (servers before 9.6), and a field type this codec does not know.
  const std::string old_body = z("SAVIS\0C01000\0Mhej\0Zfuture\0\0");
  auto old = parse_notice_response({'N', old_body});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->severity(), "AVIS");
  EXPECT_EQ(old->get('Z'), "future");
  auto none = parse_error_response({'E', z("\0")});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->fields.empty());

  const std::pair<std::string, const char*> bad[] = {
      {"", "ErrorResponse is not terminated by a zero byte"},
      {z("SERROR\0"), "ErrorResponse is not terminated by a zero byte"},
      {z("SERROR"), "ErrorResponse field 'S' is not NUL-terminated"},
      {z("S"), "ErrorResponse field 'S' is not NUL-terminated"},
      {z("SERROR\0\0x"), "ErrorResponse has 1 unexpected trailing bytes"},
  };
  for (const auto& [body, error] : bad) {
    auto got = parse_error_response({'E', body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
  EXPECT_FALSE(parse_notice_response({'E', z("\0")}));
  EXPECT_FALSE(parse_error_response({'N', z("\0")}));
}

TEST(ParseBackendMessages, CommandComplete) {
  EXPECT_EQ(parse_command_complete({'C', z("COPY 2\0")}), "COPY 2");
  EXPECT_FALSE(parse_command_complete({'C', "COPY 2"}));
  EXPECT_FALSE(parse_command_complete({'C', z("COPY 2\0x")}));
}

TEST(ParseBackendMessages, CopyResponses) {
  auto out = parse_copy_response({'H', unhex("00 0001 0000")});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->direction, CopyDirection::kOut);
  EXPECT_FALSE(out->binary);
  EXPECT_EQ(out->column_formats, (std::vector<int16_t>{0}));
  auto in = parse_copy_response({'G', unhex("01 0002 0001 0000")});
  ASSERT_TRUE(in);
  EXPECT_EQ(in->direction, CopyDirection::kIn);
  EXPECT_TRUE(in->binary);
  EXPECT_EQ(in->column_formats, (std::vector<int16_t>{1, 0}));
  auto both = parse_copy_response({'W', unhex("00 0000")});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->direction, CopyDirection::kBoth);
  EXPECT_TRUE(is_copy_response('G') && is_copy_response('H') && is_copy_response('W'));
  EXPECT_FALSE(is_copy_response('d'));

  struct Case {
    char type;
    std::string body;
    const char* error;
  };
  const Case bad[] = {
      {'H', "", "CopyOutResponse is too short for its format and column count"},
      {'H', unhex("00 00"), "CopyOutResponse is too short for its format and column count"},
      {'H', unhex("02 0000"), "CopyOutResponse has overall format 2"},
      {'G', unhex("00 ffff"), "CopyInResponse has a negative column count"},
      {'G', unhex("00 0002 0000"),
       "CopyInResponse announces 2 columns but carries 2 bytes of column formats"},
      {'G', unhex("00 0001 0000 00"),
       "CopyInResponse announces 1 columns but carries 3 bytes of column formats"},
      {'W', unhex("01 0001 0002"), "CopyBothResponse column 0 has format 2"},
      {'H', unhex("00 0001 0001"), "CopyOutResponse has a binary column in a textual copy"},
      {'d', "", "expected CopyInResponse, CopyOutResponse or CopyBothResponse, got CopyData ('d')"},
  };
  for (const auto& [type, body, error] : bad) {
    auto got = parse_copy_response({type, body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
}

TEST(ParseBackendMessages, NegotiateProtocolVersion) {
  const std::string negotiate = be32(0) + be32(2) + z("_pq_.a\0_pq_.b\0");
  auto v = parse_negotiate_protocol_version({'v', negotiate});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->newest_minor, 0u);
  EXPECT_EQ(v->unrecognized_options, (std::vector<std::string_view>{"_pq_.a", "_pq_.b"}));
  const std::pair<std::string, const char*> bad[] = {
      {be32(0), "NegotiateProtocolVersion is too short for its version and option count"},
      {be32(0) + be32(0xffffffff), "NegotiateProtocolVersion has a negative option count"},
      {be32(0) + be32(2) + z("_pq_.a\0"),
       "NegotiateProtocolVersion announces 2 options but carries 1"},
      {be32(0) + be32(0x7fffffff),
       "NegotiateProtocolVersion announces 2147483647 options but carries 0"},
      {be32(0) + be32(0) + "x", "NegotiateProtocolVersion has 1 unexpected trailing bytes"},
  };
  for (const auto& [body, error] : bad) {
    auto got = parse_negotiate_protocol_version({'v', body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
}

// One RowDescription column: name, table OID, column number, type OID, size, modifier, format.
std::string column(std::string_view name) {
  return std::string(name) + '\0' + be32(0) + be16(0) + be32(19) + be16(64) + be32(0xffffffff) +
         be16(0);
}

TEST(ParseBackendMessages, RowDescription) {
  const std::string row = be16(2) + column("rolname") + column("x");
  auto names = parse_row_description({'T', row});
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string_view>{"rolname", "x"}));
  EXPECT_TRUE(parse_row_description({'T', be16(0)})->empty());
  const std::pair<std::string, const char*> bad[] = {
      {"", "RowDescription is too short for its column count"},
      {be16(0xffff), "RowDescription has a negative column count"},
      {be16(2) + column("a"), "RowDescription announces 2 columns but column 1 is truncated"},
      {be16(1) + column("a").substr(0, 10), "RowDescription announces 1 columns but column 0 is truncated"},
      {be16(1) + "a", "RowDescription announces 1 columns but column 0 is truncated"},
      {be16(0) + "x", "RowDescription has 1 unexpected trailing bytes"},
  };
  for (const auto& [body, error] : bad) {
    auto got = parse_row_description({'T', body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
}

TEST(ParseBackendMessages, DataRow) {
  const std::string values = be16(3) + be32(5) + "alice" + be32(0xffffffff) + be32(0);
  auto row = parse_data_row({'D', values});
  ASSERT_TRUE(row) << row.error().message;
  ASSERT_EQ(row->size(), 3u);
  EXPECT_EQ((*row)[0], "alice");
  EXPECT_EQ((*row)[1], std::nullopt);
  EXPECT_EQ((*row)[2], "");
  const std::pair<std::string, const char*> bad[] = {
      {"", "DataRow is too short for its column count"},
      {be16(0x8000), "DataRow has a negative column count"},
      {be16(2) + be32(1) + "a", "DataRow announces 2 columns but carries 1"},
      {be16(1) + be32(0xfffffffe), "DataRow column 0 has length -2"},
      {be16(1) + be32(6) + "alice", "DataRow column 0 of 6 bytes is truncated"},
      {be16(1) + be32(1) + "ab", "DataRow has 1 unexpected trailing bytes"},
  };
  for (const auto& [body, error] : bad) {
    auto got = parse_data_row({'D', body});
    ASSERT_FALSE(got) << error;
    EXPECT_EQ(got.error().message, error);
  }
}

}  // namespace
}  // namespace iamdb::pgwire
