// Following the protocol state of an authenticated session while the gateway relays it, without
// buffering or copying what it relays (PostgreSQL 15 documentation 55.2.2-55.2.7: simple and
// extended query, COPY, function calls).
//
// The gateway forwards whatever bytes arrive, as they arrive, and shows them to a RelayTracker
// on the way. The tracker cuts the two streams into messages by their headers alone (type byte
// and length; bodies are skipped, except ReadyForQuery's status byte) and keeps what pooling and
// cancellation need to know:
//   - how many answers the backend still owes: every Query, Sync and FunctionCall the client sent
//     is answered by exactly one ReadyForQuery;
//   - whether extended-protocol messages wait for their Sync;
//   - the transaction status of the last ReadyForQuery, and whether a COPY is in progress;
//   - where the client's Terminate starts, so that a pooled backend never sees it.
// A backend session may be reset and handed to another client only when all of that says
// "idle" (`reusable`). Whatever the tracker cannot account for (a ReadyForQuery nobody asked for,
// CopyBoth, which only replication uses) makes the session non-reusable for good: when in doubt,
// the backend connection is closed rather than shared.
//
// Malformed headers (an unknown type byte, a length below 4 or above 2^31 - 1) are errors that
// end the session. A RelayTracker belongs to one session; it is not thread-safe. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

// Cuts a byte stream into message headers and bodies incrementally, holding at most one
// incomplete header (5 bytes) between calls.
class MessageScanner {
 public:
  explicit MessageScanner(Peer sender) : sender_(sender) {}

  struct Step {
    enum class Kind { kNeedMoreData, kHeader, kBody } kind = Kind::kNeedMoreData;
    size_t consumed = 0;  // bytes of the input this step covers
    char type = 0;        // kHeader, kBody: the message's type byte
    uint32_t length = 0;  // kHeader: the message's length field
    std::string_view body;  // kBody: the next piece of the body (may be the whole body)
    bool message_done = false;  // kHeader of an empty body, or kBody that ends the message
  };

  // Scans from the front of `bytes` up to the end of the next header or body piece.
  [[nodiscard]] Result<Step> next(std::string_view bytes);

  // Bytes of an incomplete header held since the previous call (0 to 4).
  size_t partial_header() const { return header_size_; }
  // The type byte of that incomplete header (valid when partial_header() > 0).
  char partial_type() const { return header_[0]; }
  // Body bytes of the current message not yet scanned.
  uint64_t body_remaining() const { return body_remaining_; }

 private:
  Peer sender_;
  char header_[kHeaderSize] = {};
  size_t header_size_ = 0;
  char type_ = 0;
  uint64_t body_remaining_ = 0;
  bool failed_ = false;
};

class RelayTracker {
 public:
  RelayTracker() = default;

  struct ClientScan {
    // How many of the bytes just scanned may be forwarded to the backend now. Less than all of
    // them when a Terminate starts (it is never forwarded by the tracker's caller) or when the
    // bytes end inside what may be the header of one (held back until it is complete).
    size_t forward = 0;
    bool terminate = false;  // the client sent Terminate; it and anything after it are dropped
  };

  // Shows the tracker bytes the client sent. Bytes held back by an earlier call (`held()`) were
  // already scanned: the caller keeps them and forwards them before the next scan's `forward`.
  [[nodiscard]] Result<ClientScan> scan_client(std::string_view bytes);
  // Bytes held back at the end of the previous client scan (at most 4).
  size_t held() const { return held_; }

  // Shows the tracker bytes the backend sent (all of them are forwarded to the client).
  [[nodiscard]] Result<void> scan_server(std::string_view bytes);

  // The backend owes no answer, no extended-protocol message waits for a Sync, no COPY runs,
  // the last ReadyForQuery said "idle", and nothing unaccounted for happened.
  bool reusable() const {
    return pending_ == 0 && !unsynced_ && !copy_ && !unusual_ && status_ == TransactionStatus::kIdle;
  }
  // The backend is working on something the client asked for (a cancel could matter).
  bool busy() const { return pending_ > 0; }
  uint32_t pending() const { return pending_; }
  TransactionStatus status() const { return status_; }
  bool in_copy() const { return copy_; }
  // The type byte of the last message the server started (0 before any): an ErrorResponse here
  // when the server closes the connection means the client has already been told why.
  char last_server_message() const { return last_server_type_; }
  // Why the session can never be reused, or "" (for the audit log).
  std::string_view unusual() const { return unusual_reason_; }

 private:
  void on_client_message(char type);
  Result<void> on_server_message(char type, std::string_view body);

  MessageScanner client_{Peer::kFrontend};
  MessageScanner server_{Peer::kBackend};
  uint32_t pending_ = 0;
  bool unsynced_ = false;
  bool copy_ = false;
  bool unusual_ = false;
  std::string_view unusual_reason_;
  TransactionStatus status_ = TransactionStatus::kIdle;
  size_t held_ = 0;
  bool terminated_ = false;
  char last_server_type_ = 0;
};

}  // namespace iamdb::pgwire
