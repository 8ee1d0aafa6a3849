#pragma once
// How this node reaches the leader: who holds the lease (as this node's elector knows it, or as
// the storage nodes report), and relaying a join or change to it exactly once. Every call is
// bounded by its timeout. Thread-safe (no state of its own).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/peer_api.hpp"
#include "agent/cluster/peer_client.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class LeaderLink {
 public:
  LeaderLink(const NodeState& state, const common::LocalConfig& local)
      : state_(state), local_(local) {}

  // A client authenticated with this node's certificate.
  PeerClient peer_client(std::chrono::milliseconds timeout) const;
  // The address of the node holding the lease; nullopt when nobody is known to lead.
  std::optional<std::string> leader_address(const common::DesiredState& desired) const;
  // The other storage nodes' addresses, the leader's first: whom to ask for what only storage
  // nodes hold (a rotated signing key, a new CA's key).
  std::vector<std::string> storage_peers_leader_first(const common::DesiredState& desired) const;
  // Sends a join or change to the leader once (marked forwarded); 503 when there is none.
  api::PeerReply forward(const std::string& path, const nlohmann::json& body) const;

 private:
  const NodeState& state_;
  const common::LocalConfig& local_;
};

api::PeerReply error_reply(int status, const std::string& message);

}  // namespace pydio::agent
