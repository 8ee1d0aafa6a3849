// validate_desired_state(): a state built in code is refused by the rules, and with the words,
// that parse_desired_state() applies to the same document.

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "test/unit/support/test_data.hpp"

namespace {

using nlohmann::json;
using pydio::common::BrickSpec;
using pydio::common::DesiredState;
using pydio::common::parse_desired_state;
using pydio::common::Role;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;

// Two storage nodes, replica 2, one db node.
DesiredState valid_state() {
  auto result = parse_desired_state(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 3,
    "cluster": {"name": "pydio"},
    "nodes": [
      {"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
       "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"},
                  {"name": "config", "directory": "/data/config-brick"}]},
      {"name": "node2", "address": "198.18.0.2", "roles": ["storage", "compute"],
       "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"},
                  {"name": "config", "directory": "/data/config-brick"}]}
    ],
    "volumes": [
      {"name": "pydio-data", "replica": 2, "brick": "data"},
      {"name": "pydio-config", "replica": 2, "brick": "config"}
    ],
    "web": {"publicUrl": "https://files.example.com"}
  })");
  INFO("errors: " << json(result.errors).dump());
  REQUIRE(result.state);
  return *result.state;
}

// What the parser says about the document that states `state`.
std::vector<std::string> parser_errors(const DesiredState& state) {
  return parse_desired_state(serialize_desired_state(state)).errors;
}

}  // namespace

TEST_CASE("a valid state validates without a line", "[desired_state]") {
  CHECK(validate_desired_state(valid_state()).empty());
  for (const char* name : {"ec2-cluster.json", "single-node.json", "tutorial.json"}) {
    const std::string path = std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples/" + name;
    auto parsed = parse_desired_state(pydio::test::read_text_file(path));
    INFO(name << ": " << json(parsed.errors).dump());
    REQUIRE(parsed.state);
    CHECK(validate_desired_state(*parsed.state).empty());
  }
}

