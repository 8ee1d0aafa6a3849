// web.installDir, web.confDir, web.localCacheDir and the PHP-literal rule of web.publicUrl.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/desired_state.hpp"

using nlohmann::json;
using pydio::common::parse_desired_state;
using pydio::common::serialize_desired_state;

namespace {

json document() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1", "generation": 1, "cluster": {"name": "pydio"},
    "nodes": [{"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/srv/pydio"},
                          {"name": "config", "directory": "/srv/pydio/config-brick"}]}],
    "volumes": [{"name": "pydio-data", "replica": 1, "brick": "data"},
                {"name": "pydio-config", "replica": 1, "brick": "config"}],
    "web": {}
  })");
}

std::string errors_of(const json& doc) {
  return json(parse_desired_state(doc.dump()).errors).dump();
}

}  // namespace

TEST_CASE("web.installDir, confDir, localCacheDir: defaults, checks naming the field",
          "[desired_state]") {
  json doc = document();
  auto parsed = parse_desired_state(doc.dump());
  REQUIRE(parsed.state);
  CHECK(pydio::common::web_install_dir(parsed.state->web) == "/var/www/pydio");
  CHECK(pydio::common::web_conf_dir(parsed.state->web) == "/var/www/pydio/conf");
  CHECK(pydio::common::web_local_cache_dir(parsed.state->web) == "/var/cache/pydio");
  // Defaults are not written: agents that do not know the fields still read the document.
  const json saved = json::parse(serialize_desired_state(*parsed.state));
  CHECK_FALSE(saved["web"].contains("installDir"));
  CHECK_FALSE(saved["web"].contains("localCacheDir"));

  SECTION("set values are kept and saved") {
    doc["web"]["installDir"] = "/opt/pydio";
    doc["web"]["localCacheDir"] = "/var/cache/pydio-node";
    parsed = parse_desired_state(doc.dump());
    REQUIRE(parsed.state);
    CHECK(pydio::common::web_conf_dir(parsed.state->web) == "/opt/pydio/conf");
    const json again = json::parse(serialize_desired_state(*parsed.state));
    CHECK(again["web"]["installDir"] == "/opt/pydio");
    CHECK(again["web"]["localCacheDir"] == "/var/cache/pydio-node");
  }
  SECTION("a system directory is refused by name") {
    doc["web"]["confDir"] = "/etc/pydio";
    CHECK(errors_of(doc).find("web.confDir: must not be under /etc") != std::string::npos);
  }
  SECTION("the local cache on a volume is refused") {
    doc["web"]["localCacheDir"] = "/mnt/pydio-config/cache";
    CHECK(
        errors_of(doc).find("web.localCacheDir: must be on the node, not on volume pydio-config") !=
        std::string::npos);
  }
  SECTION("what would break out of a PHP string is refused") {
    doc["web"]["installDir"] = "/var/www/py$dio";
    CHECK(errors_of(doc).find("web.installDir: is written into Pydio's PHP files") !=
          std::string::npos);
    doc = document();
    doc["web"]["publicUrl"] = "https://files.example.com/$x";
    CHECK(errors_of(doc).find("web.publicUrl") != std::string::npos);
  }
}
