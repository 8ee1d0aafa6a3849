// Routing of the peer API (pure): the token check and which backend call each request makes.

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
using pydio::agent::api::token_matches;

namespace {

constexpr const char* kToken = "abcdef.0123456789abcdef";

// Records what the routing asked of it and answers with canned data: the routing is pure
// logic, this fake stands in for the daemon's state only.
class FakePeerBackend : public PeerBackend {
 public:
  std::string join_token() const override { return token; }
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

  std::vector<pydio::agent::api::Nudge> nudges;
  std::string token = kToken;
  int reports = 0;
  PeerReply document_reply{404, {{"error", "no desired state yet"}}};
  std::optional<json> joined;
  bool join_forwarded = false;
  std::optional<std::string> changed;
  bool change_forwarded = false;
  PeerReply change_reply{200, {{"generation", 4}}};
};

Request make_request(http::verb method, const std::string& target, const std::string& body = "",
                     const std::string& authorization = std::string("Bearer ") + kToken) {
  Request request{method, target, 11};
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  request.body() = body;
  request.prepare_payload();
  return request;
}

json body_of(const pydio::agent::api::Response& response) { return json::parse(response.body()); }

}  // namespace

TEST_CASE("the peer API answers only requests that carry the cluster join token", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("no Authorization header: 401, and the backend is not asked") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/node", "", ""), backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK(response[http::field::www_authenticate] == "Bearer");
    CHECK(body_of(response)["error"] == "a valid cluster join token is required");
    CHECK(backend.reports == 0);
  }
  SECTION("a wrong token, or the right one without the Bearer scheme: 401") {
    for (const std::string& authorization :
         {std::string("Bearer abcdef.0123456789abcdeX"), std::string("Bearer abcdef"),
          std::string(kToken), std::string("Basic ") + kToken}) {
      const auto response = handle_peer_request(
          make_request(http::verb::get, "/v1/peer/node", "", authorization), backend);
      CHECK(response.result() == http::status::unauthorized);
    }
    CHECK(backend.reports == 0);
  }
  SECTION("a node that has no token yet refuses everything, even an empty token") {
    backend.token = "";
    for (const std::string& authorization :
         {std::string("Bearer "), std::string("Bearer ") + kToken}) {
      const auto response = handle_peer_request(
          make_request(http::verb::get, "/v1/peer/node", "", authorization), backend);
      CHECK(response.result() == http::status::unauthorized);
    }
    CHECK(backend.reports == 0);
  }
  SECTION("the token is checked before the path: an unknown path without it is 401 too") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/nope", "", ""), backend);
    CHECK(response.result() == http::status::unauthorized);
  }
  SECTION("the right token: the node report") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/node"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response) == json{{"node", "n2"}, {"generation", 3}});
    CHECK(backend.reports == 1);
  }
}

