#pragma once
// This node's status document, as `agentctl status` and the peer API's node report show it
// (field names: api/admin_api.hpp). Built from snapshots only: it never runs a command.

#include <nlohmann/json.hpp>

#include "agent/daemon/node_state.hpp"
#include "agent/health/health_view.hpp"
#include "agent/reconcile/reconciler.hpp"
#include "common/local_config.hpp"

namespace pydio::agent {

nlohmann::json node_status(const NodeState& state, const common::LocalConfig& local,
                           const HealthVerdict& verdict);

// The plan document of `agentctl plan` (GET /v1/plan; field names: api/admin_api.hpp): a dry
// run of `reconciler` (null: none started yet, no resources) under `desired`, the document in
// force. Changes nothing and blocks while the resources observe. An error when `desired` is
// null (no desired state yet).
common::Expected<nlohmann::json> plan_report(const common::DesiredState* desired,
                                             Reconciler* reconciler);

}  // namespace pydio::agent
