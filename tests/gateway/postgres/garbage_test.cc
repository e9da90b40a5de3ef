// Random and mutated input, from a seeded PRNG so failures reproduce: the decoders and parsers
// only ever answer with an error or a well-formed result whose views lie inside the input.
#include <gtest/gtest.h>

#include <random>

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/scram.h"
#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::be32;
using testing::load_capture;

constexpr int kIterations = 20000;
// Each iteration of the typed-message test frames twelve inputs.
constexpr int kTypedIterations = 5000;

class Garbage {
 public:
  explicit Garbage(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  char byte() {
    // Biased towards the bytes that matter to the formats: NUL, '=', ',', digits, letters.
    static constexpr std::string_view kInteresting =
        std::string_view("\0\0\0=,,rsiv0123456789e", 22);
    if (below(3) == 0) return kInteresting[below(kInteresting.size())];
    return static_cast<char>(below(256));
  }
  std::string bytes(size_t max) {
    std::string s(below(max + 1), '\0');
    for (char& c : s) c = byte();
    return s;
  }
  // Typed messages with plausible type bytes and small, sometimes wrong, lengths.
  std::string messages(Peer sender) {
    static constexpr std::string_view kFrontend = "BCdcfDEHFPpQSX";
    static constexpr std::string_view kBackend = "RK23CdcGHWDIEVvnNAtS1sZT";
    const std::string_view types = sender == Peer::kFrontend ? kFrontend : kBackend;
    std::string s;
    for (size_t n = below(6); n > 0; --n) {
      s.push_back(below(20) == 0 ? byte() : types[below(types.size())]);
      std::string body = bytes(40);
      const uint32_t length = below(10) == 0 ? static_cast<uint32_t>(below(60))
                                             : static_cast<uint32_t>(body.size() + 4);
      s += be32(length) + body;
    }
    return s;
  }
  std::string startup() {
    static constexpr uint32_t kCodes[] = {kProtocol3,
                                          protocol_code(3, 1),
                                          kSslRequestCode,
                                          kGssEncRequestCode,
                                          kCancelRequestCode,
                                          protocol_code(2, 0),
                                          0};
    std::string body = bytes(40);
    if (below(2) == 0) body += std::string("user\0x\0\0", 8);
    const uint32_t length =
        below(8) == 0 ? static_cast<uint32_t>(below(64)) : static_cast<uint32_t>(body.size() + 8);
    return be32(length) + be32(kCodes[below(std::size(kCodes))]) + body;
  }
  std::string mutate(std::string s) {
    for (size_t n = 1 + below(4); n > 0 && !s.empty(); --n) {
      switch (below(4)) {
        case 0: s[below(s.size())] = byte(); break;
        case 1: s.erase(below(s.size()), 1 + below(8)); break;
        case 2: s.insert(below(s.size()), bytes(8)); break;
        default: s.resize(below(s.size())); break;
      }
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

bool within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Runs every parser that accepts `message`'s sender; checks any views they return.
void parse_everything(Peer sender, const Message& m) {
  const std::string_view body = m.body;
  if (sender == Peer::kFrontend) {
    if (auto p = parse_password_message(m)) {
      EXPECT_TRUE(within(*p, body));
    }
    if (auto s = parse_sasl_initial_response(m)) {
      EXPECT_TRUE(within(s->mechanism, body));
      if (s->data) {
        EXPECT_TRUE(within(*s->data, body));
      }
    }
    if (auto r = parse_sasl_response(m)) {
      EXPECT_TRUE(within(*r, body));
    }
    if (auto q = parse_query(m)) {
      EXPECT_TRUE(within(*q, body));
    }
    (void)parse_terminate(m);
    return;
  }
  if (auto a = parse_authentication(m)) {
    EXPECT_TRUE(within(a->data, body));
    for (auto mech : a->mechanisms) EXPECT_TRUE(within(mech, body));
  }
  if (auto p = parse_parameter_status(m)) {
    EXPECT_TRUE(within(p->name, body) && within(p->value, body));
  }
  (void)parse_backend_key_data(m);
  (void)parse_ready_for_query(m);
  for (auto parse : {parse_error_response, parse_notice_response}) {
    if (auto d = parse(m)) {
      for (const auto& [code, value] : d->fields) EXPECT_TRUE(within(value, body));
    }
  }
  if (auto c = parse_command_complete(m)) {
    EXPECT_TRUE(within(*c, body));
  }
  if (auto c = parse_copy_response(m)) {
    EXPECT_LE(c->column_formats.size(), body.size() / 2);
  }
  if (auto v = parse_negotiate_protocol_version(m)) {
    for (auto o : v->unrecognized_options) EXPECT_TRUE(within(o, body));
  }
}

// Frames `bytes` until an error or the end, in chunks of random size, parsing what comes out.
void frame_everything(Garbage& g, const std::string& bytes, FramerOptions options) {
  MessageFramer framer(options);
  std::string pending;
  size_t fed = 0;
  for (;;) {
    auto frame = framer.next(pending);
    if (!frame) return;
    if (frame->kind == Frame::Kind::kNeedMoreData) {
      ASSERT_GT(frame->needed, 0u);
      if (fed == bytes.size()) return;
      const size_t n = std::min(bytes.size() - fed, 1 + g.below(16));
      pending.append(bytes, fed, n);
      fed += n;
      continue;
    }
    ASSERT_GT(frame->consumed, 0u);
    ASSERT_LE(frame->consumed, pending.size());
    if (frame->kind == Frame::Kind::kMessage) {
      ASSERT_LE(frame->length, options.max_length);
      parse_everything(options.sender, frame->message);
    }
    pending.erase(0, frame->consumed);
  }
}

void decode_startup(const std::string& bytes) {
  auto step = decode_startup_packet(bytes);
  if (!step) return;
  if (!step->packet) {
    EXPECT_GT(step->needed, 0u);
    return;
  }
  EXPECT_GE(step->consumed, 8u);
  EXPECT_LE(step->consumed, bytes.size());
  if (auto* s = std::get_if<StartupMessage>(&*step->packet)) {
    EXPECT_FALSE(s->user().empty());
  }
}

TEST(Garbage, StartupPackets) {
  Garbage g(0x5eed0001);
  const std::string psql = load_capture("psql_scram_session.txt").stream(Peer::kFrontend);
  for (int i = 0; i < kIterations; ++i) {
    decode_startup(g.bytes(64));
    decode_startup(g.startup());
    decode_startup(g.mutate(psql.substr(8, 68)));
  }
}

TEST(Garbage, TypedMessagesBothDirections) {
  Garbage g(0x5eed0002);
  const auto transcript = load_capture("psql_scram_session.txt");
  const std::string client = transcript.stream(Peer::kFrontend).substr(8 + 68);
  const std::string server = transcript.stream(Peer::kBackend).substr(1);
  for (int i = 0; i < kTypedIterations; ++i) {
    for (Peer sender : {Peer::kFrontend, Peer::kBackend}) {
      const FramerOptions whole{.sender = sender, .max_length = 64};
      const FramerOptions streamed{.sender = sender, .max_length = 16, .stream_longer = true};
      const std::string random = g.bytes(64);
      const std::string plausible = g.messages(sender);
      const std::string& capture = sender == Peer::kFrontend ? client : server;
      const std::string mutated =
          g.mutate(capture.substr(g.below(2) ? 0 : g.below(capture.size()), 256));
      for (const std::string* input : {&random, &plausible, &mutated}) {
        frame_everything(g, *input, whole);
        frame_everything(g, *input, streamed);
      }
    }
  }
}

TEST(Garbage, ScramServerMessages) {
  Garbage g(0x5eed0003);
  static constexpr std::string_view kPieces[] = {"r=",
                                                 "rOprNGfwEbeRWgbNEkqO",
                                                 "%hvY",
                                                 ",s=",
                                                 "W22ZaJ0SNY7soEsUEjb6gQ==",
                                                 ",i=",
                                                 "1",
                                                 "2",
                                                 "0",
                                                 "-",
                                                 ",",
                                                 "m=",
                                                 "=",
                                                 "e=",
                                                 "v=",
                                                 "6rriTRBi23WpRR/wt/GVhvqd5ar6pW5ppJuh/7gAvkA="};
  const auto random_message = [&] {
    std::string s;
    for (size_t n = g.below(9); n > 0; --n)
      s += g.below(8) == 0 ? g.bytes(4) : std::string(kPieces[g.below(std::size(kPieces))]);
    return s;
  };
  for (int i = 0; i < kIterations / 10; ++i) {
    auto client = ScramClient::create(
        "pencil", {.username = "user", .nonce = "rOprNGfwEbeRWgbNEkqO", .max_iterations = 2});
    ASSERT_TRUE(client);
    if (!client->client_final_message(random_message())) continue;
    EXPECT_FALSE(client->verify_server_final(random_message()));
  }
}

}  // namespace
}  // namespace iamdb::pgwire
