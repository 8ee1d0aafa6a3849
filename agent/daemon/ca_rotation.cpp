// The leader's side of a CA rotation: agentctl rotate ca, the new CA, the next step when every
// node is ready for it, and what status shows. The nodes' side is ca_rotation_follow.cpp.

#include "agent/daemon/ca_rotation.hpp"

#include <thread>

#include "agent/daemon/ca_rotation_step.hpp"
#include "agent/daemon/certificate_issuer.hpp"
#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

// Other changes (joins, tokens) commit too: a lost generation race is tried again.
constexpr int kAttempts = 3;

std::string pin_of(const std::string& cert) {
  auto pin = trust::spki_pin(cert);
  return pin ? *pin : "(unreadable CA)";
}
}  // namespace

api::AdminAnswer CaRotation::start() {
  auto desired = state_.desired();
  if (!desired)
    return {409, json{{"error", "no desired state yet (run agentctl init --spec FILE)"}}};
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  if (self == nullptr || !self->has_role(common::Role::kStorage)) {
    return {403, json{{"error", "the cluster CA is rotated from a storage node; this node (" +
                                    local_.node_name + ") is not one: run agentctl rotate ca on " +
                                    storage_node_list(desired.get()) + "; nothing changed"}}};
  }
  const api::PeerReply reply = begin_from_peer(false);
  json body = reply.body;
  if (reply.status == 503) {
    body["error"] = "no leader to rotate the CA (" + text_field(reply.body, "error") +
                    "); nothing changed: try again once agentctl status shows a leader";
  }
  return {reply.status, body};
}

api::PeerReply CaRotation::begin_from_peer(bool forwarded) {
  if (state_.is_leader_now()) return begin();
  if (forwarded) return error_reply(503, "this node is not the leader");
  return leader_.forward("/v1/peer/ca-rotation", json::object());
}

api::PeerReply CaRotation::begin() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto desired = state_.desired();
  if (!desired) return error_reply(409, "no desired state yet");
  if (desired->security.gluster_tls) {
    return error_reply(
        409,
        "security.glusterTls is on: gluster uses the cluster CA too and agentctl rotate ca does "
        "not rotate it under running volumes; nothing changed (docs/operations.md, \"Rotating "
        "the cluster CA\", says what to do instead)");
  }
  const std::vector<std::string>& listed = desired->security.ca_certificates;
  if (listed.size() > 1) {
    std::lock_guard<std::mutex> progress(progress_mutex_);
    return error_reply(409, "a CA rotation is already under way" +
                                (progress_.empty() ? std::string() : " (" + progress_ + ")") +
                                "; it finishes on its own (agentctl status shows its progress), "
                                "so running agentctl rotate ca again changes nothing");
  }
  auto pki = state_.trust().pki();
  if (!pki || pki->ca_key_pem.empty())
    return error_reply(503, "the leader (" + local_.node_name + ") does not hold the CA key");
  const std::vector<std::string> held = trust::split_certificates(pki->ca_cert_pem);
  const std::string current = listed.empty() ? held.front() : listed.front();
  if (!trust::key_matches(pki->ca_key_pem, current))
    return error_reply(503, "the leader's CA key is not the key of the issuing CA");
  auto made = trust::make_named_ca(desired->cluster_name + " CA " +
                                   common::format_utc(common::utc_now_seconds()));
  if (!made) return error_reply(500, "make the new CA: " + made.status().message());
  // [current, new] reads as introducing only when the new CA is the younger (trust/ca_set.hpp):
  // otherwise the rotation would "retire" the new CA at once and lose its key.
  if (const std::string refusal = trust::new_ca_age_refusal(current, made->cert_pem);
      !refusal.empty())
    return error_reply(409, refusal + "; nothing changed");
  // The new key is on disk (ca-next.key) before any document names its CA: a leader that stops
  // right after the commit still hands it out when it comes back.
  if (common::Status kept =
          state_.trust().replace_cas(pki->ca_cert_pem, pki->ca_key_pem, made->key_pem);
      !kept)
    return error_reply(500, "keep the new CA key: " + kept.message());
  std::int64_t proposed = desired->generation;
  api::PeerReply reply = propose_cas({current, made->cert_pem}, std::nullopt, &proposed);
  // Kept even when refused: a commit that went through but whose answer was lost (a forward
  // that timed out) names this CA, and only this node holds its key. follow() drops it once a
  // generation after the last one proposed is in force without it.
  next_key_proposed_ = proposed;
  if (reply.status != 200) {
    record("begin a CA rotation", text_field(reply.body, "error", "refused"));
    return reply;
  }
  const std::string action = "CA rotation begun (generation " +
                             std::to_string(int_field(reply.body, "generation")) + "): new CA " +
                             pin_of(made->cert_pem) + " trusted next to " + pin_of(current) +
                             "; it issues once every node trusts it";
  record(action);
  reply.body["newCa"] = pin_of(made->cert_pem);
  reply.body["oldCa"] = pin_of(current);
  return reply;
}

