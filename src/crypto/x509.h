// Certificates for iamdb's TLS endpoints: a private CA and server certificates it signs, both
// ECDSA P-256 with SHA-256, written as PEM. `iamdb init` makes one CA per data directory;
// clients trust its certificate (`sslrootcert=`, `--ssl-ca=`).
//
// Pure functions of their inputs plus the system's randomness; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace iamdb::crypto {

struct KeyAndCertificate {
  std::string key_pem;          // PKCS#8 private key: a secret, written 0600
  std::string certificate_pem;  // X.509 certificate
};

// A self-signed CA certificate valid from now for `validity`.
Result<KeyAndCertificate> make_ca(const std::string& common_name, std::chrono::hours validity);

// A server certificate for the given DNS names and IP addresses (subjectAltName), signed by
// `ca`. The first DNS name is also the subject's common name.
Result<KeyAndCertificate> make_server_certificate(const KeyAndCertificate& ca,
                                                  const std::vector<std::string>& dns_names,
                                                  const std::vector<std::string>& ip_addresses,
                                                  std::chrono::hours validity);

}  // namespace iamdb::crypto
