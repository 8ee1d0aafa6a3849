#include "agent/api/metrics_api.hpp"

#include <catch2/catch.hpp>

namespace http = boost::beast::http;
using pydio::agent::api::handle_metrics_request;
using pydio::agent::api::Request;

namespace {
Request make_request(http::verb method, const std::string& target) {
  Request request{method, target, 11};
  request.keep_alive(true);
  return request;
}
const std::string kText =
    "# HELP pydio_agent_healthy H.\n# TYPE pydio_agent_healthy gauge\n"
    "pydio_agent_healthy 1\n";
}  // namespace

TEST_CASE("GET /metrics answers the exposition text", "[metrics_api]") {
  int renders = 0;
  const auto render = [&] {
    ++renders;
    return kText;
  };
  SECTION("GET: 200, text/plain version 0.0.4, the text") {
    const auto response = handle_metrics_request(make_request(http::verb::get, "/metrics"), render);
    CHECK(response.result() == http::status::ok);
    CHECK(std::string(response[http::field::content_type]).rfind("text/plain; version=0.0.4", 0) ==
          0);
    CHECK(response.body() == kText);
    CHECK(response.keep_alive());
  }
  SECTION("HEAD: no body, its length") {
    const auto response =
        handle_metrics_request(make_request(http::verb::head, "/metrics"), render);
    CHECK(response.result() == http::status::ok);
    CHECK(response.body().empty());
    CHECK(response[http::field::content_length] == std::to_string(kText.size()));
  }
  SECTION("another path: 404, nothing rendered") {
    for (const char* target : {"/", "/health", "/metrics/x", "/metricsx"}) {
      INFO(target);
      CHECK(handle_metrics_request(make_request(http::verb::get, target), render).result() ==
            http::status::not_found);
    }
    CHECK(renders == 0);
  }
  SECTION("another method: 405 with Allow") {
    const auto response =
        handle_metrics_request(make_request(http::verb::post, "/metrics"), render);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET, HEAD");
    CHECK(renders == 0);
  }
  SECTION("a query string is ignored, as Prometheus may send one") {
    CHECK(handle_metrics_request(make_request(http::verb::get, "/metrics?x=1"), render).result() ==
          http::status::ok);
  }
}
