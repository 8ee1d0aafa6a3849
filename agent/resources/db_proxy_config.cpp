#include "agent/resources/db_proxy_config.hpp"

#include <sstream>

namespace pydio::agent {

namespace {
// The node agent's health endpoint (GET /health/db), on every node (agent.json healthListen).
constexpr int kHealthPort = 8480;
constexpr int kConnectTimeoutSeconds = 3;
// MariaDB's own wait_timeout (28800 s): the proxy never cuts an idle connection the server
// would keep, e.g. the one a PHP worker holds during a long upload.
constexpr int kIdleTimeoutSeconds = 28800;
// Every Apache worker of the node (mpm_prefork MaxRequestWorkers is 150 by default) holding a
// connection, with room to spare; HAProxy sizes its buffers by it.
constexpr int kMaxConnections = 1000;

// The member's node name (what status shows), or its address when no node has it.
std::string server_name(const common::DesiredState& desired, const std::string& address) {
  for (const auto& node : desired.nodes)
    if (node.address == address) return node.name;
  return address;
}

}  // namespace

std::string db_proxy_config_text(const common::DesiredState& desired, const HaproxyPaths& paths) {
  const common::DatabaseSpec& database = desired.database;
  std::ostringstream out;
  out << "# Managed by pydio-agent: this compute node's database proxy, rendered from the\n"
      << "# desired state (database.members, database.proxyPort). Edits are replaced.\n"
      << "global\n"
      << "    log /dev/log local0\n"
      << "    chroot /var/lib/haproxy\n"
      << "    user haproxy\n"
      << "    group haproxy\n"
      << "    maxconn " << kMaxConnections << "\n"
      << "    # root only (the agent reads show stat); keeps the listening socket across reloads\n"
      << "    stats socket " << paths.admin_socket << " mode 600 level admin expose-fd listeners\n"
      << "    stats timeout 30s\n"
      << "    server-state-file " << paths.server_state << "\n"
      << "\n"
      << "defaults\n"
      << "    log global\n"
      << "    mode tcp\n"
      << "    option dontlognull\n"
      << "    # a member found DOWN stays DOWN across a reload (the agent dumps the states first)\n"
      << "    load-server-state-from-file global\n"
      << "    timeout connect " << kConnectTimeoutSeconds << "s\n"
      << "    timeout client " << kIdleTimeoutSeconds << "s\n"
      << "    timeout server " << kIdleTimeoutSeconds << "s\n"
      << "    timeout check 2s\n"
      << "\n"
      << "listen " << kDbProxyBackend << "\n"
      << "    # loopback only: Pydio on this node is the only client\n"
      << "    bind 127.0.0.1:" << database.proxy_port << "\n"
      << "    # One writer at a time: Galera certifies concurrent writes to the same rows on two\n"
      << "    # members against each other and rolls one back (a deadlock error Pydio does not\n"
      << "    # retry), so every connection goes to the first healthy member in document order\n"
      << "    # and the others are backups. When the first comes back, sessions still on a\n"
      << "    # backup are cut so that the writers do not stay split over two members.\n"
      << "    # The member's agent answers GET /health/db: 200 while its MariaDB is synced in a\n"
      << "    # primary component.\n"
      << "    option httpchk GET /health/db\n"
      << "    http-check expect status 200\n"
      << "    default-server check port " << kHealthPort
      << " inter 1s fall 2 rise 2 on-marked-down shutdown-sessions on-marked-up "
         "shutdown-backup-sessions\n";
  bool first = true;
  for (const std::string& member : database.members) {
    out << "    server " << server_name(desired, member) << " " << member << ":" << database.port
        << (first ? "" : " backup") << "\n";
    first = false;
  }
  return out.str();
}

}  // namespace pydio::agent
