// Real bytes: connections of psql, psycopg2 and pgbench to PostgreSQL 15 recorded in
// captures/. Both directions decode the same whether read as one chunk, as the TCP reads
// arrived, split at any byte or one byte at a time, and every message the gateway inspects
// parses to what the session did.
#include <gtest/gtest.h>

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/md5_password.h"
#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::decode_stream;
using testing::Decoded;
using testing::every_split;
using testing::load_capture;
using testing::Owned;

struct Session {
  Decoded client;
  Decoded server;
};

std::string types(const std::vector<Owned>& messages) {
  std::string out;
  for (const Owned& m : messages) out.push_back(m.type);
  return out;
}

// Decodes both directions of a capture, checking every way of splitting them agrees.
Session decode_capture(const char* name) {
  const auto transcript = load_capture(name);
  const std::string client_bytes = transcript.stream(Peer::kFrontend);
  std::string server_bytes = transcript.stream(Peer::kBackend);
  const FramerOptions from_client{.sender = Peer::kFrontend};
  const FramerOptions from_server{.sender = Peer::kBackend};

  Session session;
  auto client = decode_stream(client_bytes, from_client, true);
  EXPECT_TRUE(client) << name << ": " << client.error().message;
  if (!client) return session;
  session.client = std::move(*client);
  // Without TLS the server's answer to SSLRequest is the single byte 'N'.
  if (!session.client.startup.empty() &&
      std::holds_alternative<SslRequest>(session.client.startup[0])) {
    EXPECT_TRUE(server_bytes.starts_with("N")) << name;
    server_bytes.erase(0, 1);
  }
  auto server = decode_stream(server_bytes, from_server, false);
  EXPECT_TRUE(server) << name << ": " << server.error().message;
  if (!server) return session;
  session.server = std::move(*server);

  const auto same = [&](const Result<Decoded>& d, const Decoded& want, const char* how) {
    ASSERT_TRUE(d) << name << " " << how << ": " << d.error().message;
    EXPECT_EQ(d->messages, want.messages) << name << " " << how;
    EXPECT_EQ(d->startup.size(), want.startup.size()) << name << " " << how;
  };
  same(decode_stream(transcript.chunks(Peer::kFrontend), from_client, true), session.client,
       "client as recorded");
  for (const auto& chunks : every_split(client_bytes))
    same(decode_stream(chunks, from_client, true), session.client, "client split");
  for (const auto& chunks : every_split(server_bytes))
    same(decode_stream(chunks, from_server, false), session.server, "server split");
  // Relay mode: everything over 16 bytes streamed in pieces, reassembled the same.
  for (const auto& chunks : every_split(server_bytes))
    same(decode_stream(chunks, {.sender = Peer::kBackend, .max_length = 16, .stream_longer = true},
                       false),
         session.server, "server streamed");
  return session;
}

// Every inspected backend message of a real server parses.
void expect_backend_messages_parse(const Session& s, const char* name) {
  for (const Owned& m : s.server.messages) {
    const Message v = m.view();
    bool ok = true;
    switch (m.type) {
      case 'R': ok = parse_authentication(v).has_value(); break;
      case 'S': ok = parse_parameter_status(v).has_value(); break;
      case 'K': ok = parse_backend_key_data(v).has_value(); break;
      case 'Z': ok = parse_ready_for_query(v).has_value(); break;
      case 'E': ok = parse_error_response(v).has_value(); break;
      case 'N': ok = parse_notice_response(v).has_value(); break;
      case 'C': ok = parse_command_complete(v).has_value(); break;
      case 'G':
      case 'H':
      case 'W': ok = parse_copy_response(v).has_value(); break;
      default: break;
    }
    EXPECT_TRUE(ok) << name << ": " << m;
  }
}

template <class T, class Parse>
std::vector<T> all_of(const std::vector<Owned>& messages, char type, Parse parse) {
  std::vector<T> out;
  for (const Owned& m : messages)
    if (m.type == type) {
      auto parsed = parse(m.view());
      EXPECT_TRUE(parsed) << m;
      if (parsed) out.push_back(T(*parsed));
    }
  return out;
}

