// RelayTracker: when a relayed session may be reset and reused, where the client's Terminate
// starts however its bytes arrive, the sessions recorded from psql, psycopg2 and pgbench, and
// the refusal of malformed headers in both directions; MessageScanner at every split.
#include "gateway/postgres/relay_tracker.h"

#include <gtest/gtest.h>

#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_write.h"
#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::be32;
using testing::every_split;
using testing::load_capture;
using testing::unhex;

std::string msg(char type, std::string_view body) {
  std::string out(1, type);
  out += be32(static_cast<uint32_t>(body.size() + 4));
  out += body;
  return out;
}
std::string query(std::string_view sql) {
  std::string out;
  write_query(out, sql);
  return out;
}
std::string ready(char status) { return msg('Z', std::string(1, status)); }
std::string terminate() { return msg('X', ""); }
const std::string kParse = msg('P', std::string("\0SELECT 1\0\0\0", 12));
const std::string kBind = msg('B', std::string("\0\0\0\0\0\0\0\0", 8));
const std::string kExecute = msg('E', std::string("\0\0\0\0\0", 5));
const std::string kSync = msg('S', "");
const std::string kCommandComplete = msg('C', std::string("SELECT 1\0", 9));

// Feeds client chunks the way the relay does: held bytes stay at the front of the buffer, the
// first `forward` bytes go to the backend. Returns what the backend received.
struct Relayed {
  std::string forwarded;
  bool terminate = false;
};
Result<Relayed> relay_client(RelayTracker& t, const std::vector<std::string_view>& chunks) {
  Relayed out;
  std::string buffer;
  for (std::string_view chunk : chunks) {
    buffer += chunk;
    auto scan = t.scan_client(chunk);
    if (!scan) return std::unexpected(scan.error());
    EXPECT_LE(scan->forward + t.held(), buffer.size());
    out.forwarded += buffer.substr(0, scan->forward);
    if (scan->terminate) {
      out.terminate = true;
      return out;
    }
    buffer.erase(0, buffer.size() - t.held());
  }
  return out;
}

TEST(RelayTracker, ReusableOnlyWhenTheBackendIsIdle) {
  struct Case {
    const char* name;
    std::string client;
    std::string server;
    bool reusable;
    bool busy;
  };
  const Case cases[] = {
      {"nothing happened yet", "", "", true, false},
      {"a query waits for its answer", query("SELECT 1"), "", false, true},
      {"the answer is still arriving", query("SELECT 1"), kCommandComplete, false, true},
      {"answered", query("SELECT 1"), kCommandComplete + ready('I'), true, false},
      {"inside a transaction block", query("BEGIN"), msg('C', std::string("BEGIN\0", 6)) + ready('T'),
       false, false},
      {"in a failed transaction block", query("SELECT 1/0"), msg('E', std::string("\0", 1)) + ready('E'),
       false, false},
      {"two pipelined queries, one answered", query("SELECT 1") + query("SELECT 2"),
       kCommandComplete + ready('I'), false, true},
      {"two pipelined queries, both answered", query("SELECT 1") + query("SELECT 2"),
       kCommandComplete + ready('I') + kCommandComplete + ready('I'), true, false},
      {"extended protocol without its Sync", kParse + kBind + kExecute, "", false, false},
      {"extended protocol answered after Sync", kParse + kBind + kExecute + kSync,
       msg('1', "") + msg('2', "") + kCommandComplete + ready('I'), true, false},
      {"COPY FROM STDIN in progress", query("COPY t FROM STDIN"), msg('G', std::string("\0\0\0", 3)),
       false, true},
      {"COPY FROM STDIN finished",
       query("COPY t FROM STDIN") + msg('d', "1\n") + msg('c', ""),
       msg('G', std::string("\0\0\0", 3)) + msg('C', std::string("COPY 1\0", 7)) + ready('I'), true,
       false},
      {"a ReadyForQuery nobody asked for", "", ready('I'), false, false},
      {"CopyBoth, even once it ended", query("START_REPLICATION"),
       msg('W', std::string("\0\0\0", 3)) + ready('I'), false, false},
      {"a password message after authentication", msg('p', std::string("x\0", 2)), "", false, false},
  };
  for (const Case& c : cases) {
    RelayTracker t;
    ASSERT_TRUE(t.scan_client(c.client)) << c.name;
    ASSERT_TRUE(t.scan_server(c.server)) << c.name;
    EXPECT_EQ(t.reusable(), c.reusable) << c.name;
    EXPECT_EQ(t.busy(), c.busy) << c.name;
  }
}

