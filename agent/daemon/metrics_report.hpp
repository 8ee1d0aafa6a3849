#pragma once
// This node's state as Prometheus gauges, rendered at scrape time from the snapshots the agent
// already holds (like status_report.hpp: it never runs a command). What the agent counts as it
// works (commands, actions, probes, lease rounds) is in the process registry
// (common/metrics.hpp); GET /metrics serves both (api/metrics_api.hpp).
// Every label value is a name the agent knows (resources, states, reason codes, Galera states)
// or the version of a release in force: no request input, no secret.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/daemon/node_state.hpp"
#include "agent/health/health_view.hpp"
#include "agent/resources/release_report.hpp"
#include "common/desired_state.hpp"
#include "common/galera_bootstrap.hpp"

namespace pydio::agent {

struct NodeMetricsInputs {
  std::string version;                                  // the agent's build
  std::shared_ptr<const common::DesiredState> desired;  // null: none in force
  bool desired_rejected = false;                        // the last document submitted was refused
  LeaderSnapshot leader;
  std::vector<ResourceStatus> resources;
  HealthVerdict verdict;
  bool draining = false;  // the operator's or the rollout's drain, as /health counts it
  std::optional<NodeReleaseReport> release;  // a compute node's pydio-release report
  std::optional<common::DbMemberReport> db;  // a db node's db-server report
  // finishedAt of the newest good backup in the backup folder, when a db node listed it.
  std::optional<std::int64_t> newest_backup_at;
};

// Pure: the exposition text of the gauges (HELP/TYPE lines, families in name order).
std::string render_node_metrics(const NodeMetricsInputs& inputs);

}  // namespace pydio::agent
