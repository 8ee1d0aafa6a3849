#include "agent/daemon/metrics_report.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "common/metrics.hpp"

namespace pydio::agent {

namespace {
using common::metrics::Registry;

// Resource states as status shows them: one series per state (the Prometheus enum pattern).
constexpr std::array<ResourceState, 6> kStates = {
    ResourceState::kPending, ResourceState::kInSync,  ResourceState::kChanging,
    ResourceState::kError,   ResourceState::kWaiting, ResourceState::kBlocked};

// wsrep_local_state_comment's values (MariaDB's documentation); anything else is "other".
constexpr std::array<const char*, 5> kGaleraStates = {"Joining", "Donor/Desynced", "Joined",
                                                      "Synced", "Initialized"};

double seconds_since_epoch(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

void add_resources(Registry& out, const std::vector<ResourceStatus>& resources) {
  auto& state = out.gauge("pydio_agent_resource_state",
                          "1 for the state each resource is in (as agentctl status shows it), "
                          "0 for the others.",
                          {"resource", "state"});
  auto& changed = out.gauge("pydio_agent_resource_last_change_timestamp_seconds",
                            "When the resource last changed state (Unix time).", {"resource"});
  for (const auto& resource : resources) {
    if (resource.state == ResourceState::kNotApplicable) continue;
    for (ResourceState candidate : kStates)
      state.set({resource.name, resource_state_name(candidate)}, candidate == resource.state);
    changed.set({resource.name}, seconds_since_epoch(resource.last_change));
  }
}

void add_health(Registry& out, const NodeMetricsInputs& in) {
  std::vector<std::string> codes = in.verdict.reason_codes;
  // /health counts a drain the verdict (computed before it, perhaps) does not say yet.
  const bool says_drain = std::count(codes.begin(), codes.end(), "draining") > 0 ||
                          std::count(codes.begin(), codes.end(), "rollout_drain") > 0;
  if (in.draining && !says_drain) codes.push_back("draining");
  const bool healthy = in.verdict.healthy && !in.draining;
  out.gauge("pydio_agent_healthy", "1 when GET /health answers 200 (the node can serve users).")
      .set({}, healthy);
  auto& reason = out.gauge("pydio_agent_health_reason",
                           "1 for each reason the node is unhealthy, by reason code.", {"reason"});
  for (const char* code : kHealthReasonCodes)
    reason.set({code}, std::count(codes.begin(), codes.end(), code) > 0);
}

void add_web(Registry& out, const NodeMetricsInputs& in) {
  if (in.release && !in.release->current.empty())
    out.gauge("pydio_agent_web_release_info", "The Pydio release this compute node serves.",
              {"version"})
        .set({in.release->version}, 1);
  if (in.desired) {
    const auto& rollout = in.desired->web.rollout;
    out.gauge("pydio_agent_web_rollout_in_progress",
              "1 while the leader rolls a release out (web.rollout, not stopped).")
        .set({}, rollout && rollout->stopped.empty());
  }
}

void add_database(Registry& out, const NodeMetricsInputs& in) {
  if (in.db) {
    out.gauge("pydio_agent_db_running", "1 when this db node's mariadbd runs.")
        .set({}, in.db->running);
    if (in.db->galera) {
      auto& state =
          out.gauge("pydio_agent_db_galera_state",
                    "1 for this member's wsrep_local_state_comment, 0 for the others.", {"state"});
      bool known = false;
      for (const char* name : kGaleraStates) {
        state.set({name}, in.db->state == name);
        known = known || in.db->state == name;
      }
      state.set({"other"}, !known);
      out.gauge("pydio_agent_db_galera_cluster_size", "wsrep_cluster_size seen by this member.")
          .set({}, in.db->cluster_size);
      out.gauge("pydio_agent_db_galera_primary",
                "1 when this member is in a primary component, synced and ready.")
          .set({}, in.db->primary);
    }
  }
  if (in.newest_backup_at)
    out.gauge("pydio_agent_db_backup_newest_timestamp_seconds",
              "When the newest good database backup finished (Unix time); age: time() - this.")
        .set({}, static_cast<double>(*in.newest_backup_at));
}
}  // namespace

std::string render_node_metrics(const NodeMetricsInputs& in) {
  Registry out;
  out.gauge("pydio_agent_build_info", "The agent's version.", {"version"}).set({in.version}, 1);
  out.gauge("pydio_agent_desired_generation", "Generation of the desired state in force (0: none).")
      .set({}, in.desired ? static_cast<double>(in.desired->generation) : 0);
  out.gauge("pydio_agent_desired_state_rejected",
            "1 when the last desired-state document submitted was refused (the previous stays).")
      .set({}, in.desired_rejected);
  out.gauge("pydio_agent_leader", "1 when this node holds the leader lease.")
      .set({}, in.leader.campaigning && in.leader.lease.leader);
  if (in.leader.campaigning)
    out.gauge("pydio_agent_leader_term", "Term of the lease as this node last saw it.")
        .set({}, static_cast<double>(in.leader.lease.term));
  add_resources(out, in.resources);
  add_health(out, in);
  add_web(out, in);
  add_database(out, in);
  return out.render();
}

}  // namespace pydio::agent
