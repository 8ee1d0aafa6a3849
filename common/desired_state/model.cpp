// Look-ups on the desired-state model and the names of roles.

#include "common/desired_state.hpp"

namespace pydio::common {

namespace {

struct RoleName {
  Role role;
  const char* name;
};
constexpr RoleName kRoleNames[] = {
    {Role::kStorage, "storage"}, {Role::kCompute, "compute"}, {Role::kDb, "db"}, {Role::kLb, "lb"}};

}  // namespace

bool NodeSpec::has_role(Role role) const {
  for (Role mine : roles) {
    if (mine == role) return true;
  }
  return false;
}

const BrickSpec* NodeSpec::find_brick(const std::string& brick_name) const {
  for (const auto& brick : bricks) {
    if (brick.name == brick_name) return &brick;
  }
  return nullptr;
}

std::string web_install_dir(const WebSpec& web) {
  if (web.release) {  // the agent's releases: <docroot>/current links to the one served
    std::string dir = web.docroot;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir + "/current";
  }
  return web.install_dir.empty() ? web.docroot : web.install_dir;
}

std::string web_conf_dir(const WebSpec& web) {
  if (!web.conf_dir.empty()) return web.conf_dir;
  std::string dir = web_install_dir(web);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/conf";
}

std::string web_local_cache_dir(const WebSpec& web) {
  return web.local_cache_dir.empty() ? kDefaultLocalCacheDir : web.local_cache_dir;
}

const NodeSpec* DesiredState::find_node(const std::string& node_name) const {
  for (const auto& node : nodes) {
    if (node.name == node_name) return &node;
  }
  return nullptr;
}

const VolumeSpec* DesiredState::find_volume(const std::string& volume_name) const {
  for (const auto& volume : volumes) {
    if (volume.name == volume_name) return &volume;
  }
  return nullptr;
}

std::vector<const NodeSpec*> DesiredState::nodes_with_role(Role role) const {
  std::vector<const NodeSpec*> found;
  for (const auto& node : nodes) {
    if (node.has_role(role)) found.push_back(&node);
  }
  return found;
}

std::vector<std::string> DesiredState::brick_endpoints(const VolumeSpec& volume) const {
  std::vector<std::string> endpoints;
  for (const auto& node : nodes) {
    if (!node.has_role(Role::kStorage) || node.find_brick(volume.brick) == nullptr) continue;
    endpoints.push_back(node.address + ":" + brick_path(node, volume));
  }
  return endpoints;
}

std::string brick_path(const NodeSpec& node, const VolumeSpec& volume) {
  const BrickSpec* brick = node.find_brick(volume.brick);
  if (brick == nullptr) return "";
  if (brick->device) return brick->mountpoint + "/" + volume.name;
  return brick->directory.value_or("");
}

bool LoadBalancerSpec::operator==(const LoadBalancerSpec& o) const {
  return bind == o.bind && tls_certificate == o.tls_certificate && tls_bind == o.tls_bind &&
         stats_port == o.stats_port && check_interval_ms == o.check_interval_ms && fall == o.fall &&
         rise == o.rise && agent_port == o.agent_port && agent_interval_ms == o.agent_interval_ms &&
         session_cookie == o.session_cookie && timeout_seconds == o.timeout_seconds &&
         drain_timeout_seconds == o.drain_timeout_seconds;
}

std::vector<std::string> effective_trusted_proxies(const DesiredState& state) {
  if (!state.web.trusted_proxies.empty()) return state.web.trusted_proxies;
  std::vector<std::string> addresses;
  for (const NodeSpec* node : state.nodes_with_role(Role::kLb)) addresses.push_back(node->address);
  return addresses;
}

std::string role_name(Role role) {
  for (const auto& entry : kRoleNames) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";
}

std::optional<Role> parse_role(const std::string& name) {
  for (const auto& entry : kRoleNames) {
    if (name == entry.name) return entry.role;
  }
  return std::nullopt;
}

}  // namespace pydio::common
