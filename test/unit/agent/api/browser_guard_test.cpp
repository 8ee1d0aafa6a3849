#include "agent/api/browser_guard.hpp"

#include <catch2/catch.hpp>

namespace http = boost::beast::http;
using pydio::agent::api::from_browser;
using pydio::agent::api::loopback_host;
using pydio::agent::api::Request;

namespace {
Request with_host(const std::string& host) {
  Request request{http::verb::get, "/", 11};
  request.set(http::field::host, host);
  return request;
}
}  // namespace

TEST_CASE("the page answers only to loopback Host names", "[browser_guard]") {
  for (const char* host : {"localhost", "localhost:8080", "LOCALHOST:8080", "127.0.0.1",
                           "127.0.0.1:8080", "127.1.2.3:1", "[::1]", "[::1]:8080"}) {
    INFO(host);
    CHECK(loopback_host(with_host(host)));
  }
  for (const char* host :
       {"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.evil.example",
        "10.0.0.1:8080", "198.18.0.1", "127.1", "::1", "[::2]:80", "[::1]x", "localhost:80x", "",
        "0.0.0.0:8080", "[fe80::1]"}) {
    INFO(host);
    CHECK_FALSE(loopback_host(with_host(host)));
  }
  CHECK(loopback_host(Request{http::verb::get, "/", 11}));  // no Host: agentctl, HTTP/1.0
}

TEST_CASE("a browser is recognised by the headers agentctl never sends", "[browser_guard]") {
  Request request{http::verb::post, "/v1/drain", 11};
  CHECK_FALSE(from_browser(request));
  request.set(http::field::user_agent, "agentctl/0.1.0");
  CHECK_FALSE(from_browser(request));
  Request form = request;
  form.set(http::field::origin, "null");
  CHECK(from_browser(form));
  Request fetch = request;
  fetch.set("Sec-Fetch-Site", "cross-site");
  CHECK(from_browser(fetch));
}
