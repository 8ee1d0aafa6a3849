#include "agent/api/health_api.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace http = boost::beast::http;
using pydio::agent::HealthVerdict;
using pydio::agent::api::handle_health_request;
using pydio::agent::api::Request;

namespace {

Request make_request(http::verb method, const std::string& target) {
  Request request{method, target, 11};
  request.keep_alive(true);
  return request;
}

HealthVerdict healthy_verdict() {
  HealthVerdict verdict;
  verdict.healthy = true;
  return verdict;
}

}  // namespace

TEST_CASE("GET /health answers from the verdict", "[health_api]") {
  SECTION("a healthy node gets 200 with its name") {
    const auto response = handle_health_request(make_request(http::verb::get, "/health"),
                                                healthy_verdict(), false, "n1");
    CHECK(response.result() == http::status::ok);
    CHECK(response[http::field::content_type] == "application/json");
    const auto body = nlohmann::json::parse(response.body());
    CHECK(body == nlohmann::json{{"status", "ok"}, {"node", "n1"}});
    CHECK(response.keep_alive());
  }
  SECTION("an unhealthy node gets 503 with every reason") {
    HealthVerdict verdict;
    verdict.healthy = false;
    verdict.reasons = {"mount /mnt/pydio-data: hung", "apache: not answering"};
    const auto response =
        handle_health_request(make_request(http::verb::get, "/health"), verdict, false, "n1");
    CHECK(response.result() == http::status::service_unavailable);
    const auto body = nlohmann::json::parse(response.body());
    CHECK(body["status"] == "unhealthy");
    CHECK(body["reasons"] ==
          nlohmann::json{"mount /mnt/pydio-data: hung", "apache: not answering"});
  }
  SECTION("draining makes a healthy node 503 with reason draining, listed once") {
    auto response = handle_health_request(make_request(http::verb::get, "/health"),
                                          healthy_verdict(), true, "n1");
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"] == nlohmann::json{"draining"});

    HealthVerdict verdict;
    verdict.reasons = {"draining"};
    response = handle_health_request(make_request(http::verb::get, "/health"), verdict, true, "n1");
    CHECK(nlohmann::json::parse(response.body())["reasons"] == nlohmann::json{"draining"});
  }
  SECTION("the monitor's own \"draining: <reason>\" wording is not doubled") {
    HealthVerdict verdict;
    verdict.reasons = {"draining: kernel upgrade"};
    const auto response =
        handle_health_request(make_request(http::verb::get, "/health"), verdict, true, "n1");
    CHECK(nlohmann::json::parse(response.body())["reasons"] ==
          nlohmann::json{"draining: kernel upgrade"});
  }
  SECTION("the rollout's \"drained for the rollout of <v>\" is not doubled either") {
    HealthVerdict verdict;
    verdict.reasons = {"drained for the rollout of fixture-2"};
    const auto response =
        handle_health_request(make_request(http::verb::get, "/health"), verdict, true, "n1");
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"] ==
          nlohmann::json{"drained for the rollout of fixture-2"});
  }
  SECTION("warnings (e.g. the database) are reported without failing the node") {
    HealthVerdict verdict = healthy_verdict();
    verdict.warnings = {"database: connect 198.18.0.1:3306: refused"};
    const auto response =
        handle_health_request(make_request(http::verb::get, "/health"), verdict, false, "n1");
    CHECK(response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(response.body())["warnings"] ==
          nlohmann::json{"database: connect 198.18.0.1:3306: refused"});
  }
  SECTION("a verdict never computed is 503 with a reason, not an empty list") {
    const auto response = handle_health_request(make_request(http::verb::get, "/health"),
                                                HealthVerdict{}, false, "n1");
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"].size() == 1);
  }
  SECTION("a query string does not change the path") {
    const auto response = handle_health_request(make_request(http::verb::get, "/health?probe=elb"),
                                                healthy_verdict(), false, "n1");
    CHECK(response.result() == http::status::ok);
  }
  SECTION("HEAD gets the status and length without a body") {
    const auto response = handle_health_request(make_request(http::verb::head, "/health"),
                                                healthy_verdict(), false, "n1");
    CHECK(response.result() == http::status::ok);
    CHECK(response.body().empty());
    CHECK(response[http::field::content_length] != "0");
  }
}

TEST_CASE("the health endpoint refuses other paths and methods", "[health_api]") {
  SECTION("other paths are 404") {
    for (const char* target : {"/", "/healthz", "/health/", "/v1/status"}) {
      const auto response = handle_health_request(make_request(http::verb::get, target),
                                                  healthy_verdict(), false, "n1");
      CHECK(response.result() == http::status::not_found);
    }
  }
  SECTION("other methods are 405 with an Allow header") {
    for (auto method : {http::verb::post, http::verb::put, http::verb::delete_}) {
      const auto response =
          handle_health_request(make_request(method, "/health"), healthy_verdict(), false, "n1");
      CHECK(response.result() == http::status::method_not_allowed);
      CHECK(response[http::field::allow] == "GET, HEAD");
    }
  }
}

TEST_CASE("GET /health/serving ignores drain, for HAProxy's HTTP check", "[health_api][lb]") {
  const auto serving = [](const HealthVerdict& verdict, bool draining) {
    return handle_health_request(make_request(http::verb::get, "/health/serving"), verdict,
                                 draining, "n1");
  };
  SECTION("a drained node that could serve answers 200 there, 503 on /health") {
    HealthVerdict verdict;
    verdict.reasons = {"draining: maintenance"};
    auto response = serving(verdict, true);
    CHECK(response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(response.body()) ==
          nlohmann::json{{"status", "ok"}, {"node", "n1"}});
    response = handle_health_request(make_request(http::verb::get, "/health"), verdict, true, "n1");
    CHECK(response.result() == http::status::service_unavailable);
  }
  SECTION("a drained node that also cannot serve is 503 with the other reasons only") {
    HealthVerdict verdict;
    verdict.reasons = {"draining", "apache: connection refused"};
    verdict.serving_reasons = {"apache: connection refused"};
    auto response = serving(verdict, true);
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"] ==
          nlohmann::json{"apache: connection refused"});
  }
  SECTION("a verdict never computed is 503") {
    auto response = serving(HealthVerdict{}, false);
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"] ==
          nlohmann::json{"health not checked yet"});
  }
  SECTION("healthy is 200, HEAD too") {
    CHECK(serving(healthy_verdict(), false).result() == http::status::ok);
    auto head = handle_health_request(make_request(http::verb::head, "/health/serving"),
                                      healthy_verdict(), false, "n1");
    CHECK(head.result() == http::status::ok);
  }
}
