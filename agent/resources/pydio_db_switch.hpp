#pragma once
// When the leader may point Pydio at the compute nodes' local database proxies (a cluster
// grown from one db node to Galera, or a new database.proxyPort). bootstrap.json is one file on
// pydio-config for every compute node, and the leader writes it in its own pass: a compute node
// whose proxy does not listen yet would refuse every connection of its Pydio until its own pass
// starts the proxy. So the switch waits until every compute node that answers reports its
// db-proxy in sync at the current generation. A node that does not answer is not waited for (it
// may be down for good; it starts its proxy before anything else of that generation that needs
// it, in its first pass). Pure.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/database_address.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// The address bootstrap.json names (DIBI_PRECONFIGURATION mysql_host, mysql_port; 3306 when
// the port is absent, as Pydio reads it); nullopt when the text has none.
std::optional<common::DatabaseAddress> pydio_address_in(const std::string& bootstrap_text);

// "" when every compute node that answered (`reports`, one per name, in the same order) runs
// its database proxy in sync at `generation` or later; else what the switch waits for, naming
// the nodes.
std::string proxies_not_ready(std::int64_t generation, const std::vector<std::string>& names,
                              const std::vector<common::Expected<nlohmann::json>>& reports);

}  // namespace pydio::agent
