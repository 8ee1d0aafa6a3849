// agentctl db bootstrap --force NODE: after an outage in which a db node stays silent, starts
// the Galera cluster from NODE (POST /v1/db/bootstrap, agent/daemon/db_bootstrap_command.hpp).

#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/commands.hpp"

namespace pydio::agent::ctl {

int run_db_bootstrap(const GlobalOptions& global, const std::string& node, bool force) {
  if (!force) {
    std::cerr << "db bootstrap: " << node
              << " would start the database cluster with ITS data; every transaction a silent "
                 "member committed after it is lost. Read `agentctl status` (the db-server "
                 "line shows the seqnos seen: pick the highest), then run again with --force\n";
    return kExitFailed;
  }
  api::AdminClient client(global.socket_path, global.timeout);
  const api::AdminReply reply =
      client.post("/v1/db/bootstrap", nlohmann::json{{"node", node}}.dump());
  if (!reply.ok()) {
    std::cerr << "db bootstrap: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  std::cout << node << " bootstraps the Galera cluster now; the other db nodes join it "
            << "(agentctl status shows their state)\n";
  return kExitOk;
}

}  // namespace pydio::agent::ctl
