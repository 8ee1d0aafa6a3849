#include "agent/daemon/leader_link.hpp"

#include <algorithm>

#include "common/database_address.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
constexpr auto kPeerQueryTimeout = 1500ms;  // asking a storage node who leads
constexpr auto kForwardTimeout = 15s;       // a join or change relayed to the leader
}  // namespace

api::PeerReply error_reply(int status, const std::string& message) {
  return api::PeerReply{status, nlohmann::json{{"error", message}}};
}

PeerClient LeaderLink::peer_client(std::chrono::milliseconds timeout) const {
  return PeerClient(state_.trust().client_context(), timeout);
}

std::optional<std::string> LeaderLink::leader_address(const common::DesiredState& desired) const {
  std::string holder;
  if (LeaderSnapshot leader = state_.leader(); leader.campaigning) holder = leader.lease.holder;
  if (holder.empty()) {
    // Not a candidate: ask the storage nodes, which campaign and know the holder.
    std::vector<std::string> storage;
    for (const auto* node : desired.nodes_with_role(common::Role::kStorage))
      if (node->name != local_.node_name) storage.push_back(node->address);
    for (const auto& reply : peer_client(kPeerQueryTimeout).get_each(storage, "/v1/peer/node")) {
      if (!reply || reply->status != 200 || !reply->body.is_object()) continue;
      const auto leader = reply->body.find("leader");
      if (leader == reply->body.end() || !leader->is_object()) continue;
      const auto name = leader->find("holder");
      if (name != leader->end() && name->is_string() && !name->get<std::string>().empty()) {
        holder = name->get<std::string>();
        break;
      }
    }
  }
  if (holder.empty()) return std::nullopt;
  const common::NodeSpec* node = desired.find_node(holder);
  if (node == nullptr) return std::nullopt;
  return node->address;
}

std::vector<std::string> LeaderLink::storage_peers_leader_first(
    const common::DesiredState& desired) const {
  std::vector<std::string> addresses;
  if (auto leader = leader_address(desired); leader && *leader != local_.address)
    addresses.push_back(*leader);
  for (const common::NodeSpec* node : desired.nodes_with_role(common::Role::kStorage))
    if (node->address != local_.address &&
        std::find(addresses.begin(), addresses.end(), node->address) == addresses.end())
      addresses.push_back(node->address);
  return addresses;
}

api::PeerReply LeaderLink::forward(const std::string& path, const nlohmann::json& body) const {
  auto desired = state_.desired();
  if (!desired) return error_reply(503, "this node has no desired state yet");
  auto leader = leader_address(*desired);
  if (!leader) {
    std::string servers;  // the one host, or the Galera members
    for (const auto& server : common::database_servers(desired->database))
      servers += (servers.empty() ? "" : ", ") + server.host;
    return error_reply(503, "no leader is elected (the database " + servers +
                                " must be reachable from the storage nodes); try again later");
  }
  if (*leader == local_.address) return error_reply(503, "this node just lost the lease; try again");
  auto reply = peer_client(kForwardTimeout).post(*leader, path, body, true);
  if (!reply)
    return error_reply(503, "the leader could not be reached: " + reply.status().message());
  if (!reply->body.is_object())
    return error_reply(502, "the leader answered " + std::to_string(reply->status) +
                                " without a JSON object");
  return *reply;
}

}  // namespace pydio::agent
