// Randomness from OpenSSL.
#include "crypto/random.h"

#include <openssl/rand.h>

#include <cassert>
#include <climits>
#include <stdexcept>

#include "common/encoding.h"

namespace iamdb::crypto {

void random_bytes(std::span<uint8_t> out) {
  if (out.empty()) return;
  assert(out.size() <= INT_MAX);
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("the system's random number generator failed");
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  random_bytes(std::span(reinterpret_cast<uint8_t*>(out.data()), n));
  return out;
}

std::string random_string(std::string_view alphabet, size_t n) {
  assert(!alphabet.empty() && alphabet.size() <= 256);
  // Reject bytes at or above the largest multiple of the alphabet size, so every character
  // is equally likely.
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  uint8_t buf[64];
  while (out.size() < n) {
    random_bytes(buf);
    for (uint8_t b : buf) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == n) break;
    }
  }
  return out;
}

std::string request_id() {
  uint8_t b[16];
  random_bytes(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const std::string h = hex_encode(b);
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) +
         '-' + h.substr(20);
}

}  // namespace iamdb::crypto
