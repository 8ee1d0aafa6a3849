#pragma once
// The status socket (`status.sock`, next to the admin socket, 0600 root): the status page and
// nothing else. An operator forwards THIS socket to a browser (`ssh -L 8080:/run/pydio-agent/
// status.sock NODE`): a forwarded port is open to every local user of the machine it is opened
// on, and through status.sock it reaches a read-only page, never the admin API behind
// admin.sock (drain, desired state, tokens, restore).
//
// GET or HEAD / and /status: the page (status_page.hpp; only for a loopback Host name, as on
// the admin socket). Any other path: 404. Any other method: 405.

#include "agent/api/admin_api.hpp"
#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

// The status socket of an admin socket path: "/run/pydio-agent/admin.sock" ->
// "/run/pydio-agent/status.sock".
std::string status_socket_path(const std::string& admin_socket);

// Pure routing: never throws for bad input.
Response handle_status_socket_request(const Request& request, AdminBackend& backend);

}  // namespace pydio::agent::api
