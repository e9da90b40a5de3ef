// SHA-256, HMAC-SHA256, PBKDF2 and MD5 with EVP digests fetched once per process.
#include "crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cassert>
#include <climits>
#include <cstring>
#include <new>

#include "common/encoding.h"

namespace iamdb::crypto {
namespace {

constexpr size_t kBlock = 64;

const EVP_MD* sha256_md() {
  // Fetching once avoids the provider lookup that EVP_sha256() with implicit fetch costs per call.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  assert(md != nullptr);
  return md;
}

const EVP_MD* md5_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  assert(md != nullptr);
  return md;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  MdCtx() {
    if (!ctx) throw std::bad_alloc();
  }
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
  MdCtx(const MdCtx&) = delete;
  MdCtx& operator=(const MdCtx&) = delete;
};

// One scratch context per thread, reused by every digest this thread computes.
EVP_MD_CTX* scratch() {
  thread_local MdCtx scratch_ctx;
  return scratch_ctx.ctx;
}

void check(int ok) {
  if (ok != 1) throw std::runtime_error("OpenSSL digest failure");
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out;
  EVP_MD_CTX* ctx = scratch();
  check(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr));
  check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  check(EVP_DigestFinal_ex(ctx, out.data(), nullptr));
  return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

Md5Digest md5(std::string_view data) {
  Md5Digest out;
  EVP_MD_CTX* ctx = scratch();
  check(EVP_DigestInit_ex2(ctx, md5_md(), nullptr));
  check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  check(EVP_DigestFinal_ex(ctx, out.data(), nullptr));
  return out;
}

std::string md5_hex(std::string_view data) { return hex_encode(md5(data)); }

struct HmacKey::State {
  MdCtx inner;  // SHA-256 state after absorbing key ^ ipad
  MdCtx outer;  // SHA-256 state after absorbing key ^ opad
};

HmacKey::HmacKey(std::string_view key) : state_(std::make_unique<State>()) {
  uint8_t block[kBlock] = {};
  if (key.size() > kBlock) {
    const Sha256Digest hashed = sha256(key);
    std::memcpy(block, hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  check(EVP_DigestInit_ex2(state_->inner.ctx, sha256_md(), nullptr));
  check(EVP_DigestUpdate(state_->inner.ctx, pad, kBlock));
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  check(EVP_DigestInit_ex2(state_->outer.ctx, sha256_md(), nullptr));
  check(EVP_DigestUpdate(state_->outer.ctx, pad, kBlock));
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

HmacKey::~HmacKey() = default;
HmacKey::HmacKey(HmacKey&&) noexcept = default;
HmacKey& HmacKey::operator=(HmacKey&&) noexcept = default;

Sha256Digest HmacKey::mac(std::string_view data) const {
  Sha256Digest inner_hash, out;
  EVP_MD_CTX* ctx = scratch();
  check(EVP_MD_CTX_copy_ex(ctx, state_->inner.ctx));
  check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  check(EVP_DigestFinal_ex(ctx, inner_hash.data(), nullptr));
  check(EVP_MD_CTX_copy_ex(ctx, state_->outer.ctx));
  check(EVP_DigestUpdate(ctx, inner_hash.data(), inner_hash.size()));
  check(EVP_DigestFinal_ex(ctx, out.data(), nullptr));
  return out;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  return HmacKey(key).mac(data);
}

void pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, uint32_t iterations,
                        std::span<uint8_t> out) {
  assert(iterations >= 1 && iterations <= INT_MAX);
  assert(password.size() <= INT_MAX && salt.size() <= INT_MAX && out.size() <= INT_MAX);
  check(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), sha256_md(),
                          static_cast<int>(out.size()), out.data()));
}

Sha256Digest pbkdf2_hmac_sha256(std::string_view password, std::string_view salt,
                                uint32_t iterations) {
  Sha256Digest out;
  pbkdf2_hmac_sha256(password, salt, iterations, out);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace iamdb::crypto
