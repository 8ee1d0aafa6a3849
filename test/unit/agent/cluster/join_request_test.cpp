// What a joining node asks for, and the pure decision of how the desired state changes.

#include "agent/cluster/join_request.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;
using pydio::agent::decide_join;
using pydio::agent::host_pattern_matches;
using pydio::agent::JoinConflict;
using pydio::agent::JoinDecision;
using pydio::agent::JoinRefusal;
using pydio::agent::JoinRequest;
using pydio::agent::parse_join_request;
using pydio::common::DesiredState;
using pydio::common::Role;

namespace {

// A two-node replica 2 cluster at generation 4. node1 is the first storage node; node2's
// bricks sit elsewhere, so a copied layout shows whose it is.
json cluster_document() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 4,
    "cluster": {"name": "pydio"},
    "nodes": [
      {"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
       "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"},
                  {"name": "config", "directory": "/data/config-brick"}]},
      {"name": "node2", "address": "198.18.0.2", "roles": ["storage", "compute"],
       "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/bricks"},
                  {"name": "config", "directory": "/bricks/config-brick"}]}
    ],
    "volumes": [
      {"name": "pydio-data", "replica": 2, "brick": "data", "mountpoint": "/mnt/pydio-data"},
      {"name": "pydio-config", "replica": 2, "brick": "config", "mountpoint": "/mnt/pydio-config"}
    ],
    "database": {"allowedHosts": ["198.18.0.%"]}
  })");
}

std::shared_ptr<const DesiredState> parsed(const json& document) {
  pydio::common::ValidationResult result = pydio::common::parse_desired_state(document.dump());
  INFO("errors: " << json(result.errors).dump());
  REQUIRE(result.state);
  return result.state;
}

JoinRequest request(const std::string& name, const std::string& address,
                    std::vector<Role> roles = {},
                    std::optional<std::string> device = std::nullopt) {
  JoinRequest join;
  join.name = name;
  join.address = address;
  join.roles = std::move(roles);
  join.device = std::move(device);
  return join;
}

// The refusal, failing the test when the join was decided instead.
JoinRefusal refusal_of(const std::variant<JoinDecision, JoinRefusal>& outcome) {
  REQUIRE(std::holds_alternative<JoinRefusal>(outcome));
  return std::get<JoinRefusal>(outcome);
}

// The decision, failing the test (with the refusal's message) when the join was refused.
JoinDecision decision_of(const std::variant<JoinDecision, JoinRefusal>& outcome) {
  if (const auto* refused = std::get_if<JoinRefusal>(&outcome)) FAIL(refused->message);
  return std::get<JoinDecision>(outcome);
}

std::string error_of(const json& body) {
  auto parsed_request = parse_join_request(body);
  REQUIRE_FALSE(parsed_request);
  return parsed_request.status().message();
}

}  // namespace

TEST_CASE("a join request is read field by field", "[join]") {
  SECTION("every field") {
    auto parsed_request = parse_join_request(json::parse(
        R"({"name": "node3", "address": "198.18.0.3", "roles": ["storage", "compute", "storage"],
            "device": "/dev/xvdc"})"));
    REQUIRE(parsed_request);
    CHECK(parsed_request->name == "node3");
    CHECK(parsed_request->address == "198.18.0.3");
    CHECK(parsed_request->roles == std::vector<Role>{Role::kStorage, Role::kCompute});
    CHECK(parsed_request->device == std::optional<std::string>("/dev/xvdc"));
  }
  SECTION("roles and device may be left out or null") {
    auto parsed_request = parse_join_request(
        json::parse(R"({"name": "node2", "address": "198.18.0.2", "device": null})"));
    REQUIRE(parsed_request);
    CHECK(parsed_request->roles.empty());
    CHECK_FALSE(parsed_request->device.has_value());
  }
  SECTION("what join_request_json() writes reads back the same") {
    const JoinRequest sent = request("node3", "198.18.0.3", {Role::kStorage}, "/dev/xvdc");
    auto received = parse_join_request(pydio::agent::join_request_json(sent));
    REQUIRE(received);
    CHECK(received->name == sent.name);
    CHECK(received->address == sent.address);
    CHECK(received->roles == sent.roles);
    CHECK(received->device == sent.device);
  }
  SECTION("errors name the field") {
    CHECK(error_of(json::parse(R"({"name": "n3", "address": "198.18.0.3",
                                   "roles": ["storage", "web"]})")) ==
          R"(roles[1]: "web" is not a role (storage, compute, db, lb))");
    CHECK(error_of(json::parse(R"({"name": "n3", "address": "198.18.0.3", "roles": [5]})")) ==
          "roles[0]: 5 is not a role (storage, compute, db, lb)");
    CHECK(error_of(json::parse(R"({"name": "n3", "address": "198.18.0.3",
                                   "roles": "storage"})")) ==
          "roles: must be an array of role names");
    CHECK(error_of(json::parse(R"({"name": "n3", "address": "198.18.0.256"})")) ==
          R"(address: must be an IPv4 address like 198.18.0.1, got "198.18.0.256")");
    CHECK(error_of(json::parse(R"({"address": "198.18.0.3"})")) == "name: required, a string");
    CHECK(error_of(json::parse(R"({"name": 3, "address": "198.18.0.3"})")) ==
          "name: required, a string");
    CHECK(error_of(json::parse(R"({"name": "n3"})")) == "address: required, a string");
    CHECK(error_of(json::parse(R"({"name": "-rf", "address": "198.18.0.3"})")).rfind("name: ", 0) ==
          0);
    CHECK(error_of(json::parse(R"({"name": "n3", "address": "198.18.0.3",
                                   "device": "dev/xvdc"})"))
              .rfind("device: ", 0) == 0);
    CHECK(error_of(json::array()) == "name: required, a string");
  }
}

