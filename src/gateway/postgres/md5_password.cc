// PostgreSQL's md5 password response over crypto's MD5.
#include "gateway/postgres/md5_password.h"

#include "common/encoding.h"
#include "crypto/digest.h"

namespace iamdb::pgwire {
namespace {

std::string salted(std::string_view inner_hex, const Md5Salt& salt) {
  std::string input(inner_hex);
  input.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return "md5" + crypto::md5_hex(input);
}

}  // namespace

std::string md5_password_hash(std::string_view password, std::string_view user) {
  std::string input(password);
  input.append(user);
  return "md5" + crypto::md5_hex(input);
}

std::string md5_password_response(std::string_view password, std::string_view user,
                                  const Md5Salt& salt) {
  return salted(std::string_view(md5_password_hash(password, user)).substr(3), salt);
}

Result<std::string> md5_password_response_from_hash(std::string_view stored_hash,
                                                    const Md5Salt& salt) {
  if (stored_hash.size() != 35 || !stored_hash.starts_with("md5") ||
      !is_lower_hex(stored_hash.substr(3)))
    return fail("not a PostgreSQL md5 password hash (\"md5\" and 32 lower-case hex digits)");
  return salted(stored_hash.substr(3), salt);
}

}  // namespace iamdb::pgwire
