// Cuts the typed messages of protocol 3.0 (Byte1 type, Int32 length that counts itself, body;
// PostgreSQL 15 documentation 55.7) out of a byte stream that arrives in pieces of any size,
// after the startup phase (see fe_read.h for the untyped startup packets).
//
// The framer works over the caller's buffer, as Envoy's postgres_proxy decoder does: `next`
// looks at the bytes received and not yet consumed, and answers with one Frame. A Frame that
// needs more data consumes nothing; every other Frame says how many bytes at the front of the
// buffer it covers, and the caller drops (or relays) exactly those before calling `next` again.
// Whole messages are views into the caller's buffer, never copies, so they are valid until the
// caller consumes those bytes.
//
// Two limits keep a peer from making the gateway buffer without bound. A message whose length
// field is at most `max_length` is delivered whole (the caller must be able to buffer
// max_length + 1 bytes). A longer one is refused, or, with `stream_longer` (relay mode after
// authentication, where rows may be huge), delivered as a kHeader frame (5 bytes: type and
// length) followed by kBodyPart frames of whatever body bytes are buffered, so the I/O layer can
// forward it in pieces. Unknown type bytes are refused as soon as the first byte arrives, as are
// lengths below 4 or above 2^31 - 1, so garbage fails fast with a precise reason.
//
// After an error the stream cannot be resynchronised: every later call fails too, and the
// connection should be closed. A MessageFramer is a small value owned by one connection; it is
// not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

// One typed message; `body` excludes the type byte and the length field and borrows the buffer
// it was cut from.
struct Message {
  char type = 0;
  std::string_view body;
};

struct FramerOptions {
  Peer sender = Peer::kFrontend;             // whose messages the stream carries
  uint32_t max_length = kSmallMessageLimit;  // largest length field delivered whole; at least 4
  bool stream_longer = false;  // longer messages arrive as kHeader + kBodyPart instead of failing
};

struct Frame {
  enum class Kind {
    kNeedMoreData,  // nothing consumed; read at least `needed` more bytes and call again
    kMessage,       // `message` is a whole message; `consumed` = 5 + body size
    kHeader,        // a streamed message starts: `message.type`, `length`; `consumed` = 5
    kBodyPart,      // `message.body` is the next piece of the streamed body; `remaining` follow
  };
  Kind kind = Kind::kNeedMoreData;
  Message message;
  uint32_t length = 0;   // kMessage, kHeader: the message's length field (body size + 4)
  size_t consumed = 0;   // bytes at the front of the caller's buffer that this frame covers
  size_t needed = 0;     // kNeedMoreData: how many more bytes the next frame needs, at least
  size_t remaining = 0;  // kHeader, kBodyPart: body bytes of this message still to come
};

class MessageFramer {
 public:
  explicit MessageFramer(FramerOptions options);

  // Decodes the next frame from `buffered`, the bytes received and not yet consumed.
  [[nodiscard]] Result<Frame> next(std::string_view buffered);

  // True between a kHeader frame and the kBodyPart frame that ends that message.
  bool in_body() const { return body_remaining_ > 0; }
  const FramerOptions& options() const { return options_; }
  // Changes the limits between messages (the gateway relaxes them after authentication).
  void set_options(FramerOptions options);

 private:
  FramerOptions options_;
  char body_type_ = 0;
  size_t body_remaining_ = 0;
  bool failed_ = false;
};

// "ReadyForQuery ('Z')", or "unknown message type 0x07" for a byte `sender` never sends.
std::string describe_message_type(Peer sender, char type);

// Succeeds if `message` has type byte `type`; otherwise says what was expected and what came.
[[nodiscard]] Result<void> expect_type(const Message& message, Peer sender, char type);

}  // namespace iamdb::pgwire
