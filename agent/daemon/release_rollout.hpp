#pragma once
// The leader's rolling rollout of a release, one compute node at a time (docs/operations.md,
// "Rolling out a release"). Its progress is web.rollout in the desired state, written only
// here: every kPeriod the leader reads the document in force and the reports of the compute and
// lb nodes, decides the next phase (release_rollout_step.hpp, pure) and commits it like any
// change. The nodes follow the document: the node being switched answers HAProxy's agent-check
// with "drain" and /health with 503 while draining or switching (common::rollout_drains), and
// its pydio-release resource switches in phase switching (common::release_target). Nothing
// lives in this object but what status shows, so a new leader resumes from the committed phase.
// Thread-safe: lead() calls are serialized by mutex_; progress_ is guarded by progress_mutex_.
// lead() blocks (peers, commits; each bounded): run it on the daemon's blocking pool.

#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/peer_api.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/cluster_report.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/reconcile/event_log.hpp"

namespace pydio::agent {

class ReleaseRollout {
 public:
  static constexpr std::chrono::seconds kPeriod{2};

  // `local_report`: this node's own report (GET /v1/peer/node), never asked over HTTP.
  ReleaseRollout(NodeState& state, ChangeCommitter& changes, const ClusterReport& cluster,
                 const common::LocalConfig& local, EventLog& events,
                 std::function<nlohmann::json()> local_report)
      : state_(state),
        changes_(changes),
        cluster_(cluster),
        local_(local),
        events_(events),
        local_report_(std::move(local_report)) {}

  // The leader, every kPeriod, while a rollout runs (web.rollout present, not stopped): the
  // next phase when the nodes are ready for it. Elsewhere and otherwise: nothing.
  void lead();

  // "rollout" of this node's report: {"progress": "..."} while this node leads a rollout (what
  // it waits for), null otherwise.
  nlohmann::json report() const;

 private:
  // Proposes the document in force with web.rollout = `next` as generation + 1 (a few attempts
  // when another change wins the generation), only while the rollout and release in force are
  // still those of `decided_from` (a publish in between is decided again, never overwritten).
  api::PeerReply propose_rollout(const common::DesiredState& decided_from,
                                 const std::optional<common::RolloutSpec>& next);
  void record(const std::string& action, const std::string& error = "") const;
  void set_progress(const std::string& progress);

  NodeState& state_;
  ChangeCommitter& changes_;
  const ClusterReport& cluster_;
  const common::LocalConfig& local_;
  EventLog& events_;
  std::function<nlohmann::json()> local_report_;
  std::mutex mutex_;
  std::string last_error_;  // guarded by mutex_: the last commit refused, recorded once
  mutable std::mutex progress_mutex_;
  std::string progress_;  // guarded by progress_mutex_; the leader's last look, "" otherwise
};

}  // namespace pydio::agent
