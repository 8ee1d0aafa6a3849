// Routing of the peer API (pure): admission by node certificate (who may ask what), the join
// token on the join route, and which backend call each request makes.

#include "agent/api/peer_api.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace http = boost::beast::http;
using nlohmann::json;
using pydio::agent::api::handle_peer_request;
using pydio::agent::api::PeerBackend;
using pydio::agent::api::PeerReply;
using pydio::agent::api::Request;

namespace {

constexpr const char* kToken = "abcdef.0123456789abcdef";

// Records what the routing asked of it and answers with canned data: the routing is pure
// logic, this fake stands in for the daemon's state only.
class FakePeerBackend : public PeerBackend {
 public:
  std::string join_token_refusal(const std::string& presented) const override {
    return !token.empty() && presented == token ? "" : "join token refused by the fake";
  }
  std::optional<pydio::agent::api::PeerMember> member(const std::string& name) const override {
    if (name == "n1") return pydio::agent::api::PeerMember{"198.18.0.1", true};
    if (name == "web1") return pydio::agent::api::PeerMember{"198.18.0.4", false};
    if (name == "db1") return pydio::agent::api::PeerMember{"198.18.0.6", false, true};
    return std::nullopt;
  }
  json node_report() override {
    ++reports;
    return {{"node", "n2"}, {"generation", 3}};
  }
  PeerReply desired_document() override { return document_reply; }
  PeerReply join(const json& request, bool forwarded) override {
    joined = request;
    join_forwarded = forwarded;
    return PeerReply{200, {{"generation", 4}}};
  }
  PeerReply change_desired_state(const std::string& document, bool forwarded) override {
    changed = document;
    change_forwarded = forwarded;
    return change_reply;
  }
  PeerReply nudge(const pydio::agent::api::Nudge& nudge) override {
    nudges.push_back(nudge);
    return PeerReply{202, {{"accepted", true}}};
  }
  PeerReply issue_certificate(const std::string& name, const std::string& address,
                              const std::string& csr, const std::string& ca_pin) override {
    issued.push_back({name, address, csr, ca_pin});
    return PeerReply{200, {{"nodeCert", "PEM"}}};
  }
  PeerReply signing_key() override {
    ++key_fetches;
    return PeerReply{200, {{"privateKey", "PEM"}}};
  }
  PeerReply rotate_signing_key(bool forwarded) override {
    rotations.push_back(forwarded);
    return PeerReply{200, {{"generation", 5}}};
  }
  bool handshake_current(const pydio::agent::api::PeerIdentity&) const override {
    return current_handshake;
  }
  bool current_handshake = true;
  int key_fetches = 0;
  std::vector<bool> rotations;  // `forwarded` of each rotation that reached the backend

  PeerReply begin_ca_rotation(bool) override { return PeerReply{409, {{"error", "fake"}}}; }
  PeerReply hand_ca_key(const std::string&, const std::string&) override {
    return PeerReply{404, {{"error", "fake"}}};
  }
  PeerReply accept_db_bootstrap(const std::string& node) override {
    db_bootstraps.push_back(node);
    return PeerReply{200, {{"forced", node}}};
  }
  PeerReply start_db_backup() override {
    ++db_backups;
    return PeerReply{200, {{"started", "20261201T000000Z-db"}}};
  }
  std::vector<std::string> db_bootstraps;
  int db_backups = 0;
  PeerReply hold_db_server(const std::string& caller, const std::string& reason) override {
    db_holds.push_back(caller + ": " + reason);
    return PeerReply{200, {{"held", "db2"}}};
  }
  PeerReply release_db_server(const std::string& caller) override {
    db_holds.push_back(caller + ": release");
    return PeerReply{200, {{"released", "db2"}}};
  }
  PeerReply set_aside_db_datadir(const std::string& caller) override {
    db_holds.push_back(caller + ": set aside");
    return PeerReply{200, {{"node", "db2"}, {"setAside", "/var/lib/mysql.before-restore-x"}}};
  }
  std::vector<std::string> db_holds;  // what the db hold routes asked, "<caller>: <what>"

