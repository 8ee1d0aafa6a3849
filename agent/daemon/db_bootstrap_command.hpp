#pragma once
// `agentctl db bootstrap --force NODE`: after an outage in which some db node stays silent, no
// agent bootstraps the Galera cluster by itself (common/galera_bootstrap.hpp); the operator
// names the member to start it from. The operator's agent hands the order to NODE's agent
// (POST /v1/peer/db-bootstrap, or directly when NODE is this node), which marks itself forced:
// its db-server resource bootstraps, and every other member's agent sees the mark in its
// report and waits for it. The mark is cleared once NODE is in a primary component, or when
// its agent restarts. Thread-safe (no state of its own beyond the holder's).

#include <functional>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/resources/db_member_holder.hpp"

namespace pydio::agent {

class DbBootstrapCommand {
 public:
  DbBootstrapCommand(const NodeState& state, const common::LocalConfig& local,
                     const LeaderLink& link, DbMemberHolder& holder,
                     std::function<void()> request_pass)
      : state_(state), local_(local), link_(link), holder_(holder),
        request_pass_(std::move(request_pass)) {}

  // The operator's order, on the node agentctl ran on (blocking: may ask NODE's agent).
  api::AdminAnswer force(const std::string& node);
  // NODE's side: `node` must be this node, a Galera member not in a primary component.
  api::PeerReply accept(const std::string& node);

 private:
  // "" when `node` may be forced from this node's view of the desired state.
  std::string refusal(const std::string& node) const;

  const NodeState& state_;
  const common::LocalConfig& local_;
  const LeaderLink& link_;
  DbMemberHolder& holder_;
  std::function<void()> request_pass_;
};

}  // namespace pydio::agent
