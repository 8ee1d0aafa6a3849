#pragma once
// A storage node that follows a rotated signing key (NodeState::trust_successor) holds no
// private key until it fetched the successor's from a storage node that has it: the leader
// first, then the other storage nodes, over mutual TLS with its own node certificate
// (GET /v1/peer/signing-key, storage nodes only), never through a volume. Until then it cannot
// sign (were it to lead, changes would wait with a clear error), and status says so.
// Thread-safe: one fetch at a time (mutex_). Blocks for bounded peer calls: run it on the
// blocking pool (after each follower look).

#include <chrono>
#include <mutex>
#include <string>

#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class SigningKeyFetch {
 public:
  SigningKeyFetch(NodeState& state, const LeaderLink& leader) : state_(state), leader_(leader) {}

  // Fetches the private key when this node lacks it; nothing otherwise.
  void fetch_if_missing();

 private:
  NodeState& state_;
  const LeaderLink& leader_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_warning_;  // guarded by mutex_
};

}  // namespace pydio::agent
