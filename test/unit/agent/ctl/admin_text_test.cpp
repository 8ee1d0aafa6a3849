#include "agent/ctl/admin_text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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
      {"name": "php", "state": "in-sync", "lastError": null, "waitingFor": "PHP 8.2.36"},
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
        "php                in-sync  (PHP 8.2.36)\n"
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

TEST_CASE("status shows the node certificate's end and why its renewal failed",
          "[admin_text][renewal]") {
  json status = json::parse(R"({"node":"web1","certificate":{"serial":"3A","notBefore":
    "2026-11-10T00:00:00Z","notAfter":"2026-12-05T00:00:00Z","renewFrom":"2026-11-26T16:00:00Z",
    "renewal":"not yet","error":null}})");
  CHECK_THAT(format_status(status),
             Catch::Contains("node cert:  valid until 2026-12-05T00:00:00Z, renewed from "
                             "2026-11-26T16:00:00Z (serial 3A)\n"));
  status["certificate"]["renewal"] = "due";
  status["certificate"]["error"] = "no storage node renewed it: n1 198.18.0.1: Connection refused";
  CHECK_THAT(format_status(status),
             Catch::Contains("(serial 3A); renewal due; renewal failed: no storage node renewed "
                             "it: n1 198.18.0.1: Connection refused\n"));
  status["certificate"] = nullptr;
  CHECK_THAT(format_status(status), Catch::Contains("node cert:  none yet"));
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

namespace {

// The line of `text` that starts with `first_cell`, its column gaps (two or more blanks)
// shown as " | ", so a table row reads without counting padding. "" when there is none.
std::string row_of(const std::string& text, const std::string& first_cell) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(first_cell + " ", 0) != 0) continue;
    std::string row;
    for (std::size_t i = 0; i < line.size();) {
      std::size_t blanks = 0;
      while (i + blanks < line.size() && line[i + blanks] == ' ') ++blanks;
      if (blanks >= 2) {
        row += " | ";
        i += blanks;
      } else {
        row += line[i++];
      }
    }
    return row;
  }
  return "";
}

}  // namespace

TEST_CASE("the cluster view shows each node, each volume and what the cluster waits for",
          "[admin_text]") {
  const json cluster = json::parse(R"({
    "name": "pydio", "generation": 5, "leader": {"holder": "node1", "term": 7},
    "nodes": [
      {"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
       "reachable": true, "healthy": true, "reasons": [], "generation": 5, "peer": "this node",
       "release": "fixture-2", "database": "Synced, primary, size 3"},
      {"name": "node2", "address": "198.18.0.2", "roles": ["storage", "compute"],
       "reachable": false, "error": "connect 198.18.0.2:8481: timed out", "peer": "disconnected"},
      {"name": "web1", "address": "198.18.0.7", "roles": ["compute"], "reachable": true,
       "healthy": false, "reasons": ["mount /mnt/pydio-data is stale"], "generation": 4,
       "release": "operator"}
    ],
    "volumes": [
      {"name": "pydio-data", "exists": true, "state": "Started", "type": "Replicate",
       "bricks": ["198.18.0.1:/data/pydio-data", "198.18.0.2:/data/pydio-data"],
       "bricksOnline": ["198.18.0.1:/data/pydio-data"], "healPending": 12, "splitBrain": 2},
      {"name": "pydio-config", "exists": false, "error": "Volume pydio-config does not exist"}
    ],
    "waiting": ["node1: volume/pydio-data: peers 198.18.0.2 to reconnect before adding bricks to pydio-data"],
    "notes": ["node1: php: PHP 8.2.36, apache2handler"],
    "warnings": ["volume pydio-data is replica 2: prone to split-brain"]
  })");

  const std::string text = format_cluster(cluster);

  INFO(text);
  CHECK_THAT(text, Catch::StartsWith("cluster:    pydio, generation 5, leader node1 (term 7)\n"));
  CHECK(row_of(text, "NODE") ==
        "NODE | ADDRESS | ROLES | HEALTH | GEN | RELEASE | DATABASE | GLUSTER-PEER");
  CHECK(row_of(text, "node1") == "node1 | 198.18.0.1 | storage,compute,db | healthy | 5 | "
                                 "fixture-2 | Synced, primary, size 3 | this node");
  CHECK(row_of(text, "node2") ==
        "node2 | 198.18.0.2 | storage,compute | unreachable | - | - | - | disconnected");
  CHECK(row_of(text, "web1") == "web1 | 198.18.0.7 | compute | unhealthy: mount "
                                "/mnt/pydio-data is stale | 4 | operator | - | -");
  CHECK(row_of(text, "VOLUME") == "VOLUME | STATE | TYPE | BRICKS-ONLINE | HEAL-PENDING");
  CHECK(row_of(text, "pydio-data") ==
        "pydio-data | Started | Replicate | 1/2 | 12 (split-brain 2)");
  CHECK(row_of(text, "pydio-config") ==
        "pydio-config | Volume pydio-config does not exist | - | - | -");
  CHECK_THAT(text, Catch::Contains("waiting:    node1: volume/pydio-data: peers 198.18.0.2 to "
                                   "reconnect before adding bricks to pydio-data\n"));
  CHECK_THAT(text, Catch::Contains("note:       node1: php: PHP 8.2.36, apache2handler\n"));
  CHECK_THAT(text, Catch::Contains("warning:    volume pydio-data is replica 2: prone to "
                                   "split-brain\n"));
}

TEST_CASE("the cluster view tolerates a sparse document", "[admin_text]") {
  const std::string text = format_cluster(json::parse(R"({"name": "pydio"})"));
  CHECK_THAT(text, Catch::Contains("leader none"));
  CHECK_THAT(text, Catch::Contains("NODE"));
  CHECK_THAT(text, !Catch::Contains("VOLUME"));
  CHECK(format_roles(json::array()) == "no role");
  CHECK(format_roles(json::parse(R"(["storage","compute"])")) == "storage,compute");
}

TEST_CASE("join tokens are listed by id, expiry or \"expired\", description", "[admin_text]") {
  const json answer = json::parse(R"({"now": "2026-12-01T08:00:00Z", "tokens": [
    {"id": "abcdef", "expires": "2026-12-02T08:00:00Z", "expired": false, "description": "rack 2"},
    {"id": "ghij42", "expires": "2026-11-30T08:00:00Z", "expired": true, "description": ""}]})");
  const std::string text = format_tokens(answer);
  CHECK_THAT(text, Catch::StartsWith("ID"));
  CHECK_THAT(text, Catch::Contains("abcdef  2026-12-02T08:00:00Z  rack 2"));
  CHECK_THAT(text, Catch::Contains("ghij42  expired"));
  CHECK(text.find("2026-11-30") == std::string::npos);
  CHECK(format_tokens(json::parse(R"({"tokens": []})")) ==
        "no join tokens (agentctl token create makes one)\n");
}
