#include "agent/daemon/certificate_renewal.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/peer_client.hpp"
#include "agent/daemon/certificate_issuer.hpp"
#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/renewal.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;
using nlohmann::json;

std::chrono::seconds CertificateRenewal::check() {
  std::lock_guard<std::mutex> checking(check_mutex_);
  auto current = state_.trust().pki();
  if (!current) return kCheckPeriod;  // before init or join: nothing to renew
  auto info = trust::certificate_info(current->node_cert_pem);
  if (!info) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = "read node.crt: " + info.status().message();
    return kCheckPeriod;
  }
  const trust::RenewalNeed need =
      trust::renewal_need(info->not_before, info->not_after, std::chrono::system_clock::now());
  // A node whose storage role changed gets a certificate that says so now, not in months:
  // joiners send tokens only to a certificate with OU=storage (pki.hpp).
  auto desired = state_.desired();
  const bool role_changed =
      desired && desired->find_node(local_.node_name) != nullptr &&
      trust::certifies_storage(current->node_cert_pem) !=
          (certificate_role(desired.get(), local_.node_name) == trust::CertificateRole::kStorage);
  // A CA rotation made another CA the issuing one (trust/ca_set.hpp): renew under it now.
  const auto issuer =
      trust::issuer_index(current->node_cert_pem, trust::split_certificates(current->ca_cert_pem));
  const bool issuer_changed = issuer && *issuer != 0;
  if (need == trust::RenewalNeed::kNotYet && !role_changed && !issuer_changed) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_.clear();
    return kCheckPeriod;
  }
  // An expired certificate is refused at every peer's handshake: only the CA key still helps.
  if (need == trust::RenewalNeed::kExpired && current->ca_key_pem.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ =
        "the storage nodes refuse an expired certificate; join this node again "
        "(agentctl join <storage node> --token T --ca-cert-hash H)";
    return kRetryPeriod;
  }
  const auto started = std::chrono::steady_clock::now();
  std::string how;
  Status renewed = renew(*current, how);
  std::string action = "renew the node certificate (serial " + info->serial + ", valid until " +
                       iso8601_utc(info->not_after, false) +
                       (role_changed ? "; the node's storage role changed" : "") +
                       (issuer_changed ? "; the cluster CA changed" : "") + ")";
  if (renewed) {
    if (auto next = trust::certificate_info(state_.trust().pki()->node_cert_pem)) {
      action += " " + how + ": new serial " + next->serial + ", valid until " +
                iso8601_utc(next->not_after, false);
    }
  }
  record(action, renewed, started);
  std::lock_guard<std::mutex> lock(mutex_);
  last_error_ = renewed ? "" : renewed.message();
  return renewed ? kCheckPeriod : kRetryPeriod;
}

Status CertificateRenewal::renew(const trust::NodePki& current, std::string& how) {
  // A new key every time: no key serves longer than one certificate's lifetime (the old
  // certificate stays valid until it ends, but its key is gone from this node).
  auto key = trust::generate_key();
  if (!key) return key.status().with_context("new node key");
  auto csr = trust::make_csr(*key, local_.node_name);
  if (!csr) return csr.status();
  Expected<std::string> cert = Status::error("not signed");
  if (!current.ca_key_pem.empty()) {
    how = "with this node's CA key";
    cert = sign_here(current, *csr);
  } else {
    std::string signer;
    cert = ask_storage_nodes(current, *csr, signer);
    how = "by " + signer;
  }
  if (!cert) return cert.status();
  return state_.trust().renew(current.node_cert_pem, *cert, *key);
}

Expected<std::string> CertificateRenewal::sign_here(const trust::NodePki& current,
                                                    const std::string& csr) {
  if (local_.address.empty()) return Status::error("agent.json has no address");
  return trust::sign_node_certificate(trust::KeyPair{current.ca_key_pem, current.ca_cert_pem}, csr,
                                      local_.node_name, local_.address,
                                      certificate_role(state_.desired().get(), local_.node_name));
}

