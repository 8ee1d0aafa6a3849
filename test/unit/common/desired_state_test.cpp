#include "common/desired_state.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test/unit/support/test_data.hpp"

namespace {

using nlohmann::json;
using pydio::common::DesiredState;
using pydio::common::parse_desired_state;
using pydio::common::Role;
using pydio::common::serialize_desired_state;

// The operator-facing examples are part of the documentation; the tests keep them valid.
const std::string kExamplesDir = std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples";

std::string read_text(const std::string& path) { return pydio::test::read_text_file(path); }

json example(const std::string& name) { return json::parse(read_text(kExamplesDir + "/" + name)); }

// The smallest valid document: everything optional left out.
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

std::vector<std::string> errors_of(const json& document) {
  return parse_desired_state(document.dump()).errors;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "  " + line + "\n";
  return text;
}

// True when some line is exactly `line`.
bool has_line(const std::vector<std::string>& errors, const std::string& line) {
  return std::find(errors.begin(), errors.end(), line) != errors.end();
}

// True when some line starts with "<path>: " and contains `fragment`.
bool has_error(const std::vector<std::string>& errors, const std::string& path,
               const std::string& fragment) {
  for (const auto& line : errors) {
    if (line.rfind(path + ": ", 0) == 0 && line.find(fragment) != std::string::npos) return true;
  }
  return false;
}

#define REQUIRE_LINE(errors, line)       \
  do {                                   \
    INFO("errors:\n" << joined(errors)); \
    REQUIRE(has_line(errors, line));     \
  } while (false)

#define REQUIRE_ERROR(errors, path, fragment)   \
  do {                                          \
    INFO("errors:\n" << joined(errors));        \
    REQUIRE(has_error(errors, path, fragment)); \
  } while (false)

// A third storage node, for layouts that need three bricks.
json third_node() {
  return json::parse(R"({"name": "node3", "address": "198.18.0.3", "roles": ["storage"],
    "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"},
               {"name": "config", "directory": "/data/config-brick"}]})");
}

bool same_state(const DesiredState& a, const DesiredState& b) {
  if (a.api_version != b.api_version || a.generation != b.generation ||
      a.cluster_name != b.cluster_name || a.nodes.size() != b.nodes.size() ||
      a.volumes.size() != b.volumes.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto& x = a.nodes[i];
    const auto& y = b.nodes[i];
    if (x.name != y.name || x.address != y.address || x.roles != y.roles ||
        x.bricks.size() != y.bricks.size()) {
      return false;
    }
    for (std::size_t j = 0; j < x.bricks.size(); ++j) {
      const auto& p = x.bricks[j];
      const auto& q = y.bricks[j];
      if (p.name != q.name || p.device != q.device || p.directory != q.directory ||
          p.mountpoint != q.mountpoint || p.filesystem != q.filesystem ||
          p.allow_root_partition != q.allow_root_partition) {
        return false;
      }
    }
  }
  for (std::size_t i = 0; i < a.volumes.size(); ++i) {
    const auto& x = a.volumes[i];
    const auto& y = b.volumes[i];
    if (x.name != y.name || x.replica != y.replica || x.arbiter != y.arbiter ||
        x.brick != y.brick || x.options != y.options || x.mountpoint != y.mountpoint) {
      return false;
    }
  }
  const auto& w = a.web;
  const auto& v = b.web;
  if (w.docroot != v.docroot || w.alias != v.alias || w.health_file != v.health_file ||
      w.user != v.user || w.group != v.group || w.public_url != v.public_url ||
      w.server_name != v.server_name) {
    return false;
  }
  const auto& d = a.database;
  const auto& e = b.database;
  return d.host == e.host && d.port == e.port && d.name == e.name && d.user == e.user &&
         d.allowed_hosts == e.allowed_hosts;
}

}  // namespace

