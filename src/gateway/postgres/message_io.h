// Reading whole protocol messages from a Stream during the phases the gateway itself takes part
// in (logging in to a backend, a client's authentication, the pool's reset query, the monitor's
// queries). The relay path does not use it: relayed bytes are forwarded as they arrive.
//
// A MessageReader owns its buffer; the Message it returns is a view into that buffer, valid
// until the next call. Messages longer than `max_length` fail (the peer is refused). Bytes that
// arrived after the last message stay buffered (`buffered()`): the caller decides whether that
// is allowed. One coroutine at a time; the stream must outlive the reader's calls.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "common/error.h"
#include "gateway/postgres/framer.h"
#include "gateway/stream.h"

namespace iamdb::gateway::pg {

class MessageReader {
 public:
  MessageReader(pgwire::Peer sender, uint32_t max_length)
      : framer_({.sender = sender, .max_length = max_length, .stream_longer = false}) {}

  // The next whole message; an error when the stream ends or fails first, or the message is
  // malformed or too long.
  boost::asio::awaitable<Result<pgwire::Message>> next(Stream& stream);

  size_t buffered() const { return buffer_.size() - consumed_; }
  // The bytes after the last message returned (sent early by the peer), taken out of the reader.
  std::string take_buffered();
  // The last failure was the stream's (closed, reset, cancelled), not a malformed message.
  bool stream_ended() const { return stream_ended_; }
  // Adds bytes received before the reader took over (they are read first).
  void prepend(std::string_view bytes) { buffer_.insert(0, bytes); }
  void set_max_length(uint32_t max_length);

 private:
  pgwire::MessageFramer framer_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ belonging to messages already returned
  bool stream_ended_ = false;
};

}  // namespace iamdb::gateway::pg
