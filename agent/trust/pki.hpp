#pragma once
// The cluster's X.509 primitives (OpenSSL 3), on PEM text so callers never hold OpenSSL
// objects: keys, the cluster CA, certificate requests, node certificates, the CA pin.
//
// Keys are ECDSA P-256 (every TLS 1.3 stack speaks it). Lifetimes: the CA 10 years, a node
// certificate 1 year; both start 5 minutes in the past so a node whose clock runs a little
// behind the signer's accepts a certificate at once. A node certificate's CN is the node name
// and its one subjectAltName the node's IP address; it is good for TLS client and server. The
// certificate of a node that may lead (a storage node) also says OU=storage: a joining node
// sends its token only to such a node, so root on a compute node learns no token from a
// joiner sent to it by mistake.
// Pure apart from the randomness of keys and serial numbers; thread-safe.

#include <chrono>
#include <string>

#include "common/status.hpp"

namespace pydio::agent::trust {

inline constexpr int kCaLifetimeDays = 3650;
inline constexpr int kNodeLifetimeDays = 365;

struct KeyPair {
  std::string key_pem;   // PKCS#8 private key
  std::string cert_pem;  // certificate
};

// What a node certificate lets its holder be: any node, or a node that may lead.
enum class CertificateRole { kNode, kStorage };
inline constexpr const char* kStorageUnit = "storage";  // the OU of a kStorage certificate

// A new private key (PEM, PKCS#8).
common::Expected<std::string> generate_key();
// A new self-signed CA ("<cluster> CA") with its key.
common::Expected<KeyPair> make_ca(const std::string& cluster_name,
                                  int lifetime_days = kCaLifetimeDays);
// The same with the CN `common_name` (a rotated CA: "<cluster> CA <date>", so that the two CAs
// of a rotation are told apart by name too).
common::Expected<KeyPair> make_named_ca(const std::string& common_name,
                                        int lifetime_days = kCaLifetimeDays);
// A certificate request for `key_pem` with CN = node_name.
common::Expected<std::string> make_csr(const std::string& key_pem, const std::string& node_name);
// Signs the public key of `csr_pem` (whose self-signature must verify) as the certificate of
// node `node_name` at `address` in `role`. The name, address and role come from the caller,
// never from the request: the signer decides who the key speaks for.
common::Expected<std::string> sign_node_certificate(const KeyPair& ca, const std::string& csr_pem,
                                                    const std::string& node_name,
                                                    const std::string& address,
                                                    CertificateRole role,
                                                    int lifetime_days = kNodeLifetimeDays);
// True when the certificate says its node may lead (OU=storage).
bool certifies_storage(const std::string& cert_pem);

// "sha256:<hex>" of the certificate's DER SubjectPublicKeyInfo (what kubeadm's
// --discovery-token-ca-cert-hash pins).
common::Expected<std::string> spki_pin(const std::string& cert_pem);
// Ok when `cert_pem` was signed by `ca_pem` and is valid now.
common::Status verify_signed_by(const std::string& cert_pem, const std::string& ca_pem);
// Ok when `key_pem` is the private key of `cert_pem`.
common::Status key_matches(const std::string& key_pem, const std::string& cert_pem);
// The certificate's subject CN.
common::Expected<std::string> common_name(const std::string& cert_pem);
// Seconds from now until the certificate expires (negative when it has).
common::Expected<std::chrono::seconds> remaining_life(const std::string& cert_pem);

// What renewal and status read of a certificate.
struct CertificateInfo {
  std::string serial;  // hexadecimal, as `openssl x509 -serial` prints it
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};
common::Expected<CertificateInfo> certificate_info(const std::string& cert_pem);
// Ok when the certificate's subjectAltName holds the IP address `address`.
common::Status names_address(const std::string& cert_pem, const std::string& address);
// The CN a certificate request asks for, once its self-signature verified (the requester holds
// the key it asks a certificate for).
common::Expected<std::string> request_common_name(const std::string& csr_pem);

// The last OpenSSL error as text (drains the queue), e.g. "error:...:unsupported".
std::string openssl_error();

}  // namespace pydio::agent::trust
