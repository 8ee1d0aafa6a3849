// loadBalancer and web.trustedProxies: read, validated (errors name the field), refused without
// an lb node, serialized only when they differ from the defaults.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "test/unit/support/desired_state_errors.hpp"

namespace {

using nlohmann::json;
using pydio::common::DesiredState;
using pydio::common::parse_desired_state;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;

// n1, n2 storage+compute, n3 lb.
json with_lb() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 1,
    "cluster": {"name": "pydio"},
    "nodes": [{"name": "n1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]},
              {"name": "n2", "address": "198.18.0.2", "roles": ["storage", "compute"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]},
              {"name": "n3", "address": "198.18.0.3", "roles": ["lb"]}],
    "volumes": [{"name": "pydio-data", "brick": "data", "replica": 2}]
  })");
}

using pydio::test::errors_of;
using pydio::test::has_line_starting;

}  // namespace

TEST_CASE("loadBalancer defaults apply to an lb node and are not written back",
          "[desired_state][lb]") {
  auto parsed = parse_desired_state(with_lb().dump());
  REQUIRE(parsed.state);
  const auto& lb = parsed.state->load_balancer;
  CHECK(lb.bind == "0.0.0.0:80");
  CHECK(lb.session_cookie == "AjaXplorer");
  CHECK(lb.agent_port == 8482);
  CHECK(lb.stats_port == 8404);
  CHECK(lb.tls_certificate.empty());
  const json written = json::parse(serialize_desired_state(*parsed.state));
  CHECK_FALSE(written.contains("loadBalancer"));
  CHECK_FALSE(written["web"].contains("trustedProxies"));
  CHECK(pydio::common::effective_trusted_proxies(*parsed.state) ==
        std::vector<std::string>{"198.18.0.3"});
}

TEST_CASE("loadBalancer fields are read, round-trip, and only changed ones are written",
          "[desired_state][lb]") {
  auto document = with_lb();
  document["loadBalancer"] = {{"sessionCookie", "PHPSESSID"},
                              {"checkIntervalMs", 1000},
                              {"tlsCertificate", "/etc/haproxy/site.pem"},
                              {"agentPort", 9482}};
  document["web"] = {{"trustedProxies", {"10.0.0.0/16", "198.18.0.3"}}};
  auto parsed = parse_desired_state(document.dump());
  INFO((parsed.errors.empty() ? std::string() : parsed.errors.front()));
  REQUIRE(parsed.state);
  CHECK(parsed.state->load_balancer.session_cookie == "PHPSESSID");
  CHECK(parsed.state->load_balancer.agent_port == 9482);
  const std::string text = serialize_desired_state(*parsed.state);
  const json written = json::parse(text);
  CHECK(written["loadBalancer"] == document["loadBalancer"]);
  CHECK(written["web"]["trustedProxies"] == document["web"]["trustedProxies"]);
  auto again = parse_desired_state(text);
  REQUIRE(again.state);
  CHECK(serialize_desired_state(*again.state) == text);
  CHECK(validate_desired_state(*parsed.state).empty());
  CHECK(pydio::common::effective_trusted_proxies(*parsed.state) ==
        std::vector<std::string>{"10.0.0.0/16", "198.18.0.3"});
}

TEST_CASE("loadBalancer without a node of role lb is refused", "[desired_state][lb]") {
  auto document = with_lb();
  document["nodes"].erase(2);
  document["loadBalancer"] = json::object();
  CHECK(errors_of(document) == std::vector<std::string>{"loadBalancer: no node has role lb"});

  SECTION("a state built in code: refused once it differs from the defaults") {
    document.erase("loadBalancer");
    auto parsed = parse_desired_state(document.dump());
    REQUIRE(parsed.state);
    DesiredState state = *parsed.state;
    CHECK(validate_desired_state(state).empty());
    state.load_balancer.fall = 3;
    CHECK(validate_desired_state(state) ==
          std::vector<std::string>{"loadBalancer: no node has role lb"});
  }
}