  std::vector<pydio::agent::api::Nudge> nudges;
  std::vector<std::vector<std::string>> issued;  // name, address, csr, caPin of each one
  std::string token = kToken;
  int reports = 0;
  PeerReply document_reply{404, {{"error", "no desired state yet"}}};
  std::optional<json> joined;
  bool join_forwarded = false;
  std::optional<std::string> changed;
  bool change_forwarded = false;
  PeerReply change_reply{200, {{"generation", 4}}};
};

using pydio::agent::api::PeerIdentity;
// A storage node (may lead), a compute node, and callers the admission must refuse.
const PeerIdentity kStorage{"198.18.0.1", "n1"};
const PeerIdentity kCompute{"198.18.0.4", "web1"};
const PeerIdentity kNoCertificate{"198.18.0.9", ""};

Request make_request(http::verb method, const std::string& target, const std::string& body = "") {
  Request request{method, target, 11};
  request.body() = body;
  request.prepare_payload();
  return request;
}

json body_of(const pydio::agent::api::Response& response) { return json::parse(response.body()); }

}  // namespace

TEST_CASE("the peer API admits a node by its certificate, from its own address", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("no client certificate: 401 on every route but join, and the backend is not asked") {
    for (const char* path : {"/v1/peer/node", "/v1/peer/desired-state", "/v1/peer/nope"}) {
      const auto response =
          handle_peer_request(make_request(http::verb::get, path), kNoCertificate, backend);
      CHECK(response.result() == http::status::unauthorized);
      CHECK(body_of(response)["error"] == "a node certificate of this cluster is required");
    }
    CHECK(backend.reports == 0);
  }
  SECTION("a certificate of a node not in the desired state in force (removed): 403") {
    const auto response = handle_peer_request(make_request(http::verb::get, "/v1/peer/node"),
                                              PeerIdentity{"198.18.0.7", "gone"}, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] == "node gone is not a node of the desired state in force");
    CHECK(backend.reports == 0);
  }
  SECTION("a node's certificate used from another address: 403 naming both") {
    const auto response = handle_peer_request(make_request(http::verb::get, "/v1/peer/node"),
                                              PeerIdentity{"198.18.0.4", "n1"}, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "the certificate of node n1 is used from 198.18.0.4, not from its address 198.18.0.1");
    CHECK(backend.reports == 0);
  }
  SECTION("a member from its address: the node report") {
    for (const PeerIdentity& peer : {kStorage, kCompute}) {
      const auto response =
          handle_peer_request(make_request(http::verb::get, "/v1/peer/node"), peer, backend);
      CHECK(response.result() == http::status::ok);
      CHECK(body_of(response) == json{{"node", "n2"}, {"generation", 3}});
    }
    CHECK(backend.reports == 2);
  }
  SECTION("a compute node reads and nudges but never changes the desired state: 403") {
    auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/desired-state", R"({"document":"{}"})"), kCompute,
        backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "node web1 may not change the desired state (only storage nodes may)");
    CHECK_FALSE(backend.changed.has_value());
    response = handle_peer_request(make_request(http::verb::get, "/v1/peer/desired-state"),
                                   kCompute, backend);
    CHECK(response.result() == http::status::not_found);  // the backend's answer
    response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge", R"({"reason":"brick died"})"), kCompute,
        backend);
    CHECK(response.result() == http::status::accepted);
  }
  SECTION("only a node that may lead starts a database backup") {
    auto response = handle_peer_request(make_request(http::verb::post, "/v1/peer/db-backup", "{}"),
                                        kCompute, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "node web1 may not start a database backup (only storage nodes may)");
    CHECK(backend.db_backups == 0);
    response = handle_peer_request(make_request(http::verb::post, "/v1/peer/db-backup", "{}"),
                                   kStorage, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.db_backups == 1);
  }
  SECTION("a nudge speaks only for its sender: another node's address in \"from\" is 403") {
    const auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/nudge",
                                         R"({"reason":"x","generation":9,"from":"198.18.0.1"})"),
                            kCompute, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(backend.nudges.empty());
  }
}

