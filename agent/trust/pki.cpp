#include "agent/trust/pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <vector>

#include "agent/trust/bio_text.hpp"

namespace pydio::agent::trust {

using common::Expected;
using common::Status;

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Req = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

constexpr long kBackdateSeconds = 5 * 60;
constexpr long kSecondsPerDay = 24 * 60 * 60;

Status failed(const std::string& what) { return Status::error(what + ": " + openssl_error()); }

Bio read_bio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Expected<Key> parse_key(const std::string& pem) {
  Bio bio = read_bio(pem);
  Key key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return failed("read private key");
  return key;
}

Expected<Cert> parse_cert(const std::string& pem) {
  Bio bio = read_bio(pem);
  Cert cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return failed("read certificate");
  return cert;
}

Expected<std::string> key_text(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return failed("write private key");
  return bio_text(bio.get());
}

Expected<std::string> cert_text(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return failed("write certificate");
  return bio_text(bio.get());
}

Expected<Key> new_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return failed("generate P-256 key");
  return key;
}

Status set_name(X509_NAME* name, const std::string& common_name) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1)
    return failed("subject CN \"" + common_name + "\"");
  return Status::ok();
}

// A fresh certificate: version 3, random 127-bit serial, validity [now - 5 min, now + days].
Expected<Cert> new_cert(EVP_PKEY* public_key, const std::string& common_name, int lifetime_days) {
  Cert cert(X509_new());
  Bignum serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), lifetime_days * kSecondsPerDay) == nullptr ||
      X509_set_pubkey(cert.get(), public_key) != 1)
    return failed("new certificate");
  if (Status named = set_name(X509_get_subject_name(cert.get()), common_name); !named) return named;
  return cert;
}

Status add_extensions(X509* cert, X509* issuer,
                      const std::vector<std::pair<int, std::string>>& extensions) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
      return failed(std::string("extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
  return Status::ok();
}

}  // namespace

std::string openssl_error() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    text += (text.empty() ? "" : "; ") + std::string(buffer);
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

Expected<std::string> generate_key() {
  auto key = new_key();
  if (!key) return key.status();
  return key_text(key->get());
}

Expected<KeyPair> make_ca(const std::string& cluster_name, int lifetime_days) {
  return make_named_ca(cluster_name + " CA", lifetime_days);
}

Expected<KeyPair> make_named_ca(const std::string& common_name, int lifetime_days) {
  auto key = new_key();
  if (!key) return key.status();
  auto cert = new_cert(key->get(), common_name, lifetime_days);
  if (!cert) return cert.status();
  if (X509_set_issuer_name(cert->get(), X509_get_subject_name(cert->get())) != 1)
    return failed("CA issuer");
  if (Status added = add_extensions(cert->get(), cert->get(),
                                    {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                     {NID_subject_key_identifier, "hash"}});
      !added)
    return added;
  if (X509_sign(cert->get(), key->get(), EVP_sha256()) == 0) return failed("sign CA");
  KeyPair out;
  auto key_pem = key_text(key->get());
  auto cert_pem = cert_text(cert->get());
  if (!key_pem) return key_pem.status();
  if (!cert_pem) return cert_pem.status();
  out.key_pem = *key_pem;
  out.cert_pem = *cert_pem;
  return out;
}

Expected<std::string> make_csr(const std::string& key_pem, const std::string& node_name) {
  auto key = parse_key(key_pem);
  if (!key) return key.status();
  Req req(X509_REQ_new());
  if (!req || X509_REQ_set_pubkey(req.get(), key->get()) != 1) return failed("new request");
  if (Status named = set_name(X509_REQ_get_subject_name(req.get()), node_name); !named)
    return named;
  if (X509_REQ_sign(req.get(), key->get(), EVP_sha256()) == 0) return failed("sign request");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return failed("write request");
  return bio_text(bio.get());
}

namespace {
// The request in `csr_pem`, once its self-signature verifies (its key is the requester's).
Expected<Req> verified_request(const std::string& csr_pem) {
  Bio bio = read_bio(csr_pem);
  Req req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) return failed("certificate request");
  EVP_PKEY* requested = X509_REQ_get0_pubkey(req.get());
  if (requested == nullptr || X509_REQ_verify(req.get(), requested) != 1)
    return failed("certificate request: its signature does not verify");
  return req;
}
}  // namespace

