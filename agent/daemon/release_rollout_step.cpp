#include "agent/daemon/release_rollout_step.hpp"

#include <algorithm>
#include <map>

#include "common/printable_text.hpp"
#include "common/release_target.hpp"
#include "common/text.hpp"

namespace pydio::agent {

using common::RolloutPhase;
using common::RolloutSpec;
using nlohmann::json;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool bool_at(const json& object, const char* key, bool otherwise) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : otherwise;
}

// HAProxy sends new sessions to a server whose status is UP ("UP 1/2" is going down but still
// UP); DRAIN, NOLB, MAINT and DOWN get none.
bool in_rotation(const BalancerServer& server) { return starts_with(server.status, "UP"); }

const BalancerServer* find_server(const NodeRolloutState& lb, const std::string& name) {
  for (const auto& server : lb.servers)
    if (server.name == name) return &server;
  return nullptr;
}

std::string describe(const BalancerServer* server) {
  if (server == nullptr) return "not listed";
  return server->status + " scur " + std::to_string(server->sessions);
}

// Why this lb node's answer cannot be used; "" when it can.
std::string balancer_unknown(const NodeRolloutState& lb) {
  if (!lb.reachable) return "lb " + lb.name + " unreachable (" + lb.error + ")";
  if (!lb.balancer_known)
    return "lb " + lb.name + " reports no servers" +
           (lb.balancer_error.empty() ? "" : " (" + lb.balancer_error + ")");
  return "";
}

struct Inputs {
  const common::DesiredState& desired;
  const RolloutSpec& rollout;
  std::string version;
  std::vector<std::string> compute;  // document order
  std::vector<NodeRolloutState> lbs;
  std::map<std::string, NodeRolloutState> by_name;
  std::int64_t now;

  const NodeRolloutState& node(const std::string& name) {
    auto found = by_name.find(name);
    if (found == by_name.end())
      found = by_name.emplace(name, unreachable_node(name, "no report")).first;
    return found->second;
  }
  std::int64_t elapsed() const { return std::max<std::int64_t>(0, now - rollout.since); }
  std::string prefix() const { return "rollout of " + version + ": "; }
};

RolloutStep commit(std::optional<RolloutSpec> next, const std::string& what) {
  RolloutStep step;
  step.kind = RolloutStep::Kind::kCommit;
  step.next = std::move(next);
  step.event = what;
  step.progress = what;
  return step;
}

RolloutStep wait(const Inputs& in, const std::string& what) {
  RolloutStep step;
  step.kind = RolloutStep::Kind::kWait;
  step.progress = in.prefix() + in.rollout.node + " " +
                  common::rollout_phase_name(in.rollout.phase) + " for " +
                  std::to_string(in.elapsed()) + " s; waiting for " + what;
  return step;
}

RolloutSpec moved(const Inputs& in, const std::string& node, RolloutPhase phase) {
  RolloutSpec next = in.rollout;
  next.node = node;
  next.phase = phase;
  next.since = in.now;
  return next;
}

// Whether compute node `other` takes users while `node` is out: "" yes, else why not.
std::string not_serving(Inputs& in, const std::string& other) {
  if (in.lbs.empty()) {
    const NodeRolloutState& state = in.node(other);
    if (!state.reachable) return other + " unreachable (" + state.error + ")";
    if (!state.healthy) return other + " unhealthy (" + state.health_reason + ")";
    return "";
  }
  for (const auto& lb : in.lbs) {
    if (std::string unknown = balancer_unknown(lb); !unknown.empty()) return unknown;
    const BalancerServer* server = find_server(lb, other);
    if (server == nullptr || !in_rotation(*server))
      return "lb " + lb.name + " lists " + other + " " + describe(server);
  }
  return "";
}

// Whether `name` has the release unpacked beside its current one: "" yes, else what is waited
// for. A node is drained only once it has: staging can take long (a large archive) or fail
// (then the node's pydio-release resource says why), and neither may keep a node out of service.
std::string stage_missing(Inputs& in, const std::string& name) {
  const NodeRolloutState& node = in.node(name);
  if (!node.reachable) return name + " (unreachable: " + node.error + ")";
  if (node.current == in.rollout.release || contains(node.staged, in.rollout.release)) return "";
  return name + " to stage the release (agentctl status on " + name + ": pydio-release)";
}

