#include "agent/api/peer_api.hpp"

#include <optional>
#include <utility>

namespace pydio::agent::api {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr const char* kBearer = "Bearer ";

Response reply(const Request& request, const PeerReply& answer) {
  return json_response(request, static_cast<http::status>(answer.status), answer.body);
}

bool authorized(const RequestHeader& request, const PeerBackend& backend) {
  const auto header = request.find(http::field::authorization);
  if (header == request.end()) return false;
  const std::string value(header->value());
  if (value.rfind(kBearer, 0) != 0) return false;
  return token_matches(value.substr(std::string(kBearer).size()), backend.join_token());
}

bool forwarded(const Request& request) {
  const auto header = request.find(kForwardedHeader);
  return header != request.end() && header->value() == "1";
}

// The body as a JSON object, or nullopt.
std::optional<json> object_body(const Request& request) {
  json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  return body;
}

}  // namespace

bool token_matches(const std::string& presented, const std::string& expected) {
  if (expected.empty() || presented.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    difference |= static_cast<unsigned char>(presented[i] ^ expected[i]);
  return difference == 0;
}

std::optional<Response> refuse_unauthorized(const RequestHeader& header,
                                            const PeerBackend& backend) {
  if (authorized(header, backend)) return std::nullopt;
  Request answered;  // error_response takes version and keep-alive from a request
  answered.base() = header;
  Response response = error_response(answered, http::status::unauthorized,
                                     "a valid cluster join token is required");
  response.set(http::field::www_authenticate, "Bearer");
  return response;
}

Response handle_peer_request(const Request& request, PeerBackend& backend) {
  if (auto refused = refuse_unauthorized(request, backend)) return std::move(*refused);
  const std::string path = target_path(request);
  if (path == "/v1/peer/node") {
    if (request.method() != http::verb::get) return method_not_allowed(request, "GET");
    return json_response(request, http::status::ok, backend.node_report());
  }
  if (path == "/v1/peer/desired-state") {
    if (request.method() == http::verb::get) return reply(request, backend.desired_document());
    if (request.method() != http::verb::post) return method_not_allowed(request, "GET, POST");
    auto body = object_body(request);
    if (!body || !body->contains("document") || !(*body)["document"].is_string()) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"document\": \"<desired-state JSON text>\"}");
    }
    return reply(request, backend.change_desired_state((*body)["document"].get<std::string>(),
                                                       forwarded(request)));
  }
  if (path == "/v1/peer/join") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    auto body = object_body(request);
    if (!body)
      return error_response(request, http::status::bad_request, "body: expected a JSON object");
    return reply(request, backend.join(*body, forwarded(request)));
  }
  if (path == "/v1/peer/nudge") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    auto body = object_body(request);
    if (!body)
      return error_response(request, http::status::bad_request, "body: expected a JSON object");
    Nudge nudge;
    const auto reason = body->find("reason");
    const auto generation = body->find("generation");
    const auto from = body->find("from");
    if (reason == body->end() || !reason->is_string() || reason->get<std::string>().size() > 200 ||
        (generation != body->end() && !generation->is_number_integer()) ||
        (from != body->end() && !from->is_string())) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"reason\": \"<up to 200 characters>\", "
                            "\"generation\": N, \"from\": \"<address>\"} (generation and "
                            "from optional)");
    }
    nudge.reason = reason->get<std::string>();
    if (generation != body->end()) nudge.generation = generation->get<std::int64_t>();
    if (from != body->end()) nudge.from = from->get<std::string>();
    return reply(request, backend.nudge(nudge));
  }
  return error_response(request, http::status::not_found, "no such endpoint: " + path);
}

}  // namespace pydio::agent::api
