#pragma once
// agentctl token on the daemon's side: join tokens are entries of the signed desired state
// (common::JoinTokenSpec), so creating or deleting one is a change of it, put in force by the
// leader like any other (ChangeCommitter::propose) and followed by every node. The secret of a
// new token exists only in create()'s answer. Only storage nodes (which decide joins and may
// change the desired state) manage tokens; any node lists them.
// Calls may block for a bounded time: run them on the daemon's blocking pool.

#include <chrono>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class TokenChanges {
 public:
  TokenChanges(NodeState& state, ChangeCommitter& changes) : state_(state), changes_(changes) {}

  // A new token valid for `ttl` from now: {"id","token","expires","description","generation",
  // "joinCommand"}; returns once this node follows the generation that holds it (so the join
  // command it prints works here at once), or after a bound.
  api::AdminAnswer create(std::chrono::seconds ttl, const std::string& description);
  // {"now","tokens":[{"id","expires","expired","description"}]}: never a secret or its hash.
  api::AdminAnswer list() const;
  // Removes token `id`: every storage node refuses it once it follows the new generation.
  api::AdminAnswer remove(const std::string& id);

 private:
  // Proposes the document in force changed by `edit` (retried when another change won the
  // generation); `edit` returns an error reply to give up. The reply of the last attempt.
  template <typename Edit>
  api::PeerReply change_tokens(Edit edit);

  NodeState& state_;
  ChangeCommitter& changes_;
};

}  // namespace pydio::agent
