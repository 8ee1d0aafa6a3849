#include "test/integration/support/db_scenario.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace pydio::test {

int holder_pid(const SimCluster& cluster, const SimNode& node) {
  std::ifstream id(cluster.run_dir() + "/nodes/" + node.name() + "/holder.id");
  int pid = 0;
  id >> pid;
  return pid;
}

std::string netns_path(const SimCluster& cluster, const SimNode& node) {
  return "/proc/" + std::to_string(holder_pid(cluster, node)) + "/ns/net";
}

std::string secret_of(SimNode& node, const std::string& key) {
  auto parsed = nlohmann::json::parse(node.read_file("/etc/pydio-agent/secrets.json"), nullptr, false);
  if (parsed.is_discarded() || !parsed.contains(key) || !parsed[key].is_string()) return "";
  return parsed[key].get<std::string>();
}

common::RunResult member_sql(SimNode& db, const std::string& statement,
                             std::chrono::seconds timeout) {
  return db.exec({"mariadb", "--socket=/run/mysqld/mysqld.sock", "-uroot", "-N", "-B", "-e",
                  statement},
                 timeout);
}

bool member_primary(SimNode& node, int size) {
  nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("database")) return false;
  const nlohmann::json& database = status["database"];
  return database.is_object() && database.value("primary", false) &&
         database.value("state", "") == "Synced" && database.value("clusterSize", 0) == size;
}

}  // namespace pydio::test
