// NodeState, the one owner of the node's state: what it keeps in force, what it refuses, the
// snapshots it hands out and the secrets it stores, the in-place update of its reconciler when a
// new document comes in (with test resources: the real ones would act on this machine), and the
// elector following the document.

#include "agent/daemon/node_state.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "agent/cluster/signing_files.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using pydio::agent::EventLog;
using pydio::agent::GenerationRule;
using pydio::agent::NodeState;
using pydio::common::parse_desired_state;

namespace {

std::string example(std::int64_t generation) {
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples/single-node.json");
  std::stringstream text;
  text << in.rdbuf();
  auto document = nlohmann::json::parse(text.str());
  document["generation"] = generation;
  return document.dump();
}

struct TempStateDir {
  TempStateDir() {
    char pattern[] = "/tmp/node-state-test-XXXXXX";
    path = ::mkdtemp(pattern);
    local.node_name = "node1";
    local.address = "198.18.0.1";
    local.state_dir = path + "/state";
    local.secrets_path = path + "/secrets.json";
    local.pki_dir = path + "/pki";
  }
  ~TempStateDir() { std::filesystem::remove_all(path); }
  std::string path;
  pydio::common::LocalConfig local;
};

}  // namespace

TEST_CASE("the node state keeps one valid document in force and hands out snapshots",
          "[node_state]") {
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events);
  REQUIRE(state.load());
  CHECK(state.desired() == nullptr);
  CHECK(state.secrets() == nullptr);

  auto accepted = state.submit(parse_desired_state(example(3)));
  REQUIRE(accepted);
  REQUIRE(accepted->errors.empty());
  const auto snapshot = state.desired();
  REQUIRE(snapshot != nullptr);
  CHECK(snapshot->generation == 3);

  SECTION("a newer document replaces it; a snapshot taken before does not change") {
    REQUIRE(state.submit(parse_desired_state(example(4)))->errors.empty());
    CHECK(state.desired()->generation == 4);
    CHECK(snapshot->generation == 3);
  }
  SECTION("an older document is refused, says why, and the one in force stays") {
    auto refused = state.submit(parse_desired_state(example(2)));
    REQUIRE(refused);
    REQUIRE(refused->errors.size() == 1);
    CHECK_THAT(refused->errors[0], Catch::StartsWith("generation: 2 is older"));
    CHECK(state.desired() == snapshot);
    CHECK_THAT(state.desired_error(), Catch::StartsWith("generation: 2 is older"));
  }
  SECTION("a change must be exactly the next generation") {
    auto skipped = state.submit(parse_desired_state(example(5)), GenerationRule::kNext);
    REQUIRE(skipped);
    CHECK_FALSE(skipped->errors.empty());
    CHECK(state.desired()->generation == 3);
  }
  SECTION("a document that does not parse is recorded as refused and changes nothing") {
    const auto parsed = parse_desired_state("{\"generation\": 9}");
    REQUIRE_FALSE(parsed.errors.empty());
    state.record_refusal(parsed.errors);
    CHECK(state.desired() == snapshot);
    CHECK_FALSE(state.desired_error().empty());
  }
  SECTION("the document in force survives a restart (a new NodeState on the same state dir)") {
    NodeState restarted(dir.local, events);
    REQUIRE(restarted.load());
    REQUIRE(restarted.desired() != nullptr);
    CHECK(restarted.desired()->generation == 3);
  }
}

