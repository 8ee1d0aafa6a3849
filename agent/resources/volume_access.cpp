#include "agent/resources/volume_access.hpp"

#include <algorithm>

#include "agent/resources/volume_actions.hpp"
#include "common/text.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent {

namespace {

// The storage nodes (servers of every volume) and the nodes that mount `volume`.
std::vector<std::string> cluster_members(const common::DesiredState& desired,
                                         const std::string& volume,
                                         std::string common::NodeSpec::*field) {
  std::vector<std::string> values;
  for (const auto& node : desired.nodes) {
    if (!node.has_role(common::Role::kStorage) &&
        !common::node_mounts_volume(desired, node, volume))
      continue;
    const std::string& value = node.*field;
    if (value.empty()) continue;
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return values;
}

std::string host_of(const std::string& endpoint) { return endpoint.substr(0, endpoint.rfind(':')); }

bool has_value(const common::GlusterVolume& volume, const std::string& key,
               const std::string& value) {
  auto found = volume.options.find(key);
  return found != volume.options.end() && found->second == value;
}

}  // namespace

std::map<std::string, std::string> gluster_tls_volume_options() {
  return {{"client.ssl", "on"}, {"server.ssl", "on"}};
}

std::string cluster_auth_allow(const common::DesiredState& desired, const std::string& volume) {
  return common::join(cluster_members(desired, volume, &common::NodeSpec::address), ",");
}

std::string cluster_ssl_allow(const common::DesiredState& desired, const std::string& volume) {
  if (!desired.security.gluster_tls) return "";
  return common::join(cluster_members(desired, volume, &common::NodeSpec::name), ",");
}

std::vector<Action> access_actions(const std::string& volume_name, const VolumeAccess& wanted,
                                   const common::GlusterVolume* volume, std::int64_t term) {
  std::vector<Action> actions;
  if (!wanted.auth_allow.empty()) {
    std::string value = wanted.auth_allow;
    if (volume != nullptr) {
      for (const auto& brick : volume->brick_endpoints()) {
        const std::string host = host_of(brick);
        if (("," + value + ",").find("," + host + ",") == std::string::npos) value += "," + host;
      }
    }
    if (volume == nullptr || !has_value(*volume, kAuthAllowOption, value))
      actions.push_back(make_action<VolumeAction>(
          "allow only the cluster's nodes to mount volume " + volume_name + ": set option " +
              kAuthAllowOption + "=" + value,
          SetVolumeOption{volume_name, kAuthAllowOption, value, term}));
  }
  if (!wanted.ssl_allow.empty() &&
      (volume == nullptr || !has_value(*volume, kSslAllowOption, wanted.ssl_allow)))
    actions.push_back(make_action<VolumeAction>(
        "allow only the cluster's certificates to mount volume " + volume_name + ": set option " +
            kSslAllowOption + "=" + wanted.ssl_allow,
        SetVolumeOption{volume_name, kSslAllowOption, wanted.ssl_allow, term}));
  return actions;
}

}  // namespace pydio::agent
