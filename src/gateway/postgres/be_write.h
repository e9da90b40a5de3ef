// Writing what the gateway sends to its backends (PostgreSQL servers) while it authenticates as
// their client: StartupMessage, SSLRequest, CancelRequest, PasswordMessage, SASLInitialResponse,
// SASLResponse, Query and Terminate (PostgreSQL 15 documentation, 55.7). Once a session is
// authenticated the gateway relays the client's bytes untouched and writes nothing itself,
// except Query (pool reset) and Terminate.
//
// Every writer appends one complete message to `out`; nothing else is allocated. Strings contain
// no NUL byte (asserted: they come from parsed messages or from the gateway). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gateway/postgres/fe_read.h"

namespace iamdb::pgwire {

// StartupMessage for protocol 3.`minor_version` with `parameters` in order (user first, by
// convention). The result must stay within the server's 10,000-byte limit.
void write_startup_message(std::string& out, std::span<const StartupParameter> parameters,
                           uint16_t minor_version = 0);
void write_ssl_request(std::string& out);
void write_cancel_request(std::string& out, int32_t process_id, uint32_t secret_key);

// PasswordMessage carrying a cleartext password, or the "md5..." response of md5_password.h.
void write_password_message(std::string& out, std::string_view password);
// SASLInitialResponse: the chosen mechanism and, unless nullopt (length -1), the initial response.
void write_sasl_initial_response(std::string& out, std::string_view mechanism,
                                 std::optional<std::string_view> data);
void write_sasl_response(std::string& out, std::string_view data);

void write_query(std::string& out, std::string_view sql);
void write_terminate(std::string& out);

}  // namespace iamdb::pgwire
