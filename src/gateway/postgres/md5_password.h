// The response to AuthenticationMD5Password (PostgreSQL 15 documentation 55.3 and 55.7):
// "md5" followed by the hex MD5 of (hex MD5 of password + user name) + the 4-byte salt.
// PostgreSQL stores the inner part, "md5" + md5hex(password + user), in pg_authid, so the
// gateway can answer from either the password or that stored hash. Pure.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "gateway/postgres/protocol.h"

namespace iamdb::pgwire {

// What goes in the PasswordMessage, "md5" + 32 lower-case hex digits.
std::string md5_password_response(std::string_view password, std::string_view user,
                                  const Md5Salt& salt);

// The same from a stored "md5" + 32 hex digits hash of password and user.
[[nodiscard]] Result<std::string> md5_password_response_from_hash(std::string_view stored_hash,
                                                                  const Md5Salt& salt);

// "md5" + md5hex(password + user): the form pg_authid keeps.
std::string md5_password_hash(std::string_view password, std::string_view user);

}  // namespace iamdb::pgwire
