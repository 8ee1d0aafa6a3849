#pragma once
// GET /health for load balancers (an ELB, HAProxy): answers from the verdict the health
// monitor computed in the background, so it never waits on a mount, a process or the database.
//   200 {"status":"ok","node":"n1"}
//   503 {"status":"unhealthy","node":"n1","reasons":["draining","mount /mnt/pydio-data: hung"]}
// GET /health/serving answers the same verdict without the drain, for HAProxy's HTTP check:
// drain reaches HAProxy through agent-check alone (agent_check.hpp), so sticky sessions stay
// while no new ones arrive; a check that failed on drain would mark the server DOWN and move
// every session at once. ELBs keep /health, which is 503 while draining.
// GET /health/db, on a db node, says whether its MariaDB may take clients (the HTTP check of
// the compute nodes' database proxies): 200 {"status":"ok"} or 503 with the reason, from the
// background probe (health/db_prober.hpp); 404 on a node without role db.
// HEAD is answered like GET without a body. Other paths: 404; other methods: 405.

#include <string>

#include "agent/api/http_message.hpp"
#include "agent/health/db_prober.hpp"
#include "agent/health/health_view.hpp"

namespace pydio::agent::api {

inline constexpr const char* kHealthPath = "/health";
inline constexpr const char* kServingPath = "/health/serving";
inline constexpr const char* kDbPath = "/health/db";

// Pure. `draining` makes the node unhealthy with reason "draining" even when the verdict
// (computed before the drain, perhaps) does not say so yet.
Response handle_health_request(const Request& request, const HealthVerdict& verdict, bool draining,
                               const std::string& node_name);

// Pure. REQUIRES: the request's path is kDbPath. `is_db`: this node has role db.
Response handle_db_health_request(const Request& request, bool is_db, const DbHealth& health,
                                  const std::string& node_name);

}  // namespace pydio::agent::api
