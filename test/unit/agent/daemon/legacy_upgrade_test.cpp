// agentctl upgrade on the files the previous release left (an unsigned desired state in the
// state dir, secrets.json with the shared join token, no PKI): what it makes, and what it
// refuses without changing anything. The reconciler is never started (it would act here).

#include "agent/daemon/legacy_upgrade.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/cluster/signing.hpp"
#include "test/unit/support/temp_dir.hpp"

using pydio::agent::EventLog;
using pydio::agent::LegacyUpgrade;
using pydio::agent::NodeState;

namespace {

std::string legacy_document(std::int64_t generation) {
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples/single-node.json");
  std::stringstream text;
  text << in.rdbuf();
  auto document = nlohmann::json::parse(text.str());
  document["generation"] = generation;
  return document.dump(2);
}

void write_private(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// A node as the previous release left it: `with_state` adds its desired state (generation 7),
// `with_secrets` its secrets.json.
struct LegacyNode {
  explicit LegacyNode(bool with_state = true, bool with_secrets = true) {
    local.node_name = "node1";
    local.address = "198.18.0.1";
    local.state_dir = dir / "state";
    local.secrets_path = dir / "secrets.json";
    local.pki_dir = dir / "pki";
    std::filesystem::create_directories(local.state_dir);
    if (with_state) write_private(local.state_dir + "/desired-state.json", legacy_document(7));
    if (with_secrets) {
      write_private(
          local.secrets_path,
          R"({"joinToken":"abcdef.0123456789abcdef","dbPassword":"d","leasePassword":"l"})");
    }
  }
  pydio::test::TempDir dir;
  pydio::common::LocalConfig local;
};

std::string join_command(const std::string& token) {
  return "agentctl join node1 --token " + token;
}

}  // namespace

TEST_CASE("agentctl upgrade signs the legacy desired state as generation + 1 with a first token",
          "[legacy_upgrade]") {
  LegacyNode node;
  EventLog events(node.dir / "events.jsonl");
  NodeState state(node.local, events);
  REQUIRE(state.load());
  REQUIRE(state.desired() != nullptr);
  REQUIRE(state.desired_signed()->signature.empty());  // the legacy copy is in force, unsigned
  int commits = 0;
  LegacyUpgrade upgrade(state, node.local, join_command, [&] { ++commits; });

  const auto answer = upgrade.upgrade();
  INFO(answer.body.dump());
  REQUIRE(answer.status == 200);
  CHECK(commits == 1);
  CHECK(answer.body["generation"] == 8);
  CHECK(state.desired()->generation == 8);
  REQUIRE(state.desired()->join_tokens.size() == 1);
  const std::string token = answer.body["token"];
  CHECK(token.substr(0, 6) == state.desired()->join_tokens[0].id);
  CHECK(answer.body["joinCommand"] == join_command(token));
  CHECK(answer.body["caCertHash"] == state.trust().ca_pin());
  // Signed with the key made here, persisted with its signature; this node can admit joins.
  auto keys = state.signing_keys();
  REQUIRE(keys);
  CHECK_FALSE(keys->private_pem.empty());
  const std::string persisted = read(node.local.state_dir + "/desired-state.json");
  CHECK(pydio::agent::verify_document(keys->public_pem, persisted,
                                      read(node.local.state_dir + "/desired-state.json.sig")));
  CHECK(state.trust().can_sign());
  CHECK(exists(node.local.pki_dir + "/node.crt"));
  // The old shared token left secrets.json when the agent loaded it; the token is no file's.
  CHECK(read(node.local.secrets_path).find("joinToken") == std::string::npos);
  CHECK(persisted.find(token) == std::string::npos);

  SECTION("a second upgrade is refused and changes nothing") {
    const auto again = upgrade.upgrade();
    CHECK(again.status == 409);
    CHECK_THAT(again.body["error"].get<std::string>(),
               Catch::Contains("already follows the signed model (generation 8)"));
    CHECK(state.desired()->generation == 8);
    CHECK(commits == 1);
  }
}

TEST_CASE("agentctl upgrade refuses, changing nothing, where there is nothing to upgrade",
          "[legacy_upgrade]") {
  SECTION("no desired state") {
    LegacyNode node(/*with_state=*/false);
    EventLog events(node.dir / "events.jsonl");
    NodeState state(node.local, events);
    REQUIRE(state.load());
    LegacyUpgrade upgrade(state, node.local, join_command, [] {});
    const auto answer = upgrade.upgrade();
    CHECK(answer.status == 409);
    CHECK_THAT(answer.body["error"].get<std::string>(), Catch::StartsWith("nothing to upgrade"));
    CHECK_FALSE(exists(node.local.pki_dir));
  }
  SECTION("not a storage node of its desired state") {
    LegacyNode node;
    node.local.node_name = "web3";  // not listed: a node without the storage role
    EventLog events(node.dir / "events.jsonl");
    NodeState state(node.local, events);
    REQUIRE(state.load());
    LegacyUpgrade upgrade(state, node.local, join_command, [] {});
    const auto answer = upgrade.upgrade();
    CHECK(answer.status == 403);
    CHECK_THAT(answer.body["error"].get<std::string>(), Catch::Contains("is not a storage node"));
    CHECK_FALSE(exists(node.local.pki_dir));
    CHECK(state.desired()->generation == 7);
    CHECK_FALSE(exists(node.local.state_dir + "/desired-state.json.sig"));
  }
  SECTION("no secrets file") {
    LegacyNode node(/*with_state=*/true, /*with_secrets=*/false);
    EventLog events(node.dir / "events.jsonl");
    NodeState state(node.local, events);
    REQUIRE(state.load());
    LegacyUpgrade upgrade(state, node.local, join_command, [] {});
    const auto answer = upgrade.upgrade();
    CHECK(answer.status == 409);
    CHECK_THAT(answer.body["error"].get<std::string>(), Catch::Contains("no secrets file"));
    CHECK_FALSE(exists(node.local.pki_dir));
    CHECK(state.desired()->generation == 7);
  }
}
