#pragma once
// The signing side of certificate renewal (POST /v1/peer/certificate): a node holding the CA
// key (a storage node) signs a renewed certificate for the node that asks, for that node's own
// name and address only. The peer API has already admitted the caller (its current certificate,
// a member of the desired state in force, from its own address); this checks the request
// itself (trust/renewal.hpp) and records an event for every certificate it issues.
// Thread-safe (its one state, when it last issued per node, under issued_mutex_; NodeTrust and
// EventLog guard themselves).

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "agent/api/peer_api.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/trust/pki.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// The role a certificate for node `name` carries: kStorage when the desired state gives it the
// storage role (pki.hpp: joiners send their token only to such a node).
trust::CertificateRole certificate_role(const common::DesiredState* desired,
                                        const std::string& name);

// "n1 10.0.1.11, n2 10.0.1.12": the storage nodes, named where a node sends a caller to one.
std::string storage_node_list(const common::DesiredState* desired);

class CertificateIssuer {
 public:
  CertificateIssuer(const NodeState& state, EventLog& events) : state_(state), events_(events) {}

  // 200 {"nodeCert","caCert"}; 400 a malformed request; 403 a request for another node's name;
  // 421 on a node without the CA key (naming the storage nodes); 429 when this node issued one
  // for the same name less than kMinInterval ago. During a CA rotation: 503 from a storage node
  // that does not hold the issuing CA's key yet, or whose issuing CA is not `ca_pin` (the
  // requester's, when given): it has not followed the rotation yet, the requester asks another.
  api::PeerReply issue(const std::string& name, const std::string& address, const std::string& csr,
                       const std::string& ca_pin = "") const;

 private:
  static constexpr std::chrono::seconds kMinInterval{60};
  bool issued_recently(const std::string& name, std::chrono::steady_clock::time_point now) const;
  const NodeState& state_;
  EventLog& events_;
  mutable std::mutex issued_mutex_;
  mutable std::map<std::string, std::chrono::steady_clock::time_point> issued_;  // by node name
};

}  // namespace pydio::agent
