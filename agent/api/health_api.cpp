#include "agent/api/health_api.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace pydio::agent::api {

namespace http = boost::beast::http;

Response handle_health_request(const Request& request, const HealthVerdict& verdict,
                               bool draining, const std::string& node_name) {
  if (target_path(request) != kHealthPath) {
    return error_response(request, http::status::not_found,
                          "no such endpoint: " + target_path(request));
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return method_not_allowed(request, "GET, HEAD");
  }

  if (verdict.healthy && !draining) {
    return json_response(request, http::status::ok, {{"status", "ok"}, {"node", node_name}});
  }
  std::vector<std::string> reasons = verdict.reasons;
  const bool says_draining = std::find(reasons.begin(), reasons.end(), "draining") != reasons.end();
  if (draining && !says_draining) reasons.insert(reasons.begin(), "draining");
  // A default verdict (the monitor has not run yet) has no reason; a 503 always says why.
  if (reasons.empty()) reasons.emplace_back("health not checked yet");
  return json_response(request, http::status::service_unavailable,
                       {{"status", "unhealthy"}, {"node", node_name}, {"reasons", reasons}});
}

}  // namespace pydio::agent::api