api::PeerReply CaRotation::propose_cas(const std::vector<std::string>& cas,
                                       std::optional<std::int64_t> checked,
                                       std::int64_t* proposed) {
  api::PeerReply reply = error_reply(409, "no attempt made");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto in_force = state_.desired();
    if (!in_force) return error_reply(409, "no desired state yet");
    // The nodes were checked under `checked`: a node that joined since holds a certificate of
    // a CA the step may drop. The committer takes only generation + 1, so no retry either.
    if (checked && in_force->generation != *checked)
      return error_reply(409, "the desired state changed (generation " + std::to_string(*checked) +
                                  " -> " + std::to_string(in_force->generation) +
                                  ") since the nodes were checked; they are checked again");
    common::DesiredState next = *in_force;
    next.generation = in_force->generation + 1;
    next.security.ca_certificates = cas;
    const std::vector<std::string> errors = common::validate_desired_state(next);
    if (!errors.empty()) return error_reply(400, common::join(errors, "; "));
    if (proposed != nullptr) *proposed = next.generation;
    reply = changes_.propose(next);
    if (reply.status != 409 || checked) return reply;
    std::this_thread::sleep_for(200ms);
  }
  return reply;
}

void CaRotation::lead() {
  auto desired = state_.desired();
  const bool under_way =
      desired && trust::ca_phase(desired->security.ca_certificates) != trust::CaPhase::kSteady;
  if (!under_way || !state_.is_leader_now()) {
    std::lock_guard<std::mutex> progress(progress_mutex_);
    progress_.clear();
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> others;
  for (const auto& node : desired->nodes)
    if (node.name != local_.node_name) others.push_back(node.address);
  const auto answers = cluster_.reports(others);
  std::vector<NodeCaState> nodes;
  std::size_t next_answer = 0;
  for (const auto& node : desired->nodes) {
    const bool storage = node.has_role(common::Role::kStorage);
    if (node.name == local_.node_name) {
      nodes.push_back(node_ca_state(node.name, storage, json{{"ca", report()}}));
    } else {
      const auto& answer = answers[next_answer++];
      nodes.push_back(node_ca_state(node.name, storage, answer ? *answer : json()));
    }
  }
  const RotationStep step = next_rotation_step(desired->security.ca_certificates, nodes);
  {
    std::lock_guard<std::mutex> progress(progress_mutex_);
    progress_ = step.progress;
  }
  if (step.kind != RotationStep::Kind::kIssueNew && step.kind != RotationStep::Kind::kRetire)
    return;
  const api::PeerReply reply = propose_cas(step.next, desired->generation);
  const std::string what = step.kind == RotationStep::Kind::kIssueNew
                               ? "CA rotation: every node trusts the new CA " +
                                     pin_of(step.next.front()) + "; it issues now"
                               : "CA rotation finished: every node is on the new CA " +
                                     pin_of(step.next.front()) + "; the old CA is retired";
  if (reply.status == 200) {
    record(what + " (generation " + std::to_string(int_field(reply.body, "generation")) + ")");
  } else {
    record(what, text_field(reply.body, "error", "refused"));
  }
}

json CaRotation::report() const {
  auto pki = state_.trust().pki();
  if (!pki) return nullptr;
  auto desired = state_.desired();
  const std::vector<std::string> listed =
      desired ? desired->security.ca_certificates : std::vector<std::string>{};
  const std::string inputs = pki->ca_cert_pem + pki->ca_key_pem + pki->next_ca_key_pem +
                             pki->node_cert_pem + '\n' + common::join(listed, "");
  {
    std::lock_guard<std::mutex> progress(progress_mutex_);
    if (inputs == report_inputs_) {
      json out = report_base_;
      out["progress"] = progress_.empty() ? json(nullptr) : json(progress_);
      return out;
    }
  }
  const std::vector<std::string> cas = trust::split_certificates(pki->ca_cert_pem);
  const std::vector<std::string> trusted = trust::ca_pins(cas);
  const auto issuer = trust::issuer_index(pki->node_cert_pem, cas);
  std::vector<std::string> keys;
  std::vector<std::string> known = cas;
  known.insert(known.end(), listed.begin(), listed.end());
  for (const std::string* key : {&pki->ca_key_pem, &pki->next_ca_key_pem}) {
    if (key->empty()) continue;
    for (const auto& cert : known) {
      if (trust::key_matches(*key, cert)) {
        keys.push_back(pin_of(cert));
        break;
      }
    }
  }
  json out = node_ca_json(trusted, issuer ? trusted[*issuer] : "", keys);
  out["pin"] = state_.trust().ca_pin();
  out["phase"] = trust::ca_phase_name(trust::ca_phase(listed));
  std::lock_guard<std::mutex> progress(progress_mutex_);
  report_inputs_ = inputs;
  report_base_ = out;
  out["progress"] = progress_.empty() ? json(nullptr) : json(progress_);
  return out;
}

void CaRotation::record(const std::string& action, const std::string& error) const {
  events_.record_step("cluster-ca", action, error, state_.live_term());
}

}  // namespace pydio::agent
