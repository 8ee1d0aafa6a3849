// GET /metrics: what the agent counted as it worked (the process registry) and its state now,
// read from the same snapshots `agentctl status` shows. Never runs a command: it answers on the
// event loop like /health.

#include "agent/daemon/agent_check_endpoint.hpp"
#include "agent/daemon/daemon.hpp"
#include "agent/daemon/metrics_report.hpp"
#include "common/metrics.hpp"
#include "version.hpp"

namespace pydio::agent {

std::string Daemon::metrics_text() const {
  NodeMetricsInputs in;
  in.version = common::kVersion;
  in.desired = state_.desired();
  in.desired_rejected = !state_.desired_error().empty();
  in.leader = state_.leader();
  in.resources = state_.resource_statuses();
  in.verdict = health_.verdict();
  in.draining = agent_check_draining(in.desired.get(), local_.node_name, state_.draining());
  const common::NodeSpec* self = in.desired ? in.desired->find_node(local_.node_name) : nullptr;
  if (self != nullptr && self->has_role(common::Role::kCompute)) in.release = release_report_.get();
  if (self != nullptr && self->has_role(common::Role::kDb)) {
    in.db = db_member_.get();
    const nlohmann::json backup = db_backup_.report();
    const auto newest = "/catalog/newest/finishedAtSeconds"_json_pointer;
    if (backup.contains(newest) && backup.at(newest).is_number_integer())
      in.newest_backup_at = backup.at(newest).get<std::int64_t>();
  }
  return common::metrics::process_registry().render() + render_node_metrics(in);
}

}  // namespace pydio::agent
