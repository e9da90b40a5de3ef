// Building RDS IAM auth tokens as botocore does.
#include "token/token.h"

#include <cassert>

#include "common/encoding.h"
#include "common/strings.h"

namespace iamdb::token {

std::string botocore_signed_host(std::string_view host, uint16_t port) {
  std::string out = to_lower(host);
  if (port != 443) out.append(":").append(std::to_string(port));
  return out;
}

std::string build_token(const TokenSpec& spec, const sigv4::Credentials& credentials,
                        SystemTime now) {
  sigv4::Request request;
  request.method = "GET";
  request.path = "/";
  request.query = "Action=";
  request.query.append(kAction).append("&DBUser=");
  uri_encode_append(request.query, spec.db_user);
  request.headers = {{"host", botocore_signed_host(spec.host, spec.port)}};
  request.payload_hash = std::string(sigv4::kEmptyPayloadSha256);

  sigv4::SigningParams params;
  params.region = spec.region;
  params.service = std::string(kService);
  params.time = now;
  [[maybe_unused]] const auto signed_ok =
      sigv4::presign(request, credentials, params, spec.expires);
  assert(signed_ok);  // the query built above has no percent-escapes to get wrong

  std::string token = spec.host;
  token.append(":").append(std::to_string(spec.port)).append("/?").append(request.query);
  return token;
}

}  // namespace iamdb::token
