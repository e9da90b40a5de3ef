// Byte-level helpers shared by this folder's readers and writers: big-endian integers and
// NUL-terminated strings (55.6 "Message Data Types"). `BodyReader` walks a borrowed message body
// and never reads past its end: every accessor returns nullopt instead. The writers append to a
// caller's buffer, which is the only allocation they cause. Pure; no shared state.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iamdb::pgwire::wire {

inline uint32_t load_u32(std::string_view bytes) {
  assert(bytes.size() >= 4);
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// A cursor over one message body; `body` must outlive the reader and the views it returns.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}

  std::optional<uint8_t> u8() {
    if (rest_.empty()) return std::nullopt;
    const auto v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return v;
  }
  std::optional<int16_t> i16() {
    if (rest_.size() < 2) return std::nullopt;
    const auto v = static_cast<uint16_t>((static_cast<uint8_t>(rest_[0]) << 8) |
                                         static_cast<uint8_t>(rest_[1]));
    rest_.remove_prefix(2);
    return static_cast<int16_t>(v);
  }
  std::optional<uint32_t> u32() {
    if (rest_.size() < 4) return std::nullopt;
    const uint32_t v = load_u32(rest_);
    rest_.remove_prefix(4);
    return v;
  }
  std::optional<int32_t> i32() {
    auto v = u32();
    if (!v) return std::nullopt;
    return static_cast<int32_t>(*v);
  }
  // A String (55.6): the bytes up to the next NUL, which is consumed but not returned.
  std::optional<std::string_view> cstring() {
    const size_t nul = rest_.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;
    std::string_view s = rest_.substr(0, nul);
    rest_.remove_prefix(nul + 1);
    return s;
  }
  std::optional<std::string_view> bytes(size_t n) {
    if (rest_.size() < n) return std::nullopt;
    std::string_view s = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return s;
  }
  std::string_view take_rest() {
    std::string_view s = rest_;
    rest_ = {};
    return s;
  }
  bool at_end() const { return rest_.empty(); }
  size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_i16(std::string& out, int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  out.push_back(static_cast<char>(u >> 8));
  out.push_back(static_cast<char>(u & 0xff));
}
inline void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}
inline void put_i32(std::string& out, int32_t v) { put_u32(out, static_cast<uint32_t>(v)); }
// Writes `s` and its terminating NUL. A String cannot contain NUL: callers pass text that
// came out of a parsed message or from the gateway itself.
inline void put_cstring(std::string& out, std::string_view s) {
  assert(s.find('\0') == std::string_view::npos);
  out.append(s);
  out.push_back('\0');
}

// Starts a typed message: writes the type byte and a placeholder length; returns the offset of
// the length field, which `finish` fills in once the body has been appended.
inline size_t begin(std::string& out, char type) {
  out.push_back(type);
  const size_t at = out.size();
  put_u32(out, 0);
  return at;
}
// Starts an untyped startup-phase packet (length word first).
inline size_t begin_untyped(std::string& out) {
  const size_t at = out.size();
  put_u32(out, 0);
  return at;
}
inline void finish(std::string& out, size_t length_at) {
  const size_t length = out.size() - length_at;
  assert(length <= 0x7fffffff);
  const auto v = static_cast<uint32_t>(length);
  out[length_at] = static_cast<char>(v >> 24);
  out[length_at + 1] = static_cast<char>((v >> 16) & 0xff);
  out[length_at + 2] = static_cast<char>((v >> 8) & 0xff);
  out[length_at + 3] = static_cast<char>(v & 0xff);
}

}  // namespace iamdb::pgwire::wire
