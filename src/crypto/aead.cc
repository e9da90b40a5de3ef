// AES-256-GCM through OpenSSL's EVP interface.
#include "crypto/aead.h"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

#include "crypto/random.h"

namespace iamdb::crypto {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* bytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

}  // namespace

std::string seal(const AeadKey& key, std::string_view plaintext, std::string_view aad) {
  if (plaintext.size() > INT_MAX / 2 || aad.size() > INT_MAX / 2)
    throw std::length_error("sealed secret too large");
  std::string out(1 + kNonce + plaintext.size() + kTag, '\0');
  out[0] = static_cast<char>(kVersion);
  uint8_t* nonce = bytes(out) + 1;
  random_bytes(std::span(nonce, kNonce));
  CipherCtx ctx = new_ctx();
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), nonce, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonce, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonce + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          nonce + kNonce + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> open(const AeadKey& key, std::string_view box, std::string_view aad) {
  if (box.size() < 1 + kNonce + kTag || static_cast<uint8_t>(box[0]) != kVersion ||
      box.size() > INT_MAX / 2 || aad.size() > INT_MAX / 2)
    return std::nullopt;
  const uint8_t* nonce = bytes(box) + 1;
  const size_t n = box.size() - 1 - kNonce - kTag;
  std::string out(n, '\0');
  CipherCtx ctx = new_ctx();
  int len = 0;
  std::array<uint8_t, kTag> tag;
  std::copy_n(nonce + kNonce + n, kTag, tag.begin());
  if (EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), nonce, nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &len, nonce + kNonce, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &len) != 1)
    return std::nullopt;
  return out;
}

AeadKey generate_key() {
  AeadKey key;
  random_bytes(key);
  return key;
}

}  // namespace iamdb::crypto
