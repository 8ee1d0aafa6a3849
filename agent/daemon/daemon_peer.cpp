// The daemon's cluster side: the peer API it serves, joining a cluster through a peer, changes
// committed by the leader, and following the published desired state.

#include <spdlog/spdlog.h>

#include <chrono>
#include <regex>

#include "agent/cluster/join_request.hpp"
#include "agent/cluster/published_state.hpp"
#include "agent/daemon/daemon.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kFollowInterval = 2s;        // published changes are adopted within this
constexpr auto kPeerQueryTimeout = 1500ms;  // a report, a document fetch
constexpr auto kForwardTimeout = 15s;       // a join or change relayed to the leader
// agentctl join -> peer -> leader; below agentctl's own 30 s so the reason reaches the operator.
constexpr auto kJoinTimeout = 20s;

api::PeerReply error_reply(int status, const std::string& message) {
  return api::PeerReply{status, json{{"error", message}}};
}

json secrets_json(const common::Secrets& secrets) {
  return {{"joinToken", secrets.join_token},
          {"dbPassword", secrets.db_password},
          {"leasePassword", secrets.lease_password}};
}

common::Expected<common::Secrets> secrets_from_json(const json& body) {
  common::Secrets secrets;
  for (auto [key, field] :
       {std::pair{"joinToken", &secrets.join_token}, std::pair{"dbPassword", &secrets.db_password},
        std::pair{"leasePassword", &secrets.lease_password}}) {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
      return common::Status::error(std::string("the peer's answer lacks secrets.") + key);
    *field = it->get<std::string>();
  }
  return secrets;
}

}  // namespace

bool Daemon::is_leader_now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return elector_ && elector_->is_leader_now();
}

std::shared_ptr<const common::Secrets> Daemon::secrets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return secrets_;
}

PeerClient Daemon::peer_client(std::chrono::milliseconds timeout) const {
  auto current = secrets();
  return PeerClient(current ? current->join_token : "", timeout);
}

std::string Daemon::join_token() const {
  auto current = secrets();
  return current ? current->join_token : "";
}

std::string Daemon::join_command() const {
  const std::string token = join_token();
  if (token.empty() || local_.address.empty()) return "";
  return "agentctl join " + local_.address + " --token " + token;
}

json Daemon::node_report() {
  json report = local_status();
  report["address"] = local_.address;
  return report;
}

api::PeerReply Daemon::document_reply(const std::shared_ptr<const common::DesiredState>& state,
                                      bool with_secrets) const {
  if (!state) return error_reply(404, "this node has no desired state yet");
  json body = {{"generation", state->generation},
               {"document", common::serialize_desired_state(*state)}};
  if (with_secrets) {
    auto current = secrets();
    if (!current) return error_reply(503, "this node has no secrets yet");
    body["secrets"] = secrets_json(*current);
  }
  return api::PeerReply{200, body};
}

api::PeerReply Daemon::desired_document() { return document_reply(desired_.current(), false); }

std::optional<std::string> Daemon::leader_address(const common::DesiredState& desired) const {
  std::string holder;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (elector_) holder = elector_->status().holder;
  }
  if (holder.empty()) {
    // Not a candidate: ask the storage nodes, which campaign and know the holder.
    PeerClient client = peer_client(kPeerQueryTimeout);
    for (const auto* node : desired.nodes_with_role(common::Role::kStorage)) {
      if (node->name == local_.node_name) continue;
      auto reply = client.get(node->address, "/v1/peer/node");
      if (!reply || reply->status != 200) continue;
      holder = reply->body.value("/leader/holder"_json_pointer, std::string());
      if (!holder.empty()) break;
    }
  }
  if (holder.empty()) return std::nullopt;
  const common::NodeSpec* node = desired.find_node(holder);
  if (node == nullptr) return std::nullopt;
  return node->address;
}

api::PeerReply Daemon::forward_to_leader(const std::string& path, const json& body) {
  auto desired = desired_.current();
  if (!desired) return error_reply(503, "this node has no desired state yet");
  auto leader = leader_address(*desired);
  if (!leader) {
    return error_reply(503, "no leader is elected (the database " + desired->database.host +
                                " must be reachable from the storage nodes); try again later");
  }
  if (*leader == local_.address)
    return error_reply(503, "this node just lost the lease; try again");
  auto reply = peer_client(kForwardTimeout).post(*leader, path, body, true);
  if (!reply)
    return error_reply(503, "the leader could not be reached: " + reply.status().message());
  return *reply;
}

