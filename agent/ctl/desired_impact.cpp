// Which resources on which nodes a change of the desired state touches (agentctl diff): each
// changed path maps to the resources that read that part of the document, named as
// `agentctl status` names them (agent/reconcile/resource_set.cpp builds them), on the nodes
// whose roles run them. A unit test checks the names against resource_names().

#include <algorithm>

#include "agent/ctl/desired_diff.hpp"
#include "agent/resources/data_brick_resource.hpp"
#include "common/text.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent::ctl {

namespace {

using common::DesiredState;
using common::Role;

// "n1, n2" or "no node" for the nodes with `role`.
std::string nodes_with(const DesiredState& state, Role role) {
  std::vector<std::string> names;
  for (const auto* node : state.nodes_with_role(role)) names.push_back(node->name);
  return names.empty() ? "no node" : common::join(names, ", ");
}

// "n1, n2" or "no node" for the nodes that mount `volume` (common/volume_clients.hpp).
std::string nodes_mounting(const DesiredState& state, const std::string& volume) {
  std::vector<std::string> names;
  for (const auto& node : state.nodes)
    if (common::node_mounts_volume(state, node, volume)) names.push_back(node.name);
  return names.empty() ? "no node" : common::join(names, ", ");
}

// What a node with `role` runs, for node `name` of `state`.
std::string role_resources(Role role, const common::NodeSpec& node, const DesiredState& state) {
  switch (role) {
    case Role::kStorage: {
      std::vector<std::string> parts;
      for (const auto& brick : node.bricks) parts.push_back(brick_resource_name(brick.name));
      parts.push_back("glusterd");
      parts.push_back("gluster-pool (probed into the pool)");
      // The leader (a storage node) writes the Pydio layout and the published document there
      // (common/volume_clients.hpp); a compute node's line lists them already.
      for (const auto& volume : state.volumes)
        if (!node.has_role(Role::kCompute) &&
            (volume.name == common::kDataVolume || volume.name == common::kConfigVolume))
          parts.push_back("fuse-mount/" + volume.name);
      std::vector<std::string> grow;
      for (const auto& volume : state.volumes)
        if (node.find_brick(volume.brick) != nullptr) grow.push_back(volume.name);
      std::string text = common::join(parts, ", ");
      if (!grow.empty())
        text += "; volumes " + common::join(grow, "/") +
                " take its bricks once a whole replica set is available";
      return text;
    }
    case Role::kCompute: {
      std::vector<std::string> parts;
      for (const auto& volume : state.volumes) parts.push_back("fuse-mount/" + volume.name);
      for (const char* name :
           {"packages", "php", "apache-vhost", "pydio-wiring", "pydio-seed", "check-file"})
        parts.emplace_back(name);
      return common::join(parts, ", ");
    }
    case Role::kDb:
      return "db-server, database";
    case Role::kLb:
      return "haproxy";
  }
  return "";
}

std::string roles_text(const common::NodeSpec& node) {
  std::vector<std::string> names;
  for (Role role : node.roles) names.push_back(common::role_name(role));
  return common::join(names, ", ");
}

std::string node_added(const common::NodeSpec& node, const DesiredState& state) {
  std::string line = "node " + node.name + " added (" + roles_text(node) + ")";
  for (Role role : node.roles)
    line += "; " + common::role_name(role) + ": " + role_resources(role, node, state);
  return line;
}

// "nodes[n3].roles" -> {"n3", ".roles"}; "web.php.x" -> {"", ""}.
std::pair<std::string, std::string> element(const std::string& path, const std::string& list) {
  const std::string prefix = list + "[";
  if (path.rfind(prefix, 0) != 0) return {"", ""};
  const auto close = path.find(']', prefix.size());
  if (close == std::string::npos) return {"", ""};
  return {path.substr(prefix.size(), close - prefix.size()), path.substr(close + 1)};
}

std::string node_line(const FieldChange& change, const DesiredState& before,
                      const DesiredState& after) {
  using Kind = FieldChange::Kind;
  if (change.path == "nodes")
    return "every volume: the order of nodes is the order of bricks in replica sets added from "
           "now on (bricks already in a volume stay)";
  const auto [name, rest] = element(change.path, "nodes");
  const common::NodeSpec* now = after.find_node(name);
  const common::NodeSpec* was = before.find_node(name);
  if (rest.empty() && change.kind == Kind::kAdded && now != nullptr) return node_added(*now, after);
  if (rest.empty() && change.kind == Kind::kRemoved)
    return "node " + name +
           " removed: no agent manages it as part of the cluster any more; bricks of it that "
           "volumes hold are reported, never removed";
  if (rest == ".roles" && (change.kind == Kind::kItemAdded || change.kind == Kind::kItemRemoved)) {
    const bool added = change.kind == Kind::kItemAdded;
    const std::string role_text = (added ? change.after : change.before).get<std::string>();
    const auto role = common::parse_role(role_text);
    const common::NodeSpec* node = added ? now : was;
    if (!role || node == nullptr) return "node " + name + ": roles";
    return "node " + name + ": role " + role_text + (added ? " added: " : " removed: ") +
           role_resources(*role, *node, added ? after : before) +
           (added ? "" : " no longer managed there");
  }
  if (rest.rfind(".bricks", 0) == 0) {
    const auto [brick, brick_rest] = element(rest.substr(1), "bricks");
    (void)brick_rest;
    if (brick.empty()) return "node " + name + ": bricks";
    return "node " + name + ": " + brick_resource_name(brick) +
           (change.kind == Kind::kRemoved && brick_rest.empty() ? " no longer managed" : "");
  }
  if (rest == ".address")
    return "node " + name +
           ": address (its gluster peer identity and peer API address; every node)";
  return "node " + name;
}

std::string volume_line(const FieldChange& change, const DesiredState& after) {
  const auto [name, rest] = element(change.path, "volumes");
  const std::string mounting = nodes_mounting(after, name);
  if (rest.empty() && change.kind == FieldChange::Kind::kAdded)
    return "volume/" + name + " created by the leader; fuse-mount/" + name + " on " + mounting;
  if (rest.empty() && change.kind == FieldChange::Kind::kRemoved)
    return "volume/" + name + " and fuse-mount/" + name +
           " no longer managed (the gluster volume is never deleted)";
  if (rest.rfind(".options", 0) == 0)
    return "volume/" + name + ": options set by the leader (gluster volume set)";
  if (rest == ".mountpoint") return "fuse-mount/" + name + " on " + mounting;
  return "volume/" + name + ": layout (an existing volume is never re-laid out or shrunk)";
}

std::string section_line(const FieldChange& change, const DesiredState& before,
                         const DesiredState& after) {
  const std::string& path = change.path;
  const auto under = [&](const std::string& prefix) {
    return path == prefix || path.rfind(prefix + ".", 0) == 0 || path.rfind(prefix + "[", 0) == 0;
  };
  const std::string compute = nodes_with(after, Role::kCompute);
  if (under("nodes")) return node_line(change, before, after);
  if (under("volumes")) return volume_line(change, after);
  if (under("web.php")) return "php on " + compute;
  if (under("web.release") || under("web.rollout")) return "pydio-release on " + compute;
  if (under("web")) return "apache-vhost, pydio-wiring, check-file on " + compute;
  if (under("database.backup")) return "db-backup on " + nodes_with(after, Role::kDb);
  if (under("database"))
    return "db-server, database on " + nodes_with(after, Role::kDb) +
           "; pydio-wiring, db-proxy on " + compute;
  if (under("loadBalancer")) return "haproxy on " + nodes_with(after, Role::kLb);
  if (under("security")) return "gluster-tls on every storage and compute node";
  if (under("cluster")) return "cluster name (status and events; no resource)";
  if (under("joinTokens")) return "join tokens (no resource; agentctl token manages them)";
  return path;
}

}  // namespace

std::vector<std::string> impact_of(const std::vector<FieldChange>& fields,
                                   const DesiredState& before, const DesiredState& after) {
  std::vector<std::string> lines;
  for (const FieldChange& change : fields) {
    std::string line = section_line(change, before, after);
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
  }
  return lines;
}

}  // namespace pydio::agent::ctl