TEST_CASE("the documented examples are valid", "[desired_state]") {
  SECTION("ec2-cluster.json: two storage+compute nodes and a db node, replica 2") {
    const auto result = parse_desired_state(read_text(kExamplesDir + "/ec2-cluster.json"));
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(result.state != nullptr);
    CHECK(result.state->nodes.size() == 3);
    CHECK(result.state->nodes_with_role(Role::kStorage).size() == 2);
    CHECK(result.state->nodes_with_role(Role::kDb).size() == 1);
    REQUIRE(result.state->find_volume("pydio-data") != nullptr);
    CHECK(result.state->find_volume("pydio-data")->replica == 2);
  }
  SECTION("single-node.json") {
    const auto result = parse_desired_state(read_text(kExamplesDir + "/single-node.json"));
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(result.state != nullptr);
    const DesiredState& state = *result.state;
    REQUIRE(state.nodes.size() == 1);
    const auto& node = state.nodes[0];
    CHECK(node.name == "node1");
    CHECK(node.address == "198.18.0.1");
    CHECK(node.roles == std::vector<Role>{Role::kStorage, Role::kCompute, Role::kDb});
    const auto* data = state.find_volume("pydio-data");
    const auto* config = state.find_volume("pydio-config");
    REQUIRE(data != nullptr);
    REQUIRE(config != nullptr);
    CHECK(pydio::common::brick_path(node, *data) == "/data/pydio-data");
    CHECK(pydio::common::brick_path(node, *config) == "/data/config-brick");
    CHECK(state.brick_endpoints(*data) == std::vector<std::string>{"198.18.0.1:/data/pydio-data"});
    CHECK(data->replica == 1);
    CHECK(state.database.host == "198.18.0.1");
  }
  SECTION("tutorial.json: two storage+compute nodes, replica 2, database on node1") {
    const auto result = parse_desired_state(read_text(kExamplesDir + "/tutorial.json"));
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    const DesiredState& state = *result.state;
    CHECK(state.nodes_with_role(Role::kStorage).size() == 2);
    CHECK(state.nodes_with_role(Role::kCompute).size() == 2);
    REQUIRE(state.nodes_with_role(Role::kDb).size() == 1);
    CHECK(state.nodes_with_role(Role::kDb)[0]->name == "node1");
    const auto* data = state.find_volume("pydio-data");
    REQUIRE(data != nullptr);
    CHECK(data->replica == 2);
    CHECK(data->mountpoint == "/mnt/pydio-data");
    CHECK(state.brick_endpoints(*data) ==
          std::vector<std::string>{"198.18.0.1:/data/pydio-data", "198.18.0.2:/data/pydio-data"});
    const auto* config = state.find_volume("pydio-config");
    REQUIRE(config != nullptr);
    CHECK(
        state.brick_endpoints(*config) ==
        std::vector<std::string>{"198.18.0.1:/data/config-brick", "198.18.0.2:/data/config-brick"});
    CHECK(state.find_node("node2") != nullptr);
    CHECK(state.find_node("node9") == nullptr);
    CHECK(state.web.server_name == "files.example.com");
  }
}

TEST_CASE("omitted fields take their documented defaults", "[desired_state]") {
  const auto result = parse_desired_state(minimal().dump());
  INFO("errors:\n" << joined(result.errors));
  REQUIRE(result.errors.empty());
  const DesiredState& state = *result.state;
  const auto& brick = state.nodes[0].bricks[0];
  CHECK(brick.filesystem == "xfs");
  CHECK_FALSE(brick.allow_root_partition);
  const auto& volume = state.volumes[0];
  CHECK(volume.replica == 1);
  CHECK(volume.arbiter == 0);
  CHECK(volume.options.empty());
  CHECK(volume.mountpoint == "/mnt/pydio-data");
  CHECK(state.web.docroot == "/var/www/pydio");
  CHECK(state.web.alias == "/pydio");
  CHECK(state.web.health_file == "check.txt");
  CHECK(state.web.user == "www-data");
  CHECK(state.web.group == "www-data");
  CHECK(state.web.public_url.empty());
  CHECK(state.web.server_name.empty());
  CHECK(state.database.host == "198.18.0.1");  // the only node with role db
  CHECK(state.database.port == 3306);
  CHECK(state.database.name == "pydio");
  CHECK(state.database.user == "pydio");
  CHECK(state.database.allowed_hosts == std::vector<std::string>{"198.18.0.1"});

  SECTION("serverName is derived from publicUrl unless given") {
    auto document = minimal();
    document["web"] = {{"publicUrl", "https://files.example.com:8443/pydio"}};
    auto derived = parse_desired_state(document.dump());
    REQUIRE(derived.errors.empty());
    CHECK(derived.state->web.server_name == "files.example.com");
    document["web"]["serverName"] = "pydio.example.org";
    auto given = parse_desired_state(document.dump());
    REQUIRE(given.errors.empty());
    CHECK(given.state->web.server_name == "pydio.example.org");
  }
  SECTION("allowedHosts defaults to every node's address") {
    auto document = example("tutorial.json");
    document["database"].erase("allowedHosts");
    auto parsed = parse_desired_state(document.dump());
    REQUIRE(parsed.errors.empty());
    CHECK(parsed.state->database.allowed_hosts ==
          std::vector<std::string>{"198.18.0.1", "198.18.0.2"});
  }
}

TEST_CASE("serialize_desired_state round-trips", "[desired_state]") {
  for (const json& document : {minimal(), example("single-node.json"), example("tutorial.json")}) {
    const auto first = parse_desired_state(document.dump());
    REQUIRE(first.errors.empty());
    const std::string text = serialize_desired_state(*first.state);
    const auto second = parse_desired_state(text);
    INFO("serialized:\n" << text << "errors:\n" << joined(second.errors));
    REQUIRE(second.errors.empty());
    CHECK(same_state(*first.state, *second.state));
    CHECK(serialize_desired_state(*second.state) == text);
  }
  SECTION("a directory brick's allowRootPartition survives") {
    auto document = minimal();
    document["nodes"][0]["bricks"].push_back(
        {{"name", "config"}, {"directory", "/srv/config-brick"}, {"allowRootPartition", true}});
    document["volumes"].push_back({{"name", "pydio-config"}, {"brick", "config"}});
    const auto first = parse_desired_state(document.dump());
    REQUIRE(first.errors.empty());
    const auto second = parse_desired_state(serialize_desired_state(*first.state));
    REQUIRE(second.errors.empty());
    CHECK(second.state->nodes[0].bricks[1].allow_root_partition);
    CHECK(same_state(*first.state, *second.state));
  }
}