RolloutStep between_nodes(Inputs& in) {
  std::string next;
  for (const auto& name : in.compute) {
    if (!contains(in.rollout.done, name)) {
      next = name;
      break;
    }
  }
  if (next.empty()) return commit(std::nullopt, "rollout of " + in.version + " finished");
  if (std::string missing = stage_missing(in, next); !missing.empty()) {
    RolloutStep step;
    step.kind = RolloutStep::Kind::kWait;
    step.progress = in.prefix() + next + " next; waiting for " + missing;
    return step;
  }
  if (in.compute.size() == 1) {
    return commit(moved(in, next, RolloutPhase::kDraining),
                  in.prefix() + next + " draining (not hitless: one compute node)");
  }
  // Some other compute node must take the users while `next` is out (any one will do; an
  // lb node must list the same one in rotation).
  std::vector<std::string> why;
  for (const auto& other : in.compute) {
    if (other == next) continue;
    const std::string reason = not_serving(in, other);
    if (reason.empty())
      return commit(moved(in, next, RolloutPhase::kDraining), in.prefix() + next + " draining");
    why.push_back(reason);
  }
  RolloutStep step;
  step.kind = RolloutStep::Kind::kWait;
  step.progress = in.prefix() + next + " next; waiting for another compute node to serve (" +
                  common::join(why, "; ") + ")";
  return step;
}

// Whether the balancers let the node go: "" yes, else what is waited for.
std::string still_held(Inputs& in) {
  const std::string& name = in.rollout.node;
  const std::int64_t elapsed = in.elapsed();
  if (in.lbs.empty()) {
    const std::int64_t left = in.desired.web.drain_seconds - elapsed;
    if (left <= 0) return "";
    return std::to_string(left) + " s more (web.drainSeconds) for the balancer to let " + name +
           " go";
  }
  std::vector<std::string> held;
  for (const auto& lb : in.lbs) {
    std::string unknown = balancer_unknown(lb);
    const BalancerServer* server = unknown.empty() ? find_server(lb, name) : nullptr;
    if (server != nullptr && !in_rotation(*server) && server->sessions == 0) continue;
    held.push_back(unknown.empty() ? "lb " + lb.name + " lists " + name + " " + describe(server)
                                   : unknown);
  }
  if (held.empty()) return "";
  const std::int64_t left = in.desired.load_balancer.drain_timeout_seconds - elapsed;
  if (left <= 0) return "";
  return "the balancers to let " + name + " go (" + common::join(held, "; ") + "; at most " +
         std::to_string(left) + " s more)";
}

// The node's own verdict on the release: "" when it did not fail there.
std::string failure(Inputs& in) {
  const NodeRolloutState& node = in.node(in.rollout.node);
  if (!node.reachable || node.failed_release != in.rollout.release) return "";
  return node.failed_reason.empty() ? "the release failed its check" : node.failed_reason;
}

// web.rollout.stopped is one line of at most 1024 characters (the validator's rule): a PHP
// error may span lines.
RolloutStep stop(Inputs& in, const std::string& reason) {
  RolloutSpec next = in.rollout;
  // A report is another agent's text: one valid UTF-8 line, or the commit could not be written.
  next.stopped = common::printable_line(in.rollout.node + ": " + reason, 1000);
  return commit(next, "rollout of " + in.version + " stopped: " + next.stopped);
}

RolloutStep draining(Inputs& in) {
  if (std::string failed = failure(in); !failed.empty()) return stop(in, failed);
  if (std::string missing = stage_missing(in, in.rollout.node); !missing.empty())
    return wait(in, missing);
  if (std::string held = still_held(in); !held.empty()) return wait(in, held);
  return commit(moved(in, in.rollout.node, RolloutPhase::kSwitching),
                in.prefix() + in.rollout.node + " switching");
}

RolloutStep switching(Inputs& in) {
  if (std::string failed = failure(in); !failed.empty()) return stop(in, failed);
  const NodeRolloutState& node = in.node(in.rollout.node);
  if (!node.reachable) return wait(in, in.rollout.node + " (unreachable: " + node.error + ")");
  if (node.current != in.rollout.release) return wait(in, in.rollout.node + " to run the release");
  if (!node.serving) return wait(in, in.rollout.node + " to serve (" + node.health_reason + ")");
  return commit(moved(in, in.rollout.node, RolloutPhase::kUndraining),
                in.prefix() + in.rollout.node + " undraining");
}

RolloutStep undraining(Inputs& in) {
  const std::string& name = in.rollout.node;
  if (in.lbs.empty()) {
    const NodeRolloutState& node = in.node(name);
    if (!node.reachable) return wait(in, name + " (unreachable: " + node.error + ")");
    if (!node.healthy) return wait(in, name + " to be healthy (" + node.health_reason + ")");
  } else {
    for (const auto& lb : in.lbs) {
      if (std::string unknown = balancer_unknown(lb); !unknown.empty()) return wait(in, unknown);
      const BalancerServer* server = find_server(lb, name);
      if (server == nullptr || !in_rotation(*server))
        return wait(in,
                    "lb " + lb.name + " to list " + name + " UP (now " + describe(server) + ")");
    }
  }
  RolloutSpec next = moved(in, "", RolloutPhase::kNone);
  next.done.push_back(name);
  return commit(next, in.prefix() + name + " done");
}

}  // namespace

