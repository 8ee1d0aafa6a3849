// Routing of the peer API's CA rotation routes (pure): who may ask the leader to rotate the
// cluster CA, and who may be handed a CA key (a storage node of the document in force whose
// certificate says OU=storage, both).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "agent/api/peer_api.hpp"

namespace http = boost::beast::http;
using nlohmann::json;
using pydio::agent::api::handle_peer_request;
using pydio::agent::api::PeerBackend;
using pydio::agent::api::PeerIdentity;
using pydio::agent::api::PeerReply;
using pydio::agent::api::Request;

namespace {

// Records the rotation calls; every other call is a canned refusal.
class FakePeerBackend : public PeerBackend {
 public:
  std::string join_token_refusal(const std::string&) const override { return "refused"; }
  std::optional<pydio::agent::api::PeerMember> member(const std::string& name) const override {
    if (name == "n1") return pydio::agent::api::PeerMember{"198.18.0.1", true};
    if (name == "web1") return pydio::agent::api::PeerMember{"198.18.0.4", false};
    return std::nullopt;
  }
  json node_report() override { return json::object(); }
  PeerReply desired_document() override { return PeerReply{404, {{"error", "fake"}}}; }
  PeerReply join(const json&, bool) override { return PeerReply{409, {{"error", "fake"}}}; }
  PeerReply change_desired_state(const std::string&, bool) override {
    return PeerReply{409, {{"error", "fake"}}};
  }
  PeerReply nudge(const pydio::agent::api::Nudge&) override { return PeerReply{202, {}}; }
  PeerReply issue_certificate(const std::string& name, const std::string&, const std::string&,
                              const std::string& ca_pin) override {
    issued.push_back({name, ca_pin});
    return PeerReply{200, {{"nodeCert", "PEM"}}};
  }
  PeerReply begin_ca_rotation(bool forwarded) override {
    rotations.push_back(forwarded);
    return PeerReply{200, {{"generation", 5}}};
  }
  PeerReply hand_ca_key(const std::string& name, const std::string& pin) override {
    keys_handed.push_back({name, pin});
    return PeerReply{200, {{"caKey", "KEY"}}};
  }
  PeerReply accept_db_bootstrap(const std::string&) override {
    return PeerReply{409, {{"error", "fake"}}};
  }
  PeerReply start_db_backup() override { return PeerReply{409, {{"error", "fake"}}}; }
  PeerReply hold_db_server(const std::string&, const std::string&) override {
    return PeerReply{409, {{"error", "fake"}}};
  }
  PeerReply release_db_server(const std::string&) override {
    return PeerReply{409, {{"error", "fake"}}};
  }
  PeerReply set_aside_db_datadir(const std::string&) override {
    return PeerReply{409, {{"error", "fake"}}};
  }
  PeerReply signing_key() override { return PeerReply{503, {{"error", "fake"}}}; }
  PeerReply rotate_signing_key(bool) override { return PeerReply{503, {{"error", "fake"}}}; }

  std::vector<std::vector<std::string>> issued;       // caller, caPin of each renewal
  std::vector<bool> rotations;                        // forwarded flag of each rotation asked
  std::vector<std::vector<std::string>> keys_handed;  // caller, pin of each CA key handed
};

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

TEST_CASE("only storage nodes rotate the CA, and only a storage certificate gets a CA key",
          "[peer_api][ca_rotation]") {
  FakePeerBackend backend;
  const PeerIdentity storage_cert{"198.18.0.1", "n1", true};
  const std::string key_body = R"({"pin":"sha256:ab"})";

  SECTION("a storage node asks the leader to rotate; forwarded once when marked so") {
    auto request = make_request(http::verb::post, "/v1/peer/ca-rotation", "{}");
    CHECK(handle_peer_request(request, kStorage, backend).result() == http::status::ok);
    request.set(pydio::agent::api::kForwardedHeader, "1");
    CHECK(handle_peer_request(request, kStorage, backend).result() == http::status::ok);
    CHECK(backend.rotations == std::vector<bool>{false, true});
  }
  SECTION("a compute node may not rotate the CA, nor a caller without a certificate") {
    const auto request = make_request(http::verb::post, "/v1/peer/ca-rotation", "{}");
    const auto compute = handle_peer_request(request, kCompute, backend);
    CHECK(compute.result() == http::status::forbidden);
    CHECK(body_of(compute)["error"] ==
          "node web1 may not rotate the cluster CA (only storage nodes may)");
    CHECK(handle_peer_request(request, kNoCertificate, backend).result() ==
          http::status::unauthorized);
    CHECK(backend.rotations.empty());
  }
  SECTION("a storage node of the document with a storage certificate gets the key asked for") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/ca-key", key_body), storage_cert, backend);
    CHECK(response.result() == http::status::ok);
    REQUIRE(backend.keys_handed.size() == 1);
    CHECK(backend.keys_handed[0] == std::vector<std::string>{"n1", "sha256:ab"});
  }
  SECTION("no key without BOTH the storage role in force and a storage certificate") {
    // n1 is a storage node of the document, but its certificate lacks OU=storage.
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/ca-key", key_body), kStorage,
                              backend)
              .result() == http::status::forbidden);
    // web1 holds a storage certificate (e.g. from before a role change) but is compute now.
    const auto compute =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/ca-key", key_body),
                            PeerIdentity{"198.18.0.4", "web1", true}, backend);
    CHECK(compute.result() == http::status::forbidden);
    CHECK_THAT(body_of(compute)["error"].get<std::string>(),
               Catch::Contains("may not hold a CA key"));
    // Another node's storage certificate used from another address.
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/ca-key", key_body),
                              PeerIdentity{"198.18.0.4", "n1", true}, backend)
              .result() == http::status::forbidden);
    CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/ca-key", key_body),
                              kNoCertificate, backend)
              .result() == http::status::unauthorized);
    CHECK(backend.keys_handed.empty());
  }
  SECTION("a renewal names the issuing CA it expects; the backend gets it") {
    const auto response = handle_peer_request(make_request(http::verb::post, "/v1/peer/certificate",
                                                           R"({"csr":"PEM","caPin":"sha256:ab"})"),
                                              kCompute, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.issued == std::vector<std::vector<std::string>>{{"web1", "sha256:ab"}});
    const auto bad = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/certificate", R"({"csr":"PEM","caPin":1})"),
        kCompute, backend);
    CHECK(bad.result() == http::status::bad_request);
  }
  SECTION("a body without a string pin: 400; GET: 405") {
    for (const std::string& body :
         {std::string("{}"), std::string(R"({"pin":1})"), std::string("[]")}) {
      CHECK(handle_peer_request(make_request(http::verb::post, "/v1/peer/ca-key", body),
                                storage_cert, backend)
                .result() == http::status::bad_request);
    }
    CHECK(
        handle_peer_request(make_request(http::verb::get, "/v1/peer/ca-key"), storage_cert, backend)
            .result() == http::status::method_not_allowed);
    CHECK(backend.keys_handed.empty());
  }
}
