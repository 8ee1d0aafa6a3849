#pragma once
// The one owner of this node's state: the desired state in force, the secrets, the drain flag,
// the reconciler and the leader elector. Everything else reads immutable snapshots from it
// (a shared_ptr<const DesiredState> parsed once, where the text entered the agent) and changes
// the node only through it, so the reconciler and the elector always follow the document in
// force. A new document updates the reconciler's resources in place: resources that stay keep
// their state, backoff and work in flight.
// Thread-safe: every member below mutex_ is guarded by it; the stores guard themselves.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/cluster/signing.hpp"
#include "agent/daemon/desired_store.hpp"
#include "agent/daemon/drain_state.hpp"
#include "agent/election/lease.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/reconcile/reconciler.hpp"
#include "agent/trust/node_trust.hpp"
#include "common/local_config.hpp"

namespace pydio::agent {

// What a pass may use besides the node state; owned by the daemon, outlives NodeState's use.
struct PassEnvironment {
  common::ProcessRunner* runner = nullptr;
  Services* services = nullptr;
  const HealthView* health = nullptr;
  const ClusterView* cluster = nullptr;
  // The nodes the reachability round reached (PassContext::reachable_nodes); may be empty.
  std::function<std::optional<std::set<std::string>>()> reachable_nodes;
  ReleaseReportHolder* release_report = nullptr;  // PassContext::release_report
  DbMemberHolder* db_member = nullptr;            // PassContext::db_member
};

// The lease as status shows it.
struct LeaderSnapshot {
  bool campaigning = false;  // this node runs an elector
  LeaseStatus lease;         // meaningful when campaigning
  std::string why_not;       // when not campaigning: why this node does not
};

// The resources this node manages under a document (build_resources in the daemon; unit
// tests give their own, which act on no machine).
using ResourceFactory = std::function<std::vector<std::unique_ptr<Resource>>(
    const common::DesiredState& desired, const std::string& node_name)>;

class NodeState {
 public:
  // `resources`: empty means build_resources.
  NodeState(const common::LocalConfig& local, EventLog& events, ResourceFactory resources = {});
  ~NodeState();
  NodeState(const NodeState&) = delete;
  NodeState& operator=(const NodeState&) = delete;

  // Reads secrets, the PKI, the persisted desired state and the drain flag. A missing
  // file is a new node, not an error; unreadable secrets are (the agent must not make new ones).
  common::Status load();
  // Starts the reconciler (and the elector when this node campaigns) for the document in force.
  void start(PassEnvironment environment);
  // Stops the elector (handing the lease back) and the reconciler. Waits at most `bound` for
  // operations in flight; returns false when some were still running (they are abandoned).
  bool stop(std::chrono::milliseconds bound);

  std::shared_ptr<const common::DesiredState> desired() const { return desired_.current(); }
  // The exact text and signature of the document in force (what peers and pydio-config get).
  std::shared_ptr<const SignedDocument> desired_signed() const { return desired_.current_signed(); }
  // The cluster's signing keys; null before init or join. private_pem "" on nodes that only verify.
  std::shared_ptr<const SigningKeys> signing_keys() const;
  std::string desired_error() const { return desired_.last_error(); }
  std::shared_ptr<const common::Secrets> secrets() const;
  // True when this node is a storage node of the desired state in force: it decides joins (with
  // the join tokens of that document) and never relays one.
  bool admits_joins() const;
  // This node's certificate, the CA and its key where held (thread-safe itself).
  trust::NodeTrust& trust() const { return trust_; }
  bool draining() const { return drain_.draining(); }
  std::string drain_reason() const { return drain_.reason(); }
  LeaderSnapshot leader() const;
  bool is_leader_now() const;
  // The term this node holds the lease under right now; 0 when it does not lead.
  std::int64_t live_term() const;
  std::vector<ResourceStatus> resource_statuses() const;
  std::shared_ptr<Reconciler> reconciler() const;