api::PeerReply Daemon::commit_change(const std::string& document) {
  if (!is_leader_now()) return error_reply(503, "this node no longer leads; try again");
  return commit_local_change(document);
}

api::PeerReply Daemon::commit_local_change(const std::string& document) {
  std::lock_guard<std::mutex> lock(change_mutex_);
  // A lost race is not a broken document: answer 409 without recording it as the node's
  // desired-state error.
  common::ValidationResult parsed = common::parse_desired_state(document);
  auto in_force = desired_.current();
  if (parsed.state) {
    auto problems = check_generation(in_force.get(), *parsed.state, GenerationRule::kNext);
    if (!problems.empty()) {
      api::PeerReply reply = error_reply(409, problems.front());
      reply.body["generation"] = in_force ? in_force->generation : 0;
      return reply;
    }
  }
  auto outcome = desired_.submit(document, GenerationRule::kNext);
  if (!outcome) return error_reply(500, outcome.status().message());
  if (!outcome->errors.empty()) {
    std::string errors;
    for (const auto& error : outcome->errors) errors += (errors.empty() ? "" : "; ") + error;
    api::PeerReply reply = error_reply(409, errors);
    reply.body["generation"] = desired_.current() ? desired_.current()->generation : 0;
    return reply;
  }
  auto current = desired_.current();
  spdlog::info(
      "leader term {}: desired state generation {} in force, publishing it",
      [this] {
        std::lock_guard<std::mutex> l(mutex_);
        return elector_ ? elector_->term() : 0;
      }(),
      current->generation);
  health_.check_now();
  follow_desired_state();
  return api::PeerReply{200, json{{"generation", current->generation}}};
}

api::PeerReply Daemon::change_desired_state(const std::string& document, bool forwarded) {
  common::ValidationResult parsed = common::parse_desired_state(document);
  if (!parsed.state) {
    std::string errors;
    for (const auto& error : parsed.errors) errors += (errors.empty() ? "" : "; ") + error;
    return error_reply(422, "invalid desired state: " + errors);
  }
  if (is_leader_now()) return commit_change(document);
  if (forwarded) return error_reply(503, "this node is not the leader");
  return forward_to_leader("/v1/peer/desired-state", json{{"document", document}});
}

api::PeerReply Daemon::join(const json& body, bool forwarded) {
  auto request = parse_join_request(body);
  if (!request) return error_reply(400, "join request: " + request.status().message());
  auto decided = decide_join(desired_.current(), *request);
  if (auto* refusal = std::get_if<JoinRefusal>(&decided)) {
    return error_reply(refusal->kind == JoinConflict::kConflict ? 409 : 422, refusal->message);
  }
  const JoinDecision& decision = std::get<JoinDecision>(decided);
  if (decision.already_member) {
    spdlog::info("node {} ({}) joined again: it already is a member", request->name,
                 request->address);
    return document_reply(decision.next, true);
  }
  if (!is_leader_now()) {
    if (forwarded) return error_reply(503, "this node is not the leader");
    return forward_to_leader("/v1/peer/join", body);
  }
  api::PeerReply committed = commit_change(common::serialize_desired_state(*decision.next));
  if (committed.status != 200) return committed;
  spdlog::info("node {} ({}) added to the desired state", request->name, request->address);
  return document_reply(desired_.current(), true);
}