TEST_CASE("malformed JSON is reported with the parser's position", "[desired_state]") {
  const auto result = parse_desired_state("{\n  \"apiVersion\": \"pydio-agent/v1\",\n  oops\n}");
  REQUIRE(result.state == nullptr);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].rfind("document: malformed JSON at line 3, column ", 0) == 0);

  SECTION("empty input") {
    const auto empty = parse_desired_state("");
    REQUIRE(empty.errors.size() == 1);
    CHECK(empty.errors[0].rfind("document: malformed JSON", 0) == 0);
  }
  SECTION("a key given twice (JSON parsers would silently keep the last)") {
    const auto twice = parse_desired_state(
        R"({"apiVersion": "pydio-agent/v1", "nodes": [{"name": "a"}, {"name": "b", "name": "c"}]})");
    REQUIRE_LINE(twice.errors,
                 "nodes[1].name: appears more than once in the same object (remove all but one)");
  }
  SECTION("not an object") {
    const auto array = parse_desired_state("[1, 2]");
    REQUIRE_LINE(array.errors, "document: must be an object, got array");
  }
}

TEST_CASE("every problem is reported, not just the first", "[desired_state]") {
  auto document = example("tutorial.json");
  document["generation"] = 0;
  document["nodes"][1]["name"] = "node1";
  document["volumes"][0]["replica"] = 0;
  document["web"]["alias"] = "pydio";
  document["database"]["password"] = "hunter2";
  const auto result = parse_desired_state(document.dump());
  REQUIRE(result.state == nullptr);
  INFO("errors:\n" << joined(result.errors));
  CHECK(result.errors.size() == 5);
  REQUIRE_LINE(result.errors, "generation: must be at least 1");
  REQUIRE_LINE(result.errors, "nodes[1].name: duplicate of nodes[0].name \"node1\"");
  REQUIRE_LINE(result.errors, "volumes[0].replica: must be at least 1");
  REQUIRE_LINE(result.errors, "web.alias: must start with \"/\", got \"pydio\"");
  REQUIRE_ERROR(result.errors, "database.password", "unknown field");
}

TEST_CASE("unknown fields are rejected at every level", "[desired_state]") {
  auto document = example("tutorial.json");
  document["extra"] = 1;
  document["cluster"]["region"] = "eu";
  document["nodes"][0]["zone"] = "a";
  document["nodes"][0]["bricks"][0]["size"] = "10G";
  document["volumes"][1]["transport"] = "tcp";
  document["web"]["ssl"] = true;
  document["database"]["password"] = "secret";
  const auto errors = errors_of(document);
  REQUIRE_LINE(errors, "extra: unknown field");
  REQUIRE_LINE(errors, "cluster.region: unknown field");
  REQUIRE_LINE(errors, "nodes[0].zone: unknown field");
  REQUIRE_LINE(errors, "nodes[0].bricks[0].size: unknown field");
  REQUIRE_LINE(errors, "volumes[1].transport: unknown field");
  REQUIRE_LINE(errors, "web.ssl: unknown field");
  // No field carries a secret; the message says where secrets go instead.
  REQUIRE_LINE(errors,
               "database.password: unknown field (secrets belong in "
               "/etc/pydio-agent/secrets.json, never in the desired state)");
  CHECK(errors.size() == 7);
}

TEST_CASE("\"$schema\" at the top (for editors) is accepted and not stored", "[desired_state]") {
  auto document = example("tutorial.json");
  document["$schema"] = "/usr/share/doc/pydio-agent/schema/desired-state.schema.json";
  const auto result = parse_desired_state(document.dump());
  REQUIRE(result.errors.empty());
  CHECK(json::parse(serialize_desired_state(*result.state)).count("$schema") == 0);
  document["$schema"] = 1;
  REQUIRE_ERROR(errors_of(document), "$schema", "must be a string");
  document.erase("$schema");
  document["nodes"][0]["$schema"] = "x";
  REQUIRE_LINE(errors_of(document), "nodes[0].$schema: unknown field");
}

