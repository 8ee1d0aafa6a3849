#include "agent/api/admin_text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;
using namespace pydio::agent::api;

TEST_CASE("status is printed for humans", "[admin_text]") {
  const json status = json::parse(R"({
    "node": "n1", "generation": 3, "desiredError": "volumes[0].replica: must be at least 1",
    "leader": {"isLeader": false, "holder": "n2", "term": 7, "error": null},
    "draining": true, "drainReason": "kernel upgrade",
    "health": {"healthy": false, "reasons": ["draining"]},
    "resources": [
      {"name": "data-brick", "state": "in-sync", "lastError": null, "lastChange": null, "waitingFor": ""},
      {"name": "volume/pydio-data", "state": "waiting", "lastError": null, "waitingFor": "leader"},
      {"name": "apache-vhost", "state": "error", "lastError": "apache2ctl configtest: exit 1: Syntax error", "waitingFor": ""}
    ]})");
  CHECK(format_status(status) ==
        "node:       n1\n"
        "leader:     n2, term 7\n"
        "desired:    generation 3; last document rejected: volumes[0].replica: must be at least 1\n"
        "draining:   yes (kernel upgrade)\n"
        "health:     unhealthy: draining\n"
        "\n"
        "NAME               STATE    LAST-ERROR\n"
        "data-brick         in-sync  -\n"
        "volume/pydio-data  waiting  (waiting for leader)\n"
        "apache-vhost       error    apache2ctl configtest: exit 1: Syntax error\n");
}

TEST_CASE("status tolerates a sparse document", "[admin_text]") {
  const std::string text =
      format_status(json::parse(R"({"node":"n1","leader":{"isLeader":true,"term":1}})"));
  CHECK_THAT(text, Catch::Contains("leader:     this node, term 1"));
  CHECK_THAT(text, Catch::Contains("desired:    no valid desired state"));
  CHECK_THAT(text, Catch::Contains("no resources"));
  CHECK_NOTHROW(format_status(json()));
}

TEST_CASE("plan prints one line per action or nothing to do", "[admin_text]") {
  const json plan = json::parse(R"({"generation": 3, "resources": [
      {"name": "data-brick", "actions": [], "waitingFor": "", "error": null},
      {"name": "fuse-mount/pydio-data", "actions": [
         {"kind": "mount", "description": "mount 198.18.0.1:/pydio-data at /mnt/pydio-data"},
         {"kind": "fstab", "description": "add fstab entry for /mnt/pydio-data"}]},
      {"name": "volume/pydio-config", "actions": [], "waitingFor": "brick on n2"},
      {"name": "database", "actions": [], "error": "connect 198.18.0.1:3306: refused"}]})");
  CHECK(format_plan(plan) ==
        "fuse-mount/pydio-data: mount 198.18.0.1:/pydio-data at /mnt/pydio-data\n"
        "fuse-mount/pydio-data: add fstab entry for /mnt/pydio-data\n"
        "volume/pydio-config: waiting for brick on n2\n"
        "database: cannot observe: connect 198.18.0.1:3306: refused\n");
  CHECK(format_plan(json::parse(R"({"resources":[{"name":"x","actions":[]}]})")) ==
        "nothing to do\n");
}

TEST_CASE("events and rejection errors are printed line by line", "[admin_text]") {
  const json events = json::parse(R"([
      {"time":"2024-05-01T12:00:00Z","resource":"apache-vhost","action":"reload apache2",
       "outcome":"ok","durationMs":42,"message":""}])");
  CHECK(format_events(events) ==
        "TIME                  RESOURCE      ACTION          OUTCOME  DURATION  MESSAGE\n"
        "2024-05-01T12:00:00Z  apache-vhost  reload apache2  ok       42ms\n");
  CHECK(format_events(json::array()) == "no events\n");
  CHECK(format_errors(json::parse(R"({"errors":["a: bad","b: worse"]})")) == "a: bad\nb: worse\n");
}
