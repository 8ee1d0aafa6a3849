#pragma once
// This db node's side of `agentctl db restore` (docs/operations.md, "Restoring a backup"): the
// hold on its MariaDB server (agent/host/db_hold.hpp), asked by the restoring db node over the
// peer API (POST /v1/peer/db-hold, db-release, db-set-aside) or directly when it is this node.
// A hold is written first and only then waited for: the db-server resource stops the server
// and plans "held: <reason>", which is what hold() waits to see. Thread-safe: the hold file
// is the only state; the calls that change it are serialized by a mutex.

#include <chrono>
#include <mutex>
#include <string>

#include "agent/api/peer_api.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/host/services.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class DbHoldService {
 public:
  DbHoldService(NodeState& state, const common::LocalConfig& local, Services& services,
                common::ProcessRunner& runner)
      : state_(state), local_(local), services_(services), runner_(runner) {}

  // Holds the server and waits (at most kStopBound) until the db-server resource has stopped
  // it and waits for the release. 200 {"held":node}; 409 not a db node; 504 not stopped in time
  // (the hold stays: the resource goes on stopping it).
  api::PeerReply hold(const std::string& reason);
  // Removes the hold and asks for a pass. 200 {"released":node}.
  api::PeerReply release();
  // REQUIRES a hold and a stopped server (409 otherwise). 200 {"node","setAside":path}.
  api::PeerReply set_aside();
  // The restoring node, before it starts the restored server itself: the hold stays, but the
  // resource leaves the running server alone.
  common::Status keep_running(const std::string& reason);

  // The peer routes: `caller` must be another db node of the desired state in force.
  api::PeerReply hold_for(const std::string& caller, const std::string& reason);
  api::PeerReply release_for(const std::string& caller);
  api::PeerReply set_aside_for(const std::string& caller);

  static constexpr std::chrono::seconds kStopBound{180};

 private:
  // "" when this node is a db node of the desired state in force, else why not.
  std::string not_db_node() const;
  // "" when `caller` is a db node other than this one.
  std::string caller_refusal(const std::string& caller) const;
  // True once db-server's last plan, made with no operation in flight, says "held: <reason>".
  bool resource_holds(const std::string& reason) const;

  NodeState& state_;
  const common::LocalConfig& local_;
  Services& services_;
  common::ProcessRunner& runner_;
  std::mutex mutex_;  // one change of the hold at a time
};

}  // namespace pydio::agent
