#pragma once
// Follows the desired state the cluster has in force: the copy the leader published on
// pydio-config (on nodes that mount it), else the leader's own copy, else any peer's. A newer
// document signed with the cluster's key (cluster/signed_document.hpp) is put in force; an
// unsigned, badly signed, invalid or foreign one is refused and status and an event say why. Polled
// every kPollInterval as a fallback; a push from the leader (a nudge naming a new generation) makes
// the next look start at once and ask the announcing node first.
// Thread-safe: one look at a time (look_mutex_). A look blocks for a bounded time (peer calls;
// the FUSE read runs abandonably, published_state.hpp): run it on the blocking pool.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "agent/cluster/signed_document.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class Follower {
 public:
  static constexpr std::chrono::seconds kPollInterval{2};

  // `on_adopted` runs after a look that put a document in force or refused one (health re-check).
  Follower(NodeState& state, const LeaderLink& leader, const common::LocalConfig& local,
           std::function<void()> on_adopted)
      : state_(state), leader_(leader), local_(local), on_adopted_(std::move(on_adopted)) {}

  // One look. `announced_by`: the address of the node that announced a newer generation, asked
  // first; "" for a poll.
  void look(const std::string& announced_by = "");

 private:
  // Checks `document` and puts it in force when it is the next one; a refusal is recorded
  // once per distinct document (a planted file read every poll makes one event).
  DocumentVerdict adopt(const SignedDocument& document, const std::string& source);
  bool adopt_from_peer(const std::string& address);

  NodeState& state_;
  const LeaderLink& leader_;
  const common::LocalConfig& local_;
  std::function<void()> on_adopted_;
  std::mutex look_mutex_;
  std::string last_seen_text_;  // guarded by look_mutex_: the last document (or refusal) acted on
};

}  // namespace pydio::agent
