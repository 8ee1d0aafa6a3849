#include "agent/api/peer_api.hpp"

#include <optional>
#include <utility>

#include "common/printable_text.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

Response reply(const Request& request, const PeerReply& answer) {
  return json_response(request, static_cast<http::status>(answer.status), answer.body);
}

// Why `peer` may not use the routes that need a node certificate; nullopt when it may.
std::optional<Response> refuse_node(const Request& request, const PeerIdentity& peer,
                                    const std::optional<PeerMember>& member,
                                    const PeerBackend& backend) {
  if (peer.certificate_name.empty()) {
    return error_response(request, http::status::unauthorized,
                          "a node certificate of this cluster is required");
  }
  if (!backend.handshake_current(peer)) {
    return error_response(request, http::status::unauthorized,
                          "this connection's TLS handshake predates a change of the cluster's "
                          "certificates; connect again");
  }
  if (!member) {
    return error_response(
        request, http::status::forbidden,
        "node " + peer.certificate_name + " is not a node of the desired state in force");
  }
  if (member->address != peer.address) {
    return error_response(request, http::status::forbidden,
                          "the certificate of node " + peer.certificate_name + " is used from " +
                              peer.address + ", not from its address " + member->address);
  }
  return std::nullopt;
}

bool forwarded_header(const Request& request) {
  const auto header = request.find(kForwardedHeader);
  return header != request.end() && header->value() == "1";
}

// The body as a JSON object, or nullopt.
std::optional<json> object_body(const Request& request) {
  json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  return body;
}

}  // namespace

std::optional<Response> refuse_before_body(const RequestHeader& header, const PeerIdentity& peer,
                                           const PeerBackend& backend) {
  Request answered;  // error_response and target_path take a request
  answered.base() = header;
  if (target_path(answered) == "/v1/peer/join") {
    // The one route open to a client without a certificate: only a small body, announced in
    // full before it is read (a join request is a few hundred bytes).
    const auto length = header.find(http::field::content_length);
    if (length == header.end()) {
      return error_response(answered, http::status::length_required,
                            "a join request must announce its body length (Content-Length)");
    }
    const std::string text(length->value());
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(text) > kMaxJoinBody) {
      return error_response(answered, http::status::payload_too_large,
                            "a join request body may be at most " + std::to_string(kMaxJoinBody) +
                                " bytes");
    }
    return std::nullopt;
  }
  const std::optional<PeerMember> member =
      peer.certificate_name.empty() ? std::nullopt : backend.member(peer.certificate_name);
  return refuse_node(answered, peer, member, backend);
}

