#include "common/database_address.hpp"

namespace pydio::common {

DatabaseAddress pydio_database_address(const DatabaseSpec& database) {
  if (database.galera()) return {"127.0.0.1", database.proxy_port};
  return {database.host, database.port};
}

std::vector<DatabaseAddress> database_servers(const DatabaseSpec& database) {
  std::vector<DatabaseAddress> servers;
  if (!database.galera()) {
    if (!database.host.empty()) servers.push_back({database.host, database.port});
    return servers;
  }
  for (const std::string& member : database.members) servers.push_back({member, database.port});
  return servers;
}

}  // namespace pydio::common
