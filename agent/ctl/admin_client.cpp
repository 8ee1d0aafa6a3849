#include "agent/ctl/admin_client.hpp"

#include <boost/beast/http/field.hpp>
#include <utility>

#include "version.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;

std::string not_running_message(const std::string& socket_path, const std::string& reason) {
  return "pydio-agentd is not running (no answer on " + socket_path + "): " + reason;
}

AdminClient::AdminClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

AdminReply AdminClient::get(const std::string& target) {
  Request request{http::verb::get, target, 11};
  return call(std::move(request));
}

AdminReply AdminClient::post(const std::string& target, const std::string& body) {
  Request request{http::verb::post, target, 11};
  request.set(http::field::content_type, "application/json");
  request.body() = body;
  return call(std::move(request));
}

AdminReply AdminClient::call(Request request) {
  request.set(http::field::user_agent, std::string("agentctl/") + common::kVersion);
  request.keep_alive(false);
  const std::string what =
      std::string(request.method_string()) + " " + std::string(request.target());
  Exchange exchange = exchange_unix(socket_path_, std::move(request), timeout_);

  AdminReply reply;
  switch (exchange.failure) {
    case ExchangeFailure::kNone:
      break;
    case ExchangeFailure::kNotListening:
      reply.kind = AdminReply::Kind::kNotRunning;
      reply.error = not_running_message(socket_path_, exchange.error);
      return reply;
    case ExchangeFailure::kConnectFailed:
      reply.kind = AdminReply::Kind::kUnreachable;
      reply.error = "cannot connect to pydio-agentd on " + socket_path_ + ": " + exchange.error;
      return reply;
    case ExchangeFailure::kTimedOut:
    case ExchangeFailure::kBroken:
      reply.kind = AdminReply::Kind::kUnreachable;
      reply.error = what + " on " + socket_path_ + ": " + exchange.error;
      return reply;
  }

  const Response& response = exchange.response;
  reply.status_code = response.result_int();
  reply.body = nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  if (reply.body.is_discarded()) {
    reply.kind = AdminReply::Kind::kUnreachable;
    reply.error = what + ": answer is not JSON (HTTP " + std::to_string(reply.status_code) + ")";
    reply.body = nullptr;
    return reply;
  }
  if (reply.status_code / 100 != 2) {
    reply.kind = AdminReply::Kind::kRefused;
    std::string message;
    if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_string()) {
      message = reply.body["error"].get<std::string>();
    }
    reply.error = what + ": HTTP " + std::to_string(reply.status_code) +
                  (message.empty() ? "" : ": " + message);
  }
  return reply;
}

}  // namespace pydio::agent::api
