#include "common/desired_state/cross_checks.hpp"

#include <cstddef>
#include <set>
#include <utility>

#include "common/field_checks.hpp"

namespace pydio::common::desired_state {

namespace {

using ReportedPairs = std::set<std::pair<std::size_t, std::size_t>>;

void check_bricks(const NodeSpec& node, const std::string& node_path, ErrorLines& errors) {
  for (std::size_t i = 0; i < node.bricks.size(); ++i) {
    const BrickSpec& brick = node.bricks[i];
    const std::string path = json_element_path(node_path + ".bricks", i);
    for (std::size_t j = 0; j < i; ++j) {
      const BrickSpec& earlier = node.bricks[j];
      const std::string earlier_path = json_element_path(node_path + ".bricks", j);
      if (!brick.name.empty() && brick.name == earlier.name) {
        add_error(errors, path + ".name",
                  "duplicate of " + earlier_path + ".name " + quote_value(brick.name));
      }
      if (brick.device && earlier.device && *brick.device == *earlier.device) {
        add_error(errors, path + ".device",
                  "duplicate of " + earlier_path + ".device " + quote_value(*brick.device));
      }
      if (!brick.mountpoint.empty() && brick.mountpoint == earlier.mountpoint) {
        add_error(errors, path + ".mountpoint",
                  "duplicate of " + earlier_path + ".mountpoint " + quote_value(brick.mountpoint));
      }
    }
    // A directory brick at a device's mountpoint would put gluster's data on the root
    // filesystem whenever the device is not mounted.
    if (brick.directory) {
      for (std::size_t j = 0; j < node.bricks.size(); ++j) {
        const BrickSpec& other = node.bricks[j];
        if (other.device && !other.mountpoint.empty() && other.mountpoint == *brick.directory) {
          add_error(errors, path + ".directory",
                    "is the mountpoint of " + json_element_path(node_path + ".bricks", j) +
                        "; use a subdirectory of it");
        }
      }
    }
  }
}

bool usable_brick(const NodeSpec& node, const VolumeSpec& volume) {
  if (volume.name.empty() || volume.brick.empty()) return false;
  const BrickSpec* brick = node.find_brick(volume.brick);
  if (brick == nullptr) return false;
  return brick->device ? !brick->mountpoint.empty() : brick->directory.has_value();
}

// Gluster refuses (or worse, half-creates) bricks nested in one another on one node.
void check_brick_paths(const DesiredState& state, std::size_t v, ReportedPairs& reported,
                       ErrorLines& errors) {
  const VolumeSpec& volume = state.volumes[v];
  for (const NodeSpec& node : state.nodes) {
    if (!node.has_role(Role::kStorage) || !usable_brick(node, volume)) continue;
    const std::string mine = brick_path(node, volume);
    for (std::size_t u = 0; u < v; ++u) {
      const VolumeSpec& earlier = state.volumes[u];
      if (earlier.name.empty() || !usable_brick(node, earlier)) continue;
      const std::string theirs = brick_path(node, earlier);
      if (!path_is_within(mine, theirs) && !path_is_within(theirs, mine)) continue;
      if (!reported.insert({u, v}).second) continue;
      add_error(errors, json_element_path("volumes", v) + ".brick",
                "on node " + quote_value(node.name) + " the brick path " + quote_value(mine) +
                    " overlaps the brick path " + quote_value(theirs) + " of volumes[" +
                    std::to_string(u) + "]; each volume needs its own, non-nested brick");
    }
  }
}

// A FUSE mount over a brick (or a brick inside a FUSE mount) would hide or loop data.
void check_mountpoint_against_bricks(const DesiredState& state, const VolumeSpec& volume,
                                     const std::string& path, ErrorLines& errors) {
  for (std::size_t n = 0; n < state.nodes.size(); ++n) {
    const NodeSpec& node = state.nodes[n];
    for (std::size_t b = 0; b < node.bricks.size(); ++b) {
      const BrickSpec& brick = node.bricks[b];
      const std::string brick_field = brick.device ? "mountpoint" : "directory";
      const std::string where = brick.device ? brick.mountpoint : brick.directory.value_or("");
      if (where.empty()) continue;
      if (path_is_within(volume.mountpoint, where) || path_is_within(where, volume.mountpoint)) {
        add_error(errors, path + ".mountpoint",
                  "overlaps nodes[" + std::to_string(n) + "].bricks[" + std::to_string(b) + "]." +
                      brick_field + " " + quote_value(where) +
                      "; a volume's mountpoint must be outside every brick");
        return;
      }
    }
  }
}

void check_unique_volume(const DesiredState& state, std::size_t v, ErrorLines& errors) {
  const VolumeSpec& volume = state.volumes[v];
  const std::string path = json_element_path("volumes", v);
  for (std::size_t u = 0; u < v; ++u) {
    const VolumeSpec& earlier = state.volumes[u];
    const std::string earlier_path = json_element_path("volumes", u);
    if (!volume.name.empty() && volume.name == earlier.name) {
      add_error(errors, path + ".name",
                "duplicate of " + earlier_path + ".name " + quote_value(volume.name));
    }
    if (volume.mountpoint.empty() || earlier.mountpoint.empty()) continue;
    if (volume.mountpoint == earlier.mountpoint) {
      add_error(errors, path + ".mountpoint",
                "duplicate of " + earlier_path + ".mountpoint " + quote_value(volume.mountpoint));
    } else if (path_is_within(volume.mountpoint, earlier.mountpoint) ||
               path_is_within(earlier.mountpoint, volume.mountpoint)) {
      add_error(errors, path + ".mountpoint",
                "nests with " + earlier_path + ".mountpoint " + quote_value(earlier.mountpoint) +
                    " (FUSE mounts must not be inside each other)");
    }
  }
}

// Every storage node has the volume's brick, and there are enough of them for one set.
void check_replica_set(const DesiredState& state, const VolumeSpec& volume, const std::string& path,
                       ErrorLines& errors) {
  std::size_t bricks_found = 0;
  for (std::size_t n = 0; n < state.nodes.size(); ++n) {
    const NodeSpec& node = state.nodes[n];
    if (!node.has_role(Role::kStorage)) continue;
    if (node.find_brick(volume.brick) != nullptr) {
      ++bricks_found;
    } else {
      add_error(errors, path + ".brick",
                "storage node " + quote_value(node.name) + " (nodes[" + std::to_string(n) +
                    "]) has no brick " + quote_value(volume.brick));
    }
  }
  // Fewer bricks than copies cannot form one replica set. More bricks that are not a
  // multiple of replica are fine: the extra ones wait until a whole set is available.
  if (volume.replica >= 1 && bricks_found < static_cast<std::size_t>(volume.replica)) {
    add_error(errors, path,
              "replica " + std::to_string(volume.replica) + " needs at least " +
                  std::to_string(volume.replica) + " storage node" +
                  (volume.replica == 1 ? "" : "s") + " with brick " + quote_value(volume.brick) +
                  ", found " + std::to_string(bricks_found));
  }
}

// Pydio's local cache is the node's own: on a shared volume every node would share (and
// overwrite) the generated plugins_bootstrap.php with its own absolute paths.
void check_local_cache_dir(const DesiredState& state, ErrorLines& errors) {
  const std::string cache = web_local_cache_dir(state.web);
  for (const auto& volume : state.volumes) {
    if (volume.mountpoint.empty()) continue;
    if (path_is_within(cache, volume.mountpoint) || path_is_within(volume.mountpoint, cache)) {
      add_error(errors, "web.localCacheDir",
                "must be on the node, not on volume " + volume.name + " (" + volume.mountpoint +
                    "), got " + quote_value(cache));
    }
  }
}

}  // namespace

void check_nodes(const DesiredState& state, ErrorLines& errors) {
  for (std::size_t i = 0; i < state.nodes.size(); ++i) {
    const NodeSpec& node = state.nodes[i];
    const std::string path = json_element_path("nodes", i);
    for (std::size_t j = 0; j < i; ++j) {
      const NodeSpec& earlier = state.nodes[j];
      const std::string earlier_path = json_element_path("nodes", j);
      if (!node.name.empty() && node.name == earlier.name) {
        add_error(errors, path + ".name",
                  "duplicate of " + earlier_path + ".name " + quote_value(node.name));
      }
      if (!node.address.empty() && node.address == earlier.address) {
        add_error(errors, path + ".address",
                  "duplicate of " + earlier_path + ".address " + quote_value(node.address));
      }
    }
    if (!node.bricks.empty() && !node.roles.empty() && !node.has_role(Role::kStorage)) {
      add_error(errors, path + ".bricks", "only nodes with role \"storage\" have bricks");
    }
    check_bricks(node, path, errors);
  }
}

void check_volumes(const DesiredState& state, ErrorLines& errors) {
  check_local_cache_dir(state, errors);
  ReportedPairs reported_overlaps;
  for (std::size_t v = 0; v < state.volumes.size(); ++v) {
    const VolumeSpec& volume = state.volumes[v];
    const std::string path = json_element_path("volumes", v);
    check_unique_volume(state, v, errors);
    if (!volume.mountpoint.empty()) check_mountpoint_against_bricks(state, volume, path, errors);
    if (volume.brick.empty()) continue;
    check_replica_set(state, volume, path, errors);
    check_brick_paths(state, v, reported_overlaps, errors);
  }
}

std::optional<std::string> db_node_count_problem(std::size_t count) {
  if (count != 2) return std::nullopt;
  return "two nodes have role \"db\": a Galera cluster of two loses its quorum when either "
         "fails (no arbitrator); give role db to one node (no replication) or to three or more";
}

void check_database_host(const DesiredState& state, const std::string& host, ErrorLines& errors) {
  for (std::size_t i = 0; i < state.nodes.size(); ++i) {
    const NodeSpec& node = state.nodes[i];
    if (node.address == host && !node.has_role(Role::kDb)) {
      add_error(errors, "database.host",
                host + " is the address of nodes[" + std::to_string(i) + "] " +
                    quote_value(node.name) + ", which lacks role \"db\"");
    }
  }
}

}  // namespace pydio::common::desired_state
