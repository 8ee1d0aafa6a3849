#pragma once
// Starting, stopping and reaching the node's own MariaDB server as its administrator (root over
// the unix socket, unix_socket authentication): shared by the db-server resource, its Galera
// part and the /health/db probe. Every wait is bounded.

#include <memory>
#include <string>

#include "agent/host/mysql_session.hpp"
#include "agent/host/services.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// root over local.mysql_socket, 5 s bounds.
MysqlEndpoint mariadb_admin_endpoint(const common::LocalConfig& local);

// Creates mariadb_runtime_dir(local), owned by mysql, where it is missing (a direct start's
// socket, pid file and tmpdir; systemd's unit makes its own).
common::Status ensure_mariadb_runtime_dir(const common::LocalConfig& local);

enum class MariadbStart {
  kNormal,      // a single server, or a Galera member joining a primary component
  kNewCluster,  // Galera: the first member of a cluster (--wsrep-new-cluster)
};

// Starts mariadbd (through systemd where the node runs it: `galera_new_cluster` for a new
// cluster) and waits until it accepts the admin connection.
common::Status start_mariadb(Services& services, common::ProcessRunner& runner,
                             const common::LocalConfig& local, MariadbStart how);
// A clean stop: SHUTDOWN over the admin connection (or systemctl stop) and a wait until the
// process is gone. Success when it was not running.
common::Status stop_mariadb(Services& services, common::ProcessRunner& runner,
                            const common::LocalConfig& local);
// A clean SHUTDOWN (or systemctl restart), a wait until the process is gone, then a start.
common::Status restart_mariadb(Services& services, common::ProcessRunner& runner,
                               const common::LocalConfig& local, MariadbStart how);

}  // namespace pydio::agent