TEST_CASE("wrong types are rejected", "[desired_state]") {
  auto document = example("tutorial.json");
  document["generation"] = "1";
  document["cluster"] = "pydio";
  document["nodes"][0]["roles"] = "storage";
  document["nodes"][1]["bricks"][1]["allowRootPartition"] = "yes";
  document["volumes"][0]["replica"] = 2.0;
  document["volumes"][0]["options"]["network.ping-timeout"] = 10;
  document["volumes"][1]["options"] = json::array();
  document["web"]["docroot"] = nullptr;
  document["database"]["port"] = "3306";
  document["database"]["allowedHosts"][1] = 7;
  const auto errors = errors_of(document);
  REQUIRE_LINE(errors, "generation: must be an integer, got string");
  REQUIRE_LINE(errors, "cluster: must be an object, got string");
  REQUIRE_LINE(errors, "nodes[0].roles: must be an array, got string");
  REQUIRE_LINE(
      errors,
      "nodes[1].bricks[1].allowRootPartition: must be a boolean (true or false), got string");
  REQUIRE_LINE(errors, "volumes[0].replica: must be an integer, got number");
  REQUIRE_LINE(errors, "volumes[0].options.network.ping-timeout: must be a string, got integer");
  REQUIRE_LINE(errors, "volumes[1].options: must be an object, got array");
  REQUIRE_LINE(errors, "web.docroot: must be a string, got null");
  REQUIRE_LINE(errors, "database.port: must be an integer, got string");
  REQUIRE_LINE(errors, "database.allowedHosts[1]: must be a string, got integer");
}

TEST_CASE("missing required fields are named", "[desired_state]") {
  SECTION("top level") {
    const auto errors = errors_of(json::object());
    REQUIRE_LINE(errors, "apiVersion: required");
    REQUIRE_LINE(errors, "generation: required");
    REQUIRE_LINE(errors, "cluster: required");
    REQUIRE_LINE(errors, "nodes: required");
    REQUIRE_LINE(errors, "volumes: required");
  }
  SECTION("inside objects") {
    auto document = example("tutorial.json");
    document["cluster"].erase("name");
    document["nodes"][0].erase("name");
    document["nodes"][0].erase("address");
    document["nodes"][1].erase("roles");
    document["nodes"][1]["bricks"][0].erase("name");
    document["volumes"][0].erase("name");
    document["volumes"][1].erase("brick");
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "cluster.name: required");
    REQUIRE_LINE(errors, "nodes[0].name: required");
    REQUIRE_LINE(errors, "nodes[0].address: required");
    REQUIRE_LINE(errors, "nodes[1].roles: required");
    REQUIRE_LINE(errors, "nodes[1].bricks[0].name: required");
    REQUIRE_LINE(errors, "volumes[0].name: required");
    REQUIRE_LINE(errors, "volumes[1].brick: required");
  }
  SECTION("empty lists") {
    auto document = example("tutorial.json");
    document["nodes"][0]["roles"] = json::array();
    document["volumes"] = json::array();
    auto errors = errors_of(document);
    REQUIRE_LINE(errors, "nodes[0].roles: must list at least one role");
    REQUIRE_LINE(errors, "volumes: must list at least one volume");
    document["nodes"] = json::array();
    errors = errors_of(document);
    REQUIRE_LINE(errors, "nodes: must list at least one node");
  }
}

TEST_CASE("apiVersion and generation", "[desired_state]") {
  auto document = minimal();
  document["apiVersion"] = "pydio-agent/v2";
  document["generation"] = -3;
  const auto errors = errors_of(document);
  REQUIRE_LINE(errors, "apiVersion: must be \"pydio-agent/v1\", got \"pydio-agent/v2\"");
  REQUIRE_LINE(errors, "generation: must be at least 1");
}

TEST_CASE("names must match [A-Za-z0-9_.-]+", "[desired_state]") {
  auto document = example("tutorial.json");
  document["cluster"]["name"] = "my cluster";
  document["nodes"][0]["name"] = "node/1";
  document["nodes"][0]["bricks"][0]["name"] = "";
  document["nodes"][1]["name"] = "-node2";
  document["volumes"][0]["name"] = "pydio data";
  document["database"]["name"] = "pydio;drop";
  document["database"]["user"] = "pydio'@'%";
  const auto errors = errors_of(document);
  REQUIRE_LINE(errors, "cluster.name: must match [A-Za-z0-9_.-]+, got \"my cluster\"");
  REQUIRE_LINE(errors, "nodes[0].name: must match [A-Za-z0-9_.-]+, got \"node/1\"");
  REQUIRE_LINE(errors, "nodes[0].bricks[0].name: must not be empty");
  // A leading "-" would read as an option in a command's argv.
  REQUIRE_LINE(errors, "nodes[1].name: must not start with \"-\", got \"-node2\"");
  REQUIRE_LINE(errors, "volumes[0].name: must match [A-Za-z0-9_.-]+, got \"pydio data\"");
  REQUIRE_LINE(errors, "database.name: must match [A-Za-z0-9_.-]+, got \"pydio;drop\"");
  REQUIRE_LINE(errors, "database.user: must match [A-Za-z0-9_.-]+, got \"pydio'@'%\"");

  SECTION("gluster's own restrictions on volume names") {
    auto doc = minimal();
    doc["volumes"][0]["name"] = "pydio.data";
    REQUIRE_LINE(errors_of(doc), "volumes[0].name: gluster volume names may not contain \".\"");
    doc["volumes"][0]["name"] = "all";
    REQUIRE_LINE(errors_of(doc), "volumes[0].name: \"all\" is reserved by gluster");
  }
  SECTION("length limits") {
    auto doc = minimal();
    doc["nodes"][0]["name"] = std::string(65, 'n');
    doc["database"] = {{"user", std::string(33, 'u')}};
    const auto long_errors = errors_of(doc);
    REQUIRE_LINE(long_errors, "nodes[0].name: must be at most 64 characters");
    REQUIRE_LINE(long_errors, "database.user: must be at most 32 characters");
  }
}

