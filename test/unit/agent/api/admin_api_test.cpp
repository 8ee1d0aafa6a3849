#include "agent/api/admin_api.hpp"
#include "agent/api/status_socket.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace http = boost::beast::http;
using nlohmann::json;
using pydio::agent::api::AdminAnswer;
using pydio::agent::api::AdminBackend;
using pydio::agent::api::handle_admin_request;
using pydio::agent::api::JoinOptions;
using pydio::agent::api::JoinOutcome;
using pydio::agent::api::Request;
using pydio::agent::api::SubmitResult;
using pydio::common::Expected;
using pydio::common::Status;

namespace {

// Records what the routing asked of it and answers with canned data: the routing is pure
// logic, this fake stands in for the daemon's state only.
class FakeBackend : public AdminBackend {
 public:
  json status(bool include_cluster) override {
    json out = {{"node", "n1"}, {"generation", 3}};
    if (include_cluster) out["cluster"] = json::object();
    return out;
  }
  Expected<json> plan() override {
    if (plan_error) return Status::error("observe data-brick: blkid: exit 2");
    return json{{"generation", 3}, {"resources", json::array()}};
  }
  void request_reconcile() override { ++reconcile_requests; }
  Status drain(const std::string& reason) override {
    drained_with = reason;
    return drain_status;
  }
  Status undrain() override {
    ++undrains;
    return Status::ok();
  }
  json events(int count) override {
    events_asked = count;
    return json::array();
  }
  json events_after(std::uint64_t sequence) override {
    events_after_asked = sequence;
    return json::array();
  }
  Expected<SubmitResult> submit_desired_state(const std::string& document) override {
    submitted = document;
    return submit_result;
  }
  JoinOutcome join(const JoinOptions& options) override {
    joined = options;
    return JoinOutcome{200, json{{"cluster", "c"}, {"generation", 2}}};
  }
  AdminAnswer join_tokens() override { return AdminAnswer{200, json{{"tokens", json::array()}}}; }
  AdminAnswer create_join_token(std::chrono::seconds ttl, const std::string& description) override {
    created = std::make_pair(ttl, description);
    return AdminAnswer{200, json{{"id", "abcdef"}}};
  }
  AdminAnswer delete_join_token(const std::string& id) override {
    deleted = id;
    return AdminAnswer{404, json{{"error", "no join token " + id}}};
  }
  AdminAnswer upgrade_from_legacy() override {
    ++upgrades;
    return AdminAnswer{409, json{{"error", "nothing to upgrade"}}};
  }
  AdminAnswer rotate_signing_key() override {
    ++rotations;
    return AdminAnswer{200, json{{"generation", 8}, {"keyId", "new"}, {"previousKeyId", "old"}}};
  }
  AdminAnswer rotate_ca() override {
    ++ca_rotations;
    return AdminAnswer{403, json{{"error", "not a storage node"}}};
  }
  AdminAnswer publish_release(const std::string& path) override {
    published = path;
    return AdminAnswer{422, json{{"error", path + ": not a Pydio release"}, {"errors", {"x"}}}};
  }
  AdminAnswer force_db_bootstrap(const std::string& node) override {
    forced.push_back(node);
    return AdminAnswer{200, json{{"forced", node}}};
  }
  AdminAnswer db_backups() override { return AdminAnswer{200, json{{"backups", json::array()}}}; }
  std::vector<std::string> forced;
  AdminAnswer restore_db(const std::string& name, bool confirmed) override {
    restores.push_back(name + (confirmed ? " confirmed" : " steps"));
    return AdminAnswer{200, json{{"name", name}, {"steps", json::array({"a step"})}}};
  }
  AdminAnswer desired_state() override {
    if (desired_generation == 0) return AdminAnswer{404, json{{"error", "no desired state yet"}}};
    return AdminAnswer{200,
                       json{{"apiVersion", "pydio-agent/v1"}, {"generation", desired_generation}}};
  }
  AdminAnswer release_db_holds() override {
    restores.push_back("release");
    return AdminAnswer{200, json{{"released", json::array({"db1"})}}};
  }
  json status_page_view() override {
    ++page_views;
    return json{{"status", {{"node", "n1"}}}, {"cluster", nullptr}, {"events", json::array()}};
  }
  int page_views = 0;
  std::vector<std::string> restores;  // "<name> steps|confirmed", "release"
  std::optional<std::string> published;
  int upgrades = 0;
  int rotations = 0;
  int ca_rotations = 0;