TEST_CASE("the node state creates the cluster's secrets once, root-only", "[node_state]") {
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events);
  REQUIRE(state.load());

  REQUIRE(state.ensure_secrets());
  REQUIRE(state.secrets() != nullptr);
  const std::string password = state.secrets()->db_password;
  CHECK(password.size() == 24);
  struct stat info {};
  REQUIRE(::stat(dir.local.secrets_path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  SECTION("a second call keeps the secrets it has") {
    REQUIRE(state.ensure_secrets());
    CHECK(state.secrets()->db_password == password);
  }
  SECTION("secrets from a peer replace them and are loaded after a restart") {
    pydio::common::Secrets joined{"db-password", "lease-password"};
    REQUIRE(state.adopt_secrets(joined));
    CHECK(state.secrets()->lease_password == "lease-password");
    NodeState restarted(dir.local, events);
    REQUIRE(restarted.load());
    REQUIRE(restarted.secrets() != nullptr);
    CHECK(restarted.secrets()->db_password == "db-password");
  }
  SECTION("a node that is not started does not lead and says why not") {
    CHECK_FALSE(state.is_leader_now());
    CHECK(state.live_term() == 0);
    CHECK_FALSE(state.leader().campaigning);
  }
}

TEST_CASE("an older version's join token leaves secrets.json when the node state loads",
          "[node_state]") {
  TempStateDir dir;
  std::ofstream(dir.local.secrets_path)
      << R"({"joinToken": "abcdef.0123456789abcdef", "dbPassword": "db"})";
  REQUIRE(::chmod(dir.local.secrets_path.c_str(), 0600) == 0);
  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events);

  REQUIRE(state.load());

  std::ifstream in(dir.local.secrets_path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("0123456789abcdef") == std::string::npos);
  CHECK(text.str().find("\"dbPassword\": \"db\"") != std::string::npos);
  REQUIRE(state.secrets() != nullptr);
  CHECK(state.secrets()->db_password == "db");
}

TEST_CASE("the node state signs what it authors and keeps the signature across a restart",
          "[node_state][signing]") {
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events);
  REQUIRE(state.load());

  SECTION("without the private key nothing is committed") {
    auto refused = state.commit(parse_desired_state(example(1)));
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::Contains("no private signing key"));
    CHECK(state.desired() == nullptr);
  }
  SECTION("with it, the document in force is signed, persisted signed and verified at load") {
    REQUIRE(state.ensure_signing_keys());
    REQUIRE(state.commit(parse_desired_state(example(1)))->errors.empty());
    auto signed_text = state.desired_signed();
    REQUIRE(signed_text);
    CHECK(pydio::agent::verify_document(state.signing_keys()->public_pem, signed_text->text,
                                        signed_text->signature));
    struct stat info {};
    REQUIRE(::stat((dir.local.pki_dir + "/signing.key").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);

    NodeState restarted(dir.local, events);
    REQUIRE(restarted.load());
    REQUIRE(restarted.desired_signed());
    CHECK(restarted.desired_signed()->signature == signed_text->signature);

    SECTION("a tampered local copy loads unsigned; the key holder signs it again") {
      std::ofstream(dir.local.state_dir + "/desired-state.json.sig") << "{}";
      NodeState reloaded(dir.local, events);
      REQUIRE(reloaded.load());
      REQUIRE(reloaded.desired_signed());
      CHECK(pydio::agent::verify_document(reloaded.signing_keys()->public_pem,
                                          reloaded.desired_signed()->text,
                                          reloaded.desired_signed()->signature));
    }
  }
  SECTION("a refused document leaves a status line and an event naming its source") {
    REQUIRE(state.ensure_signing_keys());
    REQUIRE(state.commit(parse_desired_state(example(1)))->errors.empty());
    state.refuse_document("pydio-config", "unsigned: no signature came with the document");
    CHECK(state.desired()->generation == 1);
    CHECK_THAT(state.desired_error(), Catch::Contains("from pydio-config: unsigned"));
    auto latest = events.latest(1);
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].resource == "desired-state");
    CHECK(latest[0].outcome == "error");
    CHECK_THAT(latest[0].message, Catch::StartsWith("unsigned"));
  }
  SECTION("a joining node keeps the key it trusts") {
    auto other = pydio::agent::generate_signing_keys();
    REQUIRE(state.adopt_signing_keys({other->public_pem, "", ""}));
    CHECK(state.signing_keys()->private_pem.empty());
    auto third = pydio::agent::generate_signing_keys();
    CHECK_FALSE(state.adopt_signing_keys(*third));
    CHECK(state.adopt_signing_keys(*other));  // the same key, now with its private half
    CHECK_FALSE(state.signing_keys()->private_pem.empty());
  }
}