TEST_CASE("the join route needs the join token, not a certificate", "[peer_api]") {
  FakePeerBackend backend;
  const std::string with_token = json{{"name", "node3"}, {"token", kToken}}.dump();

  SECTION("the right token without a certificate: the backend decides") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/join", with_token), kNoCertificate, backend);
    CHECK(response.result() == http::status::ok);
    REQUIRE(backend.joined.has_value());
    CHECK((*backend.joined)["name"] == "node3");
  }
  SECTION("a missing, wrong or non-string token: 401, the backend is not asked") {
    for (const json& body : {json{{"name", "node3"}}, json{{"token", "abcdef.0123456789abcdeX"}},
                             json{{"token", 5}}, json{{"token", ""}}}) {
      for (const PeerIdentity& peer : {kNoCertificate, kStorage}) {
        const auto response = handle_peer_request(
            make_request(http::verb::post, "/v1/peer/join", body.dump()), peer, backend);
        CHECK(response.result() == http::status::unauthorized);
      }
    }
    CHECK_FALSE(backend.joined.has_value());
  }
  SECTION("the 401 carries the backend's reason (an expired token says so)") {
    const auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/join",
                                         json{{"token", "abcdef.0123456789abcdeX"}}.dump()),
                            kNoCertificate, backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK(json::parse(response.body())["error"] == "join token refused by the fake");
  }
  SECTION("a node that has no token refuses every join, even with an empty token") {
    backend.token = "";
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/join", json{{"token", ""}}.dump()), kNoCertificate,
        backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK_FALSE(backend.joined.has_value());
  }
  SECTION("a join for another address than the caller's: 403, the backend is not asked") {
    const std::string elsewhere =
        json{{"name", "node3"}, {"address", "198.18.0.3"}, {"token", kToken}}.dump();
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/join", elsewhere), kNoCertificate, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "a join for address 198.18.0.3 must come from that address, not from 198.18.0.9");
    CHECK_FALSE(backend.joined.has_value());
    const PeerIdentity from_there{"198.18.0.3", ""};
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/join", elsewhere),
                              from_there, backend)
              .result() == http::status::ok);
  }
  SECTION("X-Pydio-Forwarded counts only from an admitted node") {
    auto request = make_request(http::verb::post, "/v1/peer/join", with_token);
    request.set("X-Pydio-Forwarded", "1");
    handle_peer_request(request, kNoCertificate, backend);
    CHECK_FALSE(backend.join_forwarded);
    handle_peer_request(request, kStorage, backend);
    CHECK(backend.join_forwarded);
  }
}

TEST_CASE("the peer API routes each endpoint to the backend", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("unknown path: 404 naming it") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/nope?x=1"), kStorage, backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(body_of(response)["error"] == "no such endpoint: /v1/peer/nope");
  }
  SECTION("wrong method: 405 with the allowed ones") {
    auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/node"), kStorage, backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET");
    CHECK(backend.reports == 0);

    response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/join"), kStorage, backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "POST");

    response = handle_peer_request(make_request(http::verb::put, "/v1/peer/desired-state"),
                                   kStorage, backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET, POST");
  }
  SECTION("GET /v1/peer/desired-state passes the backend's answer through") {
    auto response = handle_peer_request(make_request(http::verb::get, "/v1/peer/desired-state"),
                                        kStorage, backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(body_of(response)["error"] == "no desired state yet");

    backend.document_reply = PeerReply{200, {{"generation", 3}, {"document", "{}"}}};
    response = handle_peer_request(make_request(http::verb::get, "/v1/peer/desired-state"),
                                   kStorage, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response)["generation"] == 3);
  }
  SECTION("POST /v1/peer/desired-state hands over the document text") {
    const std::string document = R"({"generation":4})";
    const auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/desired-state",
                                         json{{"document", document}}.dump()),
                            kStorage, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.changed == document);
    CHECK_FALSE(backend.change_forwarded);
  }
  SECTION("POST /v1/peer/desired-state: the backend's refusal is the answer") {
    backend.change_reply = PeerReply{409, {{"error", "generation: 4 is already in force"}}};
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/desired-state", R"({"document":"{}"})"), kStorage,
        backend);
    CHECK(response.result() == http::status::conflict);
    CHECK(body_of(response)["error"] == "generation: 4 is already in force");
  }
  SECTION("POST /v1/peer/desired-state without {\"document\": string}: 400, nothing changes") {
    for (const char* body : {"", "not json", R"(["{}"])", R"({"doc":"{}"})", R"({"document":5})",
                             R"({"document":{"generation":4}})"}) {
      INFO("body: " << body);
      const auto response = handle_peer_request(
          make_request(http::verb::post, "/v1/peer/desired-state", body), kStorage, backend);
      CHECK(response.result() == http::status::bad_request);
      CHECK(body_of(response)["error"] ==
            "body: expected {\"document\": \"<desired-state JSON text>\"}");
    }
    CHECK_FALSE(backend.changed.has_value());
  }
  SECTION("X-Pydio-Forwarded: 1 marks a request a peer already forwarded") {
    auto request = make_request(http::verb::post, "/v1/peer/desired-state", R"({"document":"{}"})");
    request.set("X-Pydio-Forwarded", "1");
    handle_peer_request(request, kStorage, backend);
    CHECK(backend.change_forwarded);

    request =
        make_request(http::verb::post, "/v1/peer/join",
                     json{{"name", "node3"}, {"address", "198.18.0.3"}, {"token", kToken}}.dump());
    request.set("X-Pydio-Forwarded", "1");
    const auto response = handle_peer_request(request, kStorage, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.join_forwarded);
    REQUIRE(backend.joined.has_value());
    CHECK(*backend.joined == json{{"name", "node3"}, {"address", "198.18.0.3"}, {"token", kToken}});
  }
  SECTION("any other value of X-Pydio-Forwarded is not forwarded") {
    auto request = make_request(http::verb::post, "/v1/peer/join",
                                json{{"name", "node3"}, {"token", kToken}}.dump());
    request.set("X-Pydio-Forwarded", "0");
    handle_peer_request(request, kStorage, backend);
    CHECK(backend.joined.has_value());
    CHECK_FALSE(backend.join_forwarded);
  }
  SECTION("POST /v1/peer/join with a body that is not a JSON object: 400") {
    for (const char* body : {"", "not json", "[1]"}) {
      const auto response = handle_peer_request(
          make_request(http::verb::post, "/v1/peer/join", body), kStorage, backend);
      CHECK(response.result() == http::status::bad_request);
      CHECK(body_of(response)["error"] == "body: expected a JSON object");
    }
    CHECK_FALSE(backend.joined.has_value());
  }
}

