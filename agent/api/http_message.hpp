#pragma once
// HTTP message types shared by the agent's servers (health, admin), their pure handlers and
// the admin client. Handlers are plain functions Request -> Response so they are tested
// without sockets; the server owns framing, keep-alive, timeouts and limits.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace pydio::agent::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// The start line and fields of a request, before its body is read.
using RequestHeader = boost::beast::http::request_header<>;

// Runs on the server's io_context thread: it must not block (no process, mount or database).
// An exception escaping it becomes a 500 answer.
using Handler = std::function<Response(const Request&)>;

// A response with `body` serialized as JSON, Content-Type application/json, keep-alive and
// HTTP version taken from `request`, Content-Length set. For HEAD requests the body is left
// out but Content-Length still describes it.
Response json_response(const Request& request, boost::beast::http::status status,
                       const nlohmann::json& body);

// {"error": message} with the given status.
Response error_response(const Request& request, boost::beast::http::status status,
                        const std::string& message);

// 405 with an Allow header listing `allowed` (e.g. "GET, HEAD").
Response method_not_allowed(const Request& request, const std::string& allowed);
// Puts `text` in the response as its body, or for a HEAD request only its Content-Length.
void set_body(const Request& request, Response& response, std::string text);

// The path part of a request target ("/v1/events?n=5" -> "/v1/events").
std::string target_path(const Request& request);

// The raw value of query parameter `name` in the request target, or empty when absent.
// No percent-decoding: the admin API only takes numbers in its query strings.
std::string query_parameter(const Request& request, const std::string& name);
// Whether `name` appears in the query string at all ("?after=" and "?after" count).
bool has_query_parameter(const Request& request, const std::string& name);

}  // namespace pydio::agent::api
