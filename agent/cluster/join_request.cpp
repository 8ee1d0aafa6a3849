#include "agent/cluster/join_request.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "common/field_checks.hpp"

namespace pydio::agent {

using common::Role;
using nlohmann::json;

namespace {

std::string roles_text(const std::vector<Role>& roles) {
  std::string text;
  for (Role role : roles) text += (text.empty() ? "" : ",") + common::role_name(role);
  return text.empty() ? "(none)" : text;
}

bool same_roles(std::vector<Role> a, std::vector<Role> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

const common::BrickSpec* device_brick(const common::NodeSpec& node) {
  for (const auto& brick : node.bricks)
    if (brick.device) return &brick;
  return nullptr;
}

JoinRefusal refuse(JoinConflict kind, std::string message) { return {kind, std::move(message)}; }

}  // namespace

json join_request_json(const JoinRequest& request) {
  json roles = json::array();
  for (Role role : request.roles) roles.push_back(common::role_name(role));
  return {{"name", request.name},
          {"address", request.address},
          {"roles", roles},
          {"device", request.device ? json(*request.device) : json(nullptr)}};
}

common::Expected<JoinRequest> parse_join_request(const json& body) {
  JoinRequest request;
  auto text_field = [&](const char* key, std::string& out) -> common::Status {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string())
      return common::Status::error(std::string(key) + ": required, a string");
    out = it->get<std::string>();
    return common::Status::ok();
  };
  if (auto st = text_field("name", request.name); !st) return st;
  if (auto problem = common::check_name(request.name))
    return common::Status::error("name: " + *problem);
  if (auto st = text_field("address", request.address); !st) return st;
  if (auto problem = common::check_node_ipv4(request.address))
    return common::Status::error("address: " + *problem);
  if (auto it = body.find("roles"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return common::Status::error("roles: must be an array of role names");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& item = (*it)[i];
      auto role = item.is_string() ? common::parse_role(item.get<std::string>()) : std::nullopt;
      if (!role) {
        return common::Status::error("roles[" + std::to_string(i) + "]: " + item.dump() +
                                     " is not a role (storage, compute, db, lb)");
      }
      if (std::find(request.roles.begin(), request.roles.end(), *role) == request.roles.end())
        request.roles.push_back(*role);
    }
  }
  if (auto it = body.find("device"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return common::Status::error("device: must be a string");
    request.device = it->get<std::string>();
    if (auto problem = common::check_absolute_path(*request.device))
      return common::Status::error("device: " + *problem);
  }
  return request;
}

std::variant<JoinDecision, JoinRefusal> decide_join(
    const std::shared_ptr<const common::DesiredState>& current, const JoinRequest& request) {
  if (!current) return refuse(JoinConflict::kConflict, "the peer has no desired state yet");
  const common::DesiredState& state = *current;
  if (const common::NodeSpec* node = state.find_node(request.name)) {
    if (node->address != request.address) {
      return refuse(JoinConflict::kConflict, "node " + request.name +
                                                 " is already in the cluster with address " +
                                                 node->address + ", not " + request.address);
    }
    if (!request.roles.empty() && !same_roles(request.roles, node->roles)) {
      return refuse(JoinConflict::kConflict,
                    "node " + request.name + " is already in the cluster with roles " +
                        roles_text(node->roles) + ", not " + roles_text(request.roles) +
                        "; change its roles in the desired state instead");
    }
    const common::BrickSpec* brick = device_brick(*node);
    if (request.device && (brick == nullptr || brick->device != request.device)) {
      return refuse(JoinConflict::kConflict, "node " + request.name +
                                                 " is already in the cluster with data device " +
                                                 (brick ? *brick->device : std::string("(none)")) +
                                                 ", not " + *request.device);
    }
    return JoinDecision{current, true};
  }
  for (const auto& node : state.nodes) {
    if (node.address == request.address) {
      return refuse(JoinConflict::kConflict,
                    "address " + request.address + " already belongs to node " + node.name);
    }
  }
  if (request.roles.empty()) {
    return refuse(JoinConflict::kInvalid, "node " + request.name +
                                              " is not in the desired state: give its roles "
                                              "(--roles storage,compute)");
  }
  // With Galera the node reaches the members from its own address too (through its proxy).
  if (!state.database.host.empty() || state.database.galera()) {
    const auto& patterns = state.database.allowed_hosts;
    bool covered = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return host_pattern_matches(p, request.address);
    });
    if (!covered) {
      return refuse(JoinConflict::kInvalid,
                    "address " + request.address +
                        " is not covered by database.allowedHosts; add it to the desired state "
                        "first (the node could neither reach the database nor take part in the "
                        "leader election)");
    }
  }

  common::NodeSpec node;
  node.name = request.name;
  node.address = request.address;
  node.roles = request.roles;
  if (std::find(node.roles.begin(), node.roles.end(), Role::kStorage) != node.roles.end()) {
    auto storage = state.nodes_with_role(Role::kStorage);
    if (storage.empty()) {
      return refuse(JoinConflict::kInvalid,
                    "no storage node to copy the brick layout from; list node " + request.name +
                        " with its bricks in the desired state instead");
    }
    node.bricks = storage.front()->bricks;
    if (request.device && device_brick(*storage.front()) == nullptr) {
      return refuse(JoinConflict::kInvalid,
                    "storage nodes of this cluster have no data device; leave out --device");
    }
    for (auto& brick : node.bricks) {
      if (!brick.device) continue;
      if (!request.device) {
        return refuse(JoinConflict::kInvalid,
                      "storage nodes of this cluster have a data device (brick " + brick.name +
                          "): give this node's with --device");
      }
      brick.device = *request.device;
    }
  } else if (request.device) {
    return refuse(JoinConflict::kInvalid, "--device is only for storage nodes");
  }

  common::DesiredState next = state;
  next.generation = state.generation + 1;
  next.nodes.push_back(std::move(node));
  const std::vector<std::string> problems = common::validate_desired_state(next);
  if (!problems.empty()) {
    std::string errors;
    for (const auto& error : problems) errors += (errors.empty() ? "" : "; ") + error;
    return refuse(JoinConflict::kInvalid,
                  "the desired state with node " + request.name + " would be invalid: " + errors);
  }
  return JoinDecision{std::make_shared<const common::DesiredState>(std::move(next)), false};
}

}  // namespace pydio::agent
