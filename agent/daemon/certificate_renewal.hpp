#pragma once
// This node's certificate, renewed by the agent before it ends (trust/renewal.hpp says when:
// in the last third of its lifetime). A node holding the CA key (a storage node) signs its
// own; any other node makes a NEW key pair and sends a certificate request over mutual TLS,
// with its current certificate, to a storage node (POST /v1/peer/certificate), which signs it
// for this node's own name and address. The new pair replaces the files crash-safely and is in
// force for the next connection, in and out, without a restart (trust/node_trust.hpp). Each
// renewal is an event; a renewal that is due and fails is a status line and a health warning.
// check() blocks (key generation, the network, bounded by kRequestTimeout per storage node):
// run it on the blocking pool. Thread-safe: checks are serialized by check_mutex_; last_error_
// is guarded by mutex_.

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/daemon/node_state.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/trust/pki_files.hpp"
#include "common/local_config.hpp"

namespace pydio::agent {

class CertificateRenewal {
 public:
  // How often the certificate is looked at, and again after a due renewal failed.
  static constexpr std::chrono::seconds kCheckPeriod{3600};
  static constexpr std::chrono::seconds kRetryPeriod{300};
  static constexpr std::chrono::seconds kRequestTimeout{10};

  CertificateRenewal(NodeState& state, const common::LocalConfig& local, EventLog& events)
      : state_(state), local_(local), events_(events) {}

  // Looks at the certificate in force and renews it when due. Returns when to look again.
  std::chrono::seconds check();
  // For agentctl status: {"serial","notBefore","notAfter","renewFrom","renewal","error"};
  // null before init or join.
  nlohmann::json report() const;
  // "" or what status and /health warn about: the certificate is due and renewal failed (why),
  // or it has expired.
  std::string problem() const;

 private:
  // A certificate for the key of `csr` from this node's CA key, or from a storage node (the
  // first that answers with a good one; `signer` names it).
  common::Expected<std::string> sign_here(const trust::NodePki& current, const std::string& csr);
  common::Expected<std::string> ask_storage_nodes(const trust::NodePki& current,
                                                  const std::string& csr, std::string& signer);
  // Ok when `cert_pem` is this node's, of our CA, and ends after `current`'s.
  common::Status check_issued(const trust::NodePki& current, const std::string& cert_pem,
                              const std::string& ca_pem) const;
  // Renews `current` with a new key; `how` says who signed.
  common::Status renew(const trust::NodePki& current, std::string& how);
  void record(const std::string& action, const common::Status& outcome,
              std::chrono::steady_clock::time_point started);

  NodeState& state_;
  const common::LocalConfig& local_;
  EventLog& events_;
  std::mutex check_mutex_;
  mutable std::mutex mutex_;
  std::string last_error_;  // guarded by mutex_; why the last due renewal failed, "" if it did not
};

}  // namespace pydio::agent
