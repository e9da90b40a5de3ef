// Helpers shared by the pgwire tests: hex literals, the recorded psql/libpq transcripts in
// captures/, and a driver that feeds a byte stream to the decoders in chunks, as the gateway's
// I/O layer will, checking the decoders' promises about progress and `needed` on the way.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/encoding.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/framer.h"

namespace iamdb::pgwire::testing {

inline std::string unhex(std::string_view hex) {
  std::string compact;
  for (char c : hex)
    if (c != ' ' && c != '\n') compact.push_back(c);
  auto bytes = hex_decode(compact);
  if (!bytes) throw std::invalid_argument("bad hex in test: " + compact);
  return *bytes;
}

inline std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return s;
}
inline std::string be16(uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

// NUL-terminated strings followed by the list's terminating NUL.
inline std::string strings(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) {
    s.append(p);
    s.push_back('\0');
  }
  s.push_back('\0');
  return s;
}

// A string literal with embedded NULs: z("a\0b") keeps all three bytes.
template <size_t N>
std::string z(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// A message copied out of the stream, so it outlives the buffer it was cut from.
struct Owned {
  char type = 0;
  std::string body;
  bool operator==(const Owned&) const = default;
  Message view() const { return {type, body}; }
};

inline std::ostream& operator<<(std::ostream& os, const Owned& m) {
  return os << m.type << ":" << hex_encode(m.body);
}

// What a connection said, read by read, as captured by captures/record_proxy.py.
struct Transcript {
  std::vector<std::pair<Peer, std::string>> reads;  // kFrontend: client to server

  std::string stream(Peer sender) const {
    std::string all;
    for (const auto& [peer, bytes] : reads)
      if (peer == sender) all += bytes;
    return all;
  }
  std::vector<std::string_view> chunks(Peer sender) const {
    std::vector<std::string_view> out;
    for (const auto& [peer, bytes] : reads)
      if (peer == sender) out.push_back(bytes);
    return out;
  }
};

inline Transcript load_capture(std::string_view name) {
  const std::string path =
      std::string(IAMDB_SOURCE_DIR) + "/tests/gateway/postgres/captures/" + std::string(name);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Transcript t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.size() < 3 || (line[0] != 'C' && line[0] != 'S') || line[1] != ' ')
      throw std::runtime_error("bad transcript line in " + path + ": " + line);
    t.reads.emplace_back(line[0] == 'C' ? Peer::kFrontend : Peer::kBackend,
                         unhex(std::string_view(line).substr(2)));
  }
  return t;
}

// Every way the tests cut a stream: one chunk, two chunks split at each byte boundary, and one
// byte at a time.
inline std::vector<std::vector<std::string_view>> every_split(std::string_view bytes) {
  std::vector<std::vector<std::string_view>> out;
  out.push_back({bytes});
  for (size_t k = 1; k < bytes.size(); ++k) out.push_back({bytes.substr(0, k), bytes.substr(k)});
  std::vector<std::string_view> singles;
  for (size_t i = 0; i < bytes.size(); ++i) singles.push_back(bytes.substr(i, 1));
  out.push_back(std::move(singles));
  return out;
}

// The result of decoding one direction of a connection.
struct Decoded {
  std::vector<StartupPacket> startup;  // client streams: packets before the typed messages
  std::vector<Owned> messages;
};

// Feeds `chunks` to the decoders the way an I/O layer does: append what arrived, take frames
// until more data is needed, drop what each frame consumed. A client stream (`startup_phase`)
// begins with startup packets; typed messages follow a StartupMessage. Streamed messages are
// reassembled. Checks on the way that every frame makes progress, that no frame consumes more
// than it was given, and that `needed` never overstates what is missing.
inline Result<Decoded> decode_stream(const std::vector<std::string_view>& chunks,
                                     FramerOptions options, bool startup_phase) {
  Decoded out;
  MessageFramer framer(options);
  std::string pending;
  size_t threshold = 0;  // pending must reach this size before a frame can come
  bool in_startup = startup_phase;
  for (std::string_view chunk : chunks) {
    pending.append(chunk);
    for (;;) {
      if (pending.size() < threshold) break;  // the decoder promised not to progress yet
      if (in_startup) {
        auto step = decode_startup_packet(pending);
        if (!step) return std::unexpected(step.error());
        if (!step->packet) {
          EXPECT_GT(step->needed, 0u);
          threshold = pending.size() + step->needed;
          break;
        }
        EXPECT_GT(step->consumed, 0u);
        EXPECT_LE(step->consumed, pending.size());
        if (std::holds_alternative<StartupMessage>(*step->packet)) in_startup = false;
        out.startup.push_back(std::move(*step->packet));
        pending.erase(0, step->consumed);
        threshold = 0;
        continue;
      }
      auto frame = framer.next(pending);
      if (!frame) return std::unexpected(frame.error());
      if (frame->kind == Frame::Kind::kNeedMoreData) {
        EXPECT_GT(frame->needed, 0u);
        EXPECT_EQ(frame->consumed, 0u);
        threshold = pending.size() + frame->needed;
        break;
      }
      EXPECT_GT(frame->consumed, 0u);
      EXPECT_LE(frame->consumed, pending.size());
      switch (frame->kind) {
        case Frame::Kind::kMessage:
          EXPECT_EQ(frame->consumed, 5 + frame->message.body.size());
          out.messages.push_back({frame->message.type, std::string(frame->message.body)});
          break;
        case Frame::Kind::kHeader:
          EXPECT_EQ(frame->consumed, 5u);
          EXPECT_EQ(frame->remaining, frame->length - 4u);
          out.messages.push_back({frame->message.type, {}});
          break;
        case Frame::Kind::kBodyPart:
          EXPECT_FALSE(out.messages.empty());
          EXPECT_EQ(out.messages.back().type, frame->message.type);
          out.messages.back().body.append(frame->message.body);
          EXPECT_EQ(frame->consumed, frame->message.body.size());
          EXPECT_EQ(framer.in_body(), frame->remaining > 0);
          break;
        case Frame::Kind::kNeedMoreData: break;
      }
      pending.erase(0, frame->consumed);
      threshold = 0;
    }
  }
  if (!pending.empty() || framer.in_body())
    return fail("the stream ends inside a message, ", std::to_string(pending.size()),
                " bytes pending");
  return out;
}

inline Result<Decoded> decode_stream(std::string_view bytes, FramerOptions options,
                                     bool startup_phase) {
  return decode_stream(std::vector<std::string_view>{bytes}, options, startup_phase);
}

}  // namespace iamdb::pgwire::testing