  // Validates against the generation rule and, when accepted, puts the document in force and
  // has the reconciler and elector follow it. `parsed` comes from parse_desired_state (once).
  // `signed_text`: the exact text and signature it came with ({}: unsigned, tests only).
  common::Expected<SubmitOutcome> submit(const common::ValidationResult& parsed,
                                         GenerationRule rule = GenerationRule::kNewer,
                                         const SignedDocument& signed_text = {});
  // The same for a document this node authors (init, a change committed by the leader): signed
  // here with the cluster's private key first. An error when this node holds none.
  common::Expected<SubmitOutcome> commit(const common::ValidationResult& parsed,
                                         GenerationRule rule = GenerationRule::kNewer);
  // Records why a document that could not even be parsed was refused (status, health).
  void record_refusal(const std::vector<std::string>& errors);
  // Records why a document from `source` was not adopted (status, health) and an event.
  void refuse_document(const std::string& source, const std::string& reason);
  // agentctl rotate signing-key, on the leader: makes the successor of the cluster's key, keeps
  // it (the previous private key is gone from then on) and commits `parsed` signed with it. Its
  // signature carries the succession, so every node moves to the new key as it adopts it.
  common::Expected<SubmitOutcome> commit_with_new_key(const common::ValidationResult& parsed,
                                                      GenerationRule rule = GenerationRule::kNext);
  // A document signed by the successor of the key this node trusts was adopted or is in force:
  // trust the successor from now on (the previous private key, if held, is removed). A storage
  // node then holds no private key until it fetched the successor's (adopt_private_signing_key).
  common::Status trust_successor(const SigningKeys& successor);
  // The public key trusted before the last rotation this agent saw; "" when none.
  std::string retired_signing_key() const;
  // True when this node should sign but holds no private key: a storage node after a rotation.
  bool lacks_private_signing_key() const;
  // The successor's private key (and succession) fetched from a storage node that holds it; it
  // must belong to the public key this node trusts.
  common::Status adopt_private_signing_key(const SigningKeys& keys);
  // Creates the cluster's signing key pair if this node has none (init of the first node).
  common::Status ensure_signing_keys();
  // agentctl join --replace-signing-key: a node that missed more than one rotation gives up the
  // key it trusts for the one the (pinned, token-admitted) join answer carries.
  common::Status replace_signing_keys_for_rejoin(const SigningKeys& keys);
  // Stores the keys received in a join answer. A node that already holds a public key accepts
  // only the same one (a node never silently changes the key it trusts).
  common::Status adopt_signing_keys(const SigningKeys& keys);
  // Creates the cluster's secrets if this node has none (init of the first node).
  common::Status ensure_secrets();
  // Stores secrets received from a peer (join); they replace none or equal ones.
  common::Status adopt_secrets(const common::Secrets& secrets);
  common::Status drain(const std::string& reason) { return drain_.drain(reason); }
  common::Status undrain() { return drain_.undrain(); }
  void request_pass(const std::string& reason, bool reset_backoff = false);

 private:
  std::optional<PassContext> pass_context();
  // Signs `parsed` with `keys` and submits it.
  common::Expected<SubmitOutcome> commit_signed(const common::ValidationResult& parsed,
                                                GenerationRule rule, const SigningKeys& keys);
  // The persisted document, and a staged signing key a stopped rotation left (kept when the
  // document verifies with it, discarded otherwise).
  common::Status load_desired_and_staged_key(const std::string& public_pem);
  // Signs the document in force when its copy carries no signature that verifies (a copy from
  // before an upgrade, or a crash in a rotation) and this node holds the private key.
  common::Status sign_unsigned_copy();
  void record_key_event(const std::string& action, const std::string& message);
  // Makes the reconciler's resources those of `desired` and starts the elector when this node
  // campaigns. Returns the elector `desired` ends (this node may no longer lead), for
  // end_campaign once mutex_ is released. REQUIRES: mutex_ held.
  [[nodiscard]] std::shared_ptr<LeaderElector> follow(const common::DesiredState& desired);
  [[nodiscard]] std::shared_ptr<LeaderElector> follow_elector(const common::DesiredState& desired);
  // Stops an elector follow() ended, handing its lease back. REQUIRES: mutex_ NOT held.
  void end_campaign(std::shared_ptr<LeaderElector> elector);

  const common::LocalConfig& local_;
  EventLog& events_;
  const ResourceFactory resources_;
  DesiredStore desired_;
  DrainState drain_;
  mutable trust::NodeTrust trust_;

  mutable std::mutex mutex_;
  PassEnvironment environment_;                     // guarded by mutex_; set by start()
  bool started_ = false;                            // guarded by mutex_
  std::shared_ptr<const common::Secrets> secrets_;  // guarded by mutex_
  std::shared_ptr<const SigningKeys> signing_;      // guarded by mutex_
  std::string retired_public_pem_;                  // guarded by mutex_
  std::shared_ptr<Reconciler> reconciler_;          // guarded by mutex_
  std::shared_ptr<LeaderElector> elector_;          // guarded by mutex_
};

}  // namespace pydio::agent
