// Every node's side of a CA rotation (ca_rotation.hpp): trust what the desired state in force
// lists, hold the CA keys a storage node needs (fetched from the other storage nodes), renew the
// node certificate when another CA issues, and hand a CA key to a storage node that asks.

#include <spdlog/spdlog.h>

#include "agent/daemon/ca_rotation.hpp"
#include "agent/daemon/ca_rotation_step.hpp"
#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"
#include "common/text.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kKeyRequestTimeout = 5s;
// A renewal under the new CA is asked at most this often (the signers allow one a minute per
// node; a signer that has not followed yet answers 503 without counting it).
constexpr auto kRenewalInterval = 15s;

std::string pin_of(const std::string& cert) {
  auto pin = trust::spki_pin(cert);
  return pin ? *pin : "";
}

// The key among `held` that belongs to `cert`; "" when none.
std::string key_for(const std::vector<std::string>& held, const std::string& cert) {
  for (const auto& key : held)
    if (!key.empty() && trust::key_matches(key, cert)) return key;
  return "";
}
}  // namespace

void CaRotation::follow() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto desired = state_.desired();
  auto pki = state_.trust().pki();
  if (!desired || !pki) return;
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  if (self == nullptr) return;
  // Once this node follows the list in force with nothing left to do, nothing is parsed again
  // until the document, the files or begin()'s key change (this runs every kPeriod, forever).
  const std::string inputs =
      std::to_string(desired->generation) + '/' + std::to_string(next_key_proposed_.value_or(-1)) +
      '/' + (self->has_role(common::Role::kStorage) ? "storage" : "") + '\n' + pki->ca_cert_pem +
      pki->ca_key_pem + pki->next_ca_key_pem + pki->node_cert_pem;
  if (inputs == settled_inputs_) return;
  const std::vector<std::string>& listed = desired->security.ca_certificates;
  const bool drop_unlisted = next_key_dropped(desired->generation, next_key_proposed_);
  if (listed.empty()) {
    // No rotation ever ran: ca.crt is the CA of init or join. A new key here is one begin()
    // made for a document not (yet) in force here.
    if (!pki->next_ca_key_pem.empty() && drop_unlisted) {
      if (common::Status dropped =
              state_.trust().replace_cas(pki->ca_cert_pem, pki->ca_key_pem, "");
          dropped)
        record("drop the key of a new CA that no desired state lists");
      return;
    }
    settled_inputs_ = inputs;
    return;
  }
  const std::vector<std::string> held = {pki->ca_key_pem, pki->next_ca_key_pem};
  std::string ca_key;
  std::string next_key;
  std::vector<std::string> missing;
  if (self->has_role(common::Role::kStorage)) {
    const std::vector<std::string> wanted = trust::ca_keys_wanted(listed);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      std::string key = key_for(held, wanted[i]);
      if (key.empty()) key = fetch_key(*desired, wanted[i]);
      if (key.empty()) missing.push_back(pin_of(wanted[i]));
      (i == 0 ? ca_key : next_key) = key;
    }
  }
  // A new key no listed CA belongs to (begin() made it) stays until next_key_dropped says so.
  if (next_key.empty() && !pki->next_ca_key_pem.empty() && !drop_unlisted) {
    bool listed_ca = false;
    for (const auto& ca : listed)
      listed_ca = listed_ca || trust::key_matches(pki->next_ca_key_pem, ca);
    if (!listed_ca) next_key = pki->next_ca_key_pem;
  }
  const std::string bundle = trust::join_certificates(listed);
  const bool files_change =
      bundle != pki->ca_cert_pem || ca_key != pki->ca_key_pem || next_key != pki->next_ca_key_pem;
  if (files_change) {
    std::string action = "trust the cluster CAs " + common::join(trust::ca_pins(listed), ", ") +
                         " (" + trust::ca_phase_name(trust::ca_phase(listed)) + "; issuing " +
                         pin_of(listed.front()) + ")";
    if (ca_key != pki->ca_key_pem)
      action += ca_key.empty() ? "; no key of the issuing CA held yet"
                               : "; ca.key is now the issuing CA's";
    if (!pki->ca_key_pem.empty() && key_for({ca_key, next_key}, pki->ca_cert_pem).empty())
      action += "; the old CA key is deleted";
    common::Status replaced = state_.trust().replace_cas(bundle, ca_key, next_key);
    record(action, replaced ? "" : replaced.message());
  }
  const std::string error =
      missing.empty() ? "" : "no storage node handed the key of CA " + common::join(missing, ", ");
  if (error != last_follow_error_ && !error.empty()) spdlog::warn("CA rotation: {}", error);
  last_follow_error_ = error;

  // A certificate of another CA than the issuing one: renew now, not at the hourly check.
  const auto issuer = trust::issuer_index(pki->node_cert_pem, listed);
  const auto now = std::chrono::steady_clock::now();
  // None: a certificate of a CA no longer listed (the node missed a whole rotation); the
  // peers refuse it and only joining again helps (the renewal's status line says so).
  if (!issuer || *issuer == 0) {
    if (!files_change && missing.empty()) settled_inputs_ = inputs;
    return;
  }
  if (now - last_renewal_ < kRenewalInterval) return;
  last_renewal_ = now;
  lock.unlock();  // the renewal asks storage nodes, which may ask this node for a key
  renewal_.check();
}

std::string CaRotation::fetch_key(const common::DesiredState& desired, const std::string& cert) {
  const std::string pin = pin_of(cert);
  const PeerClient client = leader_.peer_client(kKeyRequestTimeout);
  for (const auto& address : leader_.storage_peers_leader_first(desired)) {
    auto reply = client.post(address, "/v1/peer/ca-key", json{{"pin", pin}}, false);
    if (!reply || reply->status != 200) continue;
    const std::string key = text_field(reply->body, "caKey");
    if (key.empty() || !trust::key_matches(key, cert)) continue;  // never keep a key that lies
    record("fetched the key of CA " + pin + " from the storage node at " + address);
    return key;
  }
  return "";
}

api::PeerReply CaRotation::hand_key(const std::string& caller, const std::string& pin) {
  auto desired = state_.desired();
  auto pki = state_.trust().pki();
  if (!desired || !pki) return error_reply(404, "this node has no desired state yet");
  std::string cert;
  for (const auto& listed : desired->security.ca_certificates)
    if (pin_of(listed) == pin) cert = listed;
  if (cert.empty())
    return error_reply(404, "CA " + pin + " is not listed in the desired state in force");
  const std::string key = key_for({pki->ca_key_pem, pki->next_ca_key_pem}, cert);
  if (key.empty()) return error_reply(404, "this node does not hold the key of CA " + pin);
  record("hand the key of CA " + pin + " to storage node " + caller);
  return api::PeerReply{200, json{{"caKey", key}}};
}

}  // namespace pydio::agent
