#include "agent/daemon/join_admission.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/join_request.hpp"

namespace pydio::agent {

using nlohmann::json;

namespace {
bool may_lead(const common::DesiredState& desired, const std::string& node) {
  const common::NodeSpec* spec = desired.find_node(node);
  return spec != nullptr && spec->has_role(common::Role::kStorage);
}
}  // namespace

api::PeerReply JoinAdmission::document_reply(const std::string& joiner) const {
  auto signed_text = state_.desired_signed();
  auto state = state_.desired();
  if (!signed_text || !state) return error_reply(404, "this node has no desired state yet");
  if (signed_text->signature.empty())
    return error_reply(503, "this node's copy of the desired state is not signed yet");
  json body = {{"generation", state->generation},
               {"document", signed_text->text},
               {"signature", signed_text->signature}};
  if (!joiner.empty()) {
    auto secrets = state_.secrets();
    auto keys = state_.signing_keys();
    if (!secrets || !keys) return error_reply(503, "this node has no secrets yet");
    body["secrets"] = {{"joinToken", secrets->join_token},
                       {"dbPassword", secrets->db_password},
                       {"leasePassword", secrets->lease_password}};
    body["signing"] = {{"publicKey", keys->public_pem}};
    if (may_lead(*state, joiner)) {
      if (keys->private_pem.empty())
        return error_reply(503,
                           "this node holds no private signing key for storage node " + joiner);
      body["signing"]["privateKey"] = keys->private_pem;
    }
  }
  return api::PeerReply{200, body};
}

api::PeerReply JoinAdmission::admit(const json& body, bool forwarded) {
  auto request = parse_join_request(body);
  if (!request) return error_reply(400, "join request: " + request.status().message());
  auto decided = decide_join(state_.desired(), *request);
  if (auto* refusal = std::get_if<JoinRefusal>(&decided))
    return error_reply(refusal->kind == JoinConflict::kConflict ? 409 : 422, refusal->message);
  const JoinDecision& decision = std::get<JoinDecision>(decided);
  // A storage joiner needs the private signing key: a node without one (compute, db) relays.
  auto keys = state_.signing_keys();
  const bool can_answer =
      !may_lead(*decision.next, request->name) || (keys && !keys->private_pem.empty());
  if (decision.already_member && can_answer) {
    spdlog::info("node {} ({}) joined again: it already is a member", request->name,
                 request->address);
    return document_reply(request->name);
  }
  if (!state_.is_leader_now()) {
    if (forwarded) return error_reply(503, "this node is not the leader");
    return leader_.forward("/v1/peer/join", body);
  }
  // decide_join validated the new document: it goes in force without another parse.
  api::PeerReply committed = changes_.commit(common::ValidationResult{decision.next, {}});
  if (committed.status != 200) return committed;
  spdlog::info("node {} ({}) added to the desired state", request->name, request->address);
  return document_reply(request->name);
}

}  // namespace pydio::agent
