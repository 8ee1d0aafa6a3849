#include "agent/daemon/join_client.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <regex>

#include "agent/cluster/join_request.hpp"
#include "agent/cluster/join_token.hpp"
#include "agent/cluster/peer_client.hpp"
#include "agent/cluster/signed_document.hpp"
#include "agent/cluster/signing.hpp"
#include "agent/cluster/tls_client.hpp"
#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;
// agentctl join -> peer -> leader; below agentctl's own 30 s so the reason reaches the operator.
constexpr auto kJoinTimeout = 20s;
constexpr auto kPinTimeout = 5s;  // the handshake that reads the peer's CA

api::JoinOutcome fail(int status, const std::string& message) {
  return api::JoinOutcome{status, json{{"error", message}}};
}

// The secrets of a join answer: the database password always; the lease password only for
// the roles that use it (join_admission.cpp).
common::Expected<common::Secrets> secrets_from_json(const json& body) {
  common::Secrets secrets;
  secrets.db_password = text_field(body, "dbPassword");
  if (secrets.db_password.empty())
    return common::Status::error("the peer's answer lacks secrets.dbPassword");
  secrets.lease_password = text_field(body, "leasePassword");
  return secrets;
}

// "signing": {"publicKey": PEM[, "privateKey": PEM, "succession": JSON text]} of a join answer.
common::Expected<SigningKeys> signing_from_json(const json& body) {
  auto signing = body.find("signing");
  if (signing == body.end() || !signing->is_object())
    return common::Status::error("the peer's answer lacks the cluster's signing key");
  SigningKeys keys{text_field(*signing, "publicKey"), text_field(*signing, "privateKey"),
                   text_field(*signing, "succession")};
  if (key_id(keys.public_pem).empty())
    return common::Status::error("the peer's answer carries no Ed25519 signing.publicKey");
  if (!keys.private_pem.empty())
    if (common::Status pair = check_key_pair(keys); !pair) return pair;
  return keys;
}

// The PKI from a join answer, checked against the pinned CA and this node's key.
common::Expected<trust::NodePki> pki_from_json(const json& body, const std::string& pinned_ca,
                                               const std::string& key) {
  trust::NodePki pki{text_field(body, "caCert"), text_field(body, "caKey"),
                     text_field(body, "nodeCert"), key};
  if (pki.node_cert_pem.empty() || pki.ca_cert_pem.empty())
    return common::Status::error("the peer's answer lacks pki.nodeCert or pki.caCert");
  auto sent = trust::spki_pin(pki.ca_cert_pem);
  auto pinned = trust::spki_pin(pinned_ca);
  if (!sent || !pinned || *sent != *pinned)
    return common::Status::error("the peer's answer carries another CA than the pinned one");
  if (common::Status ok = trust::verify_signed_by(pki.node_cert_pem, pinned_ca); !ok)
    return ok.with_context("pki.nodeCert");
  if (common::Status ok = trust::key_matches(key, pki.node_cert_pem); !ok)
    return ok.with_context("pki.nodeCert");
  if (!pki.ca_key_pem.empty()) {
    if (common::Status ok = trust::key_matches(pki.ca_key_pem, pinned_ca); !ok)
      return ok.with_context("pki.caKey");
  }
  return pki;
}
}  // namespace