TEST_CASE("a nudge from a peer is checked before the backend sees it", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("a well-formed nudge reaches the backend with its generation and sender") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge",
                     R"({"reason":"generation 5 in force","generation":5,"from":"198.18.0.1"})"),
        kStorage, backend);
    CHECK(response.result() == http::status::accepted);
    REQUIRE(backend.nudges.size() == 1);
    CHECK(backend.nudges[0].generation == 5);
    CHECK(backend.nudges[0].from == "198.18.0.1");
  }
  SECTION("a generation of the wrong type is refused with 400 and the backend is not asked") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge", R"({"reason":"x","generation":"5"})"),
        kStorage, backend);
    CHECK(response.result() == http::status::bad_request);
    CHECK(backend.nudges.empty());
  }
  SECTION("a nudge without a node certificate is refused with 401") {
    const auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/nudge", R"({"reason":"x"})"),
                            kNoCertificate, backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK(backend.nudges.empty());
  }
  SECTION("a body without a string reason, or a reason too long: 400, no pass") {
    for (const std::string& body :
         {std::string("{}"), std::string(R"({"reason":3})"), std::string("[]"),
          std::string("not json"), R"({"reason":")" + std::string(201, 'x') + R"("})"}) {
      const auto response = handle_peer_request(
          make_request(http::verb::post, "/v1/peer/nudge", body), kStorage, backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK(backend.nudges.empty());
  }
  SECTION("GET: 405") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/nudge"), kStorage, backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(backend.nudges.empty());
  }
}

TEST_CASE("the peer API's header check refuses a caller it does not admit before any body",
          "[peer_api]") {
  FakePeerBackend backend;
  // Only the header: the server calls the check before reading the body.
  pydio::agent::api::RequestHeader header;
  header.method(http::verb::post);
  header.target("/v1/peer/desired-state");
  header.version(11);
  header.set(http::field::content_length, "1048576");
  using pydio::agent::api::refuse_before_body;

  SECTION("no client certificate: 401 with the same answer as the handler gives") {
    const auto refused = refuse_before_body(header, kNoCertificate, backend);
    REQUIRE(refused);
    CHECK(refused->result() == http::status::unauthorized);
    CHECK(body_of(*refused)["error"] == "a node certificate of this cluster is required");
  }
  SECTION("a certificate used from another address: 403") {
    const auto refused = refuse_before_body(header, PeerIdentity{"198.18.0.66", "n1"}, backend);
    REQUIRE(refused);
    CHECK(refused->result() == http::status::forbidden);
  }
  SECTION("an admitted node: the body is read and routed as usual") {
    CHECK_FALSE(refuse_before_body(header, kStorage, backend));
  }
  SECTION("the join route passes with a small announced body: its token is in the body") {
    header.target("/v1/peer/join");
    header.set(http::field::content_length, "32768");
    CHECK_FALSE(refuse_before_body(header, kNoCertificate, backend));
  }
  SECTION("a join body larger than 32 KiB, or of unknown length, is refused before it is read") {
    header.target("/v1/peer/join");
    const auto large = refuse_before_body(header, kNoCertificate, backend);  // 1 MiB announced
    REQUIRE(large);
    CHECK(large->result() == http::status::payload_too_large);
    CHECK(body_of(*large)["error"] == "a join request body may be at most 32768 bytes");
    header.set(http::field::content_length, "99999999999999999999");
    REQUIRE(refuse_before_body(header, kNoCertificate, backend));
    header.erase(http::field::content_length);
    header.set(http::field::transfer_encoding, "chunked");
    const auto unknown = refuse_before_body(header, kNoCertificate, backend);
    REQUIRE(unknown);
    CHECK(unknown->result() == http::status::length_required);
  }
}

