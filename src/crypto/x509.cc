// Generates an ECDSA P-256 CA and server certificates with OpenSSL's X509 builder.
#include "crypto/x509.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace iamdb::crypto {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

PKey new_p256_key() { return PKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string key_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  return bio_text(bio.get());
}

std::string cert_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bio_text(bio.get());
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate with a random 159-bit serial, the given subject CN, valid from one hour ago
// (tolerating small clock differences) for `validity`.
Cert new_cert(const std::string& common_name, EVP_PKEY* key, std::chrono::hours validity) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  unsigned char serial[20];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      X509_set_version(cert.get(), 2) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                       static_cast<long>(std::chrono::seconds(validity).count())) ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1)
    return nullptr;
  return cert;
}

Result<PKey> read_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return fail("the CA private key is not a PEM private key");
  return key;
}

Result<Cert> read_cert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return fail("the CA certificate is not a PEM certificate");
  return cert;
}

}  // namespace

Result<KeyAndCertificate> make_ca(const std::string& common_name, std::chrono::hours validity) {
  PKey key = new_p256_key();
  if (!key) return fail("could not generate a P-256 key");
  Cert cert = new_cert(common_name, key.get(), validity);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      !add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    return fail("could not build the CA certificate");
  return KeyAndCertificate{key_pem(key.get()), cert_pem(cert.get())};
}

Result<KeyAndCertificate> make_server_certificate(const KeyAndCertificate& ca,
                                                  const std::vector<std::string>& dns_names,
                                                  const std::vector<std::string>& ip_addresses,
                                                  std::chrono::hours validity) {
  auto ca_key = read_key(ca.key_pem);
  if (!ca_key) return std::unexpected(ca_key.error());
  auto ca_cert = read_cert(ca.certificate_pem);
  if (!ca_cert) return std::unexpected(ca_cert.error());
  if (dns_names.empty()) return fail("a server certificate needs at least one DNS name");
  std::string san;
  for (const auto& dns : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : ip_addresses) san += ",IP:" + ip;
  PKey key = new_p256_key();
  if (!key) return fail("could not generate a P-256 key");
  Cert cert = new_cert(dns_names.front(), key.get(), validity);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert->get())) != 1 ||
      !add_ext(cert.get(), ca_cert->get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), ca_cert->get(), NID_key_usage, "critical,digitalSignature") ||
      !add_ext(cert.get(), ca_cert->get(), NID_ext_key_usage, "serverAuth") ||
      !add_ext(cert.get(), ca_cert->get(), NID_subject_alt_name, san) ||
      !add_ext(cert.get(), ca_cert->get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert.get(), ca_key->get(), EVP_sha256()) <= 0)
    return fail("could not build the server certificate (check the names: ", san, ")");
  return KeyAndCertificate{key_pem(key.get()), cert_pem(cert.get())};
}

}  // namespace iamdb::crypto
