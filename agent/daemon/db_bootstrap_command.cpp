#include "agent/daemon/db_bootstrap_command.hpp"

#include <spdlog/spdlog.h>

namespace pydio::agent {
namespace {

constexpr std::chrono::seconds kPeerTimeout{10};

api::AdminAnswer from_peer(const api::PeerReply& reply) { return {reply.status, reply.body}; }

}  // namespace

std::string DbBootstrapCommand::refusal(const std::string& node) const {
  auto desired = state_.desired();
  if (!desired) return "no desired state yet";
  if (!desired->database.galera()) {
    return "the cluster has no Galera database tier (fewer than three db nodes): there is "
           "nothing to bootstrap";
  }
  const common::NodeSpec* target = desired->find_node(node);
  if (target == nullptr) return "no node named \"" + node + "\" in the desired state";
  if (!target->has_role(common::Role::kDb)) return "node " + node + " has no role db";
  return "";
}

api::AdminAnswer DbBootstrapCommand::force(const std::string& node) {
  if (std::string why = refusal(node); !why.empty()) {
    return {409, {{"error", why}}};
  }
  if (node == local_.node_name) return from_peer(accept(node));
  auto desired = state_.desired();
  const common::NodeSpec* target = desired->find_node(node);
  auto reply = link_.peer_client(kPeerTimeout)
                   .post(target->address, "/v1/peer/db-bootstrap", {{"node", node}}, false);
  if (!reply) {
    return {502, {{"error", "could not reach the agent of " + node + ": " +
                                reply.status().message()}}};
  }
  return from_peer(*reply);
}

api::PeerReply DbBootstrapCommand::accept(const std::string& node) {
  if (node != local_.node_name) {
    return error_reply(400, "this is node " + local_.node_name + ", not " + node);
  }
  if (std::string why = refusal(node); !why.empty()) return error_reply(409, why);
  auto report = holder_.get();
  if (report && report->primary) {
    return error_reply(409, node + " is already in a primary component (" + report->state +
                                ", cluster size " + std::to_string(report->cluster_size) +
                                "): there is nothing to force");
  }
  holder_.set_forced(true);
  spdlog::warn("db: an operator forced this node to bootstrap the Galera cluster");
  request_pass_();
  nlohmann::json body = {{"forced", node}};
  if (report) {
    body["seqno"] = report->seqno;
    body["positionKnown"] = report->position_known;
  }
  return {200, body};
}

}  // namespace pydio::agent