TEST_CASE("paths must be absolute, normalized and without \"..\"", "[desired_state]") {
  auto document = example("tutorial.json");
  document["nodes"][0]["bricks"][0]["device"] = "dev/xvdb";
  document["nodes"][0]["bricks"][0]["mountpoint"] = "/data/../srv";
  document["nodes"][0]["bricks"][1]["directory"] = "data/config-brick";
  document["nodes"][1]["bricks"][0]["device"] = "/dev/../etc/passwd";
  document["nodes"][1]["bricks"][0]["mountpoint"] = "/data/";
  document["nodes"][1]["bricks"][1]["directory"] = "/data/config brick";
  document["volumes"][0]["mountpoint"] = "/mnt/../pydio-data";
  document["web"]["docroot"] = "var/www/pydio";
  const auto errors = errors_of(document);
  REQUIRE_LINE(
      errors,
      "nodes[0].bricks[0].device: must be an absolute path without \"..\", got \"dev/xvdb\"");
  REQUIRE_ERROR(errors, "nodes[0].bricks[0].mountpoint", "must be an absolute path without \"..\"");
  REQUIRE_ERROR(errors, "nodes[0].bricks[1].directory", "must be an absolute path without \"..\"");
  REQUIRE_ERROR(errors, "nodes[1].bricks[0].device", "must be an absolute path without \"..\"");
  REQUIRE_ERROR(errors, "nodes[1].bricks[0].mountpoint", "must be normalized");
  REQUIRE_ERROR(errors, "nodes[1].bricks[1].directory", "must not contain whitespace");
  REQUIRE_ERROR(errors, "volumes[0].mountpoint", "must be an absolute path without \"..\"");
  REQUIRE_ERROR(errors, "web.docroot", "must be an absolute path without \"..\"");

  SECTION("a device must be under /dev and a mountpoint cannot be /") {
    auto doc = minimal();
    doc["nodes"][0]["bricks"][0]["device"] = "/srv/disk.img";
    doc["nodes"][0]["bricks"][0]["mountpoint"] = "/";
    const auto dev_errors = errors_of(doc);
    REQUIRE_LINE(
        dev_errors,
        "nodes[0].bricks[0].device: must be a block device under /dev, got \"/srv/disk.img\"");
    REQUIRE_LINE(dev_errors, "nodes[0].bricks[0].mountpoint: must not be \"/\"");
  }
}

TEST_CASE("nodes: duplicates, addresses, roles", "[desired_state]") {
  SECTION("duplicate names and addresses") {
    auto document = example("tutorial.json");
    document["nodes"][1]["name"] = "node1";
    document["nodes"][1]["address"] = "198.18.0.1";
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "nodes[1].name: duplicate of nodes[0].name \"node1\"");
    REQUIRE_LINE(errors, "nodes[1].address: duplicate of nodes[0].address \"198.18.0.1\"");
  }
  SECTION("invalid IPv4 addresses") {
    for (const char* address : {"198.18.0", "198.18.0.256", "198.018.0.1", "node1.example.com",
                                "198.18.0.1:24007", "::1", " 198.18.0.1", "1.2.3.4.5", ""}) {
      auto document = minimal();
      document["nodes"][0]["address"] = address;
      INFO(address);
      REQUIRE_ERROR(errors_of(document), "nodes[0].address",
                    "must be an IPv4 address like 198.18.0.1");
    }
    for (const char* address : {"0.0.0.0", "255.255.255.255", "224.0.0.1"}) {
      auto document = minimal();
      document["nodes"][0]["address"] = address;
      INFO(address);
      REQUIRE_ERROR(errors_of(document), "nodes[0].address", address);
    }
  }
  SECTION("unknown and repeated roles") {
    auto document = example("tutorial.json");
    document["nodes"][1]["roles"] = {"storage", "web", "compute", "storage"};
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors,
                 "nodes[1].roles[1]: unknown role \"web\"; expected storage, compute, db or lb");
    REQUIRE_LINE(errors, "nodes[1].roles[3]: role \"storage\" listed twice");
  }
  SECTION("lb is a known role") {
    auto document = example("tutorial.json");
    document["nodes"].push_back({{"name", "lb1"}, {"address", "198.18.0.10"}, {"roles", {"lb"}}});
    const auto result = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    CHECK(result.state->nodes_with_role(Role::kLb).size() == 1);
    CHECK(pydio::common::role_name(Role::kLb) == "lb");
  }
  SECTION("bricks on a node without role storage") {
    auto document = example("tutorial.json");
    document["nodes"][1]["roles"] = {"compute"};
    REQUIRE_LINE(errors_of(document),
                 "nodes[1].bricks: only nodes with role \"storage\" have bricks");
  }
}

