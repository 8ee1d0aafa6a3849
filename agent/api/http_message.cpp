#include "agent/api/http_message.hpp"

#include <boost/beast/http/field.hpp>

#include <optional>

namespace pydio::agent::api {

namespace http = boost::beast::http;

Response json_response(const Request& request, http::status status, const nlohmann::json& body) {
  Response response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  // Replace, not throw: texts that come from a request (its path, a refused document quoted
  // in an error) need not be UTF-8, and nlohmann's dump() throws on invalid UTF-8.
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  set_body(request, response, std::move(text));
  return response;
}

void set_body(const Request& request, Response& response, std::string text) {
  if (request.method() == http::verb::head) {
    response.content_length(text.size());
  } else {
    response.body() = std::move(text);
    response.prepare_payload();
  }
}

Response error_response(const Request& request, http::status status, const std::string& message) {
  return json_response(request, status, nlohmann::json{{"error", message}});
}

Response method_not_allowed(const Request& request, const std::string& allowed) {
  Response response = error_response(
      request, http::status::method_not_allowed,
      "method " + std::string(request.method_string()) + " not allowed on " + target_path(request));
  response.set(http::field::allow, allowed);
  return response;
}

std::string target_path(const Request& request) {
  const auto target = request.target();
  const auto query = target.find('?');
  return std::string(target.substr(0, query));
}

namespace {

// The value of the first `name=value` (or bare `name`) in the query string; nullopt if absent.
std::optional<std::string> find_query_parameter(const Request& request, const std::string& name) {
  const auto target = request.target();
  const auto question = target.find('?');
  if (question == decltype(target)::npos) return std::nullopt;
  auto rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == decltype(pair)::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == decltype(rest)::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace

std::string query_parameter(const Request& request, const std::string& name) {
  return find_query_parameter(request, name).value_or(std::string());
}

bool has_query_parameter(const Request& request, const std::string& name) {
  return find_query_parameter(request, name).has_value();
}

}  // namespace pydio::agent::api