Expected<std::string> CertificateRenewal::ask_storage_nodes(const trust::NodePki& current,
                                                            const std::string& csr,
                                                            std::string& signer) {
  auto desired = state_.desired();
  if (!desired) return Status::error("no desired state: no storage node to ask");
  PeerClient client(state_.trust().client_context(), kRequestTimeout);
  std::string errors;
  for (const common::NodeSpec* node : desired->nodes_with_role(common::Role::kStorage)) {
    if (node->name == local_.node_name) continue;
    auto reply = client.post(
        node->address, "/v1/peer/certificate",
        json{{"csr", csr}, {"node", local_.node_name}, {"caPin", state_.trust().ca_pin()}}, false);
    Status outcome = Status::ok();
    if (!reply) {
      outcome = reply.status();
    } else if (reply->status != 200) {
      outcome = Status::error(std::to_string(reply->status) + ": " +
                              text_field(reply->body, "error", "no reason given"));
    } else {
      const std::string cert = text_field(reply->body, "nodeCert");
      outcome = check_issued(current, cert, text_field(reply->body, "caCert"));
      if (outcome) {
        signer = node->name + " " + node->address;
        return cert;
      }
    }
    errors +=
        (errors.empty() ? "" : "; ") + node->name + " " + node->address + ": " + outcome.message();
  }
  if (errors.empty()) return Status::error("the desired state lists no other storage node");
  return Status::error("no storage node renewed it: " + errors);
}

Status CertificateRenewal::check_issued(const trust::NodePki& current, const std::string& cert_pem,
                                        const std::string& ca_pem) const {
  if (cert_pem.empty()) return Status::error("the answer lacks nodeCert");
  // The signer's issuing CA must be ours (the first of a bundle during a CA rotation).
  auto theirs = trust::spki_pin(ca_pem);
  auto ours = trust::spki_pin(current.ca_cert_pem);
  if (!theirs || !ours || *theirs != *ours)
    return Status::error("the answer names another CA than this node's");
  if (Status ok = trust::verify_signed_by(cert_pem, current.ca_cert_pem); !ok) return ok;
  auto name = trust::common_name(cert_pem);
  if (!name || *name != local_.node_name)
    return Status::error("the certificate issued is not for node " + local_.node_name);
  if (Status ok = trust::names_address(cert_pem, local_.address); !ok) return ok;
  auto issued = trust::certificate_info(cert_pem);
  auto held = trust::certificate_info(current.node_cert_pem);
  if (!issued || !held || issued->not_after <= held->not_after)
    return Status::error("the certificate issued does not end later than the one in force");
  return Status::ok();
}

void CertificateRenewal::record(const std::string& action, const Status& outcome,
                                std::chrono::steady_clock::time_point started) {
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "node-certificate";
  event.action = action;
  event.outcome = outcome ? "ok" : "error";
  event.message = outcome ? "" : outcome.message();
  event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (outcome) {
    spdlog::info("{}", action);
  } else {
    spdlog::warn("{}: failed: {}", action, outcome.message());
  }
  events_.record(std::move(event));
}

json CertificateRenewal::report() const {
  auto current = state_.trust().pki();
  if (!current) return nullptr;
  auto info = trust::certificate_info(current->node_cert_pem);
  if (!info) return json{{"error", info.status().message()}};
  std::lock_guard<std::mutex> lock(mutex_);
  return json{
      {"serial", info->serial},
      {"notBefore", iso8601_utc(info->not_before, false)},
      {"notAfter", iso8601_utc(info->not_after, false)},
      {"renewFrom", iso8601_utc(trust::renewal_opens(info->not_before, info->not_after), false)},
      {"renewal", trust::renewal_need_name(trust::renewal_need(info->not_before, info->not_after,
                                                               std::chrono::system_clock::now()))},
      {"error", last_error_.empty() ? json(nullptr) : json(last_error_)}};
}

std::string CertificateRenewal::problem() const {
  auto current = state_.trust().pki();
  if (!current) return "";
  auto info = trust::certificate_info(current->node_cert_pem);
  if (!info) return "node certificate: " + info.status().message();
  const auto need =
      trust::renewal_need(info->not_before, info->not_after, std::chrono::system_clock::now());
  std::lock_guard<std::mutex> lock(mutex_);
  if (need == trust::RenewalNeed::kExpired && std::chrono::system_clock::now() < info->not_before) {
    return "node certificate not valid yet (from " + iso8601_utc(info->not_before, false) +
           "): check this node's clock";
  }
  if (need == trust::RenewalNeed::kExpired) {
    return "node certificate expired (valid " + iso8601_utc(info->not_before, false) + " to " +
           iso8601_utc(info->not_after, false) + "): peers refuse this node" +
           (last_error_.empty() ? "" : ": " + last_error_);
  }
  if (need == trust::RenewalNeed::kDue && !last_error_.empty()) {
    return "node certificate expires " + iso8601_utc(info->not_after, false) +
           " and its renewal failed: " + last_error_;
  }
  return "";
}

}  // namespace pydio::agent
