// MessageFramer: typed messages cut out of streams split anywhere, limits, streaming of long
// bodies, and the precise refusal of malformed headers.
#include "gateway/postgres/framer.h"

#include <gtest/gtest.h>

#include "pgwire_testing.h"

namespace iamdb::pgwire {
namespace {

using testing::decode_stream;
using testing::every_split;
using testing::Owned;
using testing::unhex;

// ReadyForQuery(I), CommandComplete("SELECT 1"), an empty-bodied NoData, ParameterStatus.
const std::string kBackendStream = unhex(
    "5a0000000549"
    "430000000d53454c4543542031 00"
    "6e00000004"
    "530000001a61 70706c69636174696f6e5f6e616d65 00 70 73716c 00");

const std::vector<Owned> kBackendMessages = {
    {'Z', "I"},
    {'C', std::string("SELECT 1\0", 9)},
    {'n', ""},
    {'S', std::string("application_name\0psql\0", 22)},
};

TEST(MessageFramer, SameMessagesHoweverTheStreamIsSplit) {
  const FramerOptions options{.sender = Peer::kBackend};
  for (const auto& chunks : every_split(kBackendStream)) {
    auto decoded = decode_stream(chunks, options, false);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->messages, kBackendMessages) << chunks.size() << " chunks";
  }
}

TEST(MessageFramer, WholeMessagesAreViewsIntoTheBuffer) {
  MessageFramer framer({.sender = Peer::kBackend});
  auto frame = framer.next(kBackendStream);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, Frame::Kind::kMessage);
  EXPECT_EQ(frame->message.body.data(), kBackendStream.data() + 5);
  EXPECT_EQ(frame->length, 5u);
  EXPECT_EQ(frame->consumed, 6u);
}

TEST(MessageFramer, SaysHowManyBytesAreMissing) {
  struct Case {
    const char* name;
    std::string buffered;
    size_t needed;
  };
  const Case cases[] = {
      {"nothing yet", "", 5},
      {"type byte only", "Z", 4},
      {"half a length", unhex("5a0000"), 2},
      {"header without body", unhex("5a00000005"), 1},
      {"part of a body", unhex("430000000d53454c"), 6},
  };
  for (const Case& c : cases) {
    MessageFramer framer({.sender = Peer::kBackend});
    auto frame = framer.next(c.buffered);
    ASSERT_TRUE(frame) << c.name;
    EXPECT_EQ(frame->kind, Frame::Kind::kNeedMoreData) << c.name;
    EXPECT_EQ(frame->needed, c.needed) << c.name;
    EXPECT_EQ(frame->consumed, 0u) << c.name;
  }
}

TEST(MessageFramer, RefusesMalformedHeadersAsSoonAsTheyArrive) {
  struct Case {
    const char* name;
    Peer sender;
    uint32_t max_length;
    std::string bytes;
    size_t fails_after;  // bytes fed one at a time before the error appears
    const char* error;
  };
  const Case cases[] = {
      {"length below 4", Peer::kBackend, 1000, unhex("5a00000003"), 5,
       "invalid length 3 of ReadyForQuery ('Z')"},
      {"length zero", Peer::kFrontend, 1000, unhex("5100000000"), 5,
       "invalid length 0 of Query ('Q')"},
      {"negative length", Peer::kFrontend, 1000, unhex("51ffffffff"), 5, "invalid length -1"},
      {"length 2^31", Peer::kBackend, 1000, unhex("4480000000"), 5, "invalid length -2147483648"},
      {"over the limit", Peer::kFrontend, 100, unhex("7000000065"), 5,
       "PasswordMessage ('p') of 101 bytes exceeds the limit of 100"},
      {"backend type from a client", Peer::kFrontend, 1000, unhex("5a00000005"), 1,
       "unknown message type 0x5a from the client"},
      {"frontend type from a server", Peer::kBackend, 1000, unhex("5100000005"), 1,
       "unknown message type 0x51 from the server"},
      {"NUL type", Peer::kBackend, 1000, unhex("00"), 1, "unknown message type 0x00"},
      {"TLS record instead of a message", Peer::kFrontend, 1000, unhex("160301"), 1,
       "unknown message type 0x16"},
  };
  for (const Case& c : cases) {
    MessageFramer framer({.sender = c.sender, .max_length = c.max_length});
    for (size_t n = 1; n <= c.bytes.size(); ++n) {
      auto frame = framer.next(std::string_view(c.bytes).substr(0, n));
      if (n < c.fails_after) {
        ASSERT_TRUE(frame) << c.name << " failed early, at byte " << n;
        EXPECT_EQ(frame->kind, Frame::Kind::kNeedMoreData) << c.name;
        continue;
      }
      ASSERT_FALSE(frame) << c.name;
      EXPECT_NE(frame.error().message.find(c.error), std::string::npos)
          << c.name << ": " << frame.error().message;
      break;
    }
  }
}