Expected<std::string> sign_node_certificate(const KeyPair& ca, const std::string& csr_pem,
                                            const std::string& node_name,
                                            const std::string& address, CertificateRole role,
                                            int lifetime_days) {
  auto req = verified_request(csr_pem);
  if (!req) return req.status();
  EVP_PKEY* requested = X509_REQ_get0_pubkey(req->get());
  auto ca_key = parse_key(ca.key_pem);
  if (!ca_key) return ca_key.status().with_context("CA key");
  auto ca_cert = parse_cert(ca.cert_pem);
  if (!ca_cert) return ca_cert.status().with_context("CA certificate");
  auto cert = new_cert(requested, node_name, lifetime_days);
  if (!cert) return cert.status();
  if (role == CertificateRole::kStorage &&
      X509_NAME_add_entry_by_txt(X509_get_subject_name(cert->get()), "OU", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(kStorageUnit), -1, -1,
                                 0) != 1)
    return failed("subject OU of node " + node_name);
  if (X509_set_issuer_name(cert->get(), X509_get_subject_name(ca_cert->get())) != 1)
    return failed("node certificate issuer");
  if (Status added = add_extensions(cert->get(), ca_cert->get(),
                                    {{NID_basic_constraints, "critical,CA:FALSE"},
                                     {NID_key_usage, "critical,digitalSignature"},
                                     {NID_ext_key_usage, "serverAuth,clientAuth"},
                                     {NID_subject_alt_name, "IP:" + address},
                                     {NID_authority_key_identifier, "keyid:always"}});
      !added)
    return added.with_context("node certificate of " + node_name);
  if (X509_sign(cert->get(), ca_key->get(), EVP_sha256()) == 0)
    return failed("sign node certificate");
  return cert_text(cert->get());
}

Expected<std::string> spki_pin(const std::string& cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  unsigned char* der = nullptr;
  const int size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->get()), &der);
  if (size <= 0) return failed("encode SubjectPublicKeyInfo");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const int hashed =
      EVP_Digest(der, static_cast<std::size_t>(size), digest, &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (hashed != 1) return failed("sha256");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < digest_size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Status verify_signed_by(const std::string& cert_pem, const std::string& ca_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  auto ca = parse_cert(ca_pem);
  if (!ca) return ca.status().with_context("CA");
  Store store(X509_STORE_new());
  StoreCtx ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca->get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1)
    return failed("verify certificate");
  if (X509_verify_cert(ctx.get()) != 1) {
    return Status::error(std::string("certificate does not verify against the cluster CA: ") +
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return Status::ok();
}

Status key_matches(const std::string& key_pem, const std::string& cert_pem) {
  auto key = parse_key(key_pem);
  if (!key) return key.status();
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return Status::error("the certificate is not for this node's key");
  return Status::ok();
}

Expected<std::string> common_name(const std::string& cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  char name[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert->get()), NID_commonName, name,
                                sizeof(name)) <= 0)
    return Status::error("certificate has no CN");
  return std::string(name);
}

bool certifies_storage(const std::string& cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return false;
  char unit[64] = {};
  return X509_NAME_get_text_by_NID(X509_get_subject_name(cert->get()),
                                   NID_organizationalUnitName, unit, sizeof(unit)) > 0 &&
         std::string(unit) == kStorageUnit;
}

Expected<std::chrono::seconds> remaining_life(const std::string& cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert->get())) != 1)
    return failed("certificate notAfter");
  return std::chrono::seconds(static_cast<long long>(days) * kSecondsPerDay + seconds);
}

namespace {
Expected<std::chrono::system_clock::time_point> time_point_of(const ASN1_TIME* time) {
  struct tm parts {};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return failed("certificate time");
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}
}  // namespace

Expected<CertificateInfo> certificate_info(const std::string& cert_pem) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  CertificateInfo info;
  Bignum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->get()), nullptr));
  char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
  if (hex == nullptr) return failed("certificate serial");
  info.serial = hex;
  OPENSSL_free(hex);
  auto not_before = time_point_of(X509_get0_notBefore(cert->get()));
  auto not_after = time_point_of(X509_get0_notAfter(cert->get()));
  if (!not_before) return not_before.status();
  if (!not_after) return not_after.status();
  info.not_before = *not_before;
  info.not_after = *not_after;
  return info;
}

Status names_address(const std::string& cert_pem, const std::string& address) {
  auto cert = parse_cert(cert_pem);
  if (!cert) return cert.status();
  if (X509_check_ip_asc(cert->get(), address.c_str(), 0) != 1)
    return Status::error("the certificate does not name address " + address);
  return Status::ok();
}

Expected<std::string> request_common_name(const std::string& csr_pem) {
  auto req = verified_request(csr_pem);
  if (!req) return req.status();
  char name[256] = {};
  if (X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req->get()), NID_commonName, name,
                                sizeof(name)) <= 0)
    return Status::error("certificate request: no CN");
  return std::string(name);
}

}  // namespace pydio::agent::trust
