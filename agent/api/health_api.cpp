#include "agent/api/health_api.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace pydio::agent::api {

namespace http = boost::beast::http;

Response handle_health_request(const Request& request, const HealthVerdict& verdict, bool draining,
                               const std::string& node_name) {
  const bool serving = target_path(request) == kServingPath;
  if (target_path(request) != kHealthPath && !serving) {
    return error_response(request, http::status::not_found,
                          "no such endpoint: " + target_path(request));
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return method_not_allowed(request, "GET, HEAD");
  }

  if (serving) {
    // A default verdict (never computed) is neither healthy nor has a reason: not serving.
    if (verdict.serving_reasons.empty() && (verdict.healthy || !verdict.reasons.empty())) {
      return json_response(request, http::status::ok, {{"status", "ok"}, {"node", node_name}});
    }
    std::vector<std::string> reasons = verdict.serving_reasons;
    if (reasons.empty()) reasons.emplace_back("health not checked yet");
    return json_response(request, http::status::service_unavailable,
                         {{"status", "unhealthy"}, {"node", node_name}, {"reasons", reasons}});
  }
  if (verdict.healthy && !draining) {
    nlohmann::json body = {{"status", "ok"}, {"node", node_name}};
    if (!verdict.warnings.empty()) body["warnings"] = verdict.warnings;
    return json_response(request, http::status::ok, body);
  }
  std::vector<std::string> reasons = verdict.reasons;
  // The monitor words it "draining", "draining: <reason>" or "drained for the rollout of <v>".
  const bool says_draining = std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.rfind("draining", 0) == 0 || r.rfind("drained for the rollout", 0) == 0;
  });
  if (draining && !says_draining) reasons.insert(reasons.begin(), "draining");
  // A default verdict (the monitor has not run yet) has no reason; a 503 always says why.
  if (reasons.empty()) reasons.emplace_back("health not checked yet");
  nlohmann::json body = {{"status", "unhealthy"}, {"node", node_name}, {"reasons", reasons}};
  if (!verdict.warnings.empty()) body["warnings"] = verdict.warnings;
  return json_response(request, http::status::service_unavailable, body);
}

Response handle_db_health_request(const Request& request, bool is_db, const DbHealth& health,
                                  const std::string& node_name) {
  if (!is_db)
    return error_response(request, http::status::not_found,
                          "no database on this node (it has no role db)");
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return method_not_allowed(request, "GET, HEAD");
  }
  if (health.serving)
    return json_response(request, http::status::ok, {{"status", "ok"}, {"node", node_name}});
  const std::string reason = health.checked ? health.problem : "database not checked yet";
  return json_response(request, http::status::service_unavailable,
                       {{"status", "unhealthy"},
                        {"node", node_name},
                        {"reasons", std::vector<std::string>{reason}}});
}

}  // namespace pydio::agent::api
