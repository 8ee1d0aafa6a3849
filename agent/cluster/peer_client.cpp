#include "agent/cluster/peer_client.hpp"

#include <future>

#include "agent/api/http_server.hpp"
#include "agent/cluster/tls_client.hpp"

namespace pydio::agent {

namespace http = boost::beast::http;

common::Expected<std::pair<std::string, std::uint16_t>> parse_peer_address(
    const std::string& text) {
  if (text.empty()) return common::Status::error("peer address: empty");
  if (text.find(':') == std::string::npos) return std::make_pair(text, api::kPeerPort);
  auto split = api::split_host_port(text);
  if (!split) return split.status().with_context("peer address " + text);
  return split;
}

common::Expected<api::PeerReply> PeerClient::get(const std::string& peer,
                                                 const std::string& path) const {
  api::Request request(http::verb::get, path, 11);
  return exchange(peer, std::move(request));
}

std::vector<common::Expected<api::PeerReply>> PeerClient::get_each(
    const std::vector<std::string>& peers, const std::string& path) const {
  std::vector<std::future<common::Expected<api::PeerReply>>> asked;
  for (const auto& peer : peers)
    asked.push_back(std::async(std::launch::async, [this, peer, path] { return get(peer, path); }));
  std::vector<common::Expected<api::PeerReply>> answers;
  for (auto& answer : asked) answers.push_back(answer.get());
  return answers;
}

std::vector<common::Expected<api::PeerReply>> PeerClient::post_each(
    const std::vector<std::string>& peers, const std::string& path,
    const nlohmann::json& body) const {
  std::vector<std::future<common::Expected<api::PeerReply>>> asked;
  for (const auto& peer : peers) {
    asked.push_back(std::async(std::launch::async,
                               [this, peer, path, body] { return post(peer, path, body, false); }));
  }
  std::vector<common::Expected<api::PeerReply>> answers;
  for (auto& answer : asked) answers.push_back(answer.get());
  return answers;
}

common::Expected<api::PeerReply> PeerClient::post(const std::string& peer, const std::string& path,
                                                  const nlohmann::json& body,
                                                  bool forwarded) const {
  api::Request request(http::verb::post, path, 11);
  request.set(http::field::content_type, "application/json");
  if (forwarded) request.set(api::kForwardedHeader, "1");
  request.body() = body.dump();
  return exchange(peer, std::move(request));
}

common::Expected<api::PeerReply> PeerClient::exchange(const std::string& peer,
                                                      api::Request request) const {
  auto address = parse_peer_address(peer);
  if (!address) return address.status();
  request.set(http::field::host, address->first);
  const std::string what = "agent at " + address->first + ":" + std::to_string(address->second);
  if (!tls_) return common::Status::error(what + ": this node has no certificate yet");
  api::Exchange answer =
      api::exchange_tls(address->first, address->second, std::move(request), timeout_, *tls_);
  if (!answer.ok()) {
    std::string reason = answer.error;
    if (answer.failure == api::ExchangeFailure::kTimedOut)
      reason = "no answer within " + std::to_string(timeout_.count()) + " ms";
    return common::Status::error(what + ": " + reason);
  }
  api::PeerReply reply;
  reply.status = static_cast<int>(answer.response.result_int());
  reply.body = nlohmann::json::parse(answer.response.body(), nullptr, false);
  if (!reply.body.is_object()) return common::Status::error(what + ": answer is not a JSON object");
  return reply;
}

std::string text_field(const nlohmann::json& body, const std::string& key,
                       const std::string& fallback) {
  if (!body.is_object()) return fallback;
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::int64_t int_field(const nlohmann::json& body, const std::string& key, std::int64_t fallback) {
  if (!body.is_object()) return fallback;
  auto it = body.find(key);
  return it != body.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

bool bool_field(const nlohmann::json& body, const std::string& key, bool fallback) {
  if (!body.is_object()) return fallback;
  auto it = body.find(key);
  return it != body.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

nlohmann::json object_field(const nlohmann::json& body, const std::string& key) {
  if (!body.is_object()) return nlohmann::json::object();
  auto it = body.find(key);
  return it != body.end() && it->is_object() ? *it : nlohmann::json::object();
}

}  // namespace pydio::agent