TEST_CASE("a state built in code is refused with the parser's words", "[desired_state]") {
  SECTION("a duplicate node address") {
    DesiredState state = valid_state();
    state.nodes[1].address = "198.18.0.1";

    const std::vector<std::string> errors = validate_desired_state(state);

    // node2 now also has the database's address, and it lacks role "db".
    CHECK(errors == std::vector<std::string>{
                        "nodes[1].address: duplicate of nodes[0].address \"198.18.0.1\"",
                        "database.host: 198.18.0.1 is the address of nodes[1] \"node2\", which "
                        "lacks role \"db\""});
    CHECK(errors == parser_errors(state));
  }

  // Each change breaks one rule; the validator says exactly what the parser says.
  const std::vector<std::pair<const char*, std::function<void(DesiredState&)>>> changes = {
      {"another api version", [](DesiredState& s) { s.api_version = "pydio-agent/v0"; }},
      {"generation 0", [](DesiredState& s) { s.generation = 0; }},
      {"a cluster name with a space", [](DesiredState& s) { s.cluster_name = "my cluster"; }},
      {"no nodes", [](DesiredState& s) { s.nodes.clear(); }},
      {"a duplicate node name", [](DesiredState& s) { s.nodes[1].name = "node1"; }},
      {"a broadcast address", [](DesiredState& s) { s.nodes[1].address = "255.255.255.255"; }},
      {"no roles", [](DesiredState& s) { s.nodes[1].roles.clear(); }},
      {"a role twice", [](DesiredState& s) { s.nodes[1].roles.push_back(Role::kStorage); }},
      {"a storage node without the volume's brick",
       [](DesiredState& s) { s.nodes[1].bricks.pop_back(); }},
      {"bricks on a compute-only node",
       [](DesiredState& s) { s.nodes[1].roles = {Role::kCompute}; }},
      {"a device outside /dev", [](DesiredState& s) { s.nodes[1].bricks[0].device = "/srv/x"; }},
      {"a duplicate brick name", [](DesiredState& s) { s.nodes[1].bricks[1].name = "data"; }},
      {"a directory brick at the device's mountpoint",
       [](DesiredState& s) { s.nodes[1].bricks[1].directory = "/data"; }},
      {"another filesystem", [](DesiredState& s) { s.nodes[1].bricks[0].filesystem = "ext4"; }},
      {"replica 3 with two storage nodes", [](DesiredState& s) { s.volumes[0].replica = 3; }},
      {"replica 17", [](DesiredState& s) { s.volumes[0].replica = 17; }},
      {"arbiter 1 with replica 2", [](DesiredState& s) { s.volumes[0].arbiter = 1; }},
      {"arbiter 2", [](DesiredState& s) { s.volumes[0].arbiter = 2; }},
      {"a volume name with a dot", [](DesiredState& s) { s.volumes[1].name = "pydio.config"; }},
      {"a duplicate volume name", [](DesiredState& s) { s.volumes[1].name = "pydio-data"; }},
      {"nested volume mountpoints",
       [](DesiredState& s) { s.volumes[1].mountpoint = "/mnt/pydio-data/config"; }},
      {"a mountpoint over a brick", [](DesiredState& s) { s.volumes[1].mountpoint = "/data/m"; }},
      {"an option value with a newline",
       [](DesiredState& s) { s.volumes[0].options["cluster.quorum-type"] = "auto\n"; }},
      {"an option name with a space",
       [](DesiredState& s) { s.volumes[0].options["bad name"] = "on"; }},
      {"an operator's auth.allow",
       [](DesiredState& s) { s.volumes[0].options["auth.allow"] = "10.0.1.*"; }},
      {"an alias with ..", [](DesiredState& s) { s.web.alias = "/pydio/.."; }},
      {"a health file with a slash", [](DesiredState& s) { s.web.health_file = "a/b"; }},
      {"a public URL without scheme", [](DesiredState& s) { s.web.public_url = "files.example"; }},
      {"a database host that is a node without role db",
       [](DesiredState& s) { s.database.host = "198.18.0.2"; }},
      {"database port 0", [](DesiredState& s) { s.database.port = 0; }},
      {"no allowed hosts", [](DesiredState& s) { s.database.allowed_hosts.clear(); }},
      {"every host allowed", [](DesiredState& s) { s.database.allowed_hosts.push_back("%"); }},
      {"an allowed host twice",
       [](DesiredState& s) { s.database.allowed_hosts.push_back("198.18.0.1"); }},
  };
  for (const auto& [what, change] : changes) {
    DYNAMIC_SECTION(what) {
      DesiredState state = valid_state();
      change(state);

      const std::vector<std::string> errors = validate_desired_state(state);

      CHECK_FALSE(errors.empty());
      CHECK(errors == parser_errors(state));
    }
  }
}

TEST_CASE("fields a document cannot state together are refused as the reader refuses them",
          "[desired_state]") {
  DesiredState state = valid_state();
  BrickSpec& config = state.nodes[1].bricks[1];

  SECTION("a brick with both a device and a directory") {
    config.device = "/dev/xvdc";
    CHECK(validate_desired_state(state) ==
          std::vector<std::string>{"nodes[1].bricks[1]: has both \"device\" and \"directory\"; "
                                   "a brick is one or the other"});
  }
  SECTION("a brick with neither") {
    config.directory.reset();
    const auto errors = validate_desired_state(state);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors.front() ==
          "nodes[1].bricks[1]: needs \"device\" (a block device) or \"directory\"");
  }
  SECTION("a mountpoint on a directory brick") {
    config.mountpoint = "/config";
    CHECK(validate_desired_state(state) ==
          std::vector<std::string>{"nodes[1].bricks[1].mountpoint: only for device bricks (a "
                                   "directory brick is not mounted)"});
  }
  SECTION("allowRootPartition on a device brick") {
    state.nodes[1].bricks[0].allow_root_partition = true;
    CHECK(validate_desired_state(state) ==
          std::vector<std::string>{
              "nodes[1].bricks[0].allowRootPartition: only for directory bricks"});
  }
}
