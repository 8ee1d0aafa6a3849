#include "agent/daemon/certificate_issuer.hpp"

#include <spdlog/spdlog.h>

#include "agent/daemon/leader_link.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/renewal.hpp"

namespace pydio::agent {

std::string storage_node_list(const common::DesiredState* desired) {
  std::string out;
  if (desired == nullptr) return out;
  for (const common::NodeSpec* node : desired->nodes_with_role(common::Role::kStorage))
    out += (out.empty() ? "" : ", ") + node->name + " " + node->address;
  return out;
}

trust::CertificateRole certificate_role(const common::DesiredState* desired,
                                        const std::string& name) {
  const common::NodeSpec* node = desired != nullptr ? desired->find_node(name) : nullptr;
  return node != nullptr && node->has_role(common::Role::kStorage)
             ? trust::CertificateRole::kStorage
             : trust::CertificateRole::kNode;
}

bool CertificateIssuer::issued_recently(const std::string& name,
                                        std::chrono::steady_clock::time_point now) const {
  std::lock_guard<std::mutex> lock(issued_mutex_);
  auto last = issued_.find(name);
  return last != issued_.end() && now - last->second < kMinInterval;
}

api::PeerReply CertificateIssuer::issue(const std::string& name, const std::string& address,
                                        const std::string& csr, const std::string& ca_pin) const {
  const auto started = std::chrono::steady_clock::now();
  if (!state_.trust().can_sign() && state_.admits_joins()) {
    return error_reply(503,
                       "this storage node does not hold the key of the issuing CA (during "
                       "a CA rotation it fetches it soon); ask another storage node");
  }
  if (!ca_pin.empty() && state_.trust().can_sign() && ca_pin != state_.trust().ca_pin()) {
    return error_reply(503, "this node issues under CA " + state_.trust().ca_pin() + ", not " +
                                ca_pin +
                                " yet (a CA rotation is under way); ask another storage "
                                "node");
  }
  if (!state_.trust().can_sign()) {
    const std::string storage = storage_node_list(state_.desired().get());
    return error_reply(421, "this node does not hold the CA key: ask a storage node" +
                                (storage.empty() ? std::string() : " (" + storage + ")"));
  }
  const trust::RequestCheck check = trust::check_certificate_request(csr, name);
  if (check.verdict == trust::RequestVerdict::kAccepted && issued_recently(name, started)) {
    // A node renews once in months: a member asking again and again (root on a compute node)
    // would cost a signature, an event and a log line each time; one a minute is plenty, and
    // the answer records nothing.
    return error_reply(
        429, "node " + name + " was issued a certificate less than a minute ago; ask again later");
  }
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "node-certificate";
  event.action = "issue a renewed certificate for node " + name + " (" + address + ")";
  api::PeerReply reply;
  if (check.verdict != trust::RequestVerdict::kAccepted) {
    reply =
        error_reply(check.verdict == trust::RequestVerdict::kOtherNode ? 403 : 400, check.reason);
  } else if (auto cert = state_.trust().sign(csr, name, address,
                                             certificate_role(state_.desired().get(), name));
             !cert) {
    reply =
        error_reply(500, "sign the certificate of node " + name + ": " + cert.status().message());
  } else {
    reply = api::PeerReply{200, {{"nodeCert", *cert}, {"caCert", state_.trust().ca_cert()}}};
    std::lock_guard<std::mutex> lock(issued_mutex_);
    issued_[name] = started;
    if (auto info = trust::certificate_info(*cert))
      event.action +=
          ": serial " + info->serial + ", valid until " + iso8601_utc(info->not_after, false);
  }
  event.outcome = reply.status == 200 ? "ok" : "error";
  if (reply.status != 200) event.message = text_field(reply.body, "error");
  event.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::log(reply.status == 200 ? spdlog::level::info : spdlog::level::warn, "{}{}{}",
              event.action, event.message.empty() ? "" : ": refused: ", event.message);
  events_.record(std::move(event));
  return reply;
}

}  // namespace pydio::agent
