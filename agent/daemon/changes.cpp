#include "agent/daemon/changes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "agent/cluster/join_token.hpp"
#include "agent/cluster/signing.hpp"
#include "agent/daemon/peer_replies.hpp"
#include "common/release_publish.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;
constexpr auto kAnnounceTimeout = 1s;
// The leader announces a new generation to every node at once; this bounds the wait for it.
constexpr auto kFollowWait = 15s;

// Asks `done` every `period` until it is true or kFollowWait has passed.
template <typename Done>
void poll_until(Done done, std::chrono::milliseconds period) {
  const auto deadline = std::chrono::steady_clock::now() + kFollowWait;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(period);
}

// Join tokens come and go with agentctl token only. A spec may leave them out (or list none):
// the tokens in force stay. A spec that lists tokens must list exactly those in force (an
// edited copy of the stored document): anything else would be ignored, so it is refused.
std::vector<std::string> join_tokens_problem(const std::vector<common::JoinTokenSpec>& listed,
                                             const std::vector<common::JoinTokenSpec>& in_force) {
  if (listed.empty()) return {};
  const auto ids = [](const std::vector<common::JoinTokenSpec>& tokens) {
    std::vector<std::string> out;
    for (const auto& token : tokens) out.push_back(token.id + ":" + token.secret_hash);
    std::sort(out.begin(), out.end());
    return out;
  };
  if (ids(listed) == ids(in_force)) return {};
  std::vector<std::string> not_in_force;
  for (const auto& token : listed) {
    const bool known = std::any_of(in_force.begin(), in_force.end(), [&](const auto& held) {
      return held.id == token.id && held.secret_hash == token.secret_hash;
    });
    if (!known) not_in_force.push_back(token.id);
  }
  return {"joinTokens: managed with agentctl token create|delete, not by a spec; this spec's "
          "list differs from the tokens in force" +
          (not_in_force.empty() ? std::string(" (it lacks some)")
                                : " (not in force: " + common::join(not_in_force, ", ") + ")") +
          "; remove the joinTokens member"};
}

// security.caCertificates belongs to agentctl rotate ca (ca_rotation.hpp): a spec may leave it
// out (the CAs in force stay) or list exactly those in force (an edited copy of the stored
// document); anything else is refused, as it would be ignored.
std::vector<std::string> ca_certificates_problem(const std::vector<std::string>& listed,
                                                 const std::vector<std::string>& in_force) {
  if (listed.empty() || listed == in_force) return {};
  return {
      "security.caCertificates: managed by agentctl rotate ca, not by a spec; this spec's "
      "list differs from the CAs in force; remove the caCertificates member"};
}

}  // namespace

std::string ChangeCommitter::join_command(const std::string& token) const {
  const std::string pin = state_.trust().ca_pin();
  if (token.empty() || pin.empty() || local_.address.empty()) return "";
  return "agentctl join " + local_.address + " --token " + token + " --ca-cert-hash " + pin;
}