api::JoinOutcome JoinClient::join(const api::JoinOptions& options) {
  if (!is_join_token_form(options.token)) {
    return fail(400,
                "token: expected the form abcdef.0123456789abcdef (as printed by "
                "agentctl token create or agentctl init)");
  }
  static const std::regex kPinForm("sha256:[0-9a-f]{64}");
  if (!std::regex_match(options.ca_cert_hash, kPinForm)) {
    return fail(400,
                "--ca-cert-hash: expected sha256:<64 lowercase hex digits> (as printed by "
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
  auto peer = parse_peer_address(options.peer);
  if (!peer) return fail(400, peer.status().message());

  // The token leaves this node only over a connection whose CA matched the pin.
  auto ca = api::fetch_pinned_ca(peer->first, peer->second, options.ca_cert_hash, kPinTimeout);
  if (!ca) return fail(502, "cannot join: " + ca.status().message());
  auto key = trust::generate_key();
  if (!key) return fail(500, key.status().message());
  auto csr = trust::make_csr(*key, local_.node_name);
  if (!csr) return fail(500, csr.status().message());
  auto tls = trust::make_joiner_context(*ca);
  if (!tls) return fail(500, tls.status().message());
  json body = join_request_json(request);
  body["token"] = options.token;
  body["csr"] = *csr;
  PeerClient client(*tls, kJoinTimeout);
  auto reply = client.post(options.peer, "/v1/peer/join", body, false);
  if (!reply) return fail(502, "cannot join: " + reply.status().message());
  if (reply->status == 401) {
    return fail(401, "cannot join: the agent at " + options.peer + " refused the token (401): " +
                         text_field(reply->body, "error", "no reason given"));
  }
  if (reply->status != 200) {
    return fail(reply->status, "cannot join: the agent at " + options.peer + " refused (" +
                                   std::to_string(reply->status) +
                                   "): " + text_field(reply->body, "error", "no reason given"));
  }
  const std::string document = text_field(reply->body, "document");
  if (document.empty()) return fail(502, "cannot join: the peer's answer lacks the desired state");
  auto secrets_it = reply->body.find("secrets");
  auto secrets = secrets_from_json(secrets_it != reply->body.end() ? *secrets_it : json::object());
  if (!secrets) return fail(502, "cannot join: " + secrets.status().message());
  auto pki_it = reply->body.find("pki");
  auto pki = pki_from_json(pki_it != reply->body.end() ? *pki_it : json::object(), *ca, *key);
  if (!pki) return fail(502, "cannot join: " + pki.status().message());
  auto keys = signing_from_json(reply->body);
  if (!keys) return fail(502, "cannot join: " + keys.status().message());
  // The document is verified with the cluster's key before it is parsed for use.
  const SignedDocument signed_text = signed_document_from_reply(reply->body);
  // A node that trusts another key accepts the answer's only as the rotated successor of its
  // own (it was away during a rotation); never another cluster's.
  std::optional<SigningKeys> successor;
  bool replace_key = false;
  if (auto held = state_.signing_keys();
      held && key_id(held->public_pem) != key_id(keys->public_pem)) {
    auto signer =
        verify_document_or_successor(held->public_pem, signed_text.text, signed_text.signature);
    if (signer && *signer && key_id((*signer)->public_pem) == key_id(keys->public_pem)) {
      successor = *signer;
    } else if (options.replace_signing_key) {
      replace_key = true;
    } else {
      return fail(409, "cannot join: this node trusts signing key " + key_id(held->public_pem) +
                           "; the peer's answer carries key " + key_id(keys->public_pem) +
                           " (a node that missed more than one rotation of the cluster's key: "
                           "join with --replace-signing-key; a node of another cluster: do not)");
    }
  }
  auto followed = state_.desired();
  const DocumentCheck check = check_signed_document(signed_text, keys->public_pem, nullptr, "");
  if (check.verdict == DocumentVerdict::kRefused)
    return fail(502,
                "cannot join: the desired state in the peer's answer is refused: " + check.reason);
  const common::ValidationResult& parsed = check.parsed;
  // pki_from_json checked only the first CA of the bundle against the pin: every other CA it
  // carries would be trusted too, so the bundle must be what the signed document lists.
  if (const std::string refusal = trust::join_bundle_refusal(
          pki->ca_cert_pem, parsed.state->security.ca_certificates, options.ca_cert_hash);
      !refusal.empty())
    return fail(502, "cannot join: " + refusal);
  if (followed && followed->cluster_name != parsed.state->cluster_name) {
    return fail(409, "this node already follows cluster " + followed->cluster_name +
                         "; it cannot join cluster " + parsed.state->cluster_name);
  }
  const common::NodeSpec* listed = parsed.state->find_node(local_.node_name);
  if (listed != nullptr && listed->has_role(common::Role::kStorage) && keys->private_pem.empty())
    return fail(502, "cannot join: the answer lacks the private signing key a storage node needs");
  // Only now does anything change on this node: certificate, secrets and keys first (the
  // desired state needs them).
  if (common::Status installed = state_.trust().install(*pki); !installed)
    return fail(500, installed.message());
  if (successor)
    if (common::Status trusted = state_.trust_successor(*successor); !trusted)
      return fail(500, trusted.message());
  if (replace_key)
    if (common::Status replaced = state_.replace_signing_keys_for_rejoin(*keys); !replaced)
      return fail(500, replaced.message());
  if (common::Status saved = state_.adopt_signing_keys(*keys); !saved)
    return fail(500, saved.message());
  if (common::Status saved = state_.adopt_secrets(*secrets); !saved)
    return fail(500, saved.message());
  auto outcome = state_.submit(parsed, GenerationRule::kNewer, signed_text);
  if (!outcome) return fail(500, outcome.status().message());
  if (!outcome->errors.empty()) {
    return fail(409, "joined, but the desired state from the peer is not accepted here: " +
                         outcome->errors.front());
  }
  on_joined_();
  auto current = state_.desired();
  const common::NodeSpec* self = current->find_node(local_.node_name);
  json roles = json::array();
  if (self != nullptr)
    for (auto role : self->roles) roles.push_back(common::role_name(role));
  spdlog::info("joined cluster {} through {}: generation {}", current->cluster_name, options.peer,
               current->generation);
  return api::JoinOutcome{200, json{{"cluster", current->cluster_name},
                                    {"generation", current->generation},
                                    {"roles", roles}}};
}

}  // namespace pydio::agent
