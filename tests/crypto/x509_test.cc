// The CA and server certificates that `iamdb init` makes verify with OpenSSL's own chain
// verification, for the names they were made for.
#include "crypto/x509.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace iamdb::crypto {
namespace {

X509* read(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

TEST(X509, ServerCertificateChainsToItsCa) {
  auto ca = make_ca("iamdb test CA", std::chrono::hours(24));
  ASSERT_TRUE(ca) << ca.error().message;
  auto server = make_server_certificate(*ca, {"localhost", "db.example.internal"}, {"127.0.0.1", "::1"},
                                        std::chrono::hours(24));
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_NE(server->key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);

  X509* ca_cert = read(ca->certificate_pem);
  X509* leaf = read(server->certificate_pem);
  ASSERT_TRUE(ca_cert && leaf);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), "db.example.internal", 0);
  EXPECT_EQ(X509_verify_cert(ctx), 1) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(leaf, "other.example", 0, 0, nullptr), 0);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca_cert);
  X509_free(leaf);
}

TEST(X509, RefusesABadCa) {
  EXPECT_FALSE(make_server_certificate({"not a key", "not a cert"}, {"localhost"}, {}, std::chrono::hours(1)));
  auto ca = make_ca("ca", std::chrono::hours(1));
  ASSERT_TRUE(ca);
  EXPECT_FALSE(make_server_certificate(*ca, {}, {}, std::chrono::hours(1)));
}

}  // namespace
}  // namespace iamdb::crypto
