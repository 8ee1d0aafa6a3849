// security.caCertificates: the cluster CAs every node trusts for peer TLS during and after a CA
// rotation (agentctl rotate ca). Each entry must be exactly one self-signed CA certificate in
// PEM (OpenSSL parses it: a document that names a CA the agents cannot load is refused here,
// not half-applied later); a few at most, no CA twice (by its public key).

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

namespace {

using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

// The one certificate in `pem`; null when it is not exactly one (trailing blanks allowed).
Cert parse_one(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Cert none(nullptr, X509_free);
  if (!bio) return none;
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return none;
  char rest[64];
  for (int n = BIO_read(bio.get(), rest, sizeof rest); n > 0;
       n = BIO_read(bio.get(), rest, sizeof rest))
    for (int i = 0; i < n; ++i)
      if (rest[i] != '\n' && rest[i] != '\r' && rest[i] != ' ' && rest[i] != '\t') return none;
  return cert;
}

void check_list(const std::vector<std::string>& certificates, ErrorLines& errors) {
  if (certificates.size() > kMaxCaCertificates) {
    add_error(errors, "security.caCertificates",
              "at most " + std::to_string(kMaxCaCertificates) +
                  " certificates (the CA that issues and those still trusted during a rotation)");
  }
  std::vector<Cert> seen;
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    Cert cert = parse_one(certificates[i]);
    if (!cert) continue;  // reported already
    for (const Cert& earlier : seen) {
      if (EVP_PKEY_eq(X509_get0_pubkey(earlier.get()), X509_get0_pubkey(cert.get())) == 1) {
        add_error(errors, json_element_path("security.caCertificates", i),
                  "the same CA (public key) is listed twice");
        break;
      }
    }
    seen.push_back(std::move(cert));
  }
}

}  // namespace

std::optional<std::string> ca_certificate_problem(const std::string& pem) {
  if (pem.size() > kMaxCaCertificateLength)
    return "must be at most " + std::to_string(kMaxCaCertificateLength) + " characters";
  Cert cert = parse_one(pem);
  if (!cert) return "must be one certificate in PEM (-----BEGIN CERTIFICATE-----)";
  // Self-signed (a root) and a CA: what trust::make_ca makes and TLS loads as a trust anchor.
  if (X509_check_ca(cert.get()) != 1) return "must be a CA certificate (basicConstraints CA:TRUE)";
  if (X509_check_issued(cert.get(), cert.get()) != X509_V_OK)
    return "must be a self-signed CA certificate";
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr || X509_verify(cert.get(), key) != 1)
    return "must be a self-signed CA certificate (its signature does not verify)";
  return std::nullopt;
}

std::vector<std::string> read_ca_certificates(const json& value, ErrorLines& errors) {
  std::vector<std::string> certificates;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = json_element_path("security.caCertificates", i);
    auto pem = read_string_element(value[i], path, errors);
    // An invalid entry stays as "" so later entries keep their index in error lines.
    if (pem && accept(errors, path, *pem, ca_certificate_problem)) {
      certificates.push_back(*pem);
    } else {
      certificates.emplace_back();
    }
  }
  check_list(certificates, errors);
  return certificates;
}

void check_ca_certificates(const std::vector<std::string>& certificates, ErrorLines& errors) {
  for (std::size_t i = 0; i < certificates.size(); ++i)
    accept(errors, json_element_path("security.caCertificates", i), certificates[i],
           ca_certificate_problem);
  check_list(certificates, errors);
}

}  // namespace pydio::common::desired_state
