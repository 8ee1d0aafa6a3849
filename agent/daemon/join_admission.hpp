#pragma once
// Membership, the side that admits: a new node asks this agent (over the peer API, with the
// join token) to join. A node already listed gets the desired state and secrets back; a new
// node is added by the leader (a peer that does not lead relays the request once). Blocks for
// a bounded time: run it on the daemon's blocking pool.

#include <nlohmann/json.hpp>

#include "agent/api/peer_api.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class JoinAdmission {
 public:
  JoinAdmission(NodeState& state, const LeaderLink& leader, ChangeCommitter& changes)
      : state_(state), leader_(leader), changes_(changes) {}

  api::PeerReply admit(const nlohmann::json& request, bool forwarded);

  // What the peer API answers for the desired state in force: {"generation", "document",
  // "signature"}; for a joiner also "secrets" and "signing": {"publicKey"[, "privateKey"]}, the
  // private key only for `joiner` nodes that may lead (storage) — web and database nodes, where
  // the web application runs, only ever verify. `joiner` "": a plain fetch.
  api::PeerReply document_reply(const std::string& joiner = "") const;

 private:
  NodeState& state_;
  const LeaderLink& leader_;
  ChangeCommitter& changes_;
};

}  // namespace pydio::agent