TEST_CASE("bricks: device or directory", "[desired_state]") {
  SECTION("both or neither") {
    auto document = example("tutorial.json");
    document["nodes"][0]["bricks"][0]["directory"] = "/srv/brick";
    document["nodes"][1]["bricks"][1].erase("directory");
    const auto errors = errors_of(document);
    REQUIRE_LINE(
        errors,
        "nodes[0].bricks[0]: has both \"device\" and \"directory\"; a brick is one or the other");
    REQUIRE_LINE(errors, "nodes[1].bricks[1]: needs \"device\" (a block device) or \"directory\"");
  }
  SECTION("device bricks need a mountpoint and XFS") {
    auto document = example("tutorial.json");
    document["nodes"][0]["bricks"][0].erase("mountpoint");
    document["nodes"][1]["bricks"][0]["filesystem"] = "ext4";
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "nodes[0].bricks[0].mountpoint: required for a device brick");
    REQUIRE_LINE(errors, "nodes[1].bricks[0].filesystem: only \"xfs\" is supported, got \"ext4\"");
  }
  SECTION("fields of the other kind of brick") {
    auto document = example("tutorial.json");
    document["nodes"][0]["bricks"][1]["mountpoint"] = "/config";
    document["nodes"][0]["bricks"][1]["filesystem"] = "xfs";
    document["nodes"][1]["bricks"][0]["allowRootPartition"] = true;
    const auto errors = errors_of(document);
    REQUIRE_LINE(
        errors,
        "nodes[0].bricks[1].mountpoint: only for device bricks (a directory brick is not mounted)");
    REQUIRE_LINE(errors, "nodes[0].bricks[1].filesystem: only for device bricks");
    REQUIRE_LINE(errors, "nodes[1].bricks[0].allowRootPartition: only for directory bricks");
  }
  SECTION("duplicates within a node") {
    auto document = example("tutorial.json");
    document["nodes"][0]["bricks"].push_back(
        {{"name", "data"}, {"device", "/dev/xvdb"}, {"mountpoint", "/data"}});
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "nodes[0].bricks[2].name: duplicate of nodes[0].bricks[0].name \"data\"");
    REQUIRE_LINE(errors,
                 "nodes[0].bricks[2].device: duplicate of nodes[0].bricks[0].device \"/dev/xvdb\"");
    REQUIRE_LINE(
        errors,
        "nodes[0].bricks[2].mountpoint: duplicate of nodes[0].bricks[0].mountpoint \"/data\"");
  }
  SECTION("a directory brick at a device's mountpoint") {
    auto document = example("tutorial.json");
    document["nodes"][0]["bricks"][1]["directory"] = "/data";
    REQUIRE_LINE(errors_of(document),
                 "nodes[0].bricks[1].directory: is the mountpoint of nodes[0].bricks[0]; use a "
                 "subdirectory of it");
  }
}

TEST_CASE("volumes: layout", "[desired_state]") {
  SECTION("replica below 1") {
    auto document = minimal();
    document["volumes"][0]["replica"] = 0;
    REQUIRE_LINE(errors_of(document), "volumes[0].replica: must be at least 1");
  }
  SECTION("arbiter must be 0 or 1, and 1 only with replica 3") {
    auto document = example("tutorial.json");
    document["volumes"][0]["arbiter"] = 2;
    document["volumes"][1]["arbiter"] = 1;
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "volumes[0].arbiter: must be 0 or 1");
    REQUIRE_LINE(errors, "volumes[1].arbiter: arbiter 1 needs replica 3, got replica 2");
  }
  SECTION("replica 3 arbiter 1 on three storage nodes is valid") {
    auto document = example("tutorial.json");
    document["nodes"].push_back(third_node());
    document["volumes"][0]["replica"] = 3;
    document["volumes"][0]["arbiter"] = 1;
    const auto result = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    CHECK(result.state->volumes[0].arbiter == 1);
  }
  SECTION("fewer storage nodes than replica") {
    auto document = minimal();
    document["volumes"][0]["replica"] = 2;
    REQUIRE_LINE(
        errors_of(document),
        "volumes[0]: replica 2 needs at least 2 storage nodes with brick \"data\", found 1");
  }
  SECTION("a brick count that is not a multiple of replica is allowed (extra bricks wait)") {
    auto document = example("tutorial.json");
    document["nodes"].push_back(third_node());
    const auto result = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    CHECK(result.state->brick_endpoints(result.state->volumes[0]).size() == 3);
  }
  SECTION("a storage node lacking the volume's brick") {
    auto document = example("tutorial.json");
    document["nodes"][1]["bricks"].erase(1);
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors,
                 "volumes[1].brick: storage node \"node2\" (nodes[1]) has no brick \"config\"");
    REQUIRE_LINE(
        errors,
        "volumes[1]: replica 2 needs at least 2 storage nodes with brick \"config\", found 1");
  }
  SECTION("duplicate names and mountpoints") {
    auto document = example("tutorial.json");
    document["volumes"][1]["name"] = "pydio-data";
    document["volumes"][1]["mountpoint"] = "/mnt/pydio-data";
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "volumes[1].name: duplicate of volumes[0].name \"pydio-data\"");
    REQUIRE_LINE(errors,
                 "volumes[1].mountpoint: duplicate of volumes[0].mountpoint \"/mnt/pydio-data\"");
  }
  SECTION("nested mountpoints") {
    auto document = example("tutorial.json");
    document["volumes"][1]["mountpoint"] = "/mnt/pydio-data/config";
    REQUIRE_ERROR(errors_of(document), "volumes[1].mountpoint",
                  "nests with volumes[0].mountpoint \"/mnt/pydio-data\"");
  }
  SECTION("a mountpoint over a brick") {
    auto document = example("tutorial.json");
    document["volumes"][0]["mountpoint"] = "/data";
    REQUIRE_ERROR(errors_of(document), "volumes[0].mountpoint",
                  "overlaps nodes[0].bricks[0].mountpoint \"/data\"");
  }
  SECTION("two volumes on one directory brick") {
    auto document = example("tutorial.json");
    document["volumes"][0]["brick"] = "config";
    REQUIRE_ERROR(errors_of(document), "volumes[1].brick",
                  "on node \"node1\" the brick path \"/data/config-brick\" overlaps");
  }
  SECTION("option names and values") {
    auto document = minimal();
    document["volumes"][0]["options"] = {{"bad key", "1"}, {"network.ping-timeout", ""}};
    const auto errors = errors_of(document);
    REQUIRE_ERROR(errors, "volumes[0].options", "option name \"bad key\"");
    REQUIRE_LINE(errors,
                 "volumes[0].options.network.ping-timeout: must be a non-empty value without "
                 "control characters");
  }
  SECTION("auth.allow and auth.reject: the agent manages who may mount") {
    auto document = minimal();
    document["volumes"][0]["options"] = {{"auth.allow", "10.0.1.*"}, {"auth.reject", "10.0.9.9"}};
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors,
                 "volumes[0].options: option \"auth.allow\" is managed by the agent (auth.allow "
                 "admits exactly the storage and compute nodes' addresses); remove it");
    REQUIRE_ERROR(errors, "volumes[0].options", "option \"auth.reject\" is managed by the agent");
  }
}