TEST_CASE("a rotation of the signing key: the leader signs with the successor, a follower moves",
          "[node_state][signing]") {
  TempStateDir leader_dir;
  TempStateDir follower_dir;
  follower_dir.local.node_name = "node2";
  EventLog events(leader_dir.path + "/events.jsonl");
  NodeState leader(leader_dir.local, events);
  NodeState follower(follower_dir.local, events);
  REQUIRE(leader.load());
  REQUIRE(follower.load());
  REQUIRE(leader.ensure_signing_keys());
  REQUIRE(leader.commit(parse_desired_state(example(1)))->errors.empty());
  const auto old_keys = *leader.signing_keys();
  const auto first = *leader.desired_signed();
  REQUIRE(follower.adopt_signing_keys({old_keys.public_pem, "", ""}));
  REQUIRE(follower.submit(parse_desired_state(first.text), GenerationRule::kNewer, first)
              ->errors.empty());

  auto rotated = leader.commit_with_new_key(parse_desired_state(example(2)));
  REQUIRE(rotated);
  REQUIRE(rotated->errors.empty());
  const auto new_keys = *leader.signing_keys();
  const auto second = *leader.desired_signed();
  CHECK(pydio::agent::key_id(new_keys.public_pem) != pydio::agent::key_id(old_keys.public_pem));
  CHECK(pydio::agent::verify_document(new_keys.public_pem, second.text, second.signature));
  CHECK(events.latest(1).at(0).resource == "signing-key");

  SECTION("the leader restarts on the new key; the old private key is gone from its disk") {
    NodeState restarted(leader_dir.local, events);
    REQUIRE(restarted.load());
    CHECK(restarted.signing_keys()->private_pem == new_keys.private_pem);
    CHECK(restarted.desired_signed()->signature == second.signature);
  }
  SECTION("the follower verifies through the succession, trusts the new key, keeps it") {
    auto check = pydio::agent::check_signed_document(
        second, follower.signing_keys()->public_pem, follower.desired().get(),
        follower.desired_signed()->text, follower.retired_signing_key());
    REQUIRE(check.verdict == pydio::agent::DocumentVerdict::kAdopt);
    REQUIRE(check.successor);
    REQUIRE(follower.trust_successor(*check.successor));
    REQUIRE(follower.submit(check.parsed, GenerationRule::kNewer, second)->errors.empty());
    CHECK(follower.signing_keys()->public_pem == new_keys.public_pem);
    CHECK(follower.retired_signing_key() == old_keys.public_pem);

    // The old key's copy still lagging on pydio-config: older, no alarm.
    auto lagging = pydio::agent::check_signed_document(first, new_keys.public_pem,
                                                       follower.desired().get(), second.text,
                                                       follower.retired_signing_key());
    CHECK(lagging.verdict == pydio::agent::DocumentVerdict::kOlder);
    // Something newer signed with the retired key (stolen before the rotation): refused.
    auto stolen = old_keys;
    const std::string newer_text = example(9);
    const pydio::agent::SignedDocument newer{newer_text,
                                             *pydio::agent::sign_document(stolen, newer_text)};
    auto refused = pydio::agent::check_signed_document(newer, new_keys.public_pem,
                                                       follower.desired().get(), second.text,
                                                       follower.retired_signing_key());
    CHECK(refused.verdict == pydio::agent::DocumentVerdict::kRefused);
    CHECK_THAT(refused.reason, Catch::Contains("retired at the last rotation"));

    NodeState restarted(follower_dir.local, events);
    REQUIRE(restarted.load());
    CHECK(restarted.signing_keys()->public_pem == new_keys.public_pem);
    CHECK(restarted.desired()->generation == 2);
    CHECK(restarted.desired_signed()->signature == second.signature);

    SECTION("a storage follower takes the new private key, never another one") {
      auto other = pydio::agent::generate_signing_keys();
      CHECK_FALSE(follower.adopt_private_signing_key(*other));
      CHECK(follower.signing_keys()->private_pem.empty());
      REQUIRE(follower.adopt_private_signing_key(new_keys));
      CHECK(follower.signing_keys()->private_pem == new_keys.private_pem);
      CHECK(follower.signing_keys()->succession == new_keys.succession);
    }
  }
}