TEST_CASE("bad loadBalancer values are refused naming the field", "[desired_state][lb]") {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"bind", "80"}}, "loadBalancer.bind: "},
      {{{"bind", "0.0.0.0:70000"}}, "loadBalancer.bind: "},
      {{{"tlsCertificate", "/etc/haproxy/site.pem"}, {"tlsBind", "0.0.0.0:80"}},
       "loadBalancer.tlsBind: must differ"},
      {{{"tlsCertificate", "/var/www/pydio/x.pem"}}, "loadBalancer.tlsCertificate: "},
      {{{"tlsCertificate", "/etc/ssl/../shadow"}}, "loadBalancer.tlsCertificate: "},
      {{{"statsPort", 80}}, "loadBalancer.statsPort: "},
      {{{"statsPort", 8480}}, "loadBalancer.statsPort: "},
      {{{"statsPort", 8482}}, "loadBalancer.statsPort: "},
      {{{"checkIntervalMs", 100}}, "loadBalancer.checkIntervalMs: "},
      {{{"fall", 0}}, "loadBalancer.fall: "},
      {{{"rise", 11}}, "loadBalancer.rise: "},
      {{{"agentPort", 8481}}, "loadBalancer.agentPort: "},
      {{{"agentPort", 80}}, "loadBalancer.agentPort: "},
      {{{"agentIntervalMs", 60001}}, "loadBalancer.agentIntervalMs: "},
      {{{"sessionCookie", "a b"}}, "loadBalancer.sessionCookie: "},
      {{{"sessionCookie", "x;y"}}, "loadBalancer.sessionCookie: "},
      {{{"timeoutSeconds", 5}}, "loadBalancer.timeoutSeconds: "},
      {{{"timeoutSeconds", "300"}}, "loadBalancer.timeoutSeconds: "},
      {{{"cookie", "x"}}, "loadBalancer.cookie: "},
  };
  for (const auto& [section, expected] : cases) {
    auto document = with_lb();
    document["loadBalancer"] = section;
    INFO(section.dump());
    CHECK(has_line_starting(errors_of(document), expected));
  }
}

TEST_CASE("an lb node that is also compute cannot bind port 80 (Apache's)", "[desired_state][lb]") {
  auto document = with_lb();
  document["nodes"][2]["roles"] = {"lb", "compute"};
  CHECK(has_line_starting(errors_of(document), "loadBalancer.bind: port 80 is Apache's"));
  document["loadBalancer"] = {{"bind", "0.0.0.0:8482"}};
  CHECK(has_line_starting(errors_of(document), "loadBalancer.bind: port 8482 is Apache's or the "
                                               "agent-check's"));
  document["loadBalancer"] = {{"bind", "0.0.0.0:8080"}};
  CHECK(errors_of(document).empty());
}

TEST_CASE("HAProxy's ports: not the agent's own, not the stats page's; TLS fields together",
          "[desired_state][lb]") {
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"bind", "0.0.0.0:8480"}}, "loadBalancer.bind: port 8480 is taken"},
      {{{"bind", "0.0.0.0:8404"}}, "loadBalancer.bind: port 8404 is taken"},
      {{{"tlsCertificate", "/etc/haproxy/site.pem"}, {"tlsBind", "0.0.0.0:8481"}},
       "loadBalancer.tlsBind: port 8481 is taken"},
      {{{"tlsBind", "0.0.0.0:8443"}},
       "loadBalancer.tlsBind: is used only with loadBalancer.tlsCertificate"},
      {{{"tlsCertificate", "/etc/haproxy/a#b.pem"}},
       "loadBalancer.tlsCertificate: must use only letters"},
  };
  for (const auto& [section, expected] : cases) {
    auto document = with_lb();
    document["loadBalancer"] = section;
    INFO(section.dump());
    CHECK(has_line_starting(errors_of(document), expected));
  }
  auto document = with_lb();
  document["loadBalancer"] = {{"tlsCertificate", "/etc/haproxy/site.pem"},
                              {"tlsBind", "0.0.0.0:8443"}};
  CHECK(errors_of(document).empty());
}

TEST_CASE("web.trustedProxies: IPv4 or CIDR, never /0, not empty when given",
          "[desired_state][lb]") {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "web.trustedProxies: must list at least one"},
      {{"0.0.0.0/0"}, "web.trustedProxies[0]: "},
      {{"10.0.0.0/33"}, "web.trustedProxies[0]: "},
      {{"10.0.0.0/8", "proxy.example.com"}, "web.trustedProxies[1]: "},
      {{"10.0.0.1/"}, "web.trustedProxies[0]: "},
      {{7}, "web.trustedProxies[0]: "},
  };
  for (const auto& [proxies, expected] : cases) {
    auto document = with_lb();
    document["web"] = {{"trustedProxies", proxies}};
    INFO(proxies.dump());
    CHECK(has_line_starting(errors_of(document), expected));
  }
  SECTION("a state built in code gets the same line") {
    auto parsed = parse_desired_state(with_lb().dump());
    REQUIRE(parsed.state);
    DesiredState state = *parsed.state;
    state.web.trusted_proxies = {"10.0.0.0/0"};
    REQUIRE(validate_desired_state(state).size() == 1);
    CHECK(validate_desired_state(state)[0].rfind("web.trustedProxies[0]: ", 0) == 0);
  }
}