TEST(MessageFramer, StaysFailedAfterAnError) {
  MessageFramer framer({.sender = Peer::kBackend});
  ASSERT_FALSE(framer.next(unhex("5a00000001")));
  auto again = framer.next(unhex("5a0000000549"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("cannot be resynchronised"), std::string::npos);
}

TEST(MessageFramer, TruncatedStreamsEndInsideAMessage) {
  for (size_t cut = 1; cut < kBackendStream.size(); ++cut) {
    const std::string_view truncated = std::string_view(kBackendStream).substr(0, cut);
    auto decoded = decode_stream(truncated, {.sender = Peer::kBackend}, false);
    const bool at_boundary = cut == 6 || cut == 6 + 14 || cut == 6 + 14 + 5;
    EXPECT_EQ(decoded.has_value(), at_boundary) << "cut at " << cut;
  }
}

TEST(MessageFramer, StreamsBodiesLongerThanTheLimitInPieces) {
  const std::string row(100, 'r');
  std::string stream = unhex("44 00000068") + row;  // DataRow of 104 bytes: streamed
  stream += unhex("5a0000000549");                  // ReadyForQuery: small, delivered whole
  const FramerOptions options{.sender = Peer::kBackend, .max_length = 16, .stream_longer = true};
  for (const auto& chunks : every_split(stream)) {
    auto decoded = decode_stream(chunks, options, false);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->messages, (std::vector<Owned>{{'D', row}, {'Z', "I"}}));
  }

  MessageFramer framer(options);
  auto header = framer.next(stream);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->kind, Frame::Kind::kHeader);
  EXPECT_EQ(header->message.type, 'D');
  EXPECT_EQ(header->length, 104u);
  EXPECT_EQ(header->remaining, 100u);
  EXPECT_TRUE(framer.in_body());
  auto part = framer.next(std::string_view(stream).substr(5, 30));
  ASSERT_TRUE(part);
  EXPECT_EQ(part->kind, Frame::Kind::kBodyPart);
  EXPECT_EQ(part->message.body, std::string(30, 'r'));
  EXPECT_EQ(part->remaining, 70u);
  auto empty = framer.next("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->kind, Frame::Kind::kNeedMoreData);
  EXPECT_EQ(empty->needed, 70u);
  auto rest = framer.next(std::string_view(stream).substr(35));
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->message.body.size(), 70u);
  EXPECT_EQ(rest->remaining, 0u);
  EXPECT_FALSE(framer.in_body());
  auto next = framer.next(std::string_view(stream).substr(105));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->kind, Frame::Kind::kMessage);
}

TEST(MessageFramer, LimitsCanChangeBetweenMessages) {
  const std::string big = unhex("51 00000015") + std::string("SELECT 'sixteen'", 16) + '\0';
  MessageFramer framer({.sender = Peer::kFrontend, .max_length = 10});
  framer.set_options({.sender = Peer::kFrontend, .max_length = 21});
  auto frame = framer.next(big);
  ASSERT_TRUE(frame) << frame.error().message;
  EXPECT_EQ(frame->kind, Frame::Kind::kMessage);
  EXPECT_EQ(framer.options().max_length, 21u);
}

TEST(MessageFramer, DescribesTypes) {
  EXPECT_EQ(describe_message_type(Peer::kBackend, 'Z'), "ReadyForQuery ('Z')");
  EXPECT_EQ(describe_message_type(Peer::kFrontend, 'p'), "PasswordMessage ('p')");
  EXPECT_EQ(describe_message_type(Peer::kFrontend, 'Z'), "unknown message type 0x5a");
  EXPECT_TRUE(expect_type({'Z', "I"}, Peer::kBackend, 'Z'));
  auto wrong = expect_type({'E', ""}, Peer::kBackend, 'Z');
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "expected ReadyForQuery ('Z'), got ErrorResponse ('E')");
}

}  // namespace
}  // namespace iamdb::pgwire
