// libFuzzer target for typed PostgreSQL messages in both directions (gateway/postgres/framer.h,
// fe_read.h, be_read.h, scram.h). The first input byte picks the sender, the limit and whether
// long bodies are streamed; the rest is the stream. It must frame the same whole and one byte at
// a time, every message must parse or fail cleanly, what re-encodes must give the same bytes,
// and server SASL data must never break the SCRAM client.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/postgres/be_read.h"
#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_read.h"
#include "gateway/postgres/fe_write.h"
#include "gateway/postgres/framer.h"
#include "gateway/postgres/scram.h"

using namespace iamdb::pgwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Owned {
  char type;
  std::string body;
  bool operator==(const Owned&) const = default;
};

// Frames `input` fed `chunk` bytes at a time; stops at the first error.
std::vector<Owned> frame(std::string_view input, FramerOptions options, size_t chunk) {
  std::vector<Owned> out;
  MessageFramer framer(options);
  std::string pending;
  size_t fed = 0;
  for (;;) {
    auto f = framer.next(pending);
    if (!f) {
      out.push_back({'!', {}});
      return out;
    }
    if (f->kind == Frame::Kind::kNeedMoreData) {
      check(f->needed > 0);
      if (fed == input.size()) return out;
      const size_t n = std::min(chunk, input.size() - fed);
      pending.append(input.substr(fed, n));
      fed += n;
      continue;
    }
    check(f->consumed > 0 && f->consumed <= pending.size());
    if (f->kind == Frame::Kind::kMessage || f->kind == Frame::Kind::kHeader)
      out.push_back({f->message.type, std::string(f->message.body)});
    else
      out.back().body.append(f->message.body);
    pending.erase(0, f->consumed);
  }
}

std::string body_of(const std::string& message) { return message.substr(5); }

void frontend_message(const Owned& o) {
  const Message m{o.type, o.body};
  std::string again;
  if (auto p = parse_password_message(m)) {
    write_password_message(again, *p);
    check(body_of(again) == o.body);
  }
  if (auto s = parse_sasl_initial_response(m)) {
    again.clear();
    write_sasl_initial_response(again, s->mechanism, s->data);
    check(body_of(again) == o.body);
  }
  (void)parse_sasl_response(m);
  if (auto q = parse_query(m)) {
    again.clear();
    write_query(again, *q);
    check(body_of(again) == o.body);
  }
  (void)parse_terminate(m);
}

void backend_message(const Owned& o) {
  const Message m{o.type, o.body};
  std::string again;
  if (auto a = parse_authentication(m)) {
    switch (a->request) {
      case AuthRequest::kOk: write_authentication_ok(again); break;
      case AuthRequest::kCleartextPassword: write_authentication_cleartext_password(again); break;
      case AuthRequest::kMd5Password: write_authentication_md5_password(again, a->salt); break;
      case AuthRequest::kSasl: write_authentication_sasl(again, a->mechanisms); break;
      case AuthRequest::kSaslContinue: write_authentication_sasl_continue(again, a->data); break;
      case AuthRequest::kSaslFinal: write_authentication_sasl_final(again, a->data); break;
      default: break;
    }
    if (!again.empty()) check(body_of(again) == o.body);
    if (a->request == AuthRequest::kSasl) {
      std::string relayed;
      (void)write_sasl_without_channel_binding(relayed, m);
    }
    if (a->request == AuthRequest::kSaslContinue) {
      auto client = ScramClient::create("password", {.nonce = "fuzz", .max_iterations = 8});
      check(client.has_value());
      if (client->client_final_message(a->data)) (void)client->verify_server_final(a->data);
    }
  }
  if (auto p = parse_parameter_status(m)) {
    again.clear();
    write_parameter_status(again, p->name, p->value);
    check(body_of(again) == o.body);
  }
  if (auto k = parse_backend_key_data(m)) {
    again.clear();
    write_backend_key_data(again, k->process_id, k->secret_key);
    check(body_of(again) == o.body);
  }
  if (auto z = parse_ready_for_query(m)) {
    again.clear();
    write_ready_for_query(again, *z);
    check(body_of(again) == o.body);
  }
  (void)parse_error_response(m);
  (void)parse_notice_response(m);
  (void)parse_command_complete(m);
  (void)parse_copy_response(m);
  (void)parse_negotiate_protocol_version(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const FramerOptions options{
      .sender = (mode & 1) ? Peer::kBackend : Peer::kFrontend,
      .max_length = (mode & 2) ? 16u : kSmallMessageLimit,
      .stream_longer = (mode & 4) != 0,
  };
  const std::vector<Owned> whole = frame(input, options, input.size() + 1);
  check(frame(input, options, 1) == whole);
  check(frame(input, options, 7) == whole);
  for (const Owned& o : whole) {
    if (o.type == '!') break;
    if (options.sender == Peer::kFrontend)
      frontend_message(o);
    else
      backend_message(o);
  }
  return 0;
}
