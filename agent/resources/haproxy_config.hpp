#pragma once
// The HAProxy configuration of an lb node, rendered from the desired state (loadBalancer, the
// compute nodes). Pure; the haproxy resource writes it, checked by `haproxy -c` first.
//
// Every compute node is a server with the session cookie as persistence (`cookie <name> prefix
// nocache`: HAProxy prefixes the value Pydio sets with "<node>~"); HAProxy's HTTP check asks the
// node agent's GET /health/serving (which ignores drain) and its agent-check asks the agent's
// agent-check port, which says "drain" while the node is drained, so sticky sessions finish
// there while new ones go elsewhere. The stats page listens on the lb node's private address
// only; the admin socket (root only) serves the agent's `show stat` and keeps the listening
// sockets across reloads (expose-fd listeners); a server-state file keeps DRAIN/DOWN states
// across a reload.

#include <string>

#include "agent/host/haproxy_control.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// How the rendered configuration begins: a file that begins so is the agent's, and the agent
// stops the HAProxy running it once the node loses role lb (haproxy_retire.hpp).
inline constexpr const char* kHaproxyConfigHeader = "# Managed by pydio-agent";

// REQUIRES: `desired` is valid and `self` is one of its nodes.
std::string haproxy_config_text(const common::DesiredState& desired, const common::NodeSpec& self,
                                const HaproxyPaths& paths);

}  // namespace pydio::agent
