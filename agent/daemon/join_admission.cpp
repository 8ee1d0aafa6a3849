#include "agent/daemon/join_admission.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/join_request.hpp"
#include "agent/cluster/peer_client.hpp"
#include "agent/daemon/certificate_issuer.hpp"

namespace pydio::agent {

using nlohmann::json;

namespace {
bool may_lead(const common::DesiredState& desired, const std::string& node) {
  const common::NodeSpec* spec = desired.find_node(node);
  return spec != nullptr && spec->has_role(common::Role::kStorage);
}

bool has_role(const common::DesiredState& desired, const std::string& node, common::Role role) {
  const common::NodeSpec* spec = desired.find_node(node);
  return spec != nullptr && spec->has_role(role);
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
    // Each node gets only the secrets its roles use, so root on a compute node (where PHP
    // runs) does not hold the lease password (which would let it claim the lease): only nodes
    // that may lead campaign; the db node creates the lease user. No join token travels: the
    // signed document holds their hashes, which is all a storage node needs to admit joins.
    body["secrets"] = {{"dbPassword", secrets->db_password}};
    if (may_lead(*state, joiner) || has_role(*state, joiner, common::Role::kDb))
      body["secrets"]["leasePassword"] = secrets->lease_password;
    body["signing"] = {{"publicKey", keys->public_pem}};
    if (may_lead(*state, joiner)) {
      if (keys->private_pem.empty())
        return error_reply(503,
                           "this node holds no private signing key for storage node " + joiner);
      body["signing"]["privateKey"] = keys->private_pem;
      // A storage node signs with the succession, so nodes still on the previous key follow.
      if (!keys->succession.empty()) body["signing"]["succession"] = keys->succession;
    }
  }
  return api::PeerReply{200, body};
}

api::PeerReply JoinAdmission::signed_reply(const JoinRequest& request,
                                           const std::string& csr) const {
  auto desired = state_.desired();
  if (!desired) return error_reply(404, "this node has no desired state yet");
  api::PeerReply reply = document_reply(request.name);
  if (reply.status != 200) return reply;
  const trust::CertificateRole role = certificate_role(desired.get(), request.name);
  const bool may_lead = role == trust::CertificateRole::kStorage;
  auto cert = state_.trust().sign(csr, request.name, request.address, role);
  if (!cert) return error_reply(400, "join request: csr: " + cert.status().message());
  reply.body["pki"] = {{"nodeCert", *cert}, {"caCert", state_.trust().ca_cert()}};
  // The CA key goes only to nodes that may lead: they sign the next joiners.
  if (may_lead) reply.body["pki"]["caKey"] = state_.trust().ca_key();
  spdlog::info("signed the certificate of node {} ({})", request.name, request.address);
  return reply;
}

api::PeerReply JoinAdmission::admit(const json& body, bool forwarded) {
  // Only storage nodes admit joins (the token was checked against the desired state's hashes,
  // Daemon::join_token_refusal). Any other node (where PHP may run) never relays one: the
  // joiner's token and the answer (keys included, for a storage joiner) would pass through it.
  if (!state_.admits_joins()) {
    const std::string storage = storage_node_list(state_.desired().get());
    return error_reply(421, "this node does not admit joins: join through a storage node" +
                                (storage.empty() ? std::string() : " (" + storage + ")"));
  }
  auto request = parse_join_request(body);
  if (!request) return error_reply(400, "join request: " + request.status().message());
  const std::string csr = text_field(body, "csr");
  if (csr.empty()) return error_reply(400, "join request: csr: missing");
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
    if (state_.trust().can_sign()) return signed_reply(*request, csr);
    if (forwarded) return error_reply(503, "this node does not hold the CA key");
    return leader_.forward("/v1/peer/join", body);
  }
  if (!state_.is_leader_now()) {
    if (forwarded) return error_reply(503, "this node is not the leader");
    return leader_.forward("/v1/peer/join", body);
  }
  // decide_join validated the new document: it goes in force without another parse.
  api::PeerReply committed = changes_.commit(common::ValidationResult{decision.next, {}});
  if (committed.status != 200) return committed;
  spdlog::info("node {} ({}) added to the desired state", request->name, request->address);
  return signed_reply(*request, csr);
}

}  // namespace pydio::agent