TEST_CASE("a node asks for a renewed certificate only for itself", "[peer_api][renewal]") {
  FakePeerBackend backend;

  SECTION("its own request reaches the backend with its name and its address in force") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/certificate", R"({"csr":"PEM","node":"web1"})"),
        kCompute, backend);
    CHECK(response.result() == http::status::ok);
    REQUIRE(backend.issued.size() == 1);
    CHECK(backend.issued[0] == std::vector<std::string>{"web1", "198.18.0.4", "PEM", ""});
  }

  SECTION("\"node\" naming another node: 403, the backend is not asked") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/certificate", R"({"csr":"PEM","node":"n1"})"),
        kCompute, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "a node speaks only for itself: node web1 asked for a certificate of node n1");
    CHECK(backend.issued.empty());
  }
  SECTION("without a certificate, or another node's certificate from this address: refused") {
    const auto anonymous = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/certificate", R"({"csr":"PEM"})"), kNoCertificate,
        backend);
    CHECK(anonymous.result() == http::status::unauthorized);
    const auto borrowed = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/certificate", R"({"csr":"PEM"})"),
        PeerIdentity{"198.18.0.4", "n1"}, backend);
    CHECK(borrowed.result() == http::status::forbidden);
    CHECK(backend.issued.empty());
  }
  SECTION("a body without a string csr: 400; GET: 405") {
    for (const std::string& body : {std::string("{}"), std::string(R"({"csr":3})"),
                                    std::string(R"({"csr":"PEM","node":7})"), std::string("[]")}) {
      const auto response = handle_peer_request(
          make_request(http::verb::post, "/v1/peer/certificate", body), kCompute, backend);
      CHECK(response.result() == http::status::bad_request);
    }
    const auto get = handle_peer_request(make_request(http::verb::get, "/v1/peer/certificate"),
                                         kCompute, backend);
    CHECK(get.result() == http::status::method_not_allowed);
    CHECK(backend.issued.empty());
  }
}

TEST_CASE("only storage nodes fetch the signing key or ask for its rotation", "[peer_api][signing]") {
  FakePeerBackend backend;
  SECTION("a compute node: 403 on both, the backend is not asked") {
    auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/signing-key"), kCompute, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] ==
          "node web1 may not hold the signing key (only storage nodes may)");
    response = handle_peer_request(make_request(http::verb::post, "/v1/peer/rotate-signing-key"),
                                   kCompute, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(backend.key_fetches == 0);
    CHECK(backend.rotations.empty());
  }
  SECTION("without a certificate: 401, the backend is not asked") {
    const auto response = handle_peer_request(make_request(http::verb::get, "/v1/peer/signing-key"),
                                              kNoCertificate, backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK(backend.key_fetches == 0);
  }
  SECTION("a storage node of the document without OU=storage in its certificate: 403") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/signing-key"), kStorage, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(backend.key_fetches == 0);
  }
  SECTION("a storage node: the backend answers; a rotation keeps its forwarded mark") {
    PeerIdentity certified = kStorage;
    certified.storage_certificate = true;
    auto response = handle_peer_request(make_request(http::verb::get, "/v1/peer/signing-key"),
                                        certified, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.key_fetches == 1);
    auto forwarded = make_request(http::verb::post, "/v1/peer/rotate-signing-key");
    forwarded.set(pydio::agent::api::kForwardedHeader, "1");
    response = handle_peer_request(forwarded, certified, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.rotations == std::vector<bool>{true});
  }
  SECTION("wrong methods: 405") {
    PeerIdentity certified = kStorage;
    certified.storage_certificate = true;
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/signing-key"), certified,
                              backend)
              .result() == http::status::method_not_allowed);
    CHECK(handle_peer_request(make_request(http::verb::get, "/v1/peer/rotate-signing-key"),
                              kStorage, backend)
              .result() == http::status::method_not_allowed);
    CHECK(backend.key_fetches == 0);
    CHECK(backend.rotations.empty());
  }
}

