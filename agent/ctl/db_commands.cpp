// agentctl db bootstrap --force NODE: after an outage in which a db node stays silent, starts
// the Galera cluster from NODE (POST /v1/db/bootstrap, agent/daemon/db_bootstrap_command.hpp).
// agentctl db backups: the backups in the backup folder (GET /v1/db/backups).

#include <cstdio>
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

int run_db_backups(const GlobalOptions& global, OutputFormat format) {
  api::AdminClient client(global.socket_path, global.timeout);
  const api::AdminReply reply = client.get("/v1/db/backups");
  if (!reply.ok()) {
    std::cerr << "db backups: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  if (format == OutputFormat::kJson) {
    std::cout << reply.body.dump(2) << "\n";
    return kExitOk;
  }
  const nlohmann::json& body = reply.body;
  std::cout << "folder: " << body.value("folder", "") << "\n";
  std::printf("%-36s %-20s %-10s %14s  %s\n", "NAME", "FINISHED", "NODE", "BYTES", "SHA256");
  for (const auto& b : body.value("backups", nlohmann::json::array())) {
    std::printf("%-36s %-20s %-10s %14lld  %s\n", b.value("name", "").c_str(),
                b.value("finishedAt", "").c_str(), b.value("node", "").c_str(),
                static_cast<long long>(b.value("bytes", std::int64_t{0})),
                b.value("sha256", "").c_str());
  }
  for (const auto& name : body.value("partial", nlohmann::json::array()))
    std::cout << "being taken (or left by a crash): " << name.get<std::string>() << "\n";
  for (const auto& problem : body.value("problems", nlohmann::json::array()))
    std::cout << "problem: " << problem.get<std::string>() << "\n";
  return kExitOk;
}

}  // namespace pydio::agent::ctl
