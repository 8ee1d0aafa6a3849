#pragma once
// This node's TLS identity as the daemon uses it: the PKI files (pki_files.hpp) loaded once,
// the TLS contexts made from them, the CA pin, and signing for joiners where the CA key is
// here. Replaced as a whole when init or a join installs new files, and the node certificate
// alone when it is renewed: connections made after that use the new one (the peer API takes
// server_context() for each connection, the clients client_context() for each call).
// Thread-safe: every member below mutex_ is guarded by it; readers get immutable snapshots.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/trust/pki.hpp"
#include "agent/trust/pki_files.hpp"
#include "agent/trust/tls_context.hpp"
#include "common/status.hpp"

namespace pydio::agent::trust {

class NodeTrust {
 public:
  explicit NodeTrust(std::string dir) : dir_(std::move(dir)) {}

  // Reads the files; none yet is not an error (ready() stays false).
  common::Status load();
  // Writes `pki` to the directory and puts it in force.
  common::Status install(const NodePki& pki);
  // Puts a renewed node certificate and its new key in force (files replaced crash-safely,
  // pki_files.hpp) when the certificate in force is still `replaced`; an error otherwise (a
  // join installed another PKI meanwhile) or when the pair does not fit the CA.
  common::Status renew(const std::string& replaced, const std::string& cert_pem,
                       const std::string& key_pem);
  // A CA rotation (agent/daemon/ca_rotation.hpp): trusts the CAs of `ca_bundle` (first the one
  // that issues) from the next connection on, and holds `ca_key` (the first CA's key) and
  // `next_key` (a new CA's, before it issues); "" for a key not held. An error (nothing changed)
  // when `ca_key` is not the first CA's.
  common::Status replace_cas(const std::string& ca_bundle, const std::string& ca_key,
                             const std::string& next_key);
  // init: a new CA and node certificate unless this node already has a PKI.
  common::Status ensure_first_node(const std::string& cluster_name, const std::string& node_name,
                                   const std::string& address);

  bool ready() const;
  // The files in force; nullopt when not ready.
  std::optional<NodePki> pki() const;
  // "sha256:<hex>" of the CA; "" when not ready.
  std::string ca_pin() const;
  std::string ca_cert() const;
  // The CA key, "" on nodes that may not sign.
  std::string ca_key() const;
  bool can_sign() const { return !ca_key().empty(); }
  // ca-next.key: "" unless a CA rotation introduces a new CA and this node holds its key.
  std::string next_ca_key() const;
  // null when not ready.
  std::shared_ptr<TlsContext> server_context() const;
  std::shared_ptr<TlsContext> client_context() const;
  // A node certificate for the key of `csr_pem`, naming `node_name` at `address` in `role`.
  common::Expected<std::string> sign(const std::string& csr_pem, const std::string& node_name,
                                     const std::string& address, CertificateRole role) const;

 private:
  struct Loaded {
    NodePki pki;
    std::string pin;
    std::shared_ptr<TlsContext> server;
    std::shared_ptr<TlsContext> client;
  };
  static common::Expected<std::shared_ptr<const Loaded>> prepare(const NodePki& pki);
  std::shared_ptr<const Loaded> loaded() const;

  const std::string dir_;
  std::mutex write_mutex_;  // held while the files are written: one writer at a time
  mutable std::mutex mutex_;
  std::shared_ptr<const Loaded> loaded_;  // guarded by mutex_; null before init or join
};

}  // namespace pydio::agent::trust