common::Expected<api::SubmitResult> ChangeCommitter::submit_from_operator(
    const std::string& document) {
  api::SubmitResult result;
  const common::ValidationResult parsed = common::parse_desired_state(document);
  auto in_force = state_.desired();
  if (!parsed.state) {
    state_.record_refusal(parsed.errors);
    on_commit_();
    result.errors = parsed.errors;
    result.generation = in_force ? in_force->generation : 0;
    return result;
  }
  if (!in_force) {
    // The first document of a new node (agentctl init): nothing to race with. The node makes
    // the cluster's signing key first: every document in force is signed. The first join
    // token goes into that document; its secret only into the answer.
    if (common::Status keys = state_.ensure_signing_keys(); !keys) return keys;
    auto token = make_join_token({}, common::utc_now_seconds(), kDefaultTokenTtl,
                                 "created by agentctl init");
    if (!token) return token.status().with_context("init");
    auto problems = join_tokens_problem(parsed.state->join_tokens, {});
    for (auto& problem : ca_certificates_problem(parsed.state->security.ca_certificates, {}))
      problems.push_back(std::move(problem));
    for (auto& problem : common::release_members_problem(parsed.state->web, nullptr))
      problems.push_back(std::move(problem));
    if (!problems.empty()) {
      result.errors = problems;
      return result;
    }
    auto first = std::make_shared<common::DesiredState>(*parsed.state);
    first->join_tokens = {token->spec};
    auto outcome = state_.commit(common::ValidationResult{first, {}});
    if (!outcome) return outcome.status();
    result.errors = outcome->errors;
    result.generation = state_.desired() ? state_.desired()->generation : 0;
    if (result.errors.empty()) {
      if (common::Status secrets = state_.ensure_secrets(); !secrets) return secrets;
      const auto& desired = *state_.desired();
      if (common::Status pki = state_.trust().ensure_first_node(desired.cluster_name,
                                                                local_.node_name, local_.address);
          !pki)
        return pki.with_context("init");
      result.join_command = join_command(token->token);
    }
    on_commit_();
    return result;
  }
  // A node that already follows a cluster: the document is a change, and only the leader puts
  // changes in force (so two concurrent changes cannot both win). The tokens in force are kept
  // (join_tokens_problem): no apply brings a deleted token back or drops a new one.
  auto problems = join_tokens_problem(parsed.state->join_tokens, in_force->join_tokens);
  for (auto& problem : ca_certificates_problem(parsed.state->security.ca_certificates,
                                               in_force->security.ca_certificates))
    problems.push_back(std::move(problem));
  // web.release and web.rollout belong to agentctl app publish and the leader's rollout.
  for (auto& problem : common::release_members_problem(parsed.state->web, &in_force->web))
    problems.push_back(std::move(problem));
  if (!problems.empty()) {
    result.errors = problems;
    result.generation = in_force->generation;
    return result;
  }
  common::DesiredState next = *parsed.state;
  next.join_tokens = in_force->join_tokens;
  next.security.ca_certificates = in_force->security.ca_certificates;
  next.web.release = in_force->web.release;
  next.web.rollout = in_force->web.rollout;
  api::PeerReply reply = propose(next);
  result.generation = int_field(reply.body, "generation", state_.desired()->generation);
  if (reply.status == 200) return result;
  const std::string error = text_field(reply.body, "error", "refused");
  if (reply.status == 403) {  // this node may not ask: a refusal, not a failure of the agent
    result.forbidden = true;
    result.errors.push_back(error);
    return result;
  }
  if (reply.status == 409 || reply.status == 422) {
    result.conflict = reply.status == 409;
    result.errors.push_back(error);
    return result;
  }
  return common::Status::error(error);
}

bool ChangeCommitter::alone(const common::DesiredState& desired) const {
  return desired.nodes.size() == 1 && desired.nodes.front().name == local_.node_name;
}

api::PeerReply ChangeCommitter::propose(const common::DesiredState& next) {
  auto in_force = state_.desired();
  if (!in_force) return error_reply(409, "no desired state yet (run agentctl init --spec FILE)");
  // Only nodes that may lead may ask for a change: the leader refuses any other node's
  // certificate (peer_api.hpp), so say it here.
  if (!state_.admits_joins()) {
    return error_reply(403, "only storage nodes may change the desired state; this node (" +
                                local_.node_name + ") may not: run the command on one");
  }
  const common::ValidationResult parsed{std::make_shared<const common::DesiredState>(next), {}};
  if (state_.is_leader_now()) return commit(parsed);
  if (alone(*in_force)) return commit_unleased(parsed);
  return leader_.forward("/v1/peer/desired-state",
                         json{{"document", common::serialize_desired_state(next)}});
}

api::PeerReply ChangeCommitter::change(const std::string& document, bool forwarded) {
  const common::ValidationResult parsed = common::parse_desired_state(document);
  if (!parsed.state)
    return error_reply(422, "invalid desired state: " + common::join(parsed.errors, "; "));
  if (state_.is_leader_now()) return commit(parsed);
  if (forwarded) return error_reply(503, "this node is not the leader");
  return leader_.forward("/v1/peer/desired-state", json{{"document", document}});
}

api::PeerReply ChangeCommitter::commit(const common::ValidationResult& parsed) {
  if (!state_.is_leader_now()) return error_reply(503, "this node no longer leads; try again");
  return commit_unleased(parsed);
}

api::PeerReply ChangeCommitter::commit_unleased(const common::ValidationResult& parsed) {
  std::lock_guard<std::mutex> lock(commit_mutex_);
  auto in_force = state_.desired();
  // A lost race is not a broken document: answer 409 without recording it as the node's
  // desired-state error.
  if (parsed.state) {
    auto problems = check_generation(in_force.get(), *parsed.state, GenerationRule::kNext);
    if (!problems.empty()) {
      api::PeerReply reply = error_reply(409, problems.front());
      reply.body["generation"] = in_force ? in_force->generation : 0;
      return reply;
    }
    // A setting chosen at init is an invalid change (422), not a lost race (409).
    if (in_force) {
      problems = common::check_transition(*in_force, *parsed.state);
      if (!problems.empty()) return error_reply(422, common::join(problems, "; "));
    }
  }
  auto outcome = state_.commit(parsed, GenerationRule::kNext);
  if (!outcome) return error_reply(500, outcome.status().message());
  if (!outcome->errors.empty()) {
    api::PeerReply reply = error_reply(409, common::join(outcome->errors, "; "));
    reply.body["generation"] = state_.desired() ? state_.desired()->generation : 0;
    return reply;
  }
  auto current = state_.desired();
  spdlog::info("leader term {}: desired state generation {} in force, publishing it",
               state_.live_term(), current->generation);
  on_commit_();
  if (outcome->changed) announce(*current);
  return api::PeerReply{200, json{{"generation", current->generation}}};
}