TEST(RelayTracker, TheStatusOfTheLastReadyForQueryCounts) {
  RelayTracker t;
  ASSERT_TRUE(t.scan_client(query("BEGIN") + query("COMMIT")));
  ASSERT_TRUE(t.scan_server(ready('T')));
  EXPECT_EQ(t.status(), TransactionStatus::kInTransaction);
  EXPECT_FALSE(t.reusable());
  ASSERT_TRUE(t.scan_server(ready('I')));
  EXPECT_EQ(t.status(), TransactionStatus::kIdle);
  EXPECT_TRUE(t.reusable());
}

TEST(RelayTracker, TerminateIsCutOutHoweverTheBytesArrive) {
  const std::string before = query("SELECT 1") + kParse + kSync;
  const std::string stream = before + terminate();
  for (const auto& chunks : every_split(stream)) {
    RelayTracker t;
    auto relayed = relay_client(t, chunks);
    ASSERT_TRUE(relayed) << relayed.error().message;
    EXPECT_TRUE(relayed->terminate) << chunks.size() << " chunks";
    EXPECT_EQ(relayed->forwarded, before) << chunks.size() << " chunks";
    EXPECT_EQ(t.pending(), 2u);
  }
}

TEST(RelayTracker, BytesAfterTerminateAreDropped) {
  RelayTracker t;
  auto first = t.scan_client(terminate() + query("SELECT 1"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->terminate);
  EXPECT_EQ(first->forward, 0u);
  auto later = t.scan_client(query("SELECT 2"));
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->terminate);
  EXPECT_EQ(later->forward, 0u);
  EXPECT_FALSE(t.busy());
}

TEST(RelayTracker, OnlyAPossibleTerminateIsHeldBack) {
  RelayTracker t;
  // A partial Query header is forwarded at once; a partial Terminate header is held.
  const std::string q = query("SELECT 1");
  auto scan = t.scan_client(std::string_view(q).substr(0, 3));
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->forward, 3u);
  EXPECT_EQ(t.held(), 0u);
  scan = t.scan_client(std::string_view(q).substr(3) );
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->forward, q.size() - 3);
  scan = t.scan_client("X");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->forward, 0u);
  EXPECT_EQ(t.held(), 1u);
}

TEST(RelayTracker, RefusesMalformedHeaders) {
  struct Case {
    const char* name;
    bool from_client;
    std::string bytes;
    const char* error;
  };
  const Case cases[] = {
      {"unknown client type", true, unhex("0700000004"), "unknown message type 0x07 from the client"},
      {"server type from the client", true, msg('Z', "I"), "unknown message type 0x5a from the client"},
      {"length below 4", true, unhex("5100000003"), "invalid length 3 of Query ('Q')"},
      {"negative length", false, unhex("44ffffffff"), "invalid length -1 of DataRow ('D')"},
      {"unknown server type", false, unhex("7800000004"), "unknown message type 0x78 from the server"},
      {"ReadyForQuery too long", false, msg('Z', "II"), "ReadyForQuery of length 6; expected 5"},
      {"ReadyForQuery with a bad status", false, msg('Z', "X"),
       "ReadyForQuery has transaction status 0x58; expected I, T or E"},
  };
  for (const Case& c : cases) {
    RelayTracker t;
    if (!c.from_client) {
      ASSERT_TRUE(t.scan_client(query("SELECT 1")));
    }
    Result<void> outcome;
    if (c.from_client) {
      auto scan = t.scan_client(c.bytes);
      outcome = scan ? Result<void>{} : Result<void>(std::unexpected(scan.error()));
    } else {
      outcome = t.scan_server(c.bytes);
    }
    ASSERT_FALSE(outcome) << c.name;
    EXPECT_EQ(outcome.error().message, c.error) << c.name;
  }
}

TEST(MessageScanner, SameHeadersAndBodiesHoweverTheStreamIsSplit) {
  const std::string stream = kCommandComplete + ready('I') + msg('n', "") + msg('D', std::string(300, 'x'));
  for (const auto& chunks : every_split(stream)) {
    MessageScanner scanner(Peer::kBackend);
    std::string types;
    std::string bodies;
    for (std::string_view chunk : chunks) {
      while (!chunk.empty()) {
        auto step = scanner.next(chunk);
        ASSERT_TRUE(step);
        ASSERT_GT(step->consumed, 0u);
        chunk.remove_prefix(step->consumed);
        if (step->kind == MessageScanner::Step::Kind::kHeader) types.push_back(step->type);
        if (step->kind == MessageScanner::Step::Kind::kBody) bodies += step->body;
      }
    }
    EXPECT_EQ(types, "CZnD");
    EXPECT_EQ(bodies, std::string("SELECT 1\0", 9) + "I" + std::string(300, 'x'));
    EXPECT_EQ(scanner.partial_header(), 0u);
    EXPECT_EQ(scanner.body_remaining(), 0u);
  }
}

