#pragma once
// Where the cluster's database clients connect (docs/operations.md, "The database tier").
// One server: its host and port, as before Galera. Galera (three or more db nodes): Pydio on a
// compute node goes through the node's local database proxy (127.0.0.1:proxyPort), which
// follows the healthy members; the agents' own clients (the lease) try the members themselves.

#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::common {

struct DatabaseAddress {
  std::string host;
  int port = 3306;
};

// The address Pydio's configuration names (mysql_host, mysql_port).
DatabaseAddress pydio_database_address(const DatabaseSpec& database);
// The servers an agent may reach directly, in order of preference: the Galera members in
// document order, or the one host.
std::vector<DatabaseAddress> database_servers(const DatabaseSpec& database);

}  // namespace pydio::common