TEST_CASE("a rotation stopped before its document was stored is undone at start; after, finished",
          "[node_state][signing]") {
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  auto leader = std::make_unique<NodeState>(dir.local, events);
  REQUIRE(leader->load());
  REQUIRE(leader->ensure_signing_keys());
  REQUIRE(leader->commit(parse_desired_state(example(1)))->errors.empty());
  const auto old_keys = *leader->signing_keys();
  auto next = pydio::agent::make_successor(old_keys);
  REQUIRE(next);

  SECTION("staged only (the stop came before the commit): the old key stays in force") {
    REQUIRE(pydio::agent::stage_successor_key(dir.local.pki_dir, *next));
    leader = std::make_unique<NodeState>(dir.local, events);
    REQUIRE(leader->load());
    CHECK(leader->signing_keys()->private_pem == old_keys.private_pem);
    CHECK(pydio::agent::verify_document(old_keys.public_pem, leader->desired_signed()->text,
                                        leader->desired_signed()->signature));
    CHECK_FALSE(std::filesystem::exists(dir.local.pki_dir + "/signing.next.pub"));
  }
  SECTION("staged and its document stored (the stop came before the promotion): finished") {
    REQUIRE(pydio::agent::stage_successor_key(dir.local.pki_dir, *next));
    const std::string text = example(2);
    const pydio::agent::SignedDocument signed_text{text, *pydio::agent::sign_document(*next, text)};
    REQUIRE(leader->submit(parse_desired_state(text), GenerationRule::kNext, signed_text)
                ->errors.empty());
    leader = std::make_unique<NodeState>(dir.local, events);
    REQUIRE(leader->load());
    CHECK(leader->signing_keys()->private_pem == next->private_pem);
    CHECK(leader->signing_keys()->succession == next->succession);
    CHECK(leader->desired_signed()->signature == signed_text.signature);
    auto loaded = pydio::agent::load_signing_keys(dir.local.pki_dir);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == next->public_pem);
  }
  SECTION("a rejoin through a pinned answer replaces the key; the copy in force is unsigned") {
    auto other = pydio::agent::generate_signing_keys();
    REQUIRE(leader->replace_signing_keys_for_rejoin({other->public_pem, "", ""}));
    CHECK(leader->signing_keys()->public_pem == other->public_pem);
    CHECK(leader->signing_keys()->private_pem.empty());
    CHECK(leader->desired_signed()->signature.empty());
    CHECK(leader->retired_signing_key().empty());
  }
}

namespace {

// The example with node1 a storage node (no db role) whose database is 127.0.0.1 on a port
// nothing listens on: the elector campaigns (every round fails fast, on loopback only).
nlohmann::json campaigning_document(std::int64_t generation) {
  auto document = nlohmann::json::parse(example(generation));
  document["nodes"][0]["roles"] = {"storage", "compute"};
  document["database"]["host"] = "127.0.0.1";
  document["database"]["port"] = 9;
  return document;
}

// No resource: the started reconciler does nothing to this machine.
std::vector<std::unique_ptr<pydio::agent::Resource>> no_resources(
    const pydio::common::DesiredState&, const std::string&) {
  return {};
}

}  // namespace

