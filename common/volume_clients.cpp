#include "common/volume_clients.hpp"

namespace pydio::common {

bool node_mounts_volume(const DesiredState& desired, const NodeSpec& node,
                        const std::string& volume) {
  if (desired.find_volume(volume) == nullptr) return false;
  if (node.has_role(Role::kCompute)) return true;
  if (node.has_role(Role::kStorage) && (volume == kDataVolume || volume == kConfigVolume))
    return true;
  return node.has_role(Role::kDb) && desired.database.backup &&
         desired.database.backup->volume == volume;
}

bool node_mounts_any_volume(const DesiredState& desired, const NodeSpec& node) {
  for (const VolumeSpec& volume : desired.volumes) {
    if (node_mounts_volume(desired, node, volume.name)) return true;
  }
  return false;
}

}  // namespace pydio::common
