#include "agent/trust/node_trust.hpp"

#include <spdlog/spdlog.h>

#include "agent/trust/pki.hpp"

namespace pydio::agent::trust {

using common::Expected;
using common::Status;

Expected<std::shared_ptr<const NodeTrust::Loaded>> NodeTrust::prepare(const NodePki& pki) {
  auto loaded = std::make_shared<Loaded>();
  loaded->pki = pki;
  auto pin = spki_pin(pki.ca_cert_pem);
  if (!pin) return pin.status().with_context("cluster CA");
  loaded->pin = *pin;
  auto server = make_server_context(pki.ca_cert_pem, pki.node_cert_pem, pki.node_key_pem);
  if (!server) return server.status();
  auto client = make_client_context(pki.ca_cert_pem, pki.node_cert_pem, pki.node_key_pem);
  if (!client) return client.status();
  loaded->server = *server;
  loaded->client = *client;
  return std::shared_ptr<const Loaded>(loaded);
}

Status NodeTrust::load() {
  std::lock_guard<std::mutex> writing(write_mutex_);  // load_pki may finish a replacement
  auto pki = load_pki(dir_);
  if (!pki) return pki.status();
  if (!*pki) return Status::ok();
  auto prepared = prepare(**pki);
  if (!prepared) return prepared.status().with_context(dir_);
  if (auto life = remaining_life((*pki)->node_cert_pem); life && life->count() <= 0)
    spdlog::error("{}/node.crt has expired: peers will refuse this node", dir_);
  std::lock_guard<std::mutex> lock(mutex_);
  loaded_ = *prepared;
  return Status::ok();
}

Status NodeTrust::install(const NodePki& pki) {
  std::lock_guard<std::mutex> writing(write_mutex_);
  auto prepared = prepare(pki);
  if (!prepared) return prepared.status();
  if (Status saved = save_pki(dir_, pki); !saved) return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  loaded_ = *prepared;
  return Status::ok();
}

Status NodeTrust::renew(const std::string& replaced, const std::string& cert_pem,
                        const std::string& key_pem) {
  std::lock_guard<std::mutex> writing(write_mutex_);
  auto current = loaded();
  if (!current) return Status::error("this node has no certificate to renew");
  if (current->pki.node_cert_pem != replaced)
    return Status::error("the node certificate changed while it was being renewed");
  NodePki next = current->pki;
  next.node_cert_pem = cert_pem;
  next.node_key_pem = key_pem;
  if (Status ok = key_matches(key_pem, cert_pem); !ok) return ok;
  if (Status ok = verify_signed_by(cert_pem, next.ca_cert_pem); !ok) return ok;
  auto prepared = prepare(next);
  if (!prepared) return prepared.status();
  if (Status saved = replace_node_certificate(dir_, cert_pem, key_pem); !saved) return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  loaded_ = *prepared;
  return Status::ok();
}

Status NodeTrust::replace_cas(const std::string& ca_bundle, const std::string& ca_key,
                              const std::string& next_key) {
  std::lock_guard<std::mutex> writing(write_mutex_);
  auto current = loaded();
  if (!current) return Status::error("this node has no certificate yet");
  NodePki next = current->pki;
  next.ca_cert_pem = ca_bundle;
  next.ca_key_pem = ca_key;
  next.next_ca_key_pem = next_key;
  if (!ca_key.empty()) {
    if (Status ok = key_matches(ca_key, ca_bundle); !ok) return ok.with_context("CA key");
  }
  auto prepared = prepare(next);
  if (!prepared) return prepared.status();
  if (Status saved = save_cas(dir_, ca_bundle, ca_key, next_key); !saved) return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  loaded_ = *prepared;
  return Status::ok();
}

Status NodeTrust::ensure_first_node(const std::string& cluster_name, const std::string& node_name,
                                    const std::string& address) {
  if (ready()) return Status::ok();
  if (address.empty()) return Status::error("agent.json has no address: no node certificate");
  auto pki = create_first_node_pki(cluster_name, node_name, address);
  if (!pki) return pki.status();
  if (Status installed = install(*pki); !installed) return installed;
  spdlog::info("created the cluster CA ({}) and this node's certificate in {}", ca_pin(), dir_);
  return Status::ok();
}

std::shared_ptr<const NodeTrust::Loaded> NodeTrust::loaded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loaded_;
}

bool NodeTrust::ready() const { return loaded() != nullptr; }

std::optional<NodePki> NodeTrust::pki() const {
  auto current = loaded();
  if (!current) return std::nullopt;
  return current->pki;
}

std::string NodeTrust::ca_pin() const {
  auto current = loaded();
  return current ? current->pin : "";
}

std::string NodeTrust::ca_cert() const {
  auto current = loaded();
  return current ? current->pki.ca_cert_pem : "";
}

std::string NodeTrust::ca_key() const {
  auto current = loaded();
  return current ? current->pki.ca_key_pem : "";
}

std::string NodeTrust::next_ca_key() const {
  auto current = loaded();
  return current ? current->pki.next_ca_key_pem : "";
}

std::shared_ptr<TlsContext> NodeTrust::server_context() const {
  auto current = loaded();
  return current ? current->server : nullptr;
}

std::shared_ptr<TlsContext> NodeTrust::client_context() const {
  auto current = loaded();
  return current ? current->client : nullptr;
}

Expected<std::string> NodeTrust::sign(const std::string& csr_pem, const std::string& node_name,
                                      const std::string& address, CertificateRole role) const {
  auto current = loaded();
  if (!current || current->pki.ca_key_pem.empty())
    return Status::error("this node does not hold the CA key");
  return sign_node_certificate(KeyPair{current->pki.ca_key_pem, current->pki.ca_cert_pem}, csr_pem,
                               node_name, address, role);
}

}  // namespace pydio::agent::trust
