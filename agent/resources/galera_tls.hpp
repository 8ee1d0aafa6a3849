#pragma once
// Galera's group communication (gcomm, port 4567) and incremental state transfers (IST, 4568)
// run over TLS with the cluster's certificates, so a host without a node certificate of the
// cluster CA cannot join the database cluster (and so cannot ask for a state transfer of every
// row, password hashes included). mariadbd runs as mysql and cannot read the agent's pki
// directory (root, 0700): the db-server resource keeps a copy of node.crt, node.key and ca.crt
// in kGaleraTlsDir (root:mysql 0750; the key mysql 0400) and reloads Galera's TLS context when
// a renewal or a CA rotation changes them. Not in the datadir: an rsync state transfer copies
// the datadir, and would hand a joiner the donor's key.

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kGaleraTlsDir = "/etc/mysql/pydio-agent-tls";

struct GaleraTlsFiles {
  std::string cert;  // node.crt
  std::string key;   // node.key
  std::string ca;    // ca.crt (every CA the node trusts)
  bool operator==(const GaleraTlsFiles& other) const {
    return cert == other.cert && key == other.key && ca == other.ca;
  }
  bool operator!=(const GaleraTlsFiles& other) const { return !(*this == other); }
};

// The wsrep_provider_options value naming the copies in `dir`. Pure.
std::string galera_tls_provider_options(const std::string& dir);
// The node's certificate, key and CAs from the agent's pki directory; nullopt before init/join.
common::Expected<std::optional<GaleraTlsFiles>> read_node_tls(const std::string& pki_dir);
// The copies in `dir`; nullopt when any is missing.
std::optional<GaleraTlsFiles> read_galera_tls(const std::string& dir);
// Writes the copies (directory root:mysql 0750, cert and CA 0644, key mysql 0400).
common::Status write_galera_tls(const std::string& dir, const GaleraTlsFiles& files);

}  // namespace pydio::agent
