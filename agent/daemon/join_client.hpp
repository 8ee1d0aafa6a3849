#pragma once
// Membership, the side that joins: `agentctl join <peer> --token T` on this node. Asks the
// peer, checks its answer, and only then stores the secrets and the desired state. Nothing
// changes on this node unless the join succeeds. Blocks for a bounded time (below agentctl's
// own timeout, so the reason reaches the operator): run it on the daemon's blocking pool.

#include "agent/api/admin_api.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class JoinClient {
 public:
  // `on_joined` runs after the desired state from the peer is in force (health re-check).
  JoinClient(NodeState& state, const common::LocalConfig& local, std::function<void()> on_joined)
      : state_(state), local_(local), on_joined_(std::move(on_joined)) {}

  api::JoinOutcome join(const api::JoinOptions& options);

 private:
  NodeState& state_;
  const common::LocalConfig& local_;
  std::function<void()> on_joined_;
};

}  // namespace pydio::agent
