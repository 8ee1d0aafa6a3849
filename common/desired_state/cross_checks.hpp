#pragma once
// Rules that relate fields to each other (unique names and addresses, bricks for every
// storage node, replica sets, paths that must not nest, the database host's role). They run
// after the single-value rules, on a state in which every invalid value was left empty (or
// 0 / -1 for replica / arbiter), so one bad value does not pile up follow-on errors.
// Shared by the reader and the validator; internal to common/desired_state.

#include <optional>
#include <string>

#include "common/desired_state.hpp"
#include "common/strict_json.hpp"

namespace pydio::common::desired_state {

// Nodes and their bricks: duplicates, bricks on non-storage nodes, directory bricks at a
// device's mountpoint.
void check_nodes(const DesiredState& state, ErrorLines& errors);

// Volumes: duplicate names and mountpoints, nesting mountpoints, a brick on every storage
// node, enough storage nodes for one replica set, overlapping brick paths.
void check_volumes(const DesiredState& state, ErrorLines& errors);

// web.php.tempDir is node-local: not under a volume's mountpoint, nor under web.docroot.
void check_php_placement(const DesiredState& state, ErrorLines& errors);

// database.host `host` must not be the address of a node that lacks role "db".
// Galera needs a majority after one failure: one db node (no replication) or at least three.
inline constexpr std::size_t kGaleraMinimumMembers = 3;
// The problem with `count` db nodes (2), or nullopt.
std::optional<std::string> db_node_count_problem(std::size_t count);

// database.backup: value ranges, the volume it names, a db node to take it, and an off-site
// hook outside every volume and the docroot (common/desired_state/backup.cpp).
void check_backup(const DesiredState& state, ErrorLines& errors);

void check_database_host(const DesiredState& state, const std::string& host, ErrorLines& errors);

// The loadBalancer values (each naming its field) and their relation to the nodes: refused
// when no node has role lb and `given` (the section is in the document, or differs from the
// defaults in a state built in code); port 80 is Apache's on an lb node that is also compute.
void check_load_balancer(const DesiredState& state, bool given, ErrorLines& errors);

// web.release excludes an operator-installed Pydio (web.installDir, web.confDir); web.rollout
// needs web.release and names it (release.cpp).
void check_release(const DesiredState& state, ErrorLines& errors);

}  // namespace pydio::common::desired_state
