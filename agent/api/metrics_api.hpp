#pragma once
// GET /metrics for Prometheus, on its own plain-HTTP listener (agent.json metricsListen,
// default <address>:8483): the exposition text 0.0.4 of the process registry's counters and
// histograms and of this node's state (daemon/metrics_report.hpp). HEAD is answered like GET
// without a body. Other paths: 404; other methods: 405. The text holds names, states, counts and
// versions only: no token, password, key or error text (docs/security.md).

#include <functional>
#include <string>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

inline constexpr const char* kMetricsPath = "/metrics";

// Pure but for `render`, which is called only for a GET or HEAD of kMetricsPath and must not
// block (it reads snapshots).
Response handle_metrics_request(const Request& request, const std::function<std::string()>& render);

}  // namespace pydio::agent::api
