// The daemon's view of the whole cluster: what other agents report (for leader decisions and
// for `agentctl status`), the gluster pool, volumes and heal backlog. Every question has a
// bound, so a node that does not answer shows as unreachable and status never hangs.

#include <future>

#include "agent/daemon/daemon.hpp"
#include "agent/resources/data_brick_resource.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kReportTimeout = 1500ms;
constexpr auto kGlusterStatusTimeout = 3s;

bool reports_in_sync(const json& report, const std::string& resource_name) {
  if (!report.contains("resources") || !report["resources"].is_array()) return false;
  for (const auto& resource : report["resources"]) {
    if (resource.value("name", "") == resource_name)
      return resource.value("state", "") == "in-sync";
  }
  return false;
}

json gluster_section(common::ProcessRunner& runner, const common::DesiredState& desired) {
  common::GlusterCli cli(runner, kGlusterStatusTimeout);
  json out = {{"peers", json::array()}, {"volumes", json::array()}, {"error", nullptr}};
  auto pool = cli.pool_list();
  if (!pool) {
    out["error"] = pool.status().message();
    return out;
  }
  for (const auto& peer : *pool)
    out["peers"].push_back({{"names", peer.names}, {"connected", peer.connected}});
  for (const auto& spec : desired.volumes) {
    json volume = {{"name", spec.name}, {"exists", false}};
    auto info = cli.volume_info(spec.name);
    if (!info) {
      volume["error"] = info.status().message();
    } else if (info->has_value()) {
      const common::GlusterVolume& v = **info;
      volume["exists"] = true;
      volume["state"] = common::gluster_volume_state_name(v.state);
      volume["type"] = v.type;
      volume["bricks"] = v.brick_endpoints();
      if (v.started()) {
        json online = json::array();
        if (auto status = cli.volume_status(spec.name)) {
          for (const auto& brick : status->bricks)
            if (brick.online) online.push_back(brick.endpoint());
          volume["bricksOnline"] = online;
        }
        if (spec.replica > 1) {
          if (auto heal = cli.heal_summary(spec.name)) {
            int pending = 0, split = 0;
            for (const auto& brick : *heal) {
              pending += brick.pending;
              split += brick.split_brain;
            }
            volume["healPending"] = pending;
            volume["splitBrain"] = split;
          } else {
            volume["healError"] = heal.status().message();
          }
        }
      }
    }
    out["volumes"].push_back(volume);
  }
  return out;
}

std::string peer_state(const json& gluster, const std::string& address) {
  if (!gluster["error"].is_null()) return "unknown";
  for (const auto& peer : gluster["peers"]) {
    for (const auto& name : peer["names"])
      if (name == address) return peer["connected"].get<bool>() ? "connected" : "disconnected";
  }
  return "not in pool";
}

}  // namespace

std::set<std::string> Daemon::hosts_reporting_in_sync(const std::vector<std::string>& addresses,
                                                      const std::string& resource_name) const {
  std::set<std::string> ready;
  std::vector<std::string> others;
  for (const auto& address : addresses) {
    if (address != local_.address) {
      others.push_back(address);
    } else if (auto r = reconciler()) {
      for (const auto& status : r->statuses())
        if (status.name == resource_name && status.state == ResourceState::kInSync)
          ready.insert(address);
    }
  }
  const auto answers = peer_client(kReportTimeout).get_each(others, "/v1/peer/node");
  for (std::size_t i = 0; i < others.size(); ++i) {
    const auto& reply = answers[i];
    if (reply && reply->status == 200 && reports_in_sync(reply->body, resource_name))
      ready.insert(others[i]);
  }
  return ready;
}

json Daemon::cluster_status() {
  auto desired = desired_.current();
  if (!desired) return nullptr;
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  std::future<json> gluster;
  const bool storage = self != nullptr && self->has_role(common::Role::kStorage);
  if (storage) {
    gluster = std::async(std::launch::async,
                         [this, desired] { return gluster_section(runner_, *desired); });
  }
  // Every other node's report (this node answers from its own state, not over HTTP).
  std::vector<std::string> others;
  for (const auto& node : desired->nodes)
    if (node.name != local_.node_name) others.push_back(node.address);
  const auto answers = peer_client(kReportTimeout).get_each(others, "/v1/peer/node");
  json local = local_status();

  json out = {{"name", desired->cluster_name},
              {"generation", desired->generation},
              {"leader", {{"holder", ""}, {"term", 0}}},
              {"nodes", json::array()},
              {"volumes", json::array()},
              {"waiting", json::array()},
              {"warnings", json::array()}};
  json gluster_state = storage ? gluster.get() : json{{"error", "this node has no glusterd"}};
  std::size_t next_answer = 0;  // answers are in node order, this node left out
  for (const common::NodeSpec& node : desired->nodes) {
    json roles = json::array();
    for (auto role : node.roles) roles.push_back(common::role_name(role));
    json row = {{"name", node.name}, {"address", node.address}, {"roles", roles}};
    json report;
    if (node.name == local_.node_name) {
      report = local;
    } else {
      const auto& reply = answers[next_answer++];
      if (!reply) {
        row["reachable"] = false;
        row["error"] = reply.status().message();
      } else if (reply->status != 200) {
        row["reachable"] = false;
        row["error"] = reply->body.value("error", "HTTP " + std::to_string(reply->status));
      } else {
        report = reply->body;
      }
    }
    if (!report.is_null()) {
      row["reachable"] = true;
      row["healthy"] = report.value("/health/healthy"_json_pointer, false);
      row["reasons"] = report.value("/health/reasons"_json_pointer, json::array());
      row["generation"] = report.value("generation", 0);
      const json leader = report.value("leader", json::object());
      if (leader.value("isLeader", false)) {
        out["leader"] = {{"holder", node.name}, {"term", leader.value("term", 0)}};
      }
      for (const auto& resource : report.value("resources", json::array())) {
        const std::string state = resource.value("state", "");
        std::string detail = resource.value("waitingFor", "");
        if (state == "error" && resource["lastError"].is_string()) detail = resource["lastError"];
        // "leader lease" lines are every non-leader's normal state: not worth a line.
        const bool lease_wait = detail.rfind("leader lease", 0) == 0;
        if ((state == "waiting" || state == "error" || state == "in-sync") && !detail.empty() &&
            !lease_wait) {
          out["waiting"].push_back(node.name + ": " + resource.value("name", "") + ": " + detail);
        }
      }
    }
    if (node.has_role(common::Role::kStorage)) {
      row["peer"] =
          node.name == local_.node_name ? "this node" : peer_state(gluster_state, node.address);
    }
    out["nodes"].push_back(row);
  }
  if (storage) {
    out["volumes"] = gluster_state.value("volumes", json::array());
    if (!gluster_state["error"].is_null()) out["warnings"].push_back(gluster_state["error"]);
  } else {
    out["warnings"].push_back(
        "volume and peer state are shown by agentctl status on a storage node");
  }
  for (const auto& volume : desired->volumes) {
    if (volume.replica == 2 && volume.arbiter == 0) {
      out["warnings"].push_back("volume " + volume.name +
                                " is replica 2: prone to split-brain; replica 3 or replica 3 "
                                "arbiter 1 avoids it");
    }
  }
  return out;
}

}  // namespace pydio::agent