api::JoinOutcome Daemon::join(const api::JoinOptions& options) {
  auto fail = [](int status, const std::string& message) {
    return api::JoinOutcome{status, json{{"error", message}}};
  };
  static const std::regex kTokenForm("[a-z0-9]{6}\\.[a-z0-9]{16}");
  if (!std::regex_match(options.token, kTokenForm)) {
    return fail(400,
                "token: expected the form abcdef.0123456789abcdef (as printed by "
                "agentctl init)");
  }
  if (local_.address.empty()) return fail(400, "agent.json has no address for this node");
  JoinRequest request;
  request.name = local_.node_name;
  request.address = local_.address;
  for (const auto& name : options.roles) {
    auto role = common::parse_role(name);
    if (!role) return fail(400, "roles: \"" + name + "\" is not a role (storage, compute, db, lb)");
    request.roles.push_back(*role);
  }
  request.device = options.device;
  if (auto peer = parse_peer_address(options.peer); !peer)
    return fail(400, peer.status().message());

  PeerClient client(options.token, kJoinTimeout);
  auto reply = client.post(options.peer, "/v1/peer/join", join_request_json(request), false);
  if (!reply) return fail(502, "cannot join: " + reply.status().message());
  if (reply->status == 401) {
    return fail(401, "cannot join: the agent at " + options.peer +
                         " refused the token (401); check --token");
  }
  if (reply->status != 200) {
    return fail(reply->status, "cannot join: the agent at " + options.peer + " refused (" +
                                   std::to_string(reply->status) + "): " +
                                   reply->body.value("error", std::string("no reason given")));
  }
  const api::PeerReply& answer = *reply;
  if (!answer.body.contains("document") || !answer.body["document"].is_string())
    return fail(502, "cannot join: the peer's answer lacks the desired state");
  auto secrets = secrets_from_json(answer.body.value("secrets", json::object()));
  if (!secrets) return fail(502, "cannot join: " + secrets.status().message());
  const std::string document = answer.body["document"].get<std::string>();
  common::ValidationResult parsed = common::parse_desired_state(document);
  if (!parsed.state) return fail(502, "cannot join: the peer sent an invalid desired state");
  if (auto current = desired_.current();
      current && current->cluster_name != parsed.state->cluster_name) {
    return fail(409, "this node already follows cluster " + current->cluster_name +
                         "; it cannot join cluster " + parsed.state->cluster_name);
  }
  // Only now does anything change on this node: secrets first (the desired state needs them).
  if (common::Status saved = common::save_secrets(local_.secrets_path, *secrets); !saved)
    return fail(500, saved.message());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_ = std::make_shared<const common::Secrets>(*secrets);
  }
  auto outcome = desired_.submit(document);
  if (!outcome) return fail(500, outcome.status().message());
  if (!outcome->errors.empty()) {
    return fail(409, "joined, but the desired state from the peer is not accepted here: " +
                         outcome->errors.front());
  }
  health_.check_now();
  follow_desired_state();
  auto current = desired_.current();
  const common::NodeSpec* self = current ? current->find_node(local_.node_name) : nullptr;
  json roles = json::array();
  if (self != nullptr)
    for (auto role : self->roles) roles.push_back(common::role_name(role));
  spdlog::info("joined cluster {} through {}: generation {}", current->cluster_name, options.peer,
               current->generation);
  return api::JoinOutcome{200, json{{"cluster", current->cluster_name},
                                    {"generation", current->generation},
                                    {"roles", roles}}};
}

void Daemon::adopt(const std::string& text, const std::string& source) {
  if (text == last_adopted_text_) return;
  last_adopted_text_ = text;
  common::ValidationResult parsed = common::parse_desired_state(text);
  auto current = desired_.current();
  if (parsed.state && current && parsed.state->generation <= current->generation) return;
  if (parsed.state)
    spdlog::info("adopting desired state generation {} from {}", parsed.state->generation, source);
  auto outcome = desired_.submit(text);  // records why an invalid document is ignored
  if (!outcome) {
    spdlog::error("{}", outcome.status().message());
    last_adopted_text_.clear();  // try again next round
    return;
  }
  health_.check_now();
  if (outcome->errors.empty()) follow_desired_state();
}

void Daemon::follow_published_loop() {
  auto next = std::chrono::steady_clock::now();
  while (!stopping_) {
    std::this_thread::sleep_for(100ms);
    if (std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + kFollowInterval;
    auto desired = desired_.current();
    if (!desired || !secrets()) continue;
    const common::NodeSpec* self = desired->find_node(local_.node_name);
    const std::string path = published_state_path(*desired);
    if (!path.empty() && self != nullptr && self->has_role(common::Role::kCompute)) {
      auto published = read_published_state(path);
      if (published && published->has_value()) {
        adopt((*published)->text, std::string(kConfigVolume));
        continue;
      }
    }
    if (is_leader_now()) continue;  // the leader's own copy is the newest
    // No published copy here (no pydio-config yet, or no mount on this node): ask the leader,
    // else any peer.
    std::vector<std::string> peers;
    if (auto leader = leader_address(*desired)) peers.push_back(*leader);
    for (const auto& node : desired->nodes)
      if (node.name != local_.node_name) peers.push_back(node.address);
    PeerClient client = peer_client(kPeerQueryTimeout);
    for (const auto& peer : peers) {
      if (peer == local_.address) continue;
      auto reply = client.get(peer, "/v1/peer/desired-state");
      if (!reply || reply->status != 200 || !reply->body.contains("document")) continue;
      adopt(reply->body["document"].get<std::string>(), "peer " + peer);
      break;
    }
  }
}

}  // namespace pydio::agent