TEST_CASE("web tier", "[desired_state]") {
  auto document = minimal();
  document["web"] = {{"alias", "/pydio/"}, {"healthFile", "../check.txt"}, {"user", "www data"},
                     {"group", "1group"},  {"publicUrl", "ftp://x"},       {"serverName", "a b"},
                     {"docroot", "/"}};
  const auto errors = errors_of(document);
  REQUIRE_ERROR(errors, "web.alias", "followed by path segments");
  REQUIRE_ERROR(errors, "web.healthFile", "must be a plain file name");
  REQUIRE_ERROR(errors, "web.user", "must be a valid POSIX user name");
  REQUIRE_ERROR(errors, "web.group", "must be a valid POSIX group name");
  REQUIRE_ERROR(errors, "web.publicUrl", "must be an http:// or https:// URL");
  REQUIRE_ERROR(errors, "web.serverName", "must be a host name or an IPv4 address");
  REQUIRE_LINE(errors, "web.docroot: must not be \"/\"");

  SECTION("alias must start with /") {
    auto doc = minimal();
    doc["web"] = {{"alias", "pydio"}};
    REQUIRE_LINE(errors_of(doc), "web.alias: must start with \"/\", got \"pydio\"");
  }
  SECTION("healthFile is a plain name, not a path") {
    auto doc = minimal();
    doc["web"] = {{"healthFile", "status/check.txt"}};
    REQUIRE_ERROR(errors_of(doc), "web.healthFile", "must be a plain file name");
  }
}

