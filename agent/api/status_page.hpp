#pragma once
// The status page: one read-only HTML page with what `agentctl status` shows with the cluster
// table (nodes and their health, leader and term, volumes with bricks and heal backlog, what
// waits, warnings) and this node's last events. Served on the status socket (status_socket.hpp)
// and the admin socket (GET / and GET /status, admin_api.hpp); an operator reaches it through
// `ssh -L 8080:/run/pydio-agent/status.sock NODE` (docs/operations.md, "Status page").
//
// No script, no external asset, no absolute URL: the page reloads itself with a meta refresh,
// so it works from a bastion without internet, on whatever host:port the tunnel has. Its
// Content-Security-Policy forbids every script and every load, so even a string that escaped
// escaping could not run. Every text from the cluster is escaped (html_text.hpp).
// A row that needs attention (a node unhealthy, drained or unreachable; a volume with bricks
// offline or split-brain; an event that failed) has class "bad" and says why in words, so it
// reads without colour too.
//
// Pure: rendering is tested without a daemon.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

// What the page shows, as AdminBackend::status_page_view() gives it:
//   {"status":  <status document of this node, admin_api.hpp status()>,
//    "cluster": <the cluster table of status(true)["cluster"]> | null (no desired state yet),
//    "clusterError": "..."       (optional: the cluster could not be asked),
//    "clusterAgeSeconds": 3,     how old the cached cluster table is
//    "clusterView": 12,          which table since the agent started (1, 2, ...)
//    "maxAgeSeconds": 10,        a table older than this is taken again (cluster_view_cache.hpp)
//    "refreshSeconds": 10,       the page reloads itself this often
//    "events": [...],            this node's last events, oldest first (admin_api.hpp events())
//    "now": "2026-12-01T04:00:00Z"}
std::string render_status_page(const nlohmann::json& view);

// 200 text/html with the rendered page and headers that keep a browser from caching it,
// framing it, sniffing it or running anything in it. HEAD: the headers only.
Response status_page_response(const Request& request, const nlohmann::json& view);

// The page, for a Host that names the loopback (localhost, 127.x, [::1]): `view` is asked only
// then. Any other Host (a DNS-rebinding page) gets 403 saying how to open the page.
Response status_page_for_loopback(const Request& request,
                                  const std::function<nlohmann::json()>& view);

}  // namespace pydio::agent::api
