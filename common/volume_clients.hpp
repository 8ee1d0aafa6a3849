#pragma once
// Which nodes mount which volume. Every compute node mounts every volume (Pydio's files and
// its configuration). Every storage node mounts pydio-data and pydio-config: only storage
// nodes lead, and the leader writes the Pydio layout, bootstrap.json and the published desired
// state into them (pydio-layout, pydio-shared, desired-state-publication), also when it has no
// compute role; every storage node mounts them, so a new leader finds them already mounted.
// With database.backup, every db node also mounts the backup volume: the
// member the leader picks writes the backup there, and any db node reads it back to restore
// (common/db_backup_catalog.hpp). Shared by the mount itself, the volume's access lists and
// the gluster TLS files, so the three always agree.

#include <string>

#include "common/desired_state.hpp"

namespace pydio::common {

bool node_mounts_volume(const DesiredState& desired, const NodeSpec& node,
                        const std::string& volume);
bool node_mounts_any_volume(const DesiredState& desired, const NodeSpec& node);

}  // namespace pydio::common