Response handle_peer_request(const Request& request, const PeerIdentity& peer,
                             PeerBackend& backend) {
  const std::string path = target_path(request);
  const std::optional<PeerMember> member =
      peer.certificate_name.empty() ? std::nullopt : backend.member(peer.certificate_name);
  std::optional<Response> refusal = refuse_node(request, peer, member, backend);
  const bool forwarded = !refusal && forwarded_header(request);
  if (path == "/v1/peer/join") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    auto body = object_body(request);
    if (!body)
      return error_response(request, http::status::bad_request, "body: expected a JSON object");
    const auto token = body->find("token");
    const std::string refusal = token == body->end() || !token->is_string()
                                    ? "a valid join token is required (\"token\")"
                                    : backend.join_token_refusal(token->get<std::string>());
    if (!refusal.empty()) return error_response(request, http::status::unauthorized, refusal);
    // A node joins from its own address (admission checks it on every later call): a token
    // holder elsewhere gets no certificate for another address. A forwarded join comes from
    // an admitted node that checked this.
    const auto address = body->find("address");
    if (!forwarded && address != body->end() && address->is_string() &&
        address->get<std::string>() != peer.address) {
      return error_response(request, http::status::forbidden,
                            "a join for address " + address->get<std::string>() +
                                " must come from that address, not from " + peer.address);
    }
    return reply(request, backend.join(*body, forwarded));
  }
  if (refusal) return std::move(*refusal);
  if (path == "/v1/peer/node") {
    if (request.method() != http::verb::get) return method_not_allowed(request, "GET");
    return json_response(request, http::status::ok, backend.node_report());
  }
  if (path == "/v1/peer/desired-state") {
    if (request.method() == http::verb::get) return reply(request, backend.desired_document());
    if (request.method() != http::verb::post) return method_not_allowed(request, "GET, POST");
    if (!member->may_lead) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not change the desired state (only storage nodes may)");
    }
    auto body = object_body(request);
    if (!body || !body->contains("document") || !(*body)["document"].is_string()) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"document\": \"<desired-state JSON text>\"}");
    }
    return reply(request,
                 backend.change_desired_state((*body)["document"].get<std::string>(), forwarded));
  }
  if (path == "/v1/peer/certificate") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    auto body = object_body(request);
    const json csr = body ? body->value("csr", json()) : json();
    const json node = body ? body->value("node", json(peer.certificate_name)) : json();
    if (!csr.is_string() || !node.is_string()) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"csr\": \"<PEM certificate request>\"}");
    }
    if (node.get<std::string>() != peer.certificate_name) {
      return error_response(request, http::status::forbidden,
                            "a node speaks only for itself: node " + peer.certificate_name +
                                " asked for a certificate of node " + node.get<std::string>());
    }
    const json ca_pin = body ? body->value("caPin", json("")) : json("");
    if (!ca_pin.is_string())
      return error_response(request, http::status::bad_request, "body: caPin: expected a string");
    return reply(request,
                 backend.issue_certificate(peer.certificate_name, member->address,
                                           csr.get<std::string>(), ca_pin.get<std::string>()));
  }
  if (path == "/v1/peer/ca-rotation") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    if (!member->may_lead) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not rotate the cluster CA (only storage nodes may)");
    }
    return reply(request, backend.begin_ca_rotation(forwarded));
  }
  if (path == "/v1/peer/ca-key") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    // A CA key goes only to a node that both is a storage node now and holds a certificate that
    // says so: a compute node's certificate never gets one, whatever the document says.
    if (!member->may_lead || !peer.storage_certificate) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not hold a CA key (only storage nodes with a storage "
                                "certificate may)");
    }
    auto body = object_body(request);
    const json pin = body ? body->value("pin", json()) : json();
    if (!pin.is_string()) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"pin\": \"sha256:<hex>\"}");
    }
    return reply(request, backend.hand_ca_key(peer.certificate_name, pin.get<std::string>()));
  }
  if (path == "/v1/peer/signing-key" || path == "/v1/peer/rotate-signing-key") {
    const bool fetch = path == "/v1/peer/signing-key";
    if (fetch && request.method() != http::verb::get) return method_not_allowed(request, "GET");
    if (!fetch && request.method() != http::verb::post) return method_not_allowed(request, "POST");
    // Both the document in force and the certificate must say storage node (as for CA keys).
    if (!member->may_lead || !peer.storage_certificate) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not hold the signing key (only storage nodes may)");
    }
    return reply(request, fetch ? backend.signing_key() : backend.rotate_signing_key(forwarded));
  }
  if (path == "/v1/peer/db-bootstrap") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    // An operator runs agentctl as root on a storage or db node; a compute or lb node (next to
    // the web application) may not decide which data the database tier keeps.
    if (!member->may_lead && !member->db) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not force a database bootstrap (only storage and db nodes "
                                "may)");
    }
    auto body = object_body(request);
    if (!body || !body->contains("node") || !(*body)["node"].is_string()) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"node\": \"<this node's name>\"}");
    }
    return reply(request, backend.accept_db_bootstrap((*body)["node"].get<std::string>()));
  }
  if (path == "/v1/peer/db-backup") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    // The leader schedules backups; only a node that may lead (a storage node) may ask, so
    // the web tier cannot make the database tier copy itself over and over.
    if (!member->may_lead) {
      return error_response(request, http::status::forbidden,
                            "node " + peer.certificate_name +
                                " may not start a database backup (only storage nodes may)");
    }
    return reply(request, backend.start_db_backup());
  }
  if (path == "/v1/peer/db-hold" || path == "/v1/peer/db-release" ||
      path == "/v1/peer/db-set-aside") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    // Only a db node's operator restores the tier: no other node may stop a member or move
    // its data, whatever it may do elsewhere.
    if (!member->db) {
      return error_response(
          request, http::status::forbidden,
          "node " + peer.certificate_name + " may not hold a database member (only db nodes may)");
    }
    auto body = object_body(request);
    if (!body)
      return error_response(request, http::status::bad_request, "body: expected a JSON object");
    if (path == "/v1/peer/db-release")
      return reply(request, backend.release_db_server(peer.certificate_name));
    if (path == "/v1/peer/db-set-aside")
      return reply(request, backend.set_aside_db_datadir(peer.certificate_name));
    const auto reason = body->find("reason");
    if (reason == body->end() || !reason->is_string() || reason->get<std::string>().empty() ||
        reason->get<std::string>().size() > 200) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"reason\": \"<1 to 200 characters>\"}");
    }
    // Shown in status and logs: no control character reaches an operator's terminal.
    return reply(request, backend.hold_db_server(
                              peer.certificate_name,
                              common::printable_line(reason->get<std::string>(), 200)));
  }
  if (path == "/v1/peer/nudge") {
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    auto body = object_body(request);
    if (!body)
      return error_response(request, http::status::bad_request, "body: expected a JSON object");
    Nudge nudge;
    const auto reason = body->find("reason");
    const auto generation = body->find("generation");
    const auto from = body->find("from");
    if (reason == body->end() || !reason->is_string() || reason->get<std::string>().size() > 200 ||
        (generation != body->end() && !generation->is_number_integer()) ||
        (from != body->end() && !from->is_string())) {
      return error_response(request, http::status::bad_request,
                            "body: expected {\"reason\": \"<up to 200 characters>\", "
                            "\"generation\": N, \"from\": \"<address>\"} (generation and "
                            "from optional)");
    }
    nudge.reason = reason->get<std::string>();
    if (generation != body->end()) nudge.generation = generation->get<std::int64_t>();
    if (from != body->end()) nudge.from = from->get<std::string>();
    if (!nudge.from.empty() && nudge.from != peer.address) {
      return error_response(request, http::status::forbidden,
                            "a node speaks only for itself: \"from\" " + nudge.from +
                                " is not the caller's address " + peer.address);
    }
    return reply(request, backend.nudge(nudge));
  }
  return error_response(request, http::status::not_found, "no such endpoint: " + path);
}

}  // namespace pydio::agent::api
