// Throwaway certificates for the gateway's unit tests: a fresh P-256 key and a self-signed
// certificate for it, valid from a minute ago for an hour, made in-process, and PEM files of them.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace iamdb::gateway {

struct SelfSigned {
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

inline SelfSigned make_self_signed(const std::string& common_name) {
  SelfSigned out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, out.key.get(), EVP_sha256());
  return out;
}

// Writes the certificate and the key as PEM files; false if a file cannot be written.
inline bool write_pem(const SelfSigned& s, const std::filesystem::path& cert, const std::filesystem::path& key) {
  FILE* c = std::fopen(cert.c_str(), "w");
  if (!c) return false;
  const bool cert_ok = PEM_write_X509(c, s.cert.get()) == 1;
  std::fclose(c);
  FILE* k = std::fopen(key.c_str(), "w");
  if (!k) return false;
  const bool key_ok = PEM_write_PrivateKey(k, s.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(k);
  return cert_ok && key_ok;
}

}  // namespace iamdb::gateway
