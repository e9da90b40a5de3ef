// base64 over OpenSSL's block encoder, with the padding bookkeeping it leaves to callers.
#include "crypto/base64.h"

#include <openssl/evp.h>

#include <climits>

namespace iamdb::crypto {

std::string base64_encode(std::string_view bytes) {
  if (bytes.size() > INT_MAX / 2) return {};
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string in;
  in.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
    in.push_back(c);
  }
  size_t padding = 0;
  while (!in.empty() && in.back() == '=') {
    in.pop_back();
    ++padding;
  }
  if (padding > 2 || in.find('=') != std::string::npos || in.size() % 4 == 1) return std::nullopt;
  const size_t data_chars = in.size();
  while (in.size() % 4) in.push_back('=');
  if (in.size() > INT_MAX / 2) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; keep only what the data characters carry.
  out.resize(data_chars * 3 / 4);
  return out;
}

}  // namespace iamdb::crypto