TEST_CASE("the peer API routes each endpoint to the backend", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("unknown path: 404 naming it") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/nope?x=1"), backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(body_of(response)["error"] == "no such endpoint: /v1/peer/nope");
  }
  SECTION("wrong method: 405 with the allowed ones") {
    auto response = handle_peer_request(make_request(http::verb::post, "/v1/peer/node"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET");
    CHECK(backend.reports == 0);

    response = handle_peer_request(make_request(http::verb::get, "/v1/peer/join"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "POST");

    response =
        handle_peer_request(make_request(http::verb::put, "/v1/peer/desired-state"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET, POST");
  }
  SECTION("GET /v1/peer/desired-state passes the backend's answer through") {
    auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/desired-state"), backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(body_of(response)["error"] == "no desired state yet");

    backend.document_reply = PeerReply{200, {{"generation", 3}, {"document", "{}"}}};
    response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/desired-state"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response)["generation"] == 3);
  }
  SECTION("POST /v1/peer/desired-state hands over the document text") {
    const std::string document = R"({"generation":4})";
    const auto response =
        handle_peer_request(make_request(http::verb::post, "/v1/peer/desired-state",
                                         json{{"document", document}}.dump()),
                            backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.changed == document);
    CHECK_FALSE(backend.change_forwarded);
  }
  SECTION("POST /v1/peer/desired-state: the backend's refusal is the answer") {
    backend.change_reply = PeerReply{409, {{"error", "generation: 4 is already in force"}}};
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/desired-state", R"({"document":"{}"})"), backend);
    CHECK(response.result() == http::status::conflict);
    CHECK(body_of(response)["error"] == "generation: 4 is already in force");
  }
  SECTION("POST /v1/peer/desired-state without {\"document\": string}: 400, nothing changes") {
    for (const char* body : {"", "not json", R"(["{}"])", R"({"doc":"{}"})", R"({"document":5})",
                             R"({"document":{"generation":4}})"}) {
      INFO("body: " << body);
      const auto response = handle_peer_request(
          make_request(http::verb::post, "/v1/peer/desired-state", body), backend);
      CHECK(response.result() == http::status::bad_request);
      CHECK(body_of(response)["error"] ==
            "body: expected {\"document\": \"<desired-state JSON text>\"}");
    }
    CHECK_FALSE(backend.changed.has_value());
  }
  SECTION("X-Pydio-Forwarded: 1 marks a request a peer already forwarded") {
    auto request = make_request(http::verb::post, "/v1/peer/desired-state", R"({"document":"{}"})");
    request.set("X-Pydio-Forwarded", "1");
    handle_peer_request(request, backend);
    CHECK(backend.change_forwarded);

    request = make_request(http::verb::post, "/v1/peer/join",
                           R"({"name":"node3","address":"198.18.0.3"})");
    request.set("X-Pydio-Forwarded", "1");
    const auto response = handle_peer_request(request, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.join_forwarded);
    REQUIRE(backend.joined.has_value());
    CHECK(*backend.joined == json{{"name", "node3"}, {"address", "198.18.0.3"}});
  }
  SECTION("any other value of X-Pydio-Forwarded is not forwarded") {
    auto request = make_request(http::verb::post, "/v1/peer/join", R"({"name":"node3"})");
    request.set("X-Pydio-Forwarded", "0");
    handle_peer_request(request, backend);
    CHECK(backend.joined.has_value());
    CHECK_FALSE(backend.join_forwarded);
  }
  SECTION("POST /v1/peer/join with a body that is not a JSON object: 400") {
    for (const char* body : {"", "not json", "[1]"}) {
      const auto response =
          handle_peer_request(make_request(http::verb::post, "/v1/peer/join", body), backend);
      CHECK(response.result() == http::status::bad_request);
      CHECK(body_of(response)["error"] == "body: expected a JSON object");
    }
    CHECK_FALSE(backend.joined.has_value());
  }
}

TEST_CASE("tokens match only when equal and non-empty", "[peer_api]") {
  CHECK(token_matches(kToken, kToken));
  CHECK_FALSE(token_matches("abcdef.0123456789abcdeX", kToken));
  CHECK_FALSE(token_matches("abcdef", kToken));
  CHECK_FALSE(token_matches(std::string(kToken) + "0", kToken));
  CHECK_FALSE(token_matches("", ""));
  CHECK_FALSE(token_matches(kToken, ""));
}

TEST_CASE("a nudge from a peer is checked before the backend sees it", "[peer_api]") {
  FakePeerBackend backend;

  SECTION("a well-formed nudge reaches the backend with its generation and sender") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge",
                     R"({"reason":"generation 5 in force","generation":5,"from":"198.18.0.1"})"),
        backend);
    CHECK(response.result() == http::status::accepted);
    REQUIRE(backend.nudges.size() == 1);
    CHECK(backend.nudges[0].generation == 5);
    CHECK(backend.nudges[0].from == "198.18.0.1");
  }
  SECTION("a generation of the wrong type is refused with 400 and the backend is not asked") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge", R"({"reason":"x","generation":"5"})"),
        backend);
    CHECK(response.result() == http::status::bad_request);
    CHECK(backend.nudges.empty());
  }
  SECTION("a nudge without the token is refused with 401") {
    const auto response = handle_peer_request(
        make_request(http::verb::post, "/v1/peer/nudge", R"({"reason":"x"})", ""), backend);
    CHECK(response.result() == http::status::unauthorized);
    CHECK(backend.nudges.empty());
  }
  SECTION("a body without a string reason, or a reason too long: 400, no pass") {
    for (const std::string& body :
         {std::string("{}"), std::string(R"({"reason":3})"), std::string("[]"),
          std::string("not json"),
          R"({"reason":")" + std::string(201, 'x') + R"("})"}) {
      const auto response =
          handle_peer_request(make_request(http::verb::post, "/v1/peer/nudge", body), backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK(backend.nudges.empty());
  }
  SECTION("GET: 405") {
    const auto response =
        handle_peer_request(make_request(http::verb::get, "/v1/peer/nudge"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(backend.nudges.empty());
  }
}

TEST_CASE("the peer API's header check refuses a caller without the token before any body",
          "[peer_api]") {
  FakePeerBackend backend;
  // Only the header: the server calls the check before reading the body.
  pydio::agent::api::RequestHeader header;
  header.method(http::verb::post);
  header.target("/v1/peer/join");
  header.version(11);
  header.set(http::field::content_length, "1048576");

  SECTION("no token: 401 with the same answer as the handler gives") {
    const auto refused = pydio::agent::api::refuse_unauthorized(header, backend);
    REQUIRE(refused);
    CHECK(refused->result() == http::status::unauthorized);
    CHECK((*refused)[http::field::www_authenticate] == "Bearer");
    CHECK(body_of(*refused)["error"] == "a valid cluster join token is required");
  }
  SECTION("the right token: the body is read and routed as usual") {
    header.set(http::field::authorization, std::string("Bearer ") + kToken);
    CHECK_FALSE(pydio::agent::api::refuse_unauthorized(header, backend));
  }
}
