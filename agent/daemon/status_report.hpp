#pragma once
// This node's status document, as `agentctl status` and the peer API's node report show it
// (field names: api/admin_api.hpp). Built from snapshots only: it never runs a command.

#include <nlohmann/json.hpp>

#include "agent/daemon/node_state.hpp"
#include "agent/health/health_view.hpp"
#include "common/local_config.hpp"

namespace pydio::agent {

nlohmann::json node_status(const NodeState& state, const common::LocalConfig& local,
                           const HealthVerdict& verdict);

}  // namespace pydio::agent
