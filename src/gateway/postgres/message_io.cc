// Whole-message reads over a gateway Stream.
#include "gateway/postgres/message_io.h"

namespace iamdb::gateway::pg {

namespace asio = boost::asio;

void MessageReader::set_max_length(uint32_t max_length) {
  auto options = framer_.options();
  options.max_length = max_length;
  framer_.set_options(options);
}

std::string MessageReader::take_buffered() {
  std::string rest = buffer_.substr(consumed_);
  buffer_.clear();
  consumed_ = 0;
  return rest;
}

asio::awaitable<Result<pgwire::Message>> MessageReader::next(Stream& stream) {
  buffer_.erase(0, consumed_);
  consumed_ = 0;
  for (;;) {
    auto frame = framer_.next(buffer_);
    if (!frame) co_return std::unexpected(frame.error());
    if (frame->kind == pgwire::Frame::Kind::kMessage) {
      consumed_ = frame->consumed;
      co_return frame->message;
    }
    const size_t old = buffer_.size();
    const size_t want = std::max<size_t>(frame->needed, 4096);
    buffer_.resize(old + want);
    auto n = co_await stream.read_some(std::span<char>(buffer_.data() + old, want));
    if (!n) {
      buffer_.resize(old);
      stream_ended_ = true;
      co_return std::unexpected(n.error());
    }
    buffer_.resize(old + *n);
    if (*n == 0) {
      stream_ended_ = true;
      co_return fail("the connection was closed");
    }
  }
}

}  // namespace iamdb::gateway::pg