api::PeerReply ChangeCommitter::rotate_signing_key(bool forwarded) {
  auto in_force = state_.desired();
  if (!in_force) return error_reply(409, "no desired state yet (run agentctl init --spec FILE)");
  if (!state_.admits_joins()) {
    return error_reply(403, "only storage nodes hold the signing key; this node (" +
                                local_.node_name + ") does not: run the command on one");
  }
  const bool single = alone(*in_force);
  if (!state_.is_leader_now() && !single) {
    if (forwarded) return error_reply(503, "this node is not the leader");
    return leader_.forward("/v1/peer/rotate-signing-key", json::object());
  }
  std::lock_guard<std::mutex> lock(commit_mutex_);
  // Again under the lock: a node that lost the lease meanwhile must not put a new key in force.
  if (!single && !state_.is_leader_now())
    return error_reply(503, "this node no longer leads; try again");
  auto keys = state_.signing_keys();
  const std::string previous = keys ? key_id(keys->public_pem) : "";
  in_force = state_.desired();
  auto next = std::make_shared<common::DesiredState>(*in_force);
  next->generation = in_force->generation + 1;
  auto outcome = state_.commit_with_new_key(common::ValidationResult{next, {}});
  if (!outcome) return error_reply(500, outcome.status().message());
  if (!outcome->errors.empty()) return error_reply(409, common::join(outcome->errors, "; "));
  auto current = state_.desired();
  spdlog::info("leader term {}: generation {} in force, signed with the new key {}",
               state_.live_term(), current->generation, key_id(state_.signing_keys()->public_pem));
  on_commit_();
  announce(*current);
  return api::PeerReply{200, json{{"generation", current->generation},
                                  {"keyId", key_id(state_.signing_keys()->public_pem)},
                                  {"previousKeyId", previous}}};
}

json ChangeCommitter::key_holders(const std::string& key_id) const {
  json holders = json::array();
  auto desired = state_.desired();
  if (!desired) return holders;
  std::vector<const common::NodeSpec*> others;
  std::vector<std::string> addresses;
  for (const common::NodeSpec* node : desired->nodes_with_role(common::Role::kStorage)) {
    if (node->name == local_.node_name) {
      auto keys = state_.signing_keys();
      const bool holds = keys && !keys->private_pem.empty() &&
                         agent::key_id(keys->public_pem) == key_id;
      holders.push_back({{"name", node->name}, {"holdsKey", holds}});
      continue;
    }
    others.push_back(node);
    addresses.push_back(node->address);
  }
  const auto replies = leader_.peer_client(kAnnounceTimeout).get_each(addresses, "/v1/peer/node");
  for (std::size_t i = 0; i < others.size(); ++i) {
    bool holds = false;
    if (i < replies.size() && replies[i] && replies[i]->status == 200) {
      holds = reply_holds_signing_key(replies[i]->body, key_id);
    }
    holders.push_back({{"name", others[i]->name}, {"holdsKey", holds}});
  }
  return holders;
}

json ChangeCommitter::await_key_holders(const std::string& key_id) const {
  json holders;
  poll_until(
      [&] {
        holders = key_holders(key_id);
        return std::all_of(holders.begin(), holders.end(),
                           [](const json& holder) { return holder.value("holdsKey", false); });
      },
      500ms);
  return holders;
}

void ChangeCommitter::await_generation(std::int64_t generation) const {
  poll_until(
      [&] {
        auto desired = state_.desired();
        return desired && desired->generation >= generation;
      },
      100ms);
}

void ChangeCommitter::announce(const common::DesiredState& desired) const {
  std::vector<std::string> others;
  for (const auto& node : desired.nodes)
    if (node.name != local_.node_name) others.push_back(node.address);
  if (others.empty() || local_.address.empty()) return;
  const json body = {{"reason", "generation " + std::to_string(desired.generation) + " in force"},
                     {"generation", desired.generation},
                     {"from", local_.address}};
  // Fire and forget: the change is in force already; a node the push misses polls for it.
  std::thread([client = leader_.peer_client(kAnnounceTimeout), others, body] {
    try {
      client.post_each(others, "/v1/peer/nudge", body);
    } catch (const std::exception& e) {
      spdlog::warn("announcing a new generation failed: {}", e.what());
    }
  }).detach();
}

}  // namespace pydio::agent
