#pragma once
// Rotating the cluster CA with one command, `agentctl rotate ca`, without a gap in peer traffic.
// The desired state carries the CAs every node trusts (security.caCertificates, first the one
// that issues; trust/ca_set.hpp) and the rotation moves it through three documents, each put in
// force by the leader like any change:
//   1. [old, new]  the leader made the new CA (its key in ca-next.key). Every node trusts both
//                  from the next connection; storage nodes fetch the new key from the leader (or
//                  another storage node that has it) over mutual TLS (POST /v1/peer/ca-key).
//   2. [new, old]  once every node trusts the new CA and every storage node holds its key: the
//                  new CA issues (the join pin changes); every node renews its certificate at
//                  once; storage nodes delete the old CA key.
//   3. [new]       once every node presents a certificate of the new CA: the old CA is dropped.
// Every kPeriod each node follows the list in force, and the leader, while a rotation is under
// way, checks the nodes' reports ("ca" in GET /v1/peer/node) for the next step. Every step is
// an event; status shows the progress. A node down for the whole rotation is refused afterwards
// and joins again (docs/operations.md).
// Thread-safe: begin(), follow() and lead() are serialized by mutex_ (begin writes a key that
// follow would otherwise drop); progress_ is guarded by progress_mutex_. Calls block (keys,
// peers, commits; each bounded): run them on the daemon's blocking pool.

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/daemon/certificate_renewal.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/cluster_report.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/reconcile/event_log.hpp"

namespace pydio::agent {

class CaRotation {
 public:
  static constexpr std::chrono::seconds kPeriod{2};

  CaRotation(NodeState& state, ChangeCommitter& changes, const LeaderLink& leader,
             const ClusterReport& cluster, CertificateRenewal& renewal,
             const common::LocalConfig& local, EventLog& events)
      : state_(state),
        changes_(changes),
        leader_(leader),
        cluster_(cluster),
        renewal_(renewal),
        local_(local),
        events_(events) {}

  // agentctl rotate ca on this node: refused (nothing changed) unless this is a storage node of
  // a cluster with a leader and no rotation under way; else begun by the leader.
  // 200 {"generation","caCertHash","progress"}.
  api::AdminAnswer start();
  // POST /v1/peer/ca-rotation: begun here when this node leads, else forwarded once.
  api::PeerReply begin_from_peer(bool forwarded);
  // POST /v1/peer/ca-key for storage node `caller`: the key of the listed CA `pin` when this
  // node holds it (404 otherwise). The peer API admitted only a storage node's certificate.
  api::PeerReply hand_key(const std::string& caller, const std::string& pin);

  // Every node, every kPeriod: trusts what the document in force lists, fetches the keys
  // it lacks (storage nodes), and renews the node certificate when the issuing CA is another.
  void follow();
  // The leader, every kPeriod: the next step when every node is ready for it.
  void lead();

  // "ca" of this node's report: {"trusted","issuer","keys","pin","phase","progress"}.
  nlohmann::json report() const;

 private:
  api::PeerReply begin();
  // Proposes the document in force with `cas` listed, as generation + 1 (a few attempts when
  // another change wins the generation). With `checked`: only while generation `checked` is in
  // force, once. `proposed` (when given) is set to the last generation proposed.
  api::PeerReply propose_cas(const std::vector<std::string>& cas,
                             std::optional<std::int64_t> checked = std::nullopt,
                             std::int64_t* proposed = nullptr);
  // The key of CA `cert` from the storage nodes (leader first); "" when none gave it.
  std::string fetch_key(const common::DesiredState& desired, const std::string& cert);
  void record(const std::string& action, const std::string& error = "") const;

  NodeState& state_;
  ChangeCommitter& changes_;
  const LeaderLink& leader_;
  const ClusterReport& cluster_;
  CertificateRenewal& renewal_;
  const common::LocalConfig& local_;
  EventLog& events_;
  std::mutex mutex_;
  std::string last_follow_error_;  // guarded by mutex_: logged once per distinct error
  std::chrono::steady_clock::time_point last_renewal_;  // guarded by mutex_
  std::string settled_inputs_;  // guarded by mutex_: what follow() last found nothing to do for
  // guarded by mutex_: the last generation begin() proposed with the key in ca-next.key; unset
  // when this process began none (the key is then kept: next_key_dropped, ca_rotation_step.hpp)
  std::optional<std::int64_t> next_key_proposed_;
  mutable std::mutex progress_mutex_;
  std::string progress_;  // guarded by progress_mutex_; the leader's last look, "" otherwise
  // guarded by progress_mutex_: report() without "progress", and the files and list it was
  // made from (every node report asks for it; the certificates are parsed only when they change)
  mutable std::string report_inputs_;
  mutable nlohmann::json report_base_;
};

}  // namespace pydio::agent