TEST(Captures, PsqlScramSession) {
  const Session s = decode_capture("psql_scram_session.txt");
  expect_backend_messages_parse(s, "psql_scram_session");
  ASSERT_EQ(s.client.startup.size(), 2u);
  const auto& startup = std::get<StartupMessage>(s.client.startup[1]);
  EXPECT_EQ(startup.user(), "scram_user");
  EXPECT_EQ(startup.database(), "postgres");

  EXPECT_EQ(types(s.client.messages), "ppQQQQQQQQQQdcQQQX");
  EXPECT_EQ(types(s.server.messages), "RRRRSSSSSSSSSSSSSKZTDCZEZCZTDCZEZCZNCZHdddcCZCZGCZCZCAZCSZ");
  EXPECT_EQ(parse_sasl_initial_response(s.client.messages[0].view())->mechanism, kScramSha256);
  EXPECT_EQ((all_of<std::string>(s.client.messages, 'Q', parse_query)),
            (std::vector<std::string>{
                "SELECT 1 AS one;", "SELECT 1/0;", "BEGIN;", "SELECT 'in a transaction' AS t;",
                "SELECT 1/0;", "ROLLBACK;", "DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$;",
                "COPY (SELECT g FROM generate_series(1,3) g) TO STDOUT;",
                "CREATE TEMP TABLE t(a int);", "COPY t FROM STDIN;", "LISTEN ch;",
                "NOTIFY ch, 'payload';", "SET application_name = 'renamed';"}));
  EXPECT_TRUE(parse_terminate(s.client.messages.back().view()));

  auto sasl = parse_authentication(s.server.messages[0].view());
  EXPECT_EQ(sasl->mechanisms, (std::vector<std::string_view>{kScramSha256}));
  EXPECT_EQ(parse_authentication(s.server.messages[3].view())->request, AuthRequest::kOk);
  using TS = TransactionStatus;
  EXPECT_EQ((all_of<TS>(s.server.messages, 'Z', parse_ready_for_query)),
            (std::vector<TS>{TS::kIdle, TS::kIdle, TS::kIdle, TS::kInTransaction,
                             TS::kInTransaction, TS::kFailed, TS::kIdle, TS::kIdle, TS::kIdle,
                             TS::kIdle, TS::kIdle, TS::kIdle, TS::kIdle, TS::kIdle}));
  EXPECT_EQ((all_of<std::string>(s.server.messages, 'C', parse_command_complete)),
            (std::vector<std::string>{"SELECT 1", "BEGIN", "SELECT 1", "ROLLBACK", "DO", "COPY 3",
                                      "CREATE TABLE", "COPY 2", "LISTEN", "NOTIFY", "SET"}));
  const auto errors = all_of<ErrorFields>(s.server.messages, 'E', parse_error_response);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].severity(), "ERROR");
  EXPECT_EQ(errors[0].sqlstate(), "22012");
  EXPECT_EQ(errors[0].message(), "division by zero");
  const auto notices = all_of<ErrorFields>(s.server.messages, 'N', parse_notice_response);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), "NOTICE");
  EXPECT_EQ(notices[0].message(), "hello 42");
  const auto copies = all_of<CopyResponse>(s.server.messages, 'H', parse_copy_response);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].direction, CopyDirection::kOut);
  EXPECT_EQ(copies[0].column_formats.size(), 1u);
  EXPECT_EQ((all_of<CopyResponse>(s.server.messages, 'G', parse_copy_response)).size(), 1u);

  const auto params = all_of<ParameterStatus>(s.server.messages, 'S', parse_parameter_status);
  ASSERT_EQ(params.size(), 14u);
  EXPECT_EQ(params[0].name, "application_name");
  EXPECT_EQ(params[0].value, "capture");
  EXPECT_EQ(params.back().value, "renamed");
  const auto keys = all_of<BackendKeyData>(s.server.messages, 'K', parse_backend_key_data);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].process_id, 10882);
}

TEST(Captures, PsqlMd5) {
  const Session s = decode_capture("psql_md5.txt");
  expect_backend_messages_parse(s, "psql_md5");
  auto request = parse_authentication(s.server.messages[0].view());
  ASSERT_TRUE(request);
  ASSERT_EQ(request->request, AuthRequest::kMd5Password);
  EXPECT_EQ(parse_password_message(s.client.messages[0].view()),
            md5_password_response("md5-secret", "md5_user", request->salt));
  EXPECT_EQ(parse_authentication(s.server.messages[1].view())->request, AuthRequest::kOk);
}

TEST(Captures, PsqlCleartextPassword) {
  const Session s = decode_capture("psql_password.txt");
  expect_backend_messages_parse(s, "psql_password");
  EXPECT_EQ(parse_authentication(s.server.messages[0].view())->request,
            AuthRequest::kCleartextPassword);
  EXPECT_EQ(parse_password_message(s.client.messages[0].view()), "clear-secret");
  EXPECT_EQ(types(s.client.messages), "pQX");
}

TEST(Captures, PsqlWrongScramPassword) {
  const Session s = decode_capture("psql_scram_wrong_password.txt");
  expect_backend_messages_parse(s, "psql_scram_wrong_password");
  EXPECT_EQ(types(s.server.messages), "RRE");
  auto error = parse_error_response(s.server.messages[2].view());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->severity(), "FATAL");
  EXPECT_EQ(error->sqlstate(), sqlstate::kInvalidPassword);
}

TEST(Captures, PsqlUnknownDatabase) {
  const Session s = decode_capture("psql_unknown_database.txt");
  expect_backend_messages_parse(s, "psql_unknown_database");
  EXPECT_EQ(types(s.server.messages), "RE");
  auto error = parse_error_response(s.server.messages[1].view());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->sqlstate(), "3D000");
  EXPECT_EQ(error->message(), "database \"nosuchdb\" does not exist");
  EXPECT_TRUE(s.client.messages.empty());
}

TEST(Captures, Psycopg2CancelsAQuery) {
  const Session session = decode_capture("psycopg2_cancel_session.txt");
  const Session cancel = decode_capture("psycopg2_cancel_request.txt");
  expect_backend_messages_parse(session, "psycopg2_cancel_session");
  const auto keys = all_of<BackendKeyData>(session.server.messages, 'K', parse_backend_key_data);
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(cancel.client.startup.size(), 1u);
  const auto& request = std::get<CancelRequest>(cancel.client.startup[0]);
  EXPECT_EQ(request.process_id, keys[0].process_id);
  EXPECT_EQ(request.secret_key, keys[0].secret_key);
  const auto errors = all_of<ErrorFields>(session.server.messages, 'E', parse_error_response);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].sqlstate(), sqlstate::kQueryCanceled);
  // psycopg2 sends no application_name; libpq's startup still names user and database.
  const auto& startup = std::get<StartupMessage>(session.client.startup[0]);
  EXPECT_EQ(startup.parameters.size(), 2u);
}

TEST(Captures, PgbenchExtendedProtocol) {
  const Session s = decode_capture("pgbench_extended.txt");
  expect_backend_messages_parse(s, "pgbench_extended");
  EXPECT_EQ(types(s.client.messages), "PBDESPBDESX");
  EXPECT_TRUE(types(s.server.messages).ends_with("12TDCZ12TDCZ"));
}

}  // namespace
}  // namespace iamdb::pgwire
