// libFuzzer target for the PostgreSQL startup-phase decoder (gateway/postgres/fe_read.h): any
// bytes give an error, a request for more, or a packet that re-encodes to the same bytes and
// that no shorter prefix of the input already produced.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/postgres/be_write.h"
#include "gateway/postgres/fe_read.h"

using namespace iamdb::pgwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto step = decode_startup_packet(input);
  if (!step) return 0;
  if (!step->packet) {
    check(step->needed > 0 && step->consumed == 0);
    return 0;
  }
  check(step->consumed >= 8 && step->consumed <= input.size());
  const std::string_view packet = input.substr(0, step->consumed);

  // One byte fewer is never enough.
  auto shorter = decode_startup_packet(packet.substr(0, packet.size() - 1));
  check(shorter.has_value() && !shorter->packet && shorter->needed == 1);

  std::string again;
  if (const auto* startup = std::get_if<StartupMessage>(&*step->packet)) {
    check(!startup->user().empty());
    write_startup_message(again, startup->parameters, startup->minor_version);
  } else if (const auto* cancel = std::get_if<CancelRequest>(&*step->packet)) {
    write_cancel_request(again, cancel->process_id, cancel->secret_key);
  } else if (std::holds_alternative<SslRequest>(*step->packet)) {
    write_ssl_request(again);
  } else {
    return 0;  // GSSENCRequest: eight fixed bytes, nothing the gateway writes
  }
  check(again == packet);
  return 0;
}
