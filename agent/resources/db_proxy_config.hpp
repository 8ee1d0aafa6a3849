#pragma once
// The configuration of a compute node's local database proxy (db_proxy_resource.hpp), rendered
// from the desired state (database.members, database.port, database.proxyPort). Pure.
//
// Pydio on the node connects to 127.0.0.1:<proxyPort>; HAProxy forwards each connection (mode
// tcp) to one Galera member: the first member in document order while its agent's
// GET /health/db answers 200, else the next one that does (the others are `backup`). The check
// runs every second on each member, so a dead or non-primary member is out after two failed
// checks and its open sessions are cut, so clients reconnect to the next member at once.

#include <string>

#include "agent/host/haproxy_control.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// The listen section's name in the configuration and in `show stat`.
inline constexpr const char* kDbProxyBackend = "mariadb";

// REQUIRES: `desired` is valid and desired.database.galera().
std::string db_proxy_config_text(const common::DesiredState& desired, const HaproxyPaths& paths);

}  // namespace pydio::agent