TEST_CASE("a connection made before the node's certificates or CAs changed must connect again",
          "[peer_api][ca_rotation]") {
  FakePeerBackend backend;
  backend.current_handshake = false;
  for (const PeerIdentity& peer : {kStorage, kCompute}) {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/node"), peer, backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK_THAT(body_of(response)["error"].get<std::string>(),
               Catch::Contains("predates a change of the cluster's certificates"));
  }
  CHECK(backend.reports == 0);
  pydio::agent::api::RequestHeader header;
  header.method(http::verb::get);
  header.target("/v1/peer/node");
  const auto early = pydio::agent::api::refuse_before_body(header, kStorage, backend);
  REQUIRE(early.has_value());
  CHECK(early->result() == http::status::unauthorized);
}

TEST_CASE("only db nodes hold, release or set aside a database member", "[peer_api][db_restore]") {
  FakePeerBackend backend;
  const PeerIdentity db{"198.18.0.6", "db1"};
  const std::string hold_body = json{{"reason", "restore of backup X"}}.dump();
  SECTION("a storage or compute node: 403, the backend is not asked") {
    for (const PeerIdentity& caller : {kStorage, kCompute}) {
      for (const char* path :
           {"/v1/peer/db-hold", "/v1/peer/db-release", "/v1/peer/db-set-aside"}) {
        const auto response =
            handle_peer_request(make_request(http::verb::post, path, hold_body), caller, backend);
        CHECK(response.result() == http::status::forbidden);
      }
    }
    CHECK(body_of(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", hold_body),
                                      kStorage, backend))["error"] ==
          "node n1 may not hold a database member (only db nodes may)");
    CHECK(backend.db_holds.empty());
  }
  SECTION("without a certificate, or db1's certificate from elsewhere: refused") {
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", hold_body),
                              kNoCertificate, backend)
              .result() == http::status::unauthorized);
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", hold_body),
                              PeerIdentity{"198.18.0.66", "db1"}, backend)
              .result() == http::status::forbidden);
    CHECK(backend.db_holds.empty());
  }
  SECTION("a db node: each route reaches the backend with the caller's name") {
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", hold_body), db,
                              backend)
              .result() == http::status::ok);
    const auto aside = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/db-set-aside", "{}"), db, backend);
    CHECK(aside.result() == http::status::ok);
    CHECK(body_of(aside)["setAside"] == "/var/lib/mysql.before-restore-x");
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-release", "{}"), db,
                              backend)
              .result() == http::status::ok);
    CHECK(backend.db_holds ==
          std::vector<std::string>{"db1: restore of backup X", "db1: set aside", "db1: release"});
  }
  SECTION("a reason with control characters reaches the backend without them") {
    const std::string escape = json{{"reason", "restore\x1b[2J\nnow"}}.dump();
    REQUIRE(handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", escape), db,
                                backend)
                .result() == http::status::ok);
    REQUIRE(backend.db_holds.size() == 1);
    CHECK(backend.db_holds[0].find('\x1b') == std::string::npos);
    CHECK(backend.db_holds[0].find('\n') == std::string::npos);
  }
  SECTION("a hold without a reason, or with one over 200 characters: 400; GET: 405") {
    for (const std::string& body :
         {std::string("{}"), json{{"reason", ""}}.dump(), json{{"reason", 7}}.dump(),
          json{{"reason", std::string(201, 'x')}}.dump(), std::string("not json")}) {
      CHECK(
          handle_peer_request(make_request(http::verb::post, "/v1/peer/db-hold", body), db, backend)
              .result() == http::status::bad_request);
    }
    CHECK(handle_peer_request(make_request(http::verb::get, "/v1/peer/db-hold"), db, backend)
              .result() == http::status::method_not_allowed);
    CHECK(backend.db_holds.empty());
  }
}