TEST_CASE("a node that is already a member joins without a change", "[join]") {
  const auto current = parsed(cluster_document());

  SECTION("same name and address, with or without its roles and device") {
    for (const JoinRequest& again :
         {request("node2", "198.18.0.2"),
          request("node2", "198.18.0.2", {Role::kCompute, Role::kStorage}, "/dev/xvdb")}) {
      const JoinDecision decision = decision_of(decide_join(current, again));
      CHECK(decision.already_member);
      CHECK(decision.next == current);
    }
  }
  SECTION("same name, another address: conflict") {
    const JoinRefusal refused = refusal_of(decide_join(current, request("node2", "198.18.0.9")));
    CHECK(refused.kind == JoinConflict::kConflict);
    CHECK(refused.message ==
          "node node2 is already in the cluster with address 198.18.0.2, not 198.18.0.9");
  }
  SECTION("other roles: conflict, the desired state is where roles change") {
    const JoinRefusal refused =
        refusal_of(decide_join(current, request("node2", "198.18.0.2", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kConflict);
    CHECK(refused.message ==
          "node node2 is already in the cluster with roles storage,compute, not compute; change "
          "its roles in the desired state instead");
  }
  SECTION("another data device: conflict") {
    const JoinRefusal refused = refusal_of(
        decide_join(current, request("node2", "198.18.0.2", {}, std::string("/dev/xvdc"))));
    CHECK(refused.kind == JoinConflict::kConflict);
    CHECK(refused.message ==
          "node node2 is already in the cluster with data device /dev/xvdb, not /dev/xvdc");
  }
}

TEST_CASE("a new node is appended to the desired state at the next generation", "[join]") {
  const auto current = parsed(cluster_document());

  SECTION("a compute node: its roles, no bricks") {
    const JoinDecision decision =
        decision_of(decide_join(current, request("web1", "198.18.0.7", {Role::kCompute})));

    CHECK_FALSE(decision.already_member);
    REQUIRE(decision.next);
    CHECK(decision.next->generation == 5);
    REQUIRE(decision.next->nodes.size() == 3);
    const auto& added = decision.next->nodes.back();
    CHECK(added.name == "web1");
    CHECK(added.address == "198.18.0.7");
    CHECK(added.roles == std::vector<Role>{Role::kCompute});
    CHECK(added.bricks.empty());
    CHECK(current->generation == 4);  // the snapshot in force is left as it was
    CHECK(current->nodes.size() == 2);
  }
  SECTION("a storage node: the first storage node's bricks, with its own device") {
    const JoinDecision decision = decision_of(decide_join(
        current, request("node3", "198.18.0.3", {Role::kStorage, Role::kCompute}, "/dev/xvdc")));

    REQUIRE(decision.next);
    CHECK(decision.next->generation == 5);
    const pydio::common::NodeSpec* added = decision.next->find_node("node3");
    REQUIRE(added != nullptr);
    REQUIRE(added->bricks.size() == 2);
    CHECK(added->bricks[0].name == "data");
    CHECK(added->bricks[0].device == std::optional<std::string>("/dev/xvdc"));
    CHECK(added->bricks[0].mountpoint == "/data");
    CHECK(added->bricks[1].name == "config");
    CHECK(added->bricks[1].directory == std::optional<std::string>("/data/config-brick"));
    CHECK(decision.next->brick_endpoints(*decision.next->find_volume("pydio-data")) ==
          std::vector<std::string>{"198.18.0.1:/data/pydio-data", "198.18.0.2:/bricks/pydio-data",
                                   "198.18.0.3:/data/pydio-data"});
  }
}

TEST_CASE("a join that cannot be decided is refused with what is wrong", "[join]") {
  const auto current = parsed(cluster_document());

  SECTION("the address of another node: conflict") {
    const JoinRefusal refused =
        refusal_of(decide_join(current, request("node9", "198.18.0.2", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kConflict);
    CHECK(refused.message == "address 198.18.0.2 already belongs to node node2");
  }
  SECTION("an unknown node without roles: invalid") {
    const JoinRefusal refused = refusal_of(decide_join(current, request("node3", "198.18.0.3")));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK(refused.message ==
          "node node3 is not in the desired state: give its roles (--roles storage,compute)");
  }
  SECTION("a storage node without --device where the cluster's bricks have one: invalid") {
    const JoinRefusal refused =
        refusal_of(decide_join(current, request("node3", "198.18.0.3", {Role::kStorage})));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK(refused.message ==
          "storage nodes of this cluster have a data device (brick data): give this node's with "
          "--device");
  }
  SECTION("a device for a node without the storage role: invalid") {
    const JoinRefusal refused = refusal_of(
        decide_join(current, request("web1", "198.18.0.7", {Role::kCompute}, "/dev/xvdc")));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK(refused.message == "--device is only for storage nodes");
  }
  SECTION("an address database.allowedHosts does not cover: invalid") {
    json document = cluster_document();
    document["database"]["allowedHosts"] = {"198.18.0.1", "198.18.0.2"};
    const JoinRefusal refused =
        refusal_of(decide_join(parsed(document), request("web1", "198.18.0.7", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK_THAT(refused.message,
               Catch::StartsWith("address 198.18.0.7 is not covered by database.allowedHosts; "
                                 "add it to the desired state first"));
  }
  SECTION("with Galera too: the members see the node's own address through its proxy") {
    json document = cluster_document();
    document["nodes"].push_back({{"name", "db2"}, {"address", "198.18.0.12"}, {"roles", {"db"}}});
    document["nodes"].push_back({{"name", "db3"}, {"address", "198.18.0.13"}, {"roles", {"db"}}});
    document["database"]["allowedHosts"] = {"198.18.0.1", "198.18.0.2"};
    auto galera = parsed(document);
    REQUIRE(galera->database.galera());
    const JoinRefusal refused =
        refusal_of(decide_join(galera, request("web1", "198.18.0.7", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK_THAT(refused.message,
               Catch::StartsWith("address 198.18.0.7 is not covered by database.allowedHosts"));
  }
  SECTION("a document the new node would make invalid: invalid, with the parser's words") {
    const JoinRefusal refused = refusal_of(decide_join(
        current, request("node3", "198.18.0.3", {Role::kStorage, Role::kCompute}, "/srv/disk")));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK(refused.message ==
          "the desired state with node node3 would be invalid: nodes[2].bricks[0].device: must be "
          "a block device under /dev, got \"/srv/disk\"");
  }
  SECTION("at the last generation a join is refused, never overflows") {
    json document = cluster_document();
    document["generation"] = (std::int64_t{1} << 53) - 1;
    const JoinRefusal refused =
        refusal_of(decide_join(parsed(document), request("web1", "198.18.0.7", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kInvalid);
    CHECK(refused.message ==
          "the desired state with node web1 would be invalid: generation: must be at most "
          "9007199254740991 (2^53-1)");
  }
  SECTION("a peer without a desired state cannot decide") {
    const JoinRefusal refused =
        refusal_of(decide_join(nullptr, request("web1", "198.18.0.7", {Role::kCompute})));
    CHECK(refused.kind == JoinConflict::kConflict);
    CHECK(refused.message == "the peer has no desired state yet");
  }
}

TEST_CASE("host patterns match as MySQL LIKE does", "[join]") {
  SECTION("% matches any run of characters, including none") {
    CHECK(host_pattern_matches("198.18.0.%", "198.18.0.7"));
    CHECK(host_pattern_matches("198.18.0.%", "198.18.0.254"));
    CHECK(host_pattern_matches("198.18.0.%", "198.18.0."));
    CHECK_FALSE(host_pattern_matches("198.18.0.%", "198.18.1.7"));
    CHECK(host_pattern_matches("198.%.7", "198.18.0.7"));
    CHECK_FALSE(host_pattern_matches("198.%.7", "198.18.0.77"));
  }
  SECTION("_ matches exactly one character") {
    CHECK(host_pattern_matches("198.18.0._", "198.18.0.7"));
    CHECK_FALSE(host_pattern_matches("198.18.0._", "198.18.0.17"));
    CHECK(host_pattern_matches("198.18.0.1_", "198.18.0.17"));
  }
  SECTION("without wildcards only the exact address matches") {
    CHECK(host_pattern_matches("198.18.0.1", "198.18.0.1"));
    CHECK_FALSE(host_pattern_matches("198.18.0.1", "198.18.0.10"));
    CHECK_FALSE(host_pattern_matches("198.18.0.10", "198.18.0.1"));
  }
}
