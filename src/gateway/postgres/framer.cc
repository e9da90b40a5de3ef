// Framing of typed protocol messages over a caller-owned buffer, whole or streamed.
#include "gateway/postgres/framer.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <string>

#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {

std::string describe_message_type(Peer sender, char type) {
  char byte[8];
  const auto u = static_cast<unsigned char>(type);
  if (!is_message_type(sender, type)) {
    std::snprintf(byte, sizeof byte, "0x%02x", u);
    return std::string("unknown message type ") + byte;
  }
  std::string out(message_name(sender, type));
  out.append(" ('").push_back(type);
  out.append("')");
  return out;
}

Result<void> expect_type(const Message& message, Peer sender, char type) {
  if (message.type == type) return {};
  return fail("expected ", describe_message_type(sender, type), ", got ",
              describe_message_type(sender, message.type));
}

MessageFramer::MessageFramer(FramerOptions options) : options_(options) {
  assert(options_.max_length >= kMinLengthField);
}

void MessageFramer::set_options(FramerOptions options) {
  assert(options.max_length >= kMinLengthField);
  assert(!in_body());
  options_ = options;
}

Result<Frame> MessageFramer::next(std::string_view buffered) {
  if (failed_) return fail("the message stream already failed and cannot be resynchronised");
  Frame frame;

  if (body_remaining_ > 0) {
    if (buffered.empty()) {
      frame.needed = body_remaining_;
      return frame;
    }
    const size_t n = std::min(body_remaining_, buffered.size());
    body_remaining_ -= n;
    frame.kind = Frame::Kind::kBodyPart;
    frame.message = {body_type_, buffered.substr(0, n)};
    frame.consumed = n;
    frame.remaining = body_remaining_;
    return frame;
  }

  if (buffered.empty()) {
    frame.needed = kHeaderSize;
    return frame;
  }
  const char type = buffered[0];
  if (!is_message_type(options_.sender, type)) {
    failed_ = true;
    return fail(describe_message_type(options_.sender, type), " from the ",
                options_.sender == Peer::kFrontend ? "client" : "server");
  }
  if (buffered.size() < kHeaderSize) {
    frame.needed = kHeaderSize - buffered.size();
    return frame;
  }
  const uint32_t length = wire::load_u32(buffered.substr(1));
  if (length < kMinLengthField || length > kMaxLengthField) {
    failed_ = true;
    return fail("invalid length ", std::to_string(static_cast<int32_t>(length)), " of ",
                describe_message_type(options_.sender, type),
                ": the length counts its own 4 bytes and is a positive Int32");
  }
  if (length > options_.max_length) {
    if (!options_.stream_longer) {
      failed_ = true;
      return fail(describe_message_type(options_.sender, type), " of ", std::to_string(length),
                  " bytes exceeds the limit of ", std::to_string(options_.max_length));
    }
    body_type_ = type;
    body_remaining_ = length - kMinLengthField;
    frame.kind = Frame::Kind::kHeader;
    frame.message = {type, {}};
    frame.length = length;
    frame.consumed = kHeaderSize;
    frame.remaining = body_remaining_;
    return frame;
  }
  const size_t total = 1 + static_cast<size_t>(length);
  if (buffered.size() < total) {
    frame.needed = total - buffered.size();
    return frame;
  }
  frame.kind = Frame::Kind::kMessage;
  frame.message = {type, buffered.substr(kHeaderSize, length - kMinLengthField)};
  frame.length = length;
  frame.consumed = total;
  return frame;
}

}  // namespace iamdb::pgwire
