// Header-level scanning of relayed streams and the session state that pooling depends on.
#include "gateway/postgres/relay_tracker.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "gateway/postgres/framer.h"
#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {

Result<MessageScanner::Step> MessageScanner::next(std::string_view bytes) {
  if (failed_) return fail("the message stream already failed and cannot be resynchronised");
  Step step;
  if (body_remaining_ > 0) {
    if (bytes.empty()) return step;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(body_remaining_, bytes.size()));
    body_remaining_ -= n;
    step.kind = Step::Kind::kBody;
    step.consumed = n;
    step.type = type_;
    step.body = bytes.substr(0, n);
    step.message_done = body_remaining_ == 0;
    return step;
  }
  const size_t n = std::min(kHeaderSize - header_size_, bytes.size());
  std::memcpy(header_ + header_size_, bytes.data(), n);
  const bool type_arrived = header_size_ == 0 && n > 0;
  header_size_ += n;
  step.consumed = n;
  if (type_arrived && !is_message_type(sender_, header_[0])) {
    failed_ = true;
    return fail(describe_message_type(sender_, header_[0]), " from the ",
                sender_ == Peer::kFrontend ? "client" : "server");
  }
  if (header_size_ < kHeaderSize) return step;
  header_size_ = 0;
  const uint32_t length = wire::load_u32(std::string_view(header_ + 1, 4));
  if (length < kMinLengthField || length > kMaxLengthField) {
    failed_ = true;
    return fail("invalid length ", std::to_string(static_cast<int32_t>(length)), " of ",
                describe_message_type(sender_, header_[0]));
  }
  type_ = header_[0];
  body_remaining_ = length - kMinLengthField;
  step.kind = Step::Kind::kHeader;
  step.type = type_;
  step.length = length;
  step.message_done = body_remaining_ == 0;
  return step;
}

void RelayTracker::on_client_message(char type) {
  switch (type) {
    case frontend::kQuery:
    case frontend::kFunctionCall: ++pending_; break;
    case frontend::kSync:
      ++pending_;
      unsynced_ = false;
      break;
    case frontend::kParse:
    case frontend::kBind:
    case frontend::kExecute:
    case frontend::kDescribe:
    case frontend::kClose:
    case frontend::kFlush: unsynced_ = true; break;
    case frontend::kPassword:
      unusual_ = true;
      unusual_reason_ = "the client sent a password message after authentication";
      break;
    default: break;  // CopyData, CopyDone, CopyFail
  }
}

Result<void> RelayTracker::on_server_message(char type, std::string_view body) {
  switch (type) {
    case backend::kCopyInResponse:
    case backend::kCopyOutResponse: copy_ = true; break;
    case backend::kCopyBothResponse:
      copy_ = true;
      unusual_ = true;
      unusual_reason_ = "the session entered CopyBoth (replication)";
      break;
    case backend::kReadyForQuery: {
      const char status = body.empty() ? '\0' : body[0];
      if (status != 'I' && status != 'T' && status != 'E') {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(status));
        return fail("ReadyForQuery has transaction status ", hex, "; expected I, T or E");
      }
      status_ = static_cast<TransactionStatus>(status);
      if (pending_ == 0) {
        unusual_ = true;
        unusual_reason_ = "the server sent a ReadyForQuery that no request asked for";
      } else {
        --pending_;
      }
      if (pending_ == 0) copy_ = false;
      break;
    }
    default: break;
  }
  return {};
}

Result<RelayTracker::ClientScan> RelayTracker::scan_client(std::string_view bytes) {
  ClientScan out;
  if (terminated_) {
    out.terminate = true;
    return out;
  }
  const size_t held_before = held_;
  const size_t total = held_before + bytes.size();
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto step = client_.next(bytes.substr(pos));
    if (!step) return std::unexpected(step.error());
    pos += step->consumed;
    if (step->kind != MessageScanner::Step::Kind::kHeader) continue;
    if (step->type == frontend::kTerminate) {
      terminated_ = true;
      held_ = 0;
      out.forward = held_before + pos - kHeaderSize;
      out.terminate = true;
      return out;
    }
    on_client_message(step->type);
  }
  held_ = client_.partial_header() > 0 && client_.partial_type() == frontend::kTerminate
              ? client_.partial_header()
              : 0;
  out.forward = total - held_;
  return out;
}

Result<void> RelayTracker::scan_server(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto step = server_.next(bytes.substr(pos));
    if (!step) return std::unexpected(step.error());
    pos += step->consumed;
    using Kind = MessageScanner::Step::Kind;
    if (step->kind == Kind::kHeader) {
      last_server_type_ = step->type;
      if (step->type == backend::kReadyForQuery) {
        if (step->length != 5)
          return fail("ReadyForQuery of length ", std::to_string(step->length), "; expected 5");
        continue;
      }
      if (auto ok = on_server_message(step->type, {}); !ok) return ok;
    } else if (step->kind == Kind::kBody && step->type == backend::kReadyForQuery) {
      if (auto ok = on_server_message(step->type, step->body); !ok) return ok;
    }
  }
  return {};
}

}  // namespace iamdb::pgwire