TEST_CASE("database", "[desired_state]") {
  SECTION("allowedHosts entries") {
    auto document = example("tutorial.json");
    document["database"]["allowedHosts"] = {"198.18.0.%", "host name", "%", "198.18.0.%"};
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors,
                 "database.allowedHosts[1]: must match [A-Za-z0-9._%-]+, got \"host name\"");
    REQUIRE_ERROR(errors, "database.allowedHosts[2]", "would allow every host");
    REQUIRE_LINE(errors, "database.allowedHosts[3]: \"198.18.0.%\" listed twice");
  }
  SECTION("an explicit empty allowedHosts") {
    auto document = example("tutorial.json");
    document["database"]["allowedHosts"] = json::array();
    REQUIRE_ERROR(errors_of(document), "database.allowedHosts", "must list at least one host");
  }
  SECTION("host defaults only when exactly one node has role db") {
    auto document = example("tutorial.json");
    document["database"].erase("host");
    document["nodes"][0]["roles"] = {"storage", "compute"};
    REQUIRE_LINE(errors_of(document), "database.host: required when no node has role \"db\"");
  }
  SECTION("two db nodes are refused: no quorum after one failure") {
    auto document = example("tutorial.json");
    document["database"].erase("host");
    document["nodes"][1]["roles"] = {"storage", "compute", "db"};
    REQUIRE_ERROR(errors_of(document), "nodes", "two nodes have role \"db\"");
  }
  SECTION("three db nodes form a Galera cluster: members in document order, no host") {
    auto document = example("tutorial.json");
    document["database"].erase("host");
    document["nodes"][1]["roles"] = {"storage", "compute", "db"};
    document["nodes"].push_back({{"name", "db3"}, {"address", "198.18.0.7"}, {"roles", {"db"}}});
    document["database"]["allowedHosts"].push_back("198.18.0.7");
    const auto parsed = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(parsed.errors));
    REQUIRE(parsed.state);
    const pydio::common::DatabaseSpec& database = parsed.state->database;
    CHECK(database.galera());
    CHECK(database.host.empty());
    CHECK(database.members == std::vector<std::string>{"198.18.0.1", "198.18.0.2", "198.18.0.7"});
    CHECK(database.proxy_port == 3307);
    CHECK(pydio::common::validate_desired_state(*parsed.state).empty());
    const json saved = json::parse(serialize_desired_state(*parsed.state));
    CHECK_FALSE(saved["database"].contains("host"));
    const auto again = parse_desired_state(saved.dump());
    REQUIRE(again.state);
    CHECK(again.state->database.members == database.members);

    document["database"]["host"] = "198.18.0.1";
    REQUIRE_ERROR(errors_of(document), "database.host", "not allowed with 3 db nodes");
    document["database"].erase("host");
    document["database"]["proxyPort"] = 0;
    REQUIRE_ERROR(errors_of(document), "database.proxyPort", "");
  }
  SECTION("backup: defaults, round trip, and every value checked") {
    auto document = example("tutorial.json");
    document["database"]["backup"] = json::object();
    const auto parsed = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(parsed.errors));
    REQUIRE(parsed.state);
    REQUIRE(parsed.state->database.backup);
    CHECK(*parsed.state->database.backup == pydio::common::BackupSpec{});
    CHECK(pydio::common::validate_desired_state(*parsed.state).empty());
    const auto again = parse_desired_state(serialize_desired_state(*parsed.state));
    REQUIRE(again.state);
    CHECK(again.state->database.backup == parsed.state->database.backup);

    document["database"]["backup"] = {{"intervalSeconds", 30},     {"keep", 0},
                                      {"maxTotalMB", -1},          {"minFreePercent", 95},
                                      {"volume", "pydio-nothing"}, {"offsiteHook", "relative"},
                                      {"rateLimitMBps", -5},       {"password", "x"}};
    const auto errors = errors_of(document);
    REQUIRE_LINE(errors, "database.backup.intervalSeconds: must be between 60 and 604800, got 30");
    REQUIRE_LINE(errors, "database.backup.keep: must be between 1 and 1000, got 0");
    REQUIRE_ERROR(errors, "database.backup.maxTotalMB", "got -1");
    REQUIRE_ERROR(errors, "database.backup.minFreePercent", "got 95");
    REQUIRE_ERROR(errors, "database.backup.rateLimitMBps", "got -5");
    REQUIRE_LINE(errors, "database.backup.volume: names no volume of the desired state: "
                         "\"pydio-nothing\"");
    REQUIRE_ERROR(errors, "database.backup.offsiteHook", "");
    REQUIRE_ERROR(errors, "database.backup.password", "secrets belong");
  }
  SECTION("backup: the off-site hook may not lie where a volume or the web could put it") {
    auto document = example("tutorial.json");
    document["database"]["backup"] = {{"offsiteHook", "/mnt/pydio-data/hook"}};
    REQUIRE_ERROR(errors_of(document), "database.backup.offsiteHook",
                  "must not lie on volume pydio-data");
    document["database"]["backup"] = {{"offsiteHook", "/var/www/pydio/hook.sh"}};
    REQUIRE_ERROR(errors_of(document), "database.backup.offsiteHook", "web.docroot");
    document["database"]["backup"] = {{"offsiteHook", "/usr/local/sbin/pydio-offsite"}};
    CHECK(errors_of(document).empty());
  }
  SECTION("backup needs a db node to take it") {
    auto document = example("tutorial.json");
    document["nodes"][0]["roles"] = {"storage", "compute"};
    document["database"]["host"] = "db.internal.example.com";
    document["database"]["backup"] = json::object();
    REQUIRE_ERROR(errors_of(document), "database.backup", "needs a node with role db");
  }
  SECTION("host naming a node without role db") {
    auto document = example("tutorial.json");
    document["database"]["host"] = "198.18.0.2";
    REQUIRE_LINE(
        errors_of(document),
        "database.host: 198.18.0.2 is the address of nodes[1] \"node2\", which lacks role \"db\"");
  }
  SECTION("an external database server") {
    auto document = example("tutorial.json");
    document["nodes"][0]["roles"] = {"storage", "compute"};
    document["database"]["host"] = "db.internal.example.com";
    const auto result = parse_desired_state(document.dump());
    INFO("errors:\n" << joined(result.errors));
    REQUIRE(result.errors.empty());
    CHECK(result.state->database.host == "db.internal.example.com");
  }
  SECTION("port range") {
    auto document = example("tutorial.json");
    document["database"]["port"] = 70000;
    REQUIRE_LINE(errors_of(document), "database.port: must be between 1 and 65535");
  }
}
