#pragma once
// The leader's decision in a rolling rollout of a release (release_rollout.hpp), pure: from the
// desired state in force (web.rollout, the nodes and their roles, the drain timeouts), what the
// compute and lb nodes report (GET /v1/peer/node: "health", "release", on lb nodes "balancer")
// and the time, the next web.rollout to put in force, or what the rollout waits for.
//   between nodes (node "") -> N draining: N is the next compute node in document order not in
//                   `done`, once another compute node serves (every lb node lists its server UP,
//                   not DRAIN; no lb node: its /health is healthy). N the only compute node: at
//                   once (not hitless). No compute node left: web.rollout removed (finished).
//   draining   -> switching   once N staged the release and the balancers let N go: every lb
//                             node lists N's server out of rotation with 0 sessions, or
//                             loadBalancer.drainTimeoutSeconds passed (no lb node:
//                             web.drainSeconds)
//   switching  -> undraining  once N runs the release and serves (/health/serving)
//   draining, switching -> stopped "<N>: <reason>" once N reports the release failed there
//   undraining -> between nodes, N done, once every lb node lists N's server UP, not DRAIN
//                             (no lb node: N's /health is healthy)
// A node that does not answer is waited for (only the drain timeouts end a wait). The decision
// reads nothing but its inputs: a new leader resumes from the phase committed last.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::agent {

// One server of an lb node's HAProxy backend, as its report says ("balancer"."servers").
struct BalancerServer {
  std::string name;    // the compute node's name
  std::string status;  // HAProxy's: "UP", "DRAIN (agent)", "DOWN", "MAINT", "UP 1/2", ...
  int sessions = 0;    // scur
};

// What the rollout reads of one node's report.
struct NodeRolloutState {
  std::string name;
  bool reachable = false;
  std::string error;          // why there is no report (unreachable)
  bool healthy = false;       // /health: the verdict, drains included (what an ELB follows)
  bool serving = false;       // /health/serving: the verdict without drains (what HAProxy checks)
  std::string health_reason;  // the first reason when not healthy
  // "release" (compute nodes): sha256s, "" none.
  std::string current;
  std::vector<std::string> staged;
  std::string failed_release;
  std::string failed_reason;
  // "balancer" (lb nodes): whether the servers are known, and why not.
  bool balancer_known = false;
  std::string balancer_error;
  std::vector<BalancerServer> servers;
};

// From a node report (a report without "serving", from an older agent, reads serving as
// healthy; one without "release" or "balancer" as none).
NodeRolloutState node_rollout_state(const std::string& name, const nlohmann::json& report);
// A node that gave no report.
NodeRolloutState unreachable_node(const std::string& name, const std::string& error);

struct RolloutStep {
  enum class Kind {
    kNone,    // no rollout under way (none, or stopped)
    kWait,    // under way, waiting for what `progress` says
    kCommit,  // put `next` in force as web.rollout (nullopt: remove it, finished)
  };
  Kind kind = Kind::kNone;
  std::optional<common::RolloutSpec> next;
  std::string event;     // kCommit: "rollout of fixture-2: n1 draining"
  std::string progress;  // kWait: "rollout of fixture-2: n1 draining for 12 s; waiting for ..."
};

// The version being rolled out: web.release's when it is the release of web.rollout, else the
// release's id (12 hex digits). "" without a rollout.
std::string rollout_version(const common::WebSpec& web);

// `nodes`: the reports of the compute and lb nodes (any order; one missing reads as
// unreachable). `now`: UTC seconds.
RolloutStep next_rollout_step(const common::DesiredState& desired,
                              const std::vector<NodeRolloutState>& nodes, std::int64_t now);

// The line `agentctl status` shows for web.rollout, "" without one:
// "rollout: fixture-2 on n1 (switching since 12 s), done n2" or "rollout stopped: n1: <why>";
// with one compute node it adds "; not hitless: one compute node".
std::string rollout_status_line(const common::DesiredState& desired, std::int64_t now);

}  // namespace pydio::agent
