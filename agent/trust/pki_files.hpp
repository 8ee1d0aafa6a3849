#pragma once
// The node's keys and certificates on disk, in LocalConfig::pki_dir (root, 0700):
//   ca.crt    the cluster CA (every node; 0644); during a CA rotation every CA the node trusts,
//             first the one that issues (trust/ca_set.hpp)
//   ca.key    the private key of the first CA of ca.crt (0600), only on the nodes that may lead
//             (storage nodes): they sign the certificates of joining nodes
//   ca-next.key  during a CA rotation, on storage nodes: the key of the new CA before it issues
//             (0600; agent/daemon/ca_rotation.hpp checks it against the desired state)
//   node.crt  this node's certificate (CN = node name, SAN = its address; 0644)
//   node.key  this node's private key (0600); made on this node, never leaves it
// Files are replaced atomically; a file readable by others where a key is expected is refused.
// A renewal replaces node.key and node.crt together (replace_node_certificate): each is first
// written complete beside the other as node.key.next and node.crt.next, then renamed into place
// key first; load_pki finishes or drops a replacement a crash interrupted, so the node always
// starts with a key and certificate that match.

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent::trust {

struct NodePki {
  std::string ca_cert_pem;
  std::string ca_key_pem;  // "" on nodes that may not sign
  std::string node_cert_pem;
  std::string node_key_pem;
  std::string next_ca_key_pem = "";  // last: "" unless a CA rotation introduces a new CA
};

// nullopt when the directory holds no node certificate yet (a node before init or join).
// An incomplete or mismatched set is an error naming the file. Finishes or drops an
// interrupted replacement first: for the one owner of the files (NodeTrust), at start.
common::Expected<std::optional<NodePki>> load_pki(const std::string& dir);
// The same read without touching any file: for every other reader (a renewal may be under
// way; a set caught between its two renames is a mismatch error, read again later).
common::Expected<std::optional<NodePki>> read_pki(const std::string& dir);
// Creates `dir` (0700) and writes every non-empty part; removes ca.key when `pki` has none.
common::Status save_pki(const std::string& dir, const NodePki& pki);
// Replaces node.key and node.crt with a renewed pair (crash-safe, see above).
// REQUIRES: `key_pem` is the key of `cert_pem`.
common::Status replace_node_certificate(const std::string& dir, const std::string& cert_pem,
                                        const std::string& key_pem);
// Replaces the CA files of a CA rotation: ca.crt = `ca_bundle`, ca.key = `ca_key` (removed when
// ""), ca-next.key = `next_key` (removed when ""). Ordered so that a crash at any point leaves a
// set load_pki accepts and loses no key that stays: ca.key is not touched when it does not
// change; when it does, the incoming key is written complete (ca.key.next) before the outgoing
// one is removed and ca.crt changes, then renamed into place (load_pki completes that after a
// crash), and a key that moves from ca-next.key to ca.key is in one of them at every moment.
common::Status save_cas(const std::string& dir, const std::string& ca_bundle,
                        const std::string& ca_key, const std::string& next_key);
// The PKI of a cluster's first node (agentctl init): a new CA and this node's certificate.
common::Expected<NodePki> create_first_node_pki(const std::string& cluster_name,
                                                const std::string& node_name,
                                                const std::string& address);

}  // namespace pydio::agent::trust