NodeRolloutState node_rollout_state(const std::string& name, const json& report) {
  NodeRolloutState state;
  state.name = name;
  state.reachable = report.is_object();
  if (!state.reachable) {
    state.error = "malformed report";
    return state;
  }
  const json health = report.value("health", json::object());
  if (health.is_object()) {
    state.healthy = bool_at(health, "healthy", false);
    state.serving = bool_at(health, "serving", state.healthy);
    const auto reasons = health.find("reasons");
    if (reasons != health.end() && reasons->is_array() && !reasons->empty() &&
        reasons->front().is_string())
      state.health_reason = reasons->front().get<std::string>();
  }
  const json release = report.value("release", json::object());
  if (release.is_object()) {
    state.current = string_at(release, "current");
    const auto staged = release.find("staged");
    if (staged != release.end() && staged->is_array())
      for (const auto& sha : *staged)
        if (sha.is_string()) state.staged.push_back(sha.get<std::string>());
    const auto failed = release.find("failed");
    if (failed != release.end() && failed->is_object()) {
      state.failed_release = string_at(*failed, "release");
      state.failed_reason = string_at(*failed, "reason");
    }
  }
  const json balancer = report.value("balancer", json());
  if (balancer.is_object()) {
    state.balancer_error = string_at(balancer, "error");
    const auto servers = balancer.find("servers");
    state.balancer_known =
        state.balancer_error.empty() && servers != balancer.end() && servers->is_array();
    if (state.balancer_known) {
      for (const auto& item : *servers) {
        if (!item.is_object()) continue;
        BalancerServer server;
        server.name = string_at(item, "name");
        server.status = string_at(item, "status");
        const auto sessions = item.find("sessions");
        if (sessions != item.end() && sessions->is_number_integer())
          server.sessions = sessions->get<int>();
        state.servers.push_back(server);
      }
    }
  }
  return state;
}

NodeRolloutState unreachable_node(const std::string& name, const std::string& error) {
  NodeRolloutState state;
  state.name = name;
  state.error = error;
  return state;
}

std::string rollout_version(const common::WebSpec& web) {
  if (!web.rollout) return "";
  if (web.release && web.release->sha256 == web.rollout->release && !web.release->version.empty())
    return web.release->version;
  return common::release_id(web.rollout->release);
}

RolloutStep next_rollout_step(const common::DesiredState& desired,
                              const std::vector<NodeRolloutState>& nodes, std::int64_t now) {
  if (!desired.web.rollout || !desired.web.rollout->stopped.empty()) return {};
  Inputs in{desired, *desired.web.rollout, rollout_version(desired.web), {}, {}, {}, now};
  for (const auto& node : nodes) in.by_name[node.name] = node;
  for (const auto& node : desired.nodes) {
    if (node.has_role(common::Role::kCompute)) in.compute.push_back(node.name);
    if (node.has_role(common::Role::kLb)) in.lbs.push_back(in.node(node.name));
  }
  const RolloutSpec& rollout = in.rollout;
  if (rollout.node.empty() || rollout.phase == RolloutPhase::kNone) return between_nodes(in);
  if (!contains(in.compute, rollout.node)) {
    // Removed from the desired state (or no longer compute) mid-phase: nothing left to switch.
    return commit(moved(in, "", RolloutPhase::kNone),
                  in.prefix() + rollout.node + " is no longer a compute node; skipped");
  }
  switch (rollout.phase) {
    case RolloutPhase::kDraining:
      return draining(in);
    case RolloutPhase::kSwitching:
      return switching(in);
    case RolloutPhase::kUndraining:
      return undraining(in);
    case RolloutPhase::kNone:
      break;
  }
  return between_nodes(in);
}

std::string rollout_status_line(const common::DesiredState& desired, std::int64_t now) {
  const common::WebSpec& web = desired.web;
  if (!web.rollout) return "";
  const RolloutSpec& rollout = *web.rollout;
  if (!rollout.stopped.empty()) return "rollout stopped: " + rollout.stopped;
  std::string line = "rollout: " + rollout_version(web);
  if (!rollout.node.empty()) {
    line += " on " + rollout.node + " (" + common::rollout_phase_name(rollout.phase) + " since " +
            std::to_string(std::max<std::int64_t>(0, now - rollout.since)) + " s)";
  } else {
    line += rollout.done.empty() ? " (starting)" : " (between nodes)";
  }
  if (!rollout.done.empty()) line += ", done " + common::join(rollout.done, ", ");
  if (desired.nodes_with_role(common::Role::kCompute).size() == 1)
    line += "; not hitless: one compute node";
  return line;
}

}  // namespace pydio::agent
