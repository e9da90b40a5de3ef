// Encoders of the messages the gateway sends to PostgreSQL servers.
#include "gateway/postgres/be_write.h"

#include <cassert>
#include <climits>

#include "gateway/postgres/wire.h"

namespace iamdb::pgwire {

void write_startup_message(std::string& out, std::span<const StartupParameter> parameters,
                           uint16_t minor_version) {
  const size_t at = wire::begin_untyped(out);
  wire::put_u32(out, protocol_code(3, minor_version));
  for (const StartupParameter& p : parameters) {
    assert(!p.name.empty());
    wire::put_cstring(out, p.name);
    wire::put_cstring(out, p.value);
  }
  out.push_back('\0');
  wire::finish(out, at);
}

void write_ssl_request(std::string& out) {
  wire::put_u32(out, 8);
  wire::put_u32(out, kSslRequestCode);
}

void write_cancel_request(std::string& out, int32_t process_id, uint32_t secret_key) {
  wire::put_u32(out, 16);
  wire::put_u32(out, kCancelRequestCode);
  wire::put_i32(out, process_id);
  wire::put_u32(out, secret_key);
}

void write_password_message(std::string& out, std::string_view password) {
  const size_t at = wire::begin(out, frontend::kPassword);
  wire::put_cstring(out, password);
  wire::finish(out, at);
}

void write_sasl_initial_response(std::string& out, std::string_view mechanism,
                                 std::optional<std::string_view> data) {
  assert(!mechanism.empty());
  const size_t at = wire::begin(out, frontend::kPassword);
  wire::put_cstring(out, mechanism);
  if (data) {
    assert(data->size() <= INT32_MAX);
    wire::put_i32(out, static_cast<int32_t>(data->size()));
    out.append(*data);
  } else {
    wire::put_i32(out, -1);
  }
  wire::finish(out, at);
}

void write_sasl_response(std::string& out, std::string_view data) {
  const size_t at = wire::begin(out, frontend::kPassword);
  out.append(data);
  wire::finish(out, at);
}

void write_query(std::string& out, std::string_view sql) {
  const size_t at = wire::begin(out, frontend::kQuery);
  wire::put_cstring(out, sql);
  wire::finish(out, at);
}

void write_terminate(std::string& out) {
  const size_t at = wire::begin(out, frontend::kTerminate);
  wire::finish(out, at);
}

}  // namespace iamdb::pgwire
