#include "agent/daemon/join_admission.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/join_request.hpp"

namespace pydio::agent {

using nlohmann::json;

api::PeerReply JoinAdmission::document_reply(
    const std::shared_ptr<const common::DesiredState>& state, bool with_secrets) const {
  if (!state) return error_reply(404, "this node has no desired state yet");
  json body = {{"generation", state->generation},
               {"document", common::serialize_desired_state(*state)}};
  if (with_secrets) {
    auto secrets = state_.secrets();
    if (!secrets) return error_reply(503, "this node has no secrets yet");
    body["secrets"] = {{"joinToken", secrets->join_token},
                       {"dbPassword", secrets->db_password},
                       {"leasePassword", secrets->lease_password}};
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
  if (decision.already_member) {
    spdlog::info("node {} ({}) joined again: it already is a member", request->name,
                 request->address);
    return document_reply(decision.next, true);
  }
  if (!state_.is_leader_now()) {
    if (forwarded) return error_reply(503, "this node is not the leader");
    return leader_.forward("/v1/peer/join", body);
  }
  // decide_join validated the new document: it goes in force without another parse.
  api::PeerReply committed = changes_.commit(common::ValidationResult{decision.next, {}});
  if (committed.status != 200) return committed;
  spdlog::info("node {} ({}) added to the desired state", request->name, request->address);
  return document_reply(state_.desired(), true);
}

}  // namespace pydio::agent