// The bytes of a recorded session after authentication: the client's after its last password
// message, the server's after its first ReadyForQuery, read by read.
struct AfterLogin {
  std::vector<std::pair<Peer, std::string>> reads;
};
AfterLogin after_login(const testing::Transcript& t) {
  const std::string client = t.stream(Peer::kFrontend), server = t.stream(Peer::kBackend);
  size_t client_skip = 0;
  for (;;) {
    auto step = decode_startup_packet(std::string_view(client).substr(client_skip));
    EXPECT_TRUE(step && step->packet);
    client_skip += step->consumed;
    if (std::holds_alternative<StartupMessage>(*step->packet)) break;
  }
  MessageFramer client_framer({.sender = Peer::kFrontend, .max_length = kLargeMessageLimit});
  while (client_skip < client.size() && client[client_skip] == 'p')
    client_skip += client_framer.next(std::string_view(client).substr(client_skip))->consumed;
  size_t server_skip = server.starts_with('N') ? 1 : 0;
  MessageFramer server_framer({.sender = Peer::kBackend, .max_length = kLargeMessageLimit});
  for (;;) {
    auto frame = server_framer.next(std::string_view(server).substr(server_skip));
    EXPECT_TRUE(frame && frame->kind == Frame::Kind::kMessage);
    server_skip += frame->consumed;
    if (frame->message.type == 'Z') break;
  }
  AfterLogin out;
  size_t seen_client = 0, seen_server = 0;
  for (const auto& [peer, bytes] : t.reads) {
    size_t& seen = peer == Peer::kFrontend ? seen_client : seen_server;
    const size_t skip = peer == Peer::kFrontend ? client_skip : server_skip;
    const size_t begin = seen < skip ? std::min(skip - seen, bytes.size()) : 0;
    seen += bytes.size();
    if (begin < bytes.size()) out.reads.emplace_back(peer, bytes.substr(begin));
  }
  return out;
}

TEST(RelayTracker, RecordedSessionsEndAsRecordedWithTheirTerminateCutOut) {
  struct Case {
    const char* capture;
    bool ends_with_terminate;
    TransactionStatus last_status;
  };
  // psycopg2 leaves in the transaction block its cancelled query failed, so that session is not
  // reusable; the others end idle.
  const Case cases[] = {
      {"psql_scram_session.txt", true, TransactionStatus::kIdle},
      {"pgbench_extended.txt", true, TransactionStatus::kIdle},
      {"psycopg2_cancel_session.txt", true, TransactionStatus::kFailed},
      {"psql_password.txt", true, TransactionStatus::kIdle},
  };
  for (const Case& c : cases) {
    const auto transcript = load_capture(c.capture);
    const AfterLogin session = after_login(transcript);
    RelayTracker t;
    std::string forwarded, sent;
    bool terminated = false;
    bool ever_in_transaction = false;
    for (const auto& [peer, bytes] : session.reads) {
      if (peer == Peer::kFrontend) {
        if (!terminated) sent += bytes;
        auto relayed = relay_client(t, {bytes});
        ASSERT_TRUE(relayed) << c.capture << ": " << relayed.error().message;
        forwarded += relayed->forwarded;
        terminated = terminated || relayed->terminate;
      } else {
        ASSERT_TRUE(t.scan_server(bytes)) << c.capture;
        ever_in_transaction = ever_in_transaction || t.status() != TransactionStatus::kIdle;
      }
    }
    EXPECT_EQ(terminated, c.ends_with_terminate) << c.capture;
    EXPECT_EQ(forwarded + terminate(), sent) << c.capture;
    EXPECT_EQ(t.status(), c.last_status) << c.capture;
    EXPECT_EQ(t.reusable(), c.last_status == TransactionStatus::kIdle) << c.capture << ": " << t.unusual();
    EXPECT_EQ(t.pending(), 0u) << c.capture;
    if (std::string_view(c.capture) == "psql_scram_session.txt") {
      EXPECT_TRUE(ever_in_transaction);
    }
  }
}

}  // namespace
}  // namespace iamdb::pgwire