TEST_CASE("a document that takes the storage role away ends the campaign",
          "[node_state]") {
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events, no_resources);
  REQUIRE(state.load());
  auto first = state.submit(parse_desired_state(campaigning_document(1).dump()));
  REQUIRE(first);
  REQUIRE(first->errors.empty());
  state.start({});
  REQUIRE(state.ensure_secrets());
  REQUIRE(state.leader().campaigning);

  // node1 becomes a compute node; its bricks move to a new storage node, node2. (A valid
  // document always names a database: node1 cannot lose the database instead.)
  nlohmann::json next = campaigning_document(2);
  next["nodes"][0]["roles"] = {"compute"};
  next["nodes"].push_back({{"name", "node2"},
                           {"address", "198.18.0.2"},
                           {"roles", {"storage"}},
                           {"bricks", next["nodes"][0]["bricks"]}});
  next["nodes"][0].erase("bricks");
  auto outcome = state.submit(parse_desired_state(next.dump()));
  REQUIRE(outcome);
  INFO(nlohmann::json(outcome->errors).dump());
  REQUIRE(outcome->errors.empty());
  const auto leader = state.leader();
  CHECK_FALSE(leader.campaigning);
  CHECK_FALSE(leader.why_not.empty());
  CHECK_FALSE(state.is_leader_now());
}

TEST_CASE("a new document through the node state updates its started reconciler in place",
          "[node_state][reconciler]") {
  using pydio::agent::ResourceState;
  using pydio::test::CounterResource;
  TempStateDir dir;
  EventLog events(dir.path + "/events.jsonl");
  // "failing" fails every apply (so it backs off); "held" does not finish its first apply until
  // released; "added" exists from generation 4 on. A new object of each for every document.
  std::vector<CounterResource*> held;  // every "held" object made, first one first
  std::mutex made_mutex;
  auto factory = [&](const pydio::common::DesiredState& desired, const std::string&) {
    std::vector<std::unique_ptr<pydio::agent::Resource>> out;
    auto failing = std::make_unique<CounterResource>("failing", std::vector<std::string>{}, 1);
    failing->fail_apply = true;
    out.push_back(std::move(failing));
    auto holding = std::make_unique<CounterResource>("held", std::vector<std::string>{}, 1);
    {
      std::lock_guard<std::mutex> lock(made_mutex);
      holding->hold_apply = held.empty();
      held.push_back(holding.get());
    }
    out.push_back(std::move(holding));
    if (desired.generation >= 4)
      out.push_back(std::make_unique<CounterResource>("added", std::vector<std::string>{}, 0));
    return out;
  };
  NodeState state(dir.local, events, factory);
  REQUIRE(state.load());
  REQUIRE(state.submit(parse_desired_state(example(3)))->errors.empty());
  CHECK(state.reconciler() == nullptr);  // not started yet
  state.start({});
  const auto reconciler = state.reconciler();
  REQUIRE(reconciler != nullptr);
  REQUIRE(pydio::test::wait_until([&] {
    return pydio::test::status_of(*reconciler, "failing").failures >= 1 &&
           pydio::test::status_of(*reconciler, "held").in_flight;
  }));
  const auto before = pydio::test::status_of(*reconciler, "failing");
  CHECK(before.state == ResourceState::kError);

  REQUIRE(state.submit(parse_desired_state(example(4)))->errors.empty());

  CHECK(state.reconciler() == reconciler);  // the same reconciler, not a new one
  CHECK(reconciler->resource_names() == std::vector<std::string>{"failing", "held", "added"});
  // The failed resource keeps its failures, error and retry time (a retry may have come since:
  // then it counts one more failure), never a fresh start.
  const auto after = pydio::test::status_of(*reconciler, "failing");
  CHECK(after.last_error == before.last_error);
  CHECK(after.failures >= before.failures);
  if (after.failures == before.failures) CHECK(after.retry_at == before.retry_at);
  // The operation in flight goes on, on the object it started with.
  CHECK(pydio::test::status_of(*reconciler, "held").in_flight);
  {
    std::lock_guard<std::mutex> lock(made_mutex);
    REQUIRE(held.size() == 2);
    held.front()->hold_apply = false;  // alive: its operation holds it until it ends
  }
  REQUIRE(pydio::test::wait_until([&] {
    return pydio::test::state_of(*reconciler, "held") == ResourceState::kInSync &&
           pydio::test::state_of(*reconciler, "added") == ResourceState::kInSync;
  }));
  CHECK(state.reconciler() == reconciler);
}
