#include "agent/api/metrics_api.hpp"

#include <boost/beast/http/field.hpp>

#include "common/metrics.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;

Response handle_metrics_request(const Request& request,
                                const std::function<std::string()>& render) {
  if (target_path(request) != kMetricsPath)
    return error_response(request, http::status::not_found,
                          "no such endpoint: " + target_path(request));
  if (request.method() != http::verb::get && request.method() != http::verb::head)
    return method_not_allowed(request, "GET, HEAD");
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, common::metrics::kContentType);
  response.keep_alive(request.keep_alive());
  response.set(http::field::cache_control, "no-store");
  set_body(request, response, render());
  return response;
}

}  // namespace pydio::agent::api
