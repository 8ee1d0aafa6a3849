// The "database" section of a desired-state document. Read after the nodes: its defaults
// (the db node's address, every node's address as allowed host) and the Galera members (three
// or more db nodes) come from them.

#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

namespace {

std::vector<std::string> read_allowed_hosts(const json& hosts, ErrorLines& errors) {
  std::vector<std::string> found;
  if (hosts.empty()) add_error(errors, "database.allowedHosts", kNoAllowedHosts);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string host_path = json_element_path("database.allowedHosts", i);
    auto host = read_string_element(hosts[i], host_path, errors);
    if (!host) continue;
    if (auto problem = allowed_host_problem(*host, found)) {
      add_error(errors, host_path, *problem);
    } else {
      found.push_back(*host);
    }
  }
  return found;
}

}  // namespace

DatabaseSpec read_database(const json* value, const DesiredState& state, ErrorLines& errors) {
  DatabaseSpec database;
  static const json kEmptyObject = json::object();
  ObjectReader reader(value != nullptr ? *value : kEmptyObject, "database", errors);
  const auto db_nodes = state.nodes_with_role(Role::kDb);
  if (auto problem = db_node_count_problem(db_nodes.size())) {
    add_error(errors, "nodes", *problem);
  } else if (db_nodes.size() >= kGaleraMinimumMembers) {
    // Galera: the clients follow the healthy members, so there is no one host to name.
    if (reader.has("host")) {
      add_error(errors, "database.host",
                "not allowed with " + std::to_string(db_nodes.size()) +
                    " db nodes: they form a Galera cluster, and the nodes reach it through "
                    "their local database proxy (database.proxyPort)");
    }
    for (const NodeSpec* node : db_nodes) database.members.push_back(node->address);
  }
  if (!database.galera()) {
    if (auto host = reader.string("host", Presence::kOptional)) {
      if (accept(errors, "database.host", *host, check_host)) {
        database.host = *host;
        check_database_host(state, *host, errors);
      }
    } else if (!reader.has("host")) {
      if (db_nodes.size() == 1) {
        database.host = db_nodes.front()->address;
      } else if (db_nodes.empty()) {
        add_error(errors, "database.host", "required when no node has role \"db\"");
      }
    }
  }
  if (auto port = reader.integer("port", Presence::kOptional)) {
    if (auto problem = port_problem(*port)) {
      add_error(errors, "database.port", *problem);
    } else {
      database.port = static_cast<int>(*port);
    }
  }
  if (auto name = reader.string("name", Presence::kOptional)) {
    if (accept(errors, "database.name", *name, database_name_problem)) database.name = *name;
  }
  if (auto user = reader.string("user", Presence::kOptional)) {
    if (accept(errors, "database.user", *user, database_user_problem)) database.user = *user;
  }
  if (auto proxy_port = reader.integer("proxyPort", Presence::kOptional)) {
    if (auto problem = port_problem(*proxy_port)) {
      add_error(errors, "database.proxyPort", *problem);
    } else {
      database.proxy_port = static_cast<int>(*proxy_port);
    }
  }
  if (const json* hosts = reader.array("allowedHosts", Presence::kOptional)) {
    database.allowed_hosts = read_allowed_hosts(*hosts, errors);
  } else if (!reader.has("allowedHosts")) {
    // Default: exactly the cluster's own nodes.
    for (const auto& node : state.nodes) {
      if (!node.address.empty()) database.allowed_hosts.push_back(node.address);
    }
  }
  if (const json* backup = reader.object("backup", Presence::kOptional))
    database.backup = read_backup(*backup, errors);
  reader.finish(kSecretHint);
  return database;
}

}  // namespace pydio::common::desired_state
