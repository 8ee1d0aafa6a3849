#include "agent/resources/haproxy_config.hpp"

#include <sstream>

namespace pydio::agent {

namespace {
// The node agent's health endpoint (GET /health/serving), on every node.
constexpr int kHealthPort = 8480;
// Apache on every compute node.
constexpr int kApachePort = 80;
// A client that has not sent a whole request header in this time is cut.
constexpr int kHttpRequestTimeoutSeconds = 10;
constexpr int kConnectTimeoutSeconds = 5;
}  // namespace

std::string haproxy_config_text(const common::DesiredState& desired, const common::NodeSpec& self,
                                const HaproxyPaths& paths) {
  const common::LoadBalancerSpec& lb = desired.load_balancer;
  const bool tls = !lb.tls_certificate.empty();
  std::ostringstream out;
  out << kHaproxyConfigHeader
      << ", rendered from the desired state (loadBalancer). Edits are "
         "replaced.\n"
      << "global\n"
      << "    log /dev/log local0\n"
      << "    chroot /var/lib/haproxy\n"
      << "    user haproxy\n"
      << "    group haproxy\n"
      << "    # root only (the agent reads show stat); hands the listening sockets to the next\n"
      << "    # worker on reload, so a reload drops no connection\n"
      << "    stats socket " << paths.admin_socket << " mode 600 level admin expose-fd listeners\n"
      << "    stats timeout 30s\n"
      << "    server-state-file " << paths.server_state << "\n"
      << "\n"
      << "defaults\n"
      << "    log global\n"
      << "    mode http\n"
      << "    option httplog\n"
      << "    option dontlognull\n"
      << "    # DRAIN and DOWN states survive a reload (the agent dumps them before it)\n"
      << "    load-server-state-from-file global\n"
      << "    timeout connect " << kConnectTimeoutSeconds << "s\n"
      << "    timeout http-request " << kHttpRequestTimeoutSeconds << "s\n"
      << "    timeout client " << lb.timeout_seconds << "s\n"
      << "    timeout server " << lb.timeout_seconds << "s\n"
      << "\n"
      << "frontend pydio\n"
      << "    bind " << lb.bind << "\n";
  if (tls) {
    out << "    bind " << lb.tls_bind << " ssl crt " << lb.tls_certificate << "\n"
        << "    http-request redirect scheme https unless { ssl_fc }\n";
  }
  out << "    option forwardfor\n"
      << "    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n"
      << "    http-request set-header X-Forwarded-Proto http unless { ssl_fc }\n"
      << "    default_backend pydio\n"
      << "\n"
      << "backend pydio\n"
      << "    balance roundrobin\n"
      << "    # Pydio's session cookie, prefixed with the server's name: sessions are PHP files\n"
      << "    # local to each node\n"
      << "    cookie " << lb.session_cookie << " prefix nocache\n"
      << "    option httpchk\n"
      << "    http-check send meth GET uri /health/serving\n"
      << "    http-check expect status 200\n"
      << "    default-server check port " << kHealthPort << " inter " << lb.check_interval_ms
      << " fall " << lb.fall << " rise " << lb.rise << " agent-check agent-port " << lb.agent_port
      << " agent-inter " << lb.agent_interval_ms << "\n";
  for (const common::NodeSpec* node : desired.nodes_with_role(common::Role::kCompute)) {
    out << "    server " << node->name << " " << node->address << ":" << kApachePort << " cookie "
        << node->name << "\n";
  }
  out << "\n"
      << "# Private address only: the stats page shows every server and its sessions.\n"
      << "listen stats\n"
      << "    bind " << self.address << ":" << lb.stats_port << "\n"
      << "    stats enable\n"
      << "    stats uri /\n"
      << "    stats refresh 5s\n";
  return out.str();
}

}  // namespace pydio::agent
