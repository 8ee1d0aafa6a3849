#pragma once
// Small steps shared by the database-tier scenarios (db_proxy_follows, db_backup, db_restore,
// galera_growth): reaching a node's namespaces, its secrets, and a member's server.

#include <chrono>
#include <string>

#include "common/runner.hpp"
#include "test/integration/support/sim_cluster.hpp"

namespace pydio::test {

// The PID of the process that holds the node's namespaces (simnode's holder.id); 0 if unknown.
int holder_pid(const SimCluster& cluster, const SimNode& node);
// "/proc/<holder>/ns/net": setns() there to open connections from inside the node.
std::string netns_path(const SimCluster& cluster, const SimNode& node);
// A string of the node's /etc/pydio-agent/secrets.json ("" when absent).
std::string secret_of(SimNode& node, const std::string& key);
// SQL as root over the member's own socket, inside the member (mariadb -N -B -e).
common::RunResult member_sql(SimNode& db, const std::string& statement,
                             std::chrono::seconds timeout = std::chrono::seconds(120));
// The node's status says its server is Synced in a primary component of `size` members.
bool member_primary(SimNode& node, int size);

}  // namespace pydio::test