  bool plan_error = false;
  int reconcile_requests = 0;
  std::optional<std::string> drained_with;
  Status drain_status = Status::ok();
  int undrains = 0;
  int events_asked = 0;
  std::uint64_t events_after_asked = 0;
  std::string submitted;
  std::int64_t desired_generation = 0;
  SubmitResult submit_result{{}, false, 4, ""};
  std::optional<JoinOptions> joined;
  std::optional<std::pair<std::chrono::seconds, std::string>> created;
  std::optional<std::string> deleted;
};

Request make_request(http::verb method, const std::string& target, const std::string& body = "") {
  Request request{method, target, 11};
  request.body() = body;
  request.prepare_payload();
  return request;
}

json body_of(const pydio::agent::api::Response& response) { return json::parse(response.body()); }

}  // namespace

TEST_CASE("admin API routes each endpoint to the backend", "[admin_api]") {
  FakeBackend backend;

  SECTION("GET /v1/status returns the backend's document") {
    const auto response =
        handle_admin_request(make_request(http::verb::get, "/v1/status"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response)["node"] == "n1");
  }
  SECTION("GET /v1/plan returns the plan, or 500 with the observation error") {
    auto response = handle_admin_request(make_request(http::verb::get, "/v1/plan"), backend);
    CHECK(response.result() == http::status::ok);
    backend.plan_error = true;
    response = handle_admin_request(make_request(http::verb::get, "/v1/plan"), backend);
    CHECK(response.result() == http::status::internal_server_error);
    CHECK(body_of(response)["error"] == "plan: observe data-brick: blkid: exit 2");
  }
  SECTION("POST /v1/reconcile asks for a pass and answers 202 at once") {
    const auto response =
        handle_admin_request(make_request(http::verb::post, "/v1/reconcile"), backend);
    CHECK(response.result() == http::status::accepted);
    CHECK(backend.reconcile_requests == 1);
  }
  SECTION("POST /v1/drain passes the reason; an empty body drains without one") {
    auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/drain", R"({"reason":"kernel upgrade"})"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.drained_with == "kernel upgrade");
    response = handle_admin_request(make_request(http::verb::post, "/v1/drain"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.drained_with == "");
  }
  SECTION("POST /v1/drain with a bad body is 400 and does not drain") {
    for (const char* body : {"not json", "[1]", R"({"reason":5})"}) {
      const auto response =
          handle_admin_request(make_request(http::verb::post, "/v1/drain", body), backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK_FALSE(backend.drained_with.has_value());
  }
  SECTION("a drain the backend cannot persist is 500 with its reason") {
    backend.drain_status =
        Status::error("write /var/lib/pydio-agent/drain: No space left on device");
    const auto response =
        handle_admin_request(make_request(http::verb::post, "/v1/drain"), backend);
    CHECK(response.result() == http::status::internal_server_error);
    CHECK(body_of(response)["error"] ==
          "drain: write /var/lib/pydio-agent/drain: No space left on device");
  }
  SECTION("POST /v1/undrain") {
    const auto response =
        handle_admin_request(make_request(http::verb::post, "/v1/undrain"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.undrains == 1);
  }
  SECTION("GET /v1/events takes n, defaults to 20, rejects nonsense") {
    auto response = handle_admin_request(make_request(http::verb::get, "/v1/events?n=5"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.events_asked == 5);
    response = handle_admin_request(make_request(http::verb::get, "/v1/events"), backend);
    CHECK(backend.events_asked == 20);
    for (const char* target : {"/v1/events?n=0", "/v1/events?n=-1", "/v1/events?n=abc",
                               "/v1/events?n=1001", "/v1/events?n=99999999999"}) {
      response = handle_admin_request(make_request(http::verb::get, target), backend);
      CHECK(response.result() == http::status::bad_request);
    }
  }
  SECTION("GET /v1/events?after=S asks for the events after S; rejects nonsense") {
    auto response =
        handle_admin_request(make_request(http::verb::get, "/v1/events?after=41"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.events_after_asked == 41);
    for (const char* target : {"/v1/events?after=", "/v1/events?after=-1", "/v1/events?after=x",
                               "/v1/events?after=99999999999999999999",
                               "/v1/events?after=3&n=5"}) {
      response = handle_admin_request(make_request(http::verb::get, target), backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK(backend.events_after_asked == 41);
  }
  SECTION("POST /v1/desired-state: accepted, or 422 with the error lines") {
    auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/desired-state", R"({"generation":4})"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.submitted == R"({"generation":4})");
    CHECK(body_of(response) == json{{"accepted", true}, {"generation", 4}});

    backend.submit_result = SubmitResult{{"volumes[0].replica: must be at least 1"}, false, 3, ""};
    response = handle_admin_request(
        make_request(http::verb::post, "/v1/desired-state", R"({"generation":5})"), backend);
    CHECK(response.result() == http::status::unprocessable_entity);
    CHECK(body_of(response)["errors"] == json{"volumes[0].replica: must be at least 1"});
    CHECK(body_of(response)["generation"] == 3);
  }
  SECTION("POST /v1/desired-state on a node that may not change it is 403, naming why") {
    backend.submit_result = SubmitResult{{"only storage nodes may change the desired state"}, false,
                                         3, "", /*forbidden=*/true};
    auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/desired-state", R"({"generation":5})"), backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK(body_of(response)["error"] == "only storage nodes may change the desired state");
  }
  SECTION("POST /v1/desired-state without a body is 400") {
    const auto response =
        handle_admin_request(make_request(http::verb::post, "/v1/desired-state"), backend);
    CHECK(response.result() == http::status::bad_request);
    CHECK(backend.submitted.empty());
  }
}

TEST_CASE("admin API routes the join token commands and checks their bodies", "[admin_api]") {
  FakeBackend backend;
  SECTION("create: ttl and description reach the backend; 24 h when no ttl is given") {
    auto response =
        handle_admin_request(make_request(http::verb::post, "/v1/tokens/create",
                                          R"({"ttlSeconds":3600,"description":"rack 2"})"),
                             backend);
    CHECK(response.result() == http::status::ok);
    REQUIRE(backend.created.has_value());
    CHECK(backend.created->first == std::chrono::seconds(3600));
    CHECK(backend.created->second == "rack 2");
    response = handle_admin_request(make_request(http::verb::post, "/v1/tokens/create"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.created->first == std::chrono::hours(24));
  }
  SECTION("create: a ttl out of 1m..720h or of the wrong type is 400, the backend not asked") {
    for (const char* body : {R"({"ttlSeconds":59})", R"({"ttlSeconds":2592001})",
                             R"({"ttlSeconds":"1h"})", R"({"description":5})", "[]"}) {
      const auto response =
          handle_admin_request(make_request(http::verb::post, "/v1/tokens/create", body), backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK_FALSE(backend.created.has_value());
  }
  SECTION("delete: the backend's answer is passed on; a body without an id is 400") {
    auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/tokens/delete", R"({"id":"abcdef"})"), backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(backend.deleted == "abcdef");
    response =
        handle_admin_request(make_request(http::verb::post, "/v1/tokens/delete", "{}"), backend);
    CHECK(response.result() == http::status::bad_request);
  }
  SECTION("list is a GET") {
    auto response = handle_admin_request(make_request(http::verb::get, "/v1/tokens"), backend);
    CHECK(response.result() == http::status::ok);
    response = handle_admin_request(make_request(http::verb::post, "/v1/tokens"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
  }
}

TEST_CASE("admin API: upgrade is a POST whose answer is the backend's", "[admin_api]") {
  FakeBackend backend;
  auto response = handle_admin_request(make_request(http::verb::post, "/v1/upgrade"), backend);
  CHECK(response.result() == http::status::conflict);
  CHECK(backend.upgrades == 1);
  response = handle_admin_request(make_request(http::verb::get, "/v1/upgrade"), backend);
  CHECK(response.result() == http::status::method_not_allowed);
  CHECK(backend.upgrades == 1);
}

TEST_CASE("admin API: GET /v1/desired-state answers the document in force", "[admin_api]") {
  FakeBackend backend;
  SECTION("none yet: 404 with the reason") {
    const auto response =
        handle_admin_request(make_request(http::verb::get, "/v1/desired-state"), backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(body_of(response)["error"] == "no desired state yet");
  }
  SECTION("in force: 200 with the document; POST still submits") {
    backend.desired_generation = 7;
    auto response =
        handle_admin_request(make_request(http::verb::get, "/v1/desired-state"), backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response)["generation"] == 7);
    response =
        handle_admin_request(make_request(http::verb::post, "/v1/desired-state", "{}"), backend);
    CHECK(backend.submitted == "{}");
  }
  SECTION("another method is 405 naming both") {
    const auto response =
        handle_admin_request(make_request(http::verb::delete_, "/v1/desired-state"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET, POST");
  }
}

TEST_CASE("admin API refuses unknown paths and wrong methods", "[admin_api]") {
  FakeBackend backend;
  SECTION("unknown path is 404") {
    const auto response = handle_admin_request(make_request(http::verb::get, "/v1/nope"), backend);
    CHECK(response.result() == http::status::not_found);
  }
  SECTION("a path that is not UTF-8 is a 404 naming it, not an exception") {
    // Found by fuzzing: the error quotes the path, and JSON output threw on byte 0xff.
    const auto response = handle_admin_request(make_request(http::verb::get, "/v1/\xff"), backend);
    CHECK(response.result() == http::status::not_found);
    CHECK(response.body().find("/v1/\xef\xbf\xbd") != std::string::npos);  // U+FFFD
  }
  SECTION("wrong method is 405 naming the right one, and the backend is not called") {
    auto response = handle_admin_request(make_request(http::verb::get, "/v1/reconcile"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "POST");
    CHECK(backend.reconcile_requests == 0);
    response = handle_admin_request(make_request(http::verb::post, "/v1/status"), backend);
    CHECK(response[http::field::allow] == "GET");
  }
}

TEST_CASE("admin API: rotate signing-key is a POST whose answer is the backend's", "[admin_api]") {
  FakeBackend backend;
  auto response =
      handle_admin_request(make_request(http::verb::get, "/v1/rotate/signing-key"), backend);
  CHECK(response.result() == http::status::method_not_allowed);
  CHECK(backend.rotations == 0);
  response = handle_admin_request(make_request(http::verb::post, "/v1/rotate/signing-key"), backend);
  CHECK(response.result() == http::status::ok);
  CHECK(backend.rotations == 1);
  CHECK(json::parse(response.body())["keyId"] == "new");
}

TEST_CASE("admin API: app publish takes a path and answers with the backend's verdict",
          "[admin_api]") {
  FakeBackend backend;
  SECTION("the path goes to the backend; its 422 and problem lines come back") {
    const auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/app/publish", R"({"path":"/root/p.tar.gz"})"),
        backend);
    CHECK(response.result() == http::status::unprocessable_entity);
    CHECK(backend.published == "/root/p.tar.gz");
    CHECK(body_of(response)["errors"].size() == 1);
  }
  SECTION("a body without a string path is 400 and never reaches the backend") {
    for (const char* body : {"", "[]", R"({"path":3})", R"({"file":"/x"})", "{"}) {
      INFO(body);
      const auto response =
          handle_admin_request(make_request(http::verb::post, "/v1/app/publish", body), backend);
      CHECK(response.result() == http::status::bad_request);
    }
    CHECK_FALSE(backend.published);
  }
  SECTION("GET is not allowed") {
    const auto response =
        handle_admin_request(make_request(http::verb::get, "/v1/app/publish"), backend);
    CHECK(response.result() == http::status::method_not_allowed);
  }
}

TEST_CASE("admin API: db restore asks for the steps unless confirmed; db release",
          "[admin_api][db_restore]") {
  FakeBackend backend;
  SECTION("without confirmed: the steps; confirmed true: the restore") {
    auto response = handle_admin_request(
        make_request(http::verb::post, "/v1/db/restore", R"({"name":"20261201T003000Z-db1"})"),
        backend);
    CHECK(response.result() == http::status::ok);
    CHECK(body_of(response)["steps"].size() == 1);
    response =
        handle_admin_request(make_request(http::verb::post, "/v1/db/restore",
                                          R"({"name":"20261201T003000Z-db1","confirmed":true})"),
                             backend);
    CHECK(response.result() == http::status::ok);
    CHECK(backend.restores ==
          std::vector<std::string>{"20261201T003000Z-db1 steps", "20261201T003000Z-db1 confirmed"});
  }
  SECTION("a body without a string name, or a confirmed that is not a boolean: 400") {
    for (const char* body : {"", "[]", R"({"name":3})", R"({"name":"x","confirmed":"yes"})", "{"}) {
      INFO(body);
      CHECK(handle_admin_request(make_request(http::verb::post, "/v1/db/restore", body), backend)
                .result() == http::status::bad_request);
    }
    CHECK(backend.restores.empty());
  }
  SECTION("release is a POST") {
    CHECK(handle_admin_request(make_request(http::verb::get, "/v1/db/release"), backend).result() ==
          http::status::method_not_allowed);
    CHECK(
        handle_admin_request(make_request(http::verb::post, "/v1/db/release"), backend).result() ==
        http::status::ok);
    CHECK(backend.restores == std::vector<std::string>{"release"});
  }
}

TEST_CASE("admin API: the status page at / and /status, for loopback hosts only",
          "[admin_api][page]") {
  FakeBackend backend;
  for (const char* path : {"/", "/status", "/?reload=1"}) {
    INFO(path);
    Request request = make_request(http::verb::get, path);
    request.set(http::field::host, "localhost:8080");
    request.set("Sec-Fetch-Site", "none");  // a browser, typing the address
    const auto response = handle_admin_request(request, backend);
    CHECK(response.result() == http::status::ok);
    CHECK(response[http::field::content_type] == "text/html; charset=utf-8");
    CHECK_THAT(response.body(), Catch::StartsWith("<!DOCTYPE html>"));
  }
  CHECK(backend.page_views == 3);

  SECTION("a page whose name was rebound to 127.0.0.1 cannot read it: 403, nothing asked") {
    Request request = make_request(http::verb::get, "/");
    request.set(http::field::host, "evil.example:8080");
    const auto response = handle_admin_request(request, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK_THAT(body_of(response)["error"].get<std::string>(), Catch::Contains("localhost"));
    CHECK(backend.page_views == 3);
  }
  SECTION("it is read-only") {
    CHECK(handle_admin_request(make_request(http::verb::post, "/"), backend).result() ==
          http::status::method_not_allowed);
  }
}

TEST_CASE("admin API: a browser reaches nothing but the page (CSRF through an ssh tunnel)",
          "[admin_api][page]") {
  FakeBackend backend;
  SECTION("a form on another site posting to /v1/drain through the tunnel: 403, not drained") {
    Request request = make_request(http::verb::post, "/v1/drain");
    request.set(http::field::host, "localhost:8080");
    request.set(http::field::origin, "https://evil.example");
    const auto response = handle_admin_request(request, backend);
    CHECK(response.result() == http::status::forbidden);
    CHECK_THAT(body_of(response)["error"].get<std::string>(),
               Catch::Contains("does not answer web browsers"));
    CHECK_FALSE(backend.drained_with.has_value());
  }
  SECTION("a script of another site reading /v1/status or posting a desired state: 403") {
    Request read = make_request(http::verb::get, "/v1/status");
    read.set("Sec-Fetch-Site", "cross-site");
    CHECK(handle_admin_request(read, backend).result() == http::status::forbidden);
    Request push = make_request(http::verb::post, "/v1/desired-state", "{}");
    push.set(http::field::origin, "null");
    CHECK(handle_admin_request(push, backend).result() == http::status::forbidden);
    CHECK(backend.submitted.empty());
  }
  SECTION("agentctl (no Origin, no Sec-Fetch-Site) is answered as before") {
    CHECK(handle_admin_request(make_request(http::verb::post, "/v1/drain"), backend).result() ==
          http::status::ok);
    CHECK(backend.drained_with == std::string());
  }
}

TEST_CASE("status socket: the page and nothing of the admin API", "[admin_api][page]") {
  using pydio::agent::api::handle_status_socket_request;
  FakeBackend backend;
  CHECK(pydio::agent::api::status_socket_path("/run/pydio-agent/admin.sock") ==
        "/run/pydio-agent/status.sock");
  Request page = make_request(http::verb::get, "/");
  page.set(http::field::host, "localhost:8080");
  const auto response = handle_status_socket_request(page, backend);
  CHECK(response.result() == http::status::ok);
  CHECK_THAT(response.body(), Catch::StartsWith("<!DOCTYPE html>"));
  CHECK(backend.page_views == 1);

  SECTION("anyone on the machine the tunnel ends on reaches no admin endpoint through it") {
    for (const char* path : {"/v1/status", "/v1/drain", "/v1/desired-state", "/v1/tokens/create",
                             "/v1/db/restore", "/v1/events"}) {
      INFO(path);
      Request request = make_request(http::verb::post, path, "{}");
      request.set(http::field::host, "localhost:8080");
      CHECK(handle_status_socket_request(request, backend).result() == http::status::not_found);
      request.method(http::verb::get);
      CHECK(handle_status_socket_request(request, backend).result() == http::status::not_found);
    }
    CHECK_FALSE(backend.drained_with.has_value());
    CHECK(backend.submitted.empty());
    CHECK(backend.page_views == 1);
  }
  SECTION("read-only, and only for loopback host names") {
    Request post = make_request(http::verb::post, "/");
    post.set(http::field::host, "localhost:8080");
    CHECK(handle_status_socket_request(post, backend).result() ==
          http::status::method_not_allowed);
    Request rebound = make_request(http::verb::get, "/status");
    rebound.set(http::field::host, "evil.example:8080");
    CHECK(handle_status_socket_request(rebound, backend).result() == http::status::forbidden);
    CHECK(backend.page_views == 1);
  }
}
