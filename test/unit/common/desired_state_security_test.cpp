// security.glusterTls: read, validated, serialized, and chosen once (check_transition).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "test/unit/support/desired_state_errors.hpp"

namespace {

using nlohmann::json;
using pydio::common::check_transition;
using pydio::common::parse_desired_state;
using pydio::common::serialize_desired_state;

json minimal() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 1,
    "cluster": {"name": "pydio"},
    "nodes": [{"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]}],
    "volumes": [{"name": "pydio-data", "brick": "data"}]
  })");
}

using pydio::test::errors_of;
using pydio::test::has_line_starting;

}  // namespace

TEST_CASE("security.glusterTls is read, defaults to false and round-trips", "[desired_state]") {
  SECTION("absent: false, and the serialized document has no security section") {
    auto parsed = parse_desired_state(minimal().dump());
    REQUIRE(parsed.state);
    CHECK_FALSE(parsed.state->security.gluster_tls);
    CHECK_FALSE(json::parse(serialize_desired_state(*parsed.state)).contains("security"));
  }
  SECTION("true: kept, written back, read back the same") {
    auto document = minimal();
    document["security"] = {{"glusterTls", true}};
    auto parsed = parse_desired_state(document.dump());
    REQUIRE(parsed.state);
    CHECK(parsed.state->security.gluster_tls);
    const std::string text = serialize_desired_state(*parsed.state);
    CHECK(json::parse(text)["security"] == json{{"glusterTls", true}});
    auto again = parse_desired_state(text);
    REQUIRE(again.state);
    CHECK(serialize_desired_state(*again.state) == text);
    CHECK(pydio::common::validate_desired_state(*parsed.state).empty());
  }
  SECTION("explicit false is the default") {
    auto document = minimal();
    document["security"] = {{"glusterTls", false}};
    auto parsed = parse_desired_state(document.dump());
    REQUIRE(parsed.state);
    CHECK_FALSE(parsed.state->security.gluster_tls);
  }
  SECTION("wrong types and unknown keys are named") {
    auto document = minimal();
    document["security"] = {{"glusterTls", "yes"}};
    CHECK(has_line_starting(errors_of(document), "security.glusterTls: "));
    document["security"] = {{"glusterTLS", true}};
    CHECK(has_line_starting(errors_of(document), "security.glusterTLS: "));
    document["security"] = true;
    CHECK(has_line_starting(errors_of(document), "security: "));
  }
}

TEST_CASE("gluster TLS volume options are the agent's, not the operator's", "[desired_state]") {
  for (const char* key : {"client.ssl", "server.ssl", "auth.ssl-allow", "ssl.own-cert",
                          "ssl.cipher-list", "ssl.certificate-depth"}) {
    INFO(key);
    auto document = minimal();
    document["volumes"][0]["options"] = {{key, "on"}};
    const auto errors = errors_of(document);
    CHECK(std::find(errors.begin(), errors.end(),
                    std::string("volumes[0].options: option \"") + key +
                        "\" is managed by the agent (gluster TLS is chosen with "
                        "security.glusterTls at init); remove it") != errors.end());
  }
  auto document = minimal();
  document["volumes"][0]["options"] = {{"network.ping-timeout", "5"}};
  CHECK(errors_of(document).empty());
}

TEST_CASE("security.glusterTls is chosen at init: a running cluster cannot switch it",
          "[desired_state]") {
  auto off = parse_desired_state(minimal().dump()).state;
  auto document = minimal();
  document["security"] = {{"glusterTls", true}};
  document["generation"] = 2;
  auto on = parse_desired_state(document.dump()).state;
  REQUIRE(off);
  REQUIRE(on);
  CHECK(check_transition(*off, *on) ==
        std::vector<std::string>{
            "security.glusterTls: cannot change from false to true on a running cluster; it is "
            "chosen at init (docs/operations.md, \"Gluster TLS\"); keep false"});
  CHECK(check_transition(*on, *off) ==
        std::vector<std::string>{
            "security.glusterTls: cannot change from true to false on a running cluster; it is "
            "chosen at init (docs/operations.md, \"Gluster TLS\"); keep true"});
  CHECK(check_transition(*on, *on).empty());
  CHECK(check_transition(*off, *off).empty());
}
